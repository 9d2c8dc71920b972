"""The cosmos projection (GET /v1/graph/projection's service) at 1k and 5k nodes: cold, from the
stored snapshot, and from the cache.

Run with `make bench` (or `uv run python bench/bench_projection.py`) against a migrated database
and the Upstash REST face (`uv run dotline up --for-tests`). The baseline, measured in the same
run, is the raw read the projection cannot avoid: the user's whole subgraph through the graph
port. Every figure is printed as a ratio to it. "cached" is the path of an unchanged graph: the
graph's version, the fingerprint remembered for it, the projection from Redis (or, past the 1 MB
an Upstash request takes, from its stored snapshot); "stored snapshot" is the path after a cache
loss: the graph is read and fingerprinted, and the snapshot found in Postgres. Both ask
Postgres which memory nodes to hide (expired or purged); the cached path asks only whether the
answer it was cut by still holds: those two queries are printed on their own.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg

from dotline import cache_keys
from dotline.adapters.postgres_graph import PostgresGraph
from dotline.adapters.upstash_cache import UpstashCache
from dotline.adapters.upstash_redis import redis_from_settings
from dotline.auth import Principal
from dotline.db import Database
from dotline.services.graph.projection import current_projection
from dotline.services.memories import liveness as memory_liveness
from dotline.settings import Settings, get_settings
from dotline_local.bench_support import percentile, remove_people
from dotline_local.tokens import sign_up


def timed(fn: Callable[[], Any], n: int, before: Callable[[], Any] | None = None) -> list[float]:
    samples = []
    for _ in range(n):
        if before is not None:
            before()
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def load_graph(admin: psycopg.Connection[Any], user_id: uuid.UUID, nodes: int, edges: int) -> None:
    """COPY a random graph for one user: ~edges/nodes links per node, a few loners."""
    rng = random.Random(nodes)
    ids = [uuid.uuid4() for _ in range(nodes)]
    pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
    linked = ids[: int(nodes * 0.95)]
    while len(pairs) < edges:
        a, b = rng.sample(linked, 2)
        pairs.add((a, b))
    with admin.cursor() as cur:
        with cur.copy("copy graph.nodes (node_id, user_id, label, properties) from stdin") as copy:
            for i, node_id in enumerate(ids):
                label = "MemoryUnit" if i % 3 == 0 else "Concept"
                copy.write_row((node_id, user_id, label, f'{{"name": "node {i}"}}'))
        with cur.copy("copy graph.edges (user_id, source_id, target_id, type) from stdin") as copy:
            for a, b in pairs:
                copy.write_row((user_id, a, b, "RELATED_TO"))
    admin.execute("analyze graph.nodes")
    admin.execute("analyze graph.edges")


def report(name: str, samples: list[float], baseline: float | None = None) -> None:
    p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
    ratio = f"  {p50 / baseline:6.2f}x subgraph read" if baseline else ""
    print(
        f"  {name:<34} p50 {p50:9.2f} ms  p95 {p95:9.2f} ms  mean {statistics.fmean(samples):9.2f} ms{ratio}"
    )


def run(settings: Settings, admin: psycopg.Connection[Any], nodes: int, samples: int) -> None:
    user_id = sign_up(admin, f"bench-projection-{uuid.uuid4().hex[:8]}@example.com")
    user = Principal(user_id=user_id, claims={"sub": str(user_id), "role": "authenticated"})
    db = Database(settings)
    graph = PostgresGraph(db)
    cache = UpstashCache(redis_from_settings(settings))
    try:
        load_graph(admin, user_id, nodes, nodes * 2)

        def project() -> Any:
            return current_projection(db, graph, cache, user)

        def forget_cache() -> None:
            cache.delete_matching(cache_keys.graph_projection(user_id, "*"))

        def forget_everything() -> None:
            forget_cache()
            admin.execute(
                "delete from public.user_graph_projections where user_id = %s", (user_id,)
            )

        graph.subgraph(user_id)  # connect once, outside the figures
        baseline = timed(lambda: graph.subgraph(user_id), samples)
        cold = timed(project, max(3, samples // 4), before=forget_everything)
        stored = timed(project, samples, before=forget_cache)
        project()
        cached = timed(project, samples)
        whole = graph.subgraph(user_id)
        liveness = memory_liveness.memory_liveness(db, user, whole)
        hidden = timed(lambda: memory_liveness.memory_liveness(db, user, whole), samples)
        holds = timed(lambda: memory_liveness.still_holds(db, user, liveness), samples)
        body = project()
        where = (
            "Redis"
            if cache.get_json(cache_keys.graph_projection(user_id, body.fingerprint))
            else "Postgres (too big for one cache request)"
        )
        print(
            f"{nodes} nodes / {nodes * 2} edges: {body.node_count} placed, cached copy in {where}"
        )
        base = percentile(baseline, 0.5)
        report("subgraph read (baseline)", baseline)
        report("cold: read + layout + store", cold, base)
        report("stored snapshot (cache miss)", stored, base)
        report("cached (unchanged graph)", cached, base)
        report("  of which: liveness still holds", holds, base)
        report("hidden memory nodes (cold, stored)", hidden, base)
    finally:
        cache.delete_matching(cache_keys.graph_projection(user_id, "*"))
        graph.erase_user(user_id)
        db.close()
        remove_people(admin, [user_id])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 5_000])
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    settings = get_settings()
    with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as admin:
        for nodes in args.sizes:
            run(settings, admin, nodes, args.samples)


if __name__ == "__main__":
    main()
