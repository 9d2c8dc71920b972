"""Benchmark of database-triggered webhooks: commit -> visible in the graph and the vectors.

Starts the Upstash REST face and a gateway with `--dispatch-outbox` whose WEBHOOK_URL is itself
(as `make dev` runs it), against DATABASE_URL. Then:

- lag: inserts memories one at a time and, for each, times from its commit until its node is in
  the graph and its item in the vectors (p50, p99; as a ratio to the bare commit time);
- throughput: commits a burst of memories in one transaction and times until every one has
  reached both stores (events per second, and as a ratio to the rate the burst was written).

    DATABASE_URL=... uv run python bench/bench_outbox.py [--samples 200] [--burst 2000]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from dotline.settings import get_settings
from dotline_local.tokens import sign_up

ROOT = Path(__file__).resolve().parent.parent
POLL_S = 0.001
DEADLINE_S = 120.0
VISIBLE = """
select (select count(*) from graph.nodes where node_id = any(%(ids)s))
     + (select count(*) from vectors.items
        where source_entity_type = 'memory' and source_entity_id = any(%(ids)s))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="single inserts timed for lag")
    parser.add_argument("--burst", type=int, default=2000, help="memories committed at once")
    args = parser.parse_args()
    settings = get_settings()
    conninfo = settings.database_url.get_secret_value()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        rest = _start(processes, "dotline_local.upstash_rest", ["--redis-url", "redis://127.0.0.1:6379/0",
                      "--token", settings.upstash_redis_rest_token.get_secret_value()], {})  # fmt: skip
        port = _free_port()
        env = {"UPSTASH_REDIS_REST_URL": rest,
               "WEBHOOK_URL": f"http://127.0.0.1:{port}/v1/internal/db-events"}  # fmt: skip
        _start(processes, "dotline_local.gateway",
               ["--template", str(ROOT / "template.yaml"), "--dispatch-outbox"], env, port)  # fmt: skip
        with psycopg.connect(conninfo, autocommit=True) as conn:
            user_id = sign_up(conn, f"bench-{uuid.uuid4().hex[:8]}@example.com")
            _insert(conn, user_id, 20)  # warm the function containers and the embedder
            commits, lags = measure_lag(conn, user_id, args.samples)
            written_s, delivered_s = measure_burst(conn, user_id, args.burst)
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=10)
    commit_p50 = statistics.median(commits)
    lag_p50, lag_p99 = statistics.median(lags), _percentile(lags, 0.99)
    print(f"commit (baseline)  p50 {commit_p50 * 1000:8.2f} ms")
    print(f"webhook lag        p50 {lag_p50 * 1000:8.2f} ms  ({lag_p50 / commit_p50:6.1f}x commit)")
    print(f"webhook lag        p99 {lag_p99 * 1000:8.2f} ms  ({lag_p99 / commit_p50:6.1f}x commit)")
    written_rate, delivered_rate = args.burst / written_s, args.burst / delivered_s
    print(f"burst write (baseline) {written_rate:8.0f} rows/s")
    print(
        f"webhook throughput     {delivered_rate:8.0f} events/s ({delivered_rate / written_rate:.3f}x write)"
    )


def measure_lag(
    conn: psycopg.Connection, user_id: uuid.UUID, samples: int
) -> tuple[list[float], list[float]]:
    """Commit time and commit-to-visible lag of `samples` single inserts."""
    commits, lags = [], []
    for _ in range(samples):
        started = time.perf_counter()
        [memory_id] = _insert(conn, user_id, 1)
        committed = time.perf_counter()
        _wait_visible(conn, [memory_id])
        commits.append(committed - started)
        lags.append(time.perf_counter() - committed)
    return commits, lags


def measure_burst(conn: psycopg.Connection, user_id: uuid.UUID, burst: int) -> tuple[float, float]:
    """Seconds to write a burst in one transaction, and from its commit until all are visible."""
    started = time.perf_counter()
    ids = _insert(conn, user_id, burst)
    committed = time.perf_counter()
    _wait_visible(conn, ids)
    return committed - started, time.perf_counter() - committed


def _insert(conn: psycopg.Connection, user_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    rows = conn.execute(
        "insert into public.memories (user_id, title, content, tags) "
        "select %(user)s, 'bench ' || n, 'a memory written by the outbox benchmark ' || n, '{bench}' "
        "from generate_series(1, %(count)s) as n returning memory_id",
        {"user": user_id, "count": count},
    ).fetchall()
    return [row[0] for row in rows]


def _wait_visible(conn: psycopg.Connection, ids: list[uuid.UUID]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        row = conn.execute(VISIBLE, {"ids": ids}).fetchone()
        if row is not None and row[0] == 2 * len(ids):
            return
        time.sleep(POLL_S)
    raise TimeoutError(f"{len(ids)} memories did not reach graph and vectors in {DEADLINE_S} s")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(
    processes: list[subprocess.Popen[bytes]],
    module: str,
    args: list[str],
    env: dict[str, str],
    port: int | None = None,
) -> str:
    port = port or _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port), *args],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    processes.append(process)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{module} did not become healthy")


if __name__ == "__main__":
    main()
