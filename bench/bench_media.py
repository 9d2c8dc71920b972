"""Media: hashing an uploaded object through S3 (moto's server) against hashing the same bytes in
memory, the memory that takes, POST /v1/media against GET /v1/me, and PUT-to-ready locally.

Starts its own moto S3 server and gateways (one polling the bucket, as `make dev` runs it)
against DATABASE_URL and the Upstash REST face (`make up` or `dotline up --for-tests`).
Figures are ratios against a baseline measured in the same run, since the machines are noisy.

    uv run python bench/bench_media.py [--requests 300] [--uploads 20]
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import subprocess
import time
import tracemalloc
import uuid
from collections.abc import Callable

import httpx
import psycopg

from dotline.adapters.s3_objects import S3Objects
from dotline.services.media.processing import digest_object
from dotline.settings import Settings, get_settings
from dotline_local.bench_support import ROOT, free_port, gateway_on_free_port, percentile
from dotline_local.daemons import Daemon, stop_child, wait_healthy
from dotline_local.s3_notifications import s3_client
from dotline_local.tokens import mint_token, sign_up

MIB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n"
READY_DEADLINE_S = 30.0
STATUS_SQL = "select processing_status from public.media_items where media_id = %s"


def timed(fn: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def bench_hashing(settings: Settings) -> None:
    store = S3Objects.from_settings(settings)
    print("hashing an object: streamed from S3 (moto) vs hashlib over the bytes in memory")
    for size_mib in (1, 8, 32):
        content = PNG + secrets.token_bytes(size_mib * MIB - len(PNG))
        key = f"bench/{uuid.uuid4()}.png"
        s3_client(settings).put_object(Bucket=settings.media_bucket, Key=key, Body=content)
        streamed = timed(lambda k=key: digest_object(store, k), 5)  # type: ignore[misc]
        in_memory = timed(lambda c=content: hashlib.sha256(c).hexdigest(), 5)  # type: ignore[misc]
        tracemalloc.start()
        digest_object(store, key)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"  {size_mib:3d} MiB  streamed {percentile(streamed, 0.5):8.1f} ms   in memory "
            f"{percentile(in_memory, 0.5):7.1f} ms   ratio {percentile(streamed, 0.5) / percentile(in_memory, 0.5):5.1f}x"
            f"   peak Python memory {peak / MIB:5.2f} MiB = {peak / len(content):.3f} of the object"
        )


def bench_requests(settings: Settings, env: dict[str, str], n: int) -> None:
    dsn = settings.database_url.get_secret_value()
    with psycopg.connect(dsn, autocommit=True) as admin:  # rate limit: 120 per minute per user
        users = [
            sign_up(admin, f"bench-{uuid.uuid4().hex[:8]}@example.com") for _ in range(n // 50 + 2)
        ]
    headers = [
        {"Authorization": f"Bearer {mint_token(u, 'b@example.com', settings=settings)}"}
        for u in users
    ]
    turn = iter(range(10**9))
    body = {"filename": "bench.png", "content_type": "image/png", "size_bytes": 1024}
    with (
        gateway_on_free_port("bench-media-gateway", env=env) as url,
        httpx.Client(base_url=url, timeout=30) as api,
    ):

        def create() -> None:
            api.post(
                "/v1/media", json=body, headers=headers[next(turn) % len(headers)]
            ).raise_for_status()

        def me() -> None:
            api.get("/v1/me", headers=headers[next(turn) % len(headers)]).raise_for_status()

        timed(create, 20)
        timed(me, 20)
        creates, reads = timed(create, n), timed(me, n)
    print(f"POST /v1/media (row + presigned URL) vs GET /v1/me, warm, {n} each, one client")
    for name, samples in (("create", creates), ("me", reads)):
        print(
            f"  {name:7s} p50 {percentile(samples, 0.5):7.2f} ms   p95 {percentile(samples, 0.95):7.2f} ms"
        )
    print(
        f"  ratio   p50 {percentile(creates, 0.5) / percentile(reads, 0.5):7.2f}x   "
        f"p95 {percentile(creates, 0.95) / percentile(reads, 0.95):7.2f}x  (create / me)"
    )


def bench_put_to_ready(settings: Settings, env: dict[str, str], uploads: int) -> None:
    with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as admin:
        user = sign_up(admin, f"bench-{uuid.uuid4().hex[:8]}@example.com")
    headers = {"Authorization": f"Bearer {mint_token(user, 'b@example.com', settings=settings)}"}
    waits: list[float] = []
    with (
        gateway_on_free_port(
            "bench-media-poller", extra_args=("--deliver-s3-events",), env=env
        ) as url,
        httpx.Client(base_url=url, timeout=30) as api,
        psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as db,
    ):
        for _ in range(uploads + 2):
            content = PNG + secrets.token_bytes(64 * 1024)
            body = {"filename": "p.png", "content_type": "image/png", "size_bytes": len(content)}
            created = api.post("/v1/media", json=body, headers=headers).json()
            upload = created["upload"]
            httpx.put(upload["url"], content=content, headers=upload["headers"]).raise_for_status()
            started = time.perf_counter()
            media_id = created["media"]["media_id"]
            while db.execute(STATUS_SQL, (media_id,)).fetchone() == ("pending",):
                if time.perf_counter() - started > READY_DEADLINE_S:
                    raise RuntimeError("an upload did not become ready")
                time.sleep(0.005)
            waits.append((time.perf_counter() - started) * 1000)
    waits = waits[2:]  # the first ones pay the function's cold start
    poll_ms = 1000.0
    print(
        f"PUT to ready through the gateway's bucket poller (every {poll_ms:.0f} ms), {uploads} uploads"
    )
    print(
        f"  p50 {percentile(waits, 0.5):7.1f} ms   p95 {percentile(waits, 0.95):7.1f} ms   "
        f"ratio to the poll interval p50 {percentile(waits, 0.5) / poll_ms:4.2f}x  p95 {percentile(waits, 0.95) / poll_ms:4.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--uploads", type=int, default=20)
    args = parser.parse_args()
    port = free_port()
    bucket = f"bench-media-{uuid.uuid4().hex[:8]}"
    url = f"http://127.0.0.1:{port}"
    # Moto in a process of its own, so the memory measured is the reader's alone.
    daemon = Daemon("bench-s3", "dotline_local.s3_server",
                    ("--port", str(port), "--bucket", bucket), f"{url}/moto-api/", ROOT / ".stack")  # fmt: skip
    with daemon.log_file.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            daemon.argv, cwd=ROOT, stdout=log, stderr=log, start_new_session=True
        )
    try:
        wait_healthy(daemon, lambda: server.poll() is None)
        settings = get_settings().model_copy(
            update={"s3_endpoint_url": url, "media_bucket": bucket}
        )
        _wait_for_bucket(settings)
        env = {"S3_ENDPOINT_URL": url, "MEDIA_BUCKET": bucket}
        bench_hashing(settings)
        bench_requests(settings, env, args.requests)
        bench_put_to_ready(settings, env, args.uploads)
    finally:
        stop_child(server)


def _wait_for_bucket(settings: Settings) -> None:
    client = s3_client(settings)
    deadline = time.monotonic() + READY_DEADLINE_S
    while settings.media_bucket not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        if time.monotonic() > deadline:
            raise RuntimeError("the bench S3 server made no bucket")
        time.sleep(0.1)


if __name__ == "__main__":
    main()
