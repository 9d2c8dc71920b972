"""Embedded vector search at 10k items for one user among 100 users, against numpy brute force.

Loads random unit vectors of the embedder's dimension (256) straight into vectors.items with
COPY: one user with 10k items and 99 others with ~1k each (--others, --per-other). Then times
PostgresVectors.search for the 10k user, warm (the version check plus exact cosine over the cached
matrix), against a bare numpy matmul + top-k over the same matrix in the same run; also the cold
search that loads the matrix. Prints p50/p95 and whether p95 <= 20 ms. The users are deleted at
the end (their items go with them).

Run with `uv run python bench/bench_vectors.py` with DATABASE_URL pointing at a migrated database.
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg

from dotline.adapters.postgres_vectors import PostgresVectors
from dotline.db import Database
from dotline.ports.vectors import VectorFilter
from dotline.settings import get_settings
from dotline_local.bench_support import remove_people
from dotline_local.tokens import sign_up

DIMS = 256
TARGET_P95_MS = 20.0
TYPES = ["memory_unit", "concept", "derived_artifact", "media_item"]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_user(
    conn: psycopg.Connection[Any], user_id: uuid.UUID, count: int, rng: np.random.Generator
) -> None:
    vectors = rng.normal(size=(count, DIMS)).astype("<f4")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    created = datetime(2026, 1, 1, tzinfo=UTC)
    with (
        conn.cursor() as cur,
        cur.copy(
            "copy vectors.items (item_id, user_id, source_entity_type, source_entity_id, title, text,"
            " importance, created_at, model_version, vector) from stdin"
        ) as copy,
    ):
        for i in range(count):
            copy.write_row(
                (
                    uuid.uuid4(),
                    user_id,
                    TYPES[i % 4],
                    uuid.uuid4(),
                    f"title {i}",
                    f"text of item {i}",
                    float(rng.random()),
                    created,
                    "bench@1",
                    vectors[i].tobytes(),
                )
            )
    conn.execute(
        "insert into vectors.user_versions (user_id, version)"
        " values (%s, nextval('vectors.user_version_seq'))"
        " on conflict (user_id) do update set version = excluded.version",
        [user_id],
    )


def time_ms(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=99)
    parser.add_argument("--per-other", type=int, default=1_000)
    parser.add_argument("--searches", type=int, default=300)
    args = parser.parse_args()
    settings = get_settings()
    rng = np.random.default_rng(42)
    conn = psycopg.connect(settings.database_url.get_secret_value(), autocommit=True)
    users = [
        sign_up(conn, f"bench-vectors-{uuid.uuid4().hex[:10]}@example.com")
        for _ in range(args.others + 1)
    ]
    target = users[0]
    try:
        started = time.perf_counter()
        load_user(conn, target, args.items, rng)
        for user_id in users[1:]:
            load_user(conn, user_id, args.per_other, rng)
        total = args.items + args.others * args.per_other
        print(
            f"loaded {total} items for {len(users)} users in {time.perf_counter() - started:.1f} s"
        )
        run(settings, target, args, rng)
    finally:
        remove_people(conn, users)
        conn.close()


def run(
    settings: Any, target: uuid.UUID, args: argparse.Namespace, rng: np.random.Generator
) -> None:
    db = Database(settings)
    store = PostgresVectors(db)
    queries = rng.normal(size=(args.searches, DIMS)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    cold = time_ms(lambda: store.search(target, queries[0].tolist(), limit=10))
    warm = [time_ms(lambda q=q: store.search(target, q.tolist(), limit=10)) for q in queries]
    where = VectorFilter(source_entity_types=["memory_unit", "concept"], min_importance=0.3)
    filtered = [time_ms(lambda q=q: store.search(target, q.tolist(), 10, where)) for q in queries]

    matrix = store._cache.get(target, store._matrix(target).version).matrices[DIMS]  # type: ignore[union-attr]

    def brute(q: np.ndarray) -> None:
        scores = matrix @ q
        top = np.argpartition(-scores, 9)[:10]
        top[np.argsort(-scores[top])]

    baseline = [time_ms(lambda q=q: brute(q)) for q in queries]
    db.close()

    print(f"matrix: {matrix.shape[0]} x {matrix.shape[1]} float32 ({matrix.nbytes / 1e6:.1f} MB)")
    print(f"cold search (loads the user's matrix): {cold:.1f} ms")
    for name, samples in (
        ("warm search", warm),
        ("warm search, filtered", filtered),
        ("numpy brute force", baseline),
    ):
        print(
            f"{name:>24}: p50 {percentile(samples, 0.5):6.2f} ms   p95 {percentile(samples, 0.95):6.2f} ms"
        )
    p95 = percentile(warm, 0.95)
    verdict = "PASS" if p95 <= TARGET_P95_MS else "FAIL"
    print(f"warm p95 {p95:.2f} ms <= {TARGET_P95_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
