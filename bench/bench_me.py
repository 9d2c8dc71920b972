"""Warm GET /v1/me through the gateway against the same SQL through psycopg, and cold import cost.

Run with `make bench` (or `uv run python bench/bench_me.py`) while `make up` has the stack running.
Figures are ratios against a baseline measured in the same run, since the machines are noisy.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from dotline.settings import get_settings
from dotline_local.bench_support import gateway_on_free_port, percentile
from dotline_local.tokens import mint_token, sign_up

ROOT = Path(__file__).resolve().parent.parent
ME_SQL = (
    "select user_id, email, display_name, timezone, language_preference as language, preferences, "
    "data_retention_days, region, subscription_tier, account_status, growth_profile, created_at, "
    "updated_at from public.profiles where user_id = %(user_id)s"
)
BEGIN_AS_USER = (
    "select set_config('role', 'authenticated', true), "
    "set_config('request.jwt.claims', %(claims)s, true)"
)


def timed(fn: object, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def bench_requests(n: int) -> None:
    settings = get_settings()
    dsn = settings.database_url.get_secret_value()
    # Enough users that the per-user rate limit (120/min) never trips: it stays in the measured
    # path, as in production, without turning the benchmark into a 429 test.
    users = max(1, (n + 50) // 100 + 1)
    with psycopg.connect(dsn, autocommit=True) as admin:
        user_ids = [
            sign_up(admin, f"bench-{uuid.uuid4().hex[:8]}@example.com") for _ in range(users)
        ]
    tokens = [mint_token(uid, "bench@example.com", settings=settings) for uid in user_ids]
    user_id = user_ids[0]
    with (
        gateway_on_free_port("bench-gateway") as base_url,
        httpx.Client(base_url=base_url, timeout=10) as client,
    ):
        headers = [{"Authorization": f"Bearer {token}"} for token in tokens]
        turn = iter(range(10**9))

        def through_gateway() -> None:
            client.get("/v1/me", headers=headers[next(turn) % len(headers)]).raise_for_status()

        timed(through_gateway, 50)  # warm the container and the connection
        gateway = timed(through_gateway, n)

    claims = f'{{"sub": "{user_id}", "role": "authenticated"}}'
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=None) as conn:

        def direct() -> None:
            with conn.transaction():
                conn.execute(BEGIN_AS_USER, {"claims": claims})
                conn.execute(ME_SQL, {"user_id": user_id}).fetchone()

        timed(direct, 50)
        sql = timed(direct, n)

    print(f"GET /v1/me warm, {n} requests, one client")
    for name, samples in (("gateway", gateway), ("psycopg", sql)):
        print(
            f"  {name:8s} p50 {percentile(samples, 0.5):7.2f} ms   p99 {percentile(samples, 0.99):7.2f} ms"
        )
    print(
        f"  ratio    p50 {percentile(gateway, 0.5) / percentile(sql, 0.5):7.1f}x   "
        f"p99 {percentile(gateway, 0.99) / percentile(sql, 0.99):7.1f}x  (gateway / direct SQL)"
    )


def bench_imports(runs: int) -> None:
    load_me = (
        "import importlib.util, sys; sys.path.insert(0, 'shared'); "
        "s = importlib.util.spec_from_file_location('me_app', 'functions/me/app.py'); "
        "m = importlib.util.module_from_spec(s); s.loader.exec_module(m)"
    )

    def start(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)  # noqa: S603
        return (time.perf_counter() - started) * 1000

    bare = [start("pass") for _ in range(runs)]
    me = [start(load_me) for _ in range(runs)]
    print(f"cold import of functions/me/app.py, median of {runs} fresh interpreters")
    print(f"  bare interpreter {statistics.median(bare):7.1f} ms")
    print(f"  import me app    {statistics.median(me):7.1f} ms")
    print(
        f"  ratio            {statistics.median(me) / statistics.median(bare):7.1f}x   "
        f"(added {statistics.median(me) - statistics.median(bare):.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--import-runs", type=int, default=15)
    args = parser.parse_args()
    bench_requests(args.requests)
    bench_imports(args.import_runs)


if __name__ == "__main__":
    main()
