"""A turn answered from its dialogue session against the same turn rebuilt from Postgres, through
the gateway, in the same run.

Each round posts one message to two companion conversations of the same person, each already
holding --history messages: one keeps its session (`user:{uid}:session:{sid}`), the other's key
is deleted just before the post, so that turn reads the recent messages and the context package
from Postgres and writes the session again. The order of the two alternates by round, so machine
noise falls on both; people rotate under the messages rate limit (20 a minute each). Prints p50
and p95 of each and their ratio. Everything seeded is deleted at the end.

Run with `uv run python bench/bench_dialogue_session.py` with DATABASE_URL pointing at a migrated
database and Redis's REST face up (`make up`).
"""

from __future__ import annotations

import argparse
import logging
import time
import uuid
from typing import Any

import httpx
import psycopg

from dotline.bootstrap import Deps
from dotline.rate_limiting import MESSAGES
from dotline.services.dialogue import session as dialogue_session
from dotline.settings import get_settings
from dotline_local.bench_support import gateway_on_free_port, percentile, remove_people
from dotline_local.tokens import mint_token, sign_up

ROUNDS_PER_USER = (MESSAGES.max_requests - 1) // 2
TURNS = [
    "I just moved to Lisbon for a new job at a robotics startup.",
    "I'm a bit nervous because I don't know anyone here yet.",
    "My sister Mira is coming to visit next weekend.",
    "The startup is intense, but the team is great.",
]


def seed_person(
    pg: psycopg.Connection[Any], deps: Deps, client: httpx.Client, history: int
) -> tuple[uuid.UUID, dict[str, str], list[str]]:
    """A person with two companion conversations of `history` messages each."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    user_id = sign_up(pg, email)
    headers = {"Authorization": f"Bearer {mint_token(user_id, email, settings=deps.settings)}"}
    conversations = []
    for _ in range(2):
        opened = client.post("/v1/conversations", json={}, headers=headers)
        opened.raise_for_status()
        conversation = str(opened.json()["conversation_id"])
        with pg.cursor() as cur:
            cur.executemany(
                "insert into messages (conversation_id, user_id, role, content) "
                "values (%s, %s, %s, %s)",
                [
                    (conversation, user_id, ("user", "assistant")[i % 2], TURNS[i % len(TURNS)])
                    for i in range(history)
                ],
            )
        conversations.append(conversation)
    return user_id, headers, conversations


def post(client: httpx.Client, conversation: str, headers: dict[str, str], text: str) -> float:
    started = time.perf_counter()
    response = client.post(
        f"/v1/conversations/{conversation}/messages", json={"content": text}, headers=headers
    )
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 201:
        raise RuntimeError(f"{response.status_code}: {response.text}")
    return elapsed


def run(client: httpx.Client, args: argparse.Namespace) -> None:
    settings = get_settings()
    deps = Deps(settings=settings)
    pg = psycopg.connect(settings.database_url.get_secret_value(), autocommit=True)
    users: list[uuid.UUID] = []
    kept_ms: list[float] = []
    rebuilt_ms: list[float] = []
    try:
        for i in range(args.warmup + args.rounds):
            if i % ROUNDS_PER_USER == 0:
                user_id, headers, (kept, rebuilt) = seed_person(pg, deps, client, args.history)
                users.append(user_id)
                post(client, kept, headers, TURNS[0])  # its session exists from here on
            text = TURNS[i % len(TURNS)]

            def from_session() -> float:
                return post(client, kept, headers, text)  # noqa: B023

            def from_postgres() -> float:
                dialogue_session.forget(deps.cache, user_id, uuid.UUID(rebuilt))  # noqa: B023
                return post(client, rebuilt, headers, text)  # noqa: B023

            first, second = (
                (from_session, from_postgres) if i % 2 else (from_postgres, from_session)
            )
            a, b = first(), second()
            if i >= args.warmup:
                kept_ms.append(a if first is from_session else b)
                rebuilt_ms.append(b if first is from_session else a)
    finally:
        if users:
            remove_people(pg, users)
        pg.close()
        deps.db.close()

    print(f"a turn from its session vs rebuilt from Postgres, {args.rounds} each, alternating")
    print(f"  (companion conversations of {args.history}+ messages, {len(users)} people)")
    for name, samples in (("session", kept_ms), ("rebuilt", rebuilt_ms)):
        p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
        print(f"  {name:8s} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
    ratio = percentile(rebuilt_ms, 0.5) / percentile(kept_ms, 0.5)
    print(f"  ratio    p50 {ratio:7.2f}x (rebuilt / session)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--history", type=int, default=40)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    with (
        gateway_on_free_port("bench-dialogue-session-gateway") as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        run(client, args)


if __name__ == "__main__":
    main()
