"""Bulk import of history: one POST /v1/imports of a 600-turn, 20-session transcript against the
same person's turns stored one POST /v1/memories at a time, and how long until the import is done.

Each round makes fresh people and, through the same gateway, times:
  import        one POST /v1/imports of the whole transcript (600 turns, 300 of them the
                person's), validated whole and stored in one transaction with its own times;
  one by one    the person's 300 turns as 300 POST /v1/memories (spread over three people so the
                120-a-minute limit never answers: the time without the throttle's waits);
  done          from the import's 202 until GET /v1/imports/{id} says done, ingestion running
                in process as the scheduled function would (its first run right after the 202).
The first round warms the gateway's functions and the embedder and is not counted. Prints
medians and the ratio of the two ways in; under the per-user limit the one-by-one way also waits
for the limit (300 requests at 120 a minute: at least 2.5 minutes), which is printed beside it.
Everything stored is removed (the people are deleted; their rows go with them).

Run with `uv run python bench/bench_imports.py [--rounds 3]` with the stack up (`make up`).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

from dotline.bootstrap import Deps
from dotline.growth_rules import packaged_config
from dotline.services.ingestion.ingestion import IngestionStores, ingest_conversations
from dotline.settings import get_settings
from dotline_local.bench_support import gateway_on_free_port, remove_people
from dotline_local.import_corpus import transcript
from dotline_local.tokens import mint_token, sign_up

PER_ITEM_USERS = 3  # 100 requests each, under the 120 a minute per person
USER_LIMIT_PER_MINUTE = 120


def person(admin: psycopg.Connection[Any], made: list[uuid.UUID]) -> dict[str, str]:
    settings = get_settings()
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    user_id = sign_up(admin, email)
    made.append(user_id)
    return {"Authorization": f"Bearer {mint_token(user_id, email, settings=settings)}"}


def one_round(
    api: httpx.Client, admin: psycopg.Connection[Any], stores: IngestionStores, start: datetime
) -> tuple[float, float, float, list[uuid.UUID]]:
    made: list[uuid.UUID] = []
    body = transcript(start)
    turns = [t for s in body["sessions"] for t in s["turns"] if t["role"] == "user"]
    importer = person(admin, made)
    one_by_one = [person(admin, made) for _ in range(PER_ITEM_USERS)]

    started = time.perf_counter()
    answer = api.post("/v1/imports", content=json.dumps(body), headers={
        **importer, "content-type": "application/json"})  # fmt: skip
    import_s = time.perf_counter() - started
    if answer.status_code != 202:
        raise RuntimeError(f"import refused: {answer.status_code} {answer.text[:300]}")
    import_id = answer.json()["import_id"]

    user_id = made[0]
    while True:
        ingest_conversations(stores, packaged_config(), user_id=user_id)
        status = api.get(f"/v1/imports/{import_id}", headers=importer).json()["status"]
        if status in ("done", "failed"):
            break
    done_s = time.perf_counter() - started
    if status != "done":
        raise RuntimeError(f"import {import_id} failed")

    def post(i: int) -> None:
        turn = turns[i]
        memory = {"title": f"Turn {i}", "content": turn["text"], "occurred_at": turn["timestamp"]}
        sent = api.post("/v1/memories", json=memory, headers=one_by_one[i % PER_ITEM_USERS])
        if sent.status_code != 201:
            raise RuntimeError(f"memory refused: {sent.status_code} {sent.text[:300]}")

    started = time.perf_counter()
    for i in range(len(turns)):  # one client, one request at a time, as a script would
        post(i)
    per_item_s = time.perf_counter() - started
    return import_s, per_item_s, done_s, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (after one warm-up)")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    settings = get_settings()
    deps = Deps(settings=settings)
    stores = IngestionStores(deps.db, deps.language_model, deps.embedder, deps.graph, deps.vectors)
    dsn = settings.database_url.get_secret_value()
    figures: list[tuple[float, float, float]] = []
    made: list[uuid.UUID] = []
    with (
        psycopg.connect(dsn, autocommit=True) as admin,
        gateway_on_free_port("bench-imports-gateway") as url,
        httpx.Client(base_url=url, timeout=120) as api,
    ):
        try:
            for n in range(args.rounds + 1):
                start = datetime(2025, 1, 6, 8, 0, tzinfo=UTC) + timedelta(days=40 * n)
                import_s, per_item_s, done_s, people = one_round(api, admin, stores, start)
                made += people
                if n:  # the first round warms up
                    figures.append((import_s, per_item_s, done_s))
        finally:
            remove_people(admin, made)
    import_s, per_item_s, done_s = (statistics.median(f[i] for f in figures) for i in range(3))
    throttled_s = max(per_item_s, 300 / USER_LIMIT_PER_MINUTE * 60)
    print(f"bulk import of a 600-turn, 20-session transcript (300 turns the person's), "
          f"median of {len(figures)} rounds")  # fmt: skip
    print(f"  POST /v1/imports, one request        {import_s * 1000:8.0f} ms")
    print(f"  POST /v1/memories x 300, unthrottled {per_item_s * 1000:8.0f} ms"
          f"   (under 120 a minute: at least {throttled_s:.0f} s)")  # fmt: skip
    print(f"  ratio                                {per_item_s / import_s:8.1f}x "
          "(one by one / import)")  # fmt: skip
    print(f"  import 202 -> done (ingested)        {done_s * 1000:8.0f} ms"
          "   (ingestion run in process right after the 202)")  # fmt: skip


if __name__ == "__main__":
    main()
