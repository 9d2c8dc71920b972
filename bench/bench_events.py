"""Behaviour event ingest: POST /v1/events through the gateway against a raw COPY of the same rows.

Both sides store the same batches of 1,000 events, one transaction per batch: the gateway (HTTP,
token check, rate limit, validation of every event, then one statement, private.record_event_batch,
that claims the batch id and INSERTs the events as the user under row-level security) and psycopg's
COPY as the superuser (no RLS, no validation). They alternate round by round (`--clients` batches
in flight per round), so both see the same noise from the rest of the machine. The figure is the gateway's events per second as a ratio of COPY's (target: at
least 0.5x; where the time goes: docs/event-ingest.md). The bench's users, and so their events,
are deleted at the end.

    DATABASE_URL=... uv run python bench/bench_events.py [--batches 40] [--clients 1]
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from dotline.models.behaviour_events import MAX_EVENTS_PER_BATCH
from dotline.settings import get_settings
from dotline_local.bench_support import gateway_on_free_port, remove_people
from dotline_local.tokens import mint_token, sign_up

ROOT = Path(__file__).resolve().parent.parent
BATCHES_PER_USER = 25  # under the events function's 30 uploads a minute per user
WARMUP_BATCHES = 2
COPY_EVENTS = (
    "copy public.behaviour_events (user_id, event_type, target_entity_id, target_entity_type,"
    " duration_seconds, context, metadata, session_id, occurred_at) from stdin"
)
ACTIONS = ("view", "edit", "search", "create", "share")
ITEM_TYPES = ("memory", "card", "article", "note")


def make_events(n: int) -> list[dict[str, Any]]:
    """n plausible events as a client sends them."""
    now = datetime.now(UTC)
    session = str(uuid.uuid4())
    return [
        {
            "action_type": ACTIONS[i % len(ACTIONS)],
            "item_id": str(uuid.uuid4()),
            "item_type": ITEM_TYPES[i % len(ITEM_TYPES)],
            "duration_seconds": i % 600,
            "context": {"source": "timeline", "scroll_depth": 0.8, "position": i},
            "metadata": {"device": "ios", "app_version": "3.2.1"},
            "session_id": session,
            "occurred_at": (now - timedelta(seconds=i)).isoformat(),
        }
        for i in range(n)
    ]


def copy_rows(user_id: uuid.UUID, events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The same events as COPY rows (prepared before the clock starts)."""
    return [
        (
            user_id,
            e["action_type"],
            e["item_id"],
            e["item_type"],
            e["duration_seconds"],
            json.dumps(e["context"]),
            json.dumps(e["metadata"]),
            e["session_id"],
            e["occurred_at"],
        )
        for e in events
    ]


class Uploader:
    """POSTs batches through the gateway over one kept-alive connection."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=60)

    def post(self, token: str, body: bytes) -> None:
        """Store one batch (it must be a fresh 202)."""
        response = self.client.post(
            "/v1/events",
            content=body,
            headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
        )
        if response.status_code != 202 or response.json()["replayed"]:
            raise RuntimeError(f"upload refused: {response.status_code} {response.text[:300]}")


def copy_batch(conn: psycopg.Connection[Any], rows: list[tuple[Any, ...]]) -> None:
    """COPY one batch in its own transaction, as the superuser."""
    with conn.transaction(), conn.cursor() as cur, cur.copy(COPY_EVENTS) as copy:
        for row in rows:
            copy.write_row(row)


def interleaved(
    url: str,
    dsn: str,
    uploads: list[tuple[str, bytes]],
    rows: list[list[tuple[Any, ...]]],
    clients: int,
    warmup: int,
) -> tuple[float, float]:
    """Wall seconds for each side to store every timed batch, `clients` batches at a time. The
    sides alternate round by round, so both see the same noise from the rest of the machine."""
    uploader = Uploader(url)
    conns = [psycopg.connect(dsn, autocommit=True) for _ in range(clients)]
    gateway_s = copy_s = 0.0
    try:
        with uploader.client, ThreadPoolExecutor(clients) as pool:
            for start in range(0, len(uploads), clients):
                round_uploads = uploads[start : start + clients]
                round_rows = rows[start : start + clients]
                started = time.perf_counter()
                list(pool.map(lambda u: uploader.post(*u), round_uploads))
                mid = time.perf_counter()
                list(pool.map(copy_batch, conns, round_rows))
                if start >= warmup:
                    gateway_s += mid - started
                    copy_s += time.perf_counter() - mid
    finally:
        for conn in conns:
            conn.close()
    return gateway_s, copy_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40, help="timed batches per side")
    parser.add_argument("--batch-size", type=int, default=MAX_EVENTS_PER_BATCH)
    parser.add_argument("--clients", type=int, default=1, help="batches in flight per side")
    args = parser.parse_args()
    settings = get_settings()
    dsn = settings.database_url.get_secret_value()
    warmup = -(-WARMUP_BATCHES // args.clients) * args.clients  # whole rounds
    total = args.batches + warmup
    n_users = -(-total // BATCHES_PER_USER)
    with psycopg.connect(dsn, autocommit=True) as admin:
        users = [
            sign_up(admin, f"bench-{uuid.uuid4().hex[:12]}@example.com") for _ in range(n_users)
        ]
    try:
        tokens = [mint_token(u, "bench@example.com", settings=settings) for u in users]
        uploads: list[tuple[str, bytes]] = []
        rows: list[list[tuple[Any, ...]]] = []
        for i in range(total):
            events = make_events(args.batch_size)
            body = {"batch_id": str(uuid.uuid4()), "events": events}
            uploads.append((tokens[i // BATCHES_PER_USER], json.dumps(body).encode()))
            rows.append(copy_rows(users[i // BATCHES_PER_USER], events))

        with gateway_on_free_port("bench-events-gateway") as url:
            gateway_s, copy_s = interleaved(url, dsn, uploads, rows, args.clients, warmup)
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            remove_people(admin, users)

    events = args.batches * args.batch_size
    gateway_rate, copy_rate = events / gateway_s, events / copy_s
    print(
        f"behaviour event ingest, {args.batches} batches of {args.batch_size}, {n_users} users, "
        f"{args.clients} batch(es) in flight, the two sides alternating round by round"
    )
    print(f"  gateway POST /v1/events  {gateway_rate:9,.0f} events/s   ({gateway_s:6.2f} s)")
    print(f"  psycopg COPY (superuser) {copy_rate:9,.0f} events/s   ({copy_s:6.2f} s)")
    print(
        f"  ratio                    {gateway_rate / copy_rate:9.2f}x  (gateway / COPY; target 0.5x)"
    )


if __name__ == "__main__":
    main()
