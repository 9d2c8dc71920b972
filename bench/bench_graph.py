"""The embedded graph store's walks at 10k nodes / 30k edges for one user among others.

Run with `make bench` (or `uv run python bench/bench_graph.py`) against a migrated database.
Baselines measured in the same run: a plain one-hop adjacency query (the cheapest SQL round trip
touching the edges) and a breadth-first walk over an in-memory adjacency dict (no I/O at all).
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

from dotline.adapters.postgres_graph import PostgresGraph
from dotline.db import Database
from dotline.settings import get_settings
from dotline_local.bench_support import remove_people
from dotline_local.tokens import sign_up

ONE_HOP_SQL = """
select target_id as node_id from graph.edges where user_id = %(user_id)s and source_id = %(node_id)s
union all
select source_id from graph.edges where user_id = %(user_id)s and target_id = %(node_id)s
"""
Adjacency = dict[uuid.UUID, set[uuid.UUID]]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def load_graph(
    admin: psycopg.Connection[Any], user_id: uuid.UUID, nodes: int, edges: int, rng: random.Random
) -> Adjacency:
    """COPY a random graph (each node linked to ~edges/nodes others) for one user."""
    ids = [uuid.uuid4() for _ in range(nodes)]
    pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
    while len(pairs) < edges:
        a, b = rng.sample(ids, 2)
        pairs.add((a, b))
    with admin.cursor() as cur:
        with cur.copy("copy graph.nodes (node_id, user_id, label, properties) from stdin") as copy:
            for i, node_id in enumerate(ids):
                copy.write_row((node_id, user_id, "Concept", f'{{"name": "c{i}"}}'))
        with cur.copy("copy graph.edges (user_id, source_id, target_id, type) from stdin") as copy:
            for a, b in pairs:
                copy.write_row((user_id, a, b, "RELATED_TO"))
    admin.execute("analyze graph.nodes")
    admin.execute("analyze graph.edges")
    adjacency: Adjacency = {node_id: set() for node_id in ids}
    for a, b in pairs:
        adjacency[a].add(b)
        adjacency[b].add(a)
    return adjacency


def bfs(adjacency: Adjacency, start: uuid.UUID, depth: int) -> set[uuid.UUID]:
    seen, frontier = {start}, {start}
    for _ in range(depth):
        frontier = {m for n in frontier for m in adjacency[n]} - seen
        seen |= frontier
    return seen


def report(name: str, samples: list[float], baseline: float | None = None) -> None:
    p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
    ratio = f"  {p50 / baseline:6.1f}x one-hop SQL" if baseline else ""
    print(
        f"{name:<36} p50 {p50:8.3f} ms  p95 {p95:8.3f} ms  mean {statistics.fmean(samples):8.3f} ms{ratio}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--edges", type=int, default=30_000)
    parser.add_argument(
        "--other-users", type=int, default=3, help="users with graphs of the same size"
    )
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    settings = get_settings()
    rng = random.Random(7)
    with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as admin:
        users = [
            sign_up(admin, f"bench-graph-{uuid.uuid4().hex[:8]}@example.com")
            for _ in range(args.other_users + 1)
        ]
        try:
            started = time.perf_counter()
            graphs = [load_graph(admin, user, args.nodes, args.edges, rng) for user in users]
            print(
                f"loaded {len(users)} users x {args.nodes} nodes / {args.edges} edges in {time.perf_counter() - started:.1f} s"
            )
            run(settings, users[0], graphs[0], args.samples, rng)
        finally:
            remove_people(admin, users)


def run(settings: Any, user: uuid.UUID, adjacency: Adjacency, n: int, rng: random.Random) -> None:
    db = Database(settings)
    graph = PostgresGraph(db)
    starts = rng.sample(sorted(adjacency), n)
    pairs = [tuple(rng.sample(starts, 2)) for _ in range(n)]
    cursor = iter(range(10**9))

    def one_hop() -> None:
        with db.as_service() as tx:
            tx.execute(
                ONE_HOP_SQL, {"user_id": user, "node_id": starts[next(cursor) % n]}
            ).fetchall()

    def hood(depth: int) -> Callable[[], Any]:
        return lambda: graph.neighbourhood(user, starts[next(cursor) % n], depth, limit=200)

    def path() -> None:
        source, target = pairs[next(cursor) % n]
        graph.shortest_path(user, source, target, max_depth=6)

    one_hop()  # connect once, outside the figures
    baseline = timed(one_hop, n)
    sizes = [len(graph.neighbourhood(user, s, 2, limit=5_000).nodes) for s in starts[:50]]
    print(
        f"depth-2 neighbourhood size: median {statistics.median(sizes):.0f} nodes (limit 200 in the timings)"
    )
    report("one-hop adjacency SQL (baseline)", baseline)
    report(
        "in-memory BFS depth 2 (floor)",
        timed(lambda: bfs(adjacency, starts[next(cursor) % n], 2), n),
    )
    report("neighbourhood depth 1", timed(hood(1), n), percentile(baseline, 0.5))
    report("neighbourhood depth 2", timed(hood(2), n), percentile(baseline, 0.5))
    report("neighbourhood depth 3", timed(hood(3), n), percentile(baseline, 0.5))
    report("shortest path (max 6 hops)", timed(path, n), percentile(baseline, 0.5))
    db.close()


if __name__ == "__main__":
    main()
