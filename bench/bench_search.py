"""GET /v1/search at 10k memories for one user, through the gateway, against the bare vector
search and the bare full-text SQL in the same run (and GET /v1/me and GET /health as floors).

Each of --users users gets --memories memories of the generated corpus
(local/dotline_local/search_corpus.py: things done with people at places, filler diary lines),
their people as concepts, vectors and graph links (INVOLVES) written through the ports. The
queries are the retrieval benchmark's questions (paraphrased, by name and place, needing a graph
hop). Per request, in turn: the search through the gateway (the token, the rate-limit round trip
in flight beside the search; one Postgres call for the text candidates with the embedding and
vector search beside it in a worker thread, one graph call for the top hits' neighbours, one
Postgres call re-reading what only the vectors or the graph found, ranking, the HTTP hop); the
same search in-process (the service call alone: no HTTP, auth or rate limit); the bare vector search
in-process (embedding + the port's search, warm matrix); the bare full-text SQL in-process
(api.search_candidates as the user, text only); GET /v1/me through the gateway (the floor of a
function: token, rate limit, one small query); GET /health (the floor of the HTTP hop alone: this
client, uvicorn and the gateway's middleware, no function). Several users keep each under the
per-user rate limit (120/min), several client addresses under the per-address one (300/min).
Requests go through `bench_support.TimingClient` (http.client, keep-alive): the client runs on
the same two cores, and httpx's own 1-1.7 ms a request would be counted as the server's.
Every fifth query also times the in-process search right after a write to the person's vectors
("after write": one new item, then removed; the store patches its cached matrix rather than
loading every row again), against the in-process search: a write must not cost the next search
in proportion to the corpus.
Prints p50/p95 of each, the ratios, and whether the search p95 is within 20 ms; the recall@50 of
the vector store's approximate search (a matrix past its exact-scan size) against an exact scan
of the same matrix, with that scan's time ("exact scan"); and with --load-baseline N, the time to
load N memories beside the time to load --memories (a write's cost must not grow with the corpus:
100k loads within 10x of 10k). Everything stored is removed, unless --keep FILE names where
to keep the loaded users: a later run given the same file (and --users, --memories) searches
them again without loading (minutes at 100k); remove them with --drop.

Run with `uv run python bench/bench_search.py` with the stack up (`make up`).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import cycle
from pathlib import Path
from typing import Any

import psycopg

from dotline.adapters.postgres_vectors import PostgresVectors
from dotline.auth import Principal
from dotline.bootstrap import Deps
from dotline.models.search import SearchFilters
from dotline.ports.vectors import KnowledgeItem
from dotline.services.search import search
from dotline.settings import get_settings
from dotline_local.bench_support import (
    TimingClient,
    gateway_on_free_port,
    percentile,
    remove_people,
)
from dotline_local.search_corpus import build_corpus
from dotline_local.search_corpus_load import Loaded, load, timed_phase, unload
from dotline_local.tokens import mint_token, sign_up

TARGET_P95_MS = 20.0
CLIENT_ADDRESSES = [f"127.0.0.{n}" for n in range(2, 8)]
RECALL_AT = 50
AFTER_WRITE_EVERY = 5  # queries: one in-process search in that many follows a write
TEXT_ONLY = "select entity_id, text_rank from api.search_candidates(%(q)s)"


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def seed_users(
    conn: psycopg.Connection[Any], deps: Deps, count: int, memories: int
) -> tuple[list[tuple[Loaded, uuid.UUID]], list[float], dict[str, float]]:
    """Users with the corpus loaded, each with a bare user for GET /v1/me beside it, the
    seconds each load took and the slowest load's seconds by phase."""
    users, seconds, slowest = [], [], {}
    for n in range(count):
        started = time.perf_counter()
        phases: dict[str, float] = {}
        user_id = sign_up(conn, f"bench-search-{uuid.uuid4().hex[:8]}@example.com")
        me_user = sign_up(conn, f"bench-search-me-{uuid.uuid4().hex[:8]}@example.com")
        with timed_phase(phases, "corpus"):
            corpus = build_corpus(seed=100 + n, memories=memories)
        users.append((load(conn, deps, user_id, corpus, phases), me_user))
        seconds.append(time.perf_counter() - started)
        if seconds[-1] >= max(seconds):
            slowest = phases
        print(
            f"user {n + 1}: {memories} memories loaded in {seconds[-1]:.1f} s ({_phases(phases)})"
        )
    return users, seconds, slowest


def _phases(phases: dict[str, float]) -> str:
    return ", ".join(f"{name} {took:.1f} s" for name, took in phases.items())


def kept_users(path: Path, args: argparse.Namespace) -> list[tuple[Loaded, uuid.UUID]] | None:
    """The users a previous run kept in `path` for the same --users and --memories, if any."""
    if not path.exists():
        return None
    kept = json.loads(path.read_text())
    if (kept["users"], kept["memories"]) != (args.users, args.memories):
        raise SystemExit(f"{path} holds {kept['users']} x {kept['memories']}: --drop it first")
    return [
        (
            Loaded(
                uuid.UUID(user["user_id"]),
                {int(k): uuid.UUID(v) for k, v in user["memory_ids"].items()},
                [uuid.UUID(p) for p in user["person_ids"]],
            ),
            uuid.UUID(user["me_user"]),
        )
        for user in kept["loaded"]
    ]


