"""How soon an ended conversation's memory is found: end -> searchable, beside the ingestion alone.

The event-driven path as it runs locally, no schedule: a gateway serving the routes and the
webhook and delivering the ingestion queue (an SQS queue on an in-process moto server), and a
second gateway dispatching the outbox to it. Each round makes a person and a conversation of
--turns turns (stored directly, still active), then ends it through `POST /v1/conversations/{id}/end`
and polls `GET /v1/search` until a memory of the probe turn is found. Per round:
  end->searchable  from sending the end request to the first search that finds the memory;
  end->claimed     from the end request until the ingestion run claimed the conversation (the
                   outbox, the webhook, the queue: what the event path adds before ingesting);
  ingestion        the ingestion run alone (claimed -> processed, `private.conversation_ingestions`).
The first round warms the gateways and is not counted. Prints p50/p95 of each and their ratio;
the goal is end->searchable p95 <= 5 s (stretch 2 s); before it the schedule took 0-60 s.
Everything stored is removed (the people are deleted; their rows go with them).

Run with `uv run python bench/bench_live_ingestion.py` with the stack's services up (`make up`
or `uv run dotline up --for-tests`); it starts its own gateways and moto server.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
from moto.server import ThreadedMotoServer

from dotline.settings import get_settings
from dotline_local.bench_support import free_port, gateway_on_free_port, percentile, remove_people
from dotline_local.sqs_delivery import ensure_queue
from dotline_local.tokens import mint_token, sign_up

PLACES = ["Lisbon", "Kyoto", "Edinburgh", "Porto", "Vienna", "Oaxaca", "Tromso", "Valparaiso"]
NAMES = ["Mira", "Tomas", "Aiko", "Leon", "Ilse", "Ravi", "Noor", "Jonas"]
ACTIVITIES = ["hiking", "painting", "swimming", "climbing", "rowing", "sketching", "birdwatching"]
FILLER = [
    "Work was busy this week, lots of meetings.",
    "I have been sleeping better since I stopped coffee after lunch.",
    "My {relation} {name} keeps sending me recipes.",
    "I want to read more this winter.",
]
PROBE = "Last weekend I went {activity} in {place} with my friend {name}, and I felt proud."
REPLY = "That sounds meaningful. Tell me more about it?"
WEBHOOK_PATH = "/v1/internal/db-events"
SEARCH_DEADLINE_S = 60.0


def store_active_conversation(
    conn: psycopg.Connection[Any], user_id: uuid.UUID, turns: list[str]
) -> uuid.UUID:
    """An active conversation of the turns, each answered."""
    started = datetime.now(UTC) - timedelta(minutes=30)
    conversation_id = uuid.uuid4()
    conn.execute(
        "insert into conversations (conversation_id, user_id, created_at, started_at)"
        " values (%s, %s, %s, %s)",
        (conversation_id, user_id, started, started),
    )
    said = [(r, t) for text in turns for r, t in (("user", text), ("assistant", REPLY))]
    with conn.cursor() as cur:
        cur.executemany(
            "insert into messages (conversation_id, user_id, role, content, created_at)"
            " values (%s, %s, %s, %s, %s)",
            [
                (conversation_id, user_id, role, text, started + timedelta(seconds=i))
                for i, (role, text) in enumerate(said)
            ],
        )
    return conversation_id


def one_round(
    conn: psycopg.Connection[Any],
    api: httpx.Client,
    rng: random.Random,
    turns: int,
    people: list[uuid.UUID],
) -> dict[str, float]:
    email = f"bench-live-{uuid.uuid4().hex[:10]}@example.com"
    user_id = sign_up(conn, email)
    people.append(user_id)  # removed after the last round: deleting a person now would have
    # the outbox retrying their in-flight changes (503s) in the next rounds' way
    values = {"activity": rng.choice(ACTIVITIES), "place": rng.choice(PLACES),
              "name": rng.choice(NAMES), "relation": "sister"}  # fmt: skip
    said = [PROBE.format(**values)] + [
        rng.choice(FILLER).format(**values) for _ in range(max(0, turns - 1))
    ]
    conversation_id = store_active_conversation(conn, user_id, said)
    headers = {"Authorization": f"Bearer {mint_token(user_id, email)}"}
    query = f"{values['activity']} {values['place']} {values['name']}"
    started = time.perf_counter()
    ended = api.post(f"/v1/conversations/{conversation_id}/end", headers=headers)
    assert ended.status_code == 200, ended.text
    wall_end = time.time()
    while True:
        found = api.get("/v1/search", params={"q": query, "types": "memory"}, headers=headers)
        assert found.status_code == 200, found.text
        if any(h["entity_type"] == "memory" for h in found.json()["items"]):
            break
        if time.perf_counter() - started > SEARCH_DEADLINE_S:
            raise RuntimeError(f"conversation {conversation_id} not searchable in time")
        time.sleep(0.02)
    searchable = time.perf_counter() - started
    row, waited_until = None, time.perf_counter() + SEARCH_DEADLINE_S
    while row is None or row[1] is None:  # the run marks it processed just after the commit
        if time.perf_counter() > waited_until:
            raise RuntimeError(f"conversation {conversation_id} was not marked processed")
        row = conn.execute(
            "select extract(epoch from started_at), extract(epoch from finished_at)"
            " from private.conversation_ingestions where conversation_id = %s",
            (conversation_id,),
        ).fetchone()
        time.sleep(0.01)
    claimed_at, finished_at = float(row[0]), float(row[1])
    return {
        "end->searchable": searchable,
        "end->claimed": max(0.0, claimed_at - wall_end),
        "ingestion": finished_at - claimed_at,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    settings = get_settings()
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    try:
        queue = ensure_queue(
            settings, f"http://127.0.0.1:{port}/123456789012/dotline-ingestion-bench"
        )
        run(args, queue)
    finally:
        moto.stop()


def run(args: argparse.Namespace, queue: str) -> None:
    settings = get_settings()
    rng = random.Random(args.seed)
    with (
        psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as conn,
        gateway_on_free_port("bench-live-gateway", extra_args=("--ingestion-queue", queue)) as url,
        gateway_on_free_port(
            "bench-live-dispatcher",
            extra_args=("--dispatch-outbox",),
            env={"WEBHOOK_URL": url + WEBHOOK_PATH},
        ),
        httpx.Client(base_url=url, timeout=30) as api,
    ):
        # other people's undelivered changes wait: the dispatcher delivers the bench's own
        parked = [
            r[0]
            for r in conn.execute(
                "update private.outbox set next_attempt_at = now() + interval '1 day'"
                " where status = 'pending' returning outbox_id"
            )
        ]
        people: list[uuid.UUID] = []
        try:
            one_round(conn, api, rng, args.turns, people)  # warm-up, not counted
            rounds = [
                one_round(conn, api, rng, args.turns, people) for _ in range(args.conversations)
            ]
        finally:
            remove_people(conn, people)
            conn.execute(
                "update private.outbox set next_attempt_at = now() where outbox_id = any(%s)",
                (parked,),
            )
    print(f"{args.conversations} conversations of {args.turns} turns, ended one at a time")
    print(f"{'':18}{'p50':>9}{'p95':>9}{'max':>9}{'mean':>9}")
    for key in ("end->searchable", "end->claimed", "ingestion"):
        samples = [r[key] for r in rounds]
        print(
            f"{key:18}{percentile(samples, 0.5):8.3f}s{percentile(samples, 0.95):8.3f}s"
            f"{max(samples):8.3f}s{statistics.fmean(samples):8.3f}s"
        )
    p95 = percentile([r["end->searchable"] for r in rounds], 0.95)
    ingestion_p95 = percentile([r["ingestion"] for r in rounds], 0.95)
    print(f"end->searchable p95 / ingestion p95: {p95 / ingestion_p95:.2f}x")
    print(f"goal p95 <= 5 s: {'met' if p95 <= 5 else 'missed'}; stretch 2 s: "
          f"{'met' if p95 <= 2 else 'missed'}")  # fmt: skip


if __name__ == "__main__":
    main()