def keep_users(path: Path, args: argparse.Namespace, users: list[tuple[Loaded, uuid.UUID]]) -> None:
    """Write the loaded users to `path` for a later run to search again."""
    loaded = [
        {
            "user_id": str(each.user_id),
            "memory_ids": {str(k): str(v) for k, v in each.memory_ids.items()},
            "person_ids": [str(p) for p in each.person_ids],
            "me_user": str(me_user),
        }
        for each, me_user in users
    ]
    kept = {"users": args.users, "memories": args.memories, "loaded": loaded}
    path.write_text(json.dumps(kept))


def load_baseline(
    conn: psycopg.Connection[Any], deps: Deps, memories: int
) -> tuple[float, dict[str, float]]:
    """Seconds to load `memories` for a user of their own (then removed), and by phase."""
    started = time.perf_counter()
    phases: dict[str, float] = {}
    user_id = sign_up(conn, f"bench-search-base-{uuid.uuid4().hex[:8]}@example.com")
    with timed_phase(phases, "corpus"):
        corpus = build_corpus(seed=99, memories=memories)
    loaded = load(conn, deps, user_id, corpus, phases)
    seconds = time.perf_counter() - started
    unload(conn, deps, loaded)
    print(f"baseline: {memories} memories loaded in {seconds:.1f} s ({_phases(phases)})")
    return seconds, phases


def report_load(
    args: argparse.Namespace,
    baseline: tuple[float, dict[str, float]],
    seconds: list[float],
    phases: dict[str, float],
) -> None:
    """The load's growth beside the corpus's (within it, a write's cost did not grow), and each
    phase's growth (which part grew faster than the rows)."""
    rows, took = args.memories / args.load_baseline, max(seconds) / baseline[0]
    verdict = "within" if took <= rows else "OVER"
    print(f"  load {args.memories} / load {args.load_baseline}: {took:.1f}x the time for "
          f"{rows:.0f}x the rows ({verdict})")  # fmt: skip
    for name, base in baseline[1].items():
        if name in phases and base > 0:
            print(
                f"    {name:10s} {phases[name]:7.1f} s / {base:6.1f} s: {phases[name] / base:5.1f}x"
            )


def run(
    base_url: str, deps: Deps, users: list[tuple[Loaded, uuid.UUID]], args: argparse.Namespace
) -> None:
    queries = cycle(q.text for q in build_corpus(seed=7).questions)
    clients = [TimingClient(base_url, source_address=a) for a in CLIENT_ADDRESSES]
    client = cycle(clients)
    samples: dict[str, list[float]] = {
        "search": [], "in-process": [], "vector": [], "full text": [], "me": [], "health": [],
        "exact scan": [], "after write": [],
    }  # fmt: skip
    recalls: list[float] = []
    try:
        for loaded, me_user in users:
            token = mint_token(loaded.user_id, "bench@example.com", settings=deps.settings)
            headers = {"Authorization": f"Bearer {token}"}
            # /v1/me as another user: each has its own 120 a minute.
            light = mint_token(me_user, "bench@example.com", settings=deps.settings)
            me_headers = {"Authorization": f"Bearer {light}"}
            user = Principal(loaded.user_id, {"sub": str(loaded.user_id), "role": "authenticated"})
            for i in range(args.warmup + args.requests):
                q = next(queries)
                via = next(client)
                figures = {
                    "search": timed(lambda: _ok(via.get("/v1/search", params={"q": q},  # noqa: B023
                                                        headers=headers))),  # noqa: B023
                    "in-process": timed(lambda: _search(deps, user, q)),  # noqa: B023
                    "vector": timed(lambda: deps.vectors.search(
                        loaded.user_id, deps.embedder.embed([q])[0], limit=50)),  # noqa: B023
                    "full text": timed(lambda: _text_only(deps, user, q)),  # noqa: B023
                    "me": timed(lambda: _ok(via.get("/v1/me", headers=me_headers))),  # noqa: B023
                    "health": timed(lambda: _ok(via.get("/health"))),  # noqa: B023
                }  # fmt: skip
                exact_ms, recall = _against_exact(deps, loaded.user_id, q)
                if i >= args.warmup:
                    for name, ms in figures.items():
                        samples[name].append(ms)
                    samples["exact scan"].append(exact_ms)
                    recalls.append(recall)
                if i >= args.warmup and i % AFTER_WRITE_EVERY == 0:
                    samples["after write"].append(_after_a_write(deps, user, q))
    finally:
        for each in clients:
            each.close()
    report(samples, args)
    print(
        f"  vector recall@{RECALL_AT} (as searched / exact scan): {sum(recalls) / len(recalls):.3f}"
    )


def _after_a_write(deps: Deps, user: Principal, q: str) -> float:
    """The in-process search right after a write to the person's vectors (one new item, as a
    new memory's mirror writes): the store patches its cached matrix with the changed item
    rather than loading the person's every row. The item is removed again, its patch absorbed
    by an untimed refresh."""
    written = KnowledgeItem(
        item_id=uuid.uuid4(), user_id=user.user_id, source_entity_type="memory",
        source_entity_id=uuid.uuid4(), text=q, created_at=datetime.now(UTC),
        model_version=deps.embedder.model_version, version=1, vector=deps.embedder.embed([q])[0],
    )  # fmt: skip
    deps.vectors.upsert([written])
    took = timed(lambda: _search(deps, user, q))
    deps.vectors.delete(user.user_id, "memory", written.source_entity_id)
    deps.vectors.search(user.user_id, written.vector, limit=1)
    return took


def _against_exact(deps: Deps, user_id: uuid.UUID, q: str) -> tuple[float, float]:
    """An exact scan of the user's cached matrix: its time, and the share of the store's search
    (approximate past the exact-scan size) that the scan's top RECALL_AT holds (ties count)."""
    assert isinstance(deps.vectors, PostgresVectors), "the embedded vector store's bench"
    matrix = deps.vectors.matrix(user_id)
    assert matrix is not None
    vector = deps.embedder.embed([q])[0]
    started = time.perf_counter()
    exact = matrix.search(vector, RECALL_AT, None, exact=True)
    exact_ms = (time.perf_counter() - started) * 1000
    found = matrix.search(vector, RECALL_AT, None)
    return exact_ms, sum(h.score >= exact[-1].score - 1e-6 for h in found) / len(exact)


def _ok(response: tuple[int, bytes]) -> None:
    status, body = response
    if status != 200:
        raise RuntimeError(f"{status}: {body[:300].decode(errors='replace')}")


def _search(deps: Deps, user: Principal, q: str) -> None:
    search.search(
        deps.search_stores(), user, q, SearchFilters(), limit=10,
    )  # fmt: skip


def _text_only(deps: Deps, user: Principal, q: str) -> None:
    with deps.db.as_user(user) as tx:
        tx.execute(TEXT_ONLY, {"q": q}).fetchall()


def report(samples: dict[str, list[float]], args: argparse.Namespace) -> None:
    print(f"\n{len(samples['search'])} queries over {args.users} users x {args.memories} memories")
    for name, values in samples.items():
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        print(f"  {name:10s} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
    search_p50, search_p95 = (percentile(samples["search"], q) for q in (0.5, 0.95))
    for name in ("in-process", "vector", "full text", "me", "health"):
        if not samples[name]:
            continue
        base50, base95 = (percentile(samples[name], q) for q in (0.5, 0.95))
        print(
            f"  search / {name:9s}: p50 {search_p50 / base50:5.1f}x   p95 {search_p95 / base95:5.1f}x"
        )
    verdict = "within" if search_p95 <= TARGET_P95_MS else "OVER"
    print(f"  search p95 {search_p95:.1f} ms is {verdict} the {TARGET_P95_MS:.0f} ms target")
    if samples["after write"]:
        after, before = (percentile(samples[n], 0.95) for n in ("after write", "in-process"))
        print(f"  in-process right after a write / in-process: p95 {after / before:5.1f}x"
              " (the write's cost to the next search)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=2)
    parser.add_argument("--requests", type=int, default=100, help="per user (rate limit: 120)")
    parser.add_argument("--warmup", type=int, default=10, help="per user")
    parser.add_argument("--load-baseline", type=int, default=0, help="memories to load first")
    parser.add_argument("--keep", type=Path, help="keep the loaded users in this file (or reuse)")
    parser.add_argument("--drop", action="store_true", help="remove the users --keep holds")
    args = parser.parse_args()
    settings = get_settings()
    deps = Deps(settings=settings)
    conn = psycopg.connect(settings.database_url.get_secret_value(), autocommit=True)
    kept = kept_users(args.keep, args) if args.keep else None
    users: list[tuple[Loaded, uuid.UUID]] = kept or []
    keep = args.keep is not None and not args.drop
    try:
        if args.drop:
            return
        baseline = load_baseline(conn, deps, args.load_baseline) if args.load_baseline else None
        if kept is None:
            users, seconds, phases = seed_users(conn, deps, args.users, args.memories)
            if args.keep:
                keep_users(args.keep, args, users)
        with gateway_on_free_port("bench-search-gateway") as base_url:
            run(base_url, deps, users, args)
        if baseline and kept is None:
            report_load(args, baseline, seconds, phases)
    finally:
        if not keep:
            for loaded, me_user in users:
                unload(conn, deps, loaded)
                remove_people(conn, [me_user])
            if args.keep:
                args.keep.unlink(missing_ok=True)
        conn.close()
        deps.db.close()


if __name__ == "__main__":
    main()
