"""The message round trip (POST /v1/conversations/{id}/messages) through the gateway, against
GET /v1/me through the same gateway in the same run, on the embedded defaults.

One round trip stores the message, recalls memories (WordLlama + the Postgres vector store),
loads the chat context with its knowledge search in one statement, asks the local language model
and stores the reply. Seeds an app with a personality and a knowledge base of --entries entries,
and --memories memory vectors per user (written through the vector port; no memory rows, so the
gateway's outbox dispatcher stays idle). The two routes alternate request by request, so machine
noise falls on both; users rotate under the messages rate limit (20 a minute each). Prints p50 and
p95 of each and whether the messages p95 is within 100 ms. Everything seeded is deleted at the end.

Run with `uv run python bench/bench_dialogue.py` with DATABASE_URL pointing at a migrated database
and Redis's REST face up (`make up`).
"""

from __future__ import annotations

import argparse
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.types.json import Jsonb

from dotline.bootstrap import Deps
from dotline.ports.vectors import KnowledgeItem
from dotline.rate_limiting import MESSAGES
from dotline.settings import get_settings
from dotline_local.bench_support import gateway_on_free_port, percentile, remove_people
from dotline_local.tokens import mint_token, sign_up

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 100.0
REQUESTS_PER_USER = MESSAGES.max_requests - 1
TOPICS = ["rest", "sleep", "protein", "stretching", "running", "breathing", "recovery", "focus"]
QUESTIONS = [
    "How long should I rest between sets?",
    "What helps me sleep better before a race?",
    "How much protein should I eat after training?",
    "Remind me what my coach said about stretching.",
]


def seed_catalogue(pg: psycopg.Connection[Any], entries: int) -> tuple[str, list[str]]:
    """An app with a personality and one knowledge base: (app_id, ids to delete afterwards)."""
    tag = uuid.uuid4().hex[:8]
    schema = pg.execute(
        "insert into personality_schemas (schema_key, version, layer, schema, status, "
        "rollout_percentage) values (%s, '1.0.0', 'base', %s, 'active', 100) "
        "returning personality_schema_id",
        (f"bench_{tag}", Jsonb({"tone": "warm", "focus": ["strength", "recovery"]})),
    ).fetchone()
    app = pg.execute(
        "insert into apps (slug, display_name, domain, personality_schema_id) "
        "values (%s, 'Bench Coach', 'health', %s) returning app_id",
        (f"bench_{tag}", schema[0] if schema else None),
    ).fetchone()
    base = pg.execute(
        "insert into knowledge_bases (slug, title) values (%s, 'Bench notes') "
        "returning knowledge_base_id",
        (f"bench_{tag}",),
    ).fetchone()
    assert app is not None and base is not None and schema is not None
    pg.execute("insert into app_knowledge_bases values (%s, %s)", (app[0], base[0]))
    with pg.cursor() as cur:
        cur.executemany(
            "insert into knowledge_entries (knowledge_base_id, title, content) values (%s, %s, %s)",
            [
                (base[0], f"{TOPICS[i % len(TOPICS)].title()} note {i}",
                 f"Entry {i}: how long to {TOPICS[i % len(TOPICS)]} between sets "
                 f"and {TOPICS[(i * 3) % len(TOPICS)]} for people who train.")
                for i in range(entries)
            ],
        )  # fmt: skip
    return str(app[0]), [str(app[0]), str(base[0]), str(schema[0])]


def seed_user(
    pg: psycopg.Connection[Any], deps: Deps, client: httpx.Client, app_id: str, memories: int
) -> tuple[uuid.UUID, dict[str, str], str]:
    """A user with memory vectors and an open conversation in the app."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    user_id = sign_up(pg, email)
    headers = {"Authorization": f"Bearer {mint_token(user_id, email, settings=deps.settings)}"}
    texts = [f"I felt great about {TOPICS[i % len(TOPICS)]} on day {i}" for i in range(memories)]
    vectors = deps.embedder.embed(texts) if texts else []
    deps.vectors.upsert(
        [
            KnowledgeItem(
                item_id=uuid.uuid4(), user_id=user_id, source_entity_type="memory",
                source_entity_id=uuid.uuid4(), title=None, text=text,
                created_at=datetime.now(UTC), model_version=deps.embedder.model_version,
                vector=vector,
            )
            for text, vector in zip(texts, vectors, strict=True)
        ]
    )  # fmt: skip
    opened = client.post("/v1/conversations", json={"app_id": app_id}, headers=headers)
    opened.raise_for_status()
    return user_id, headers, str(opened.json()["conversation_id"])


def timed(call: Callable[[], httpx.Response], expected: int) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != expected:
        raise RuntimeError(f"{response.status_code}: {response.text}")
    return elapsed


def run(client: httpx.Client, args: argparse.Namespace) -> None:
    settings = get_settings()
    deps = Deps(settings=settings)
    pg = psycopg.connect(settings.database_url.get_secret_value(), autocommit=True)
    app_id, catalogue = seed_catalogue(pg, args.entries)
    users: list[uuid.UUID] = []
    try:
        message_ms: list[float] = []
        me_ms: list[float] = []
        sample = ""
        rounds = args.warmup + args.requests
        for i in range(rounds):
            if i % REQUESTS_PER_USER == 0:
                user_id, headers, conversation = seed_user(pg, deps, client, app_id, args.memories)
                users.append(user_id)
            path = f"/v1/conversations/{conversation}/messages"
            body = {"content": QUESTIONS[i % len(QUESTIONS)]}
            posted = timed(lambda: client.post(path, json=body, headers=headers), 201)  # noqa: B023
            read = timed(lambda: client.get("/v1/me", headers=headers), 200)  # noqa: B023
            if i >= args.warmup:
                message_ms.append(posted)
                me_ms.append(read)
        last = client.post(path, json={"content": QUESTIONS[0]}, headers=headers).json()
        sample = last["assistant_message"]["content"]
    finally:
        if users:
            remove_people(pg, users)
            for user_id in users:
                deps.vectors.erase_user(user_id)
        pg.execute("delete from apps where app_id = %s", (catalogue[0],))
        pg.execute("delete from knowledge_bases where knowledge_base_id = %s", (catalogue[1],))
        pg.execute(
            "delete from personality_schemas where personality_schema_id = %s", (catalogue[2],)
        )
        pg.close()
        deps.db.close()

    print(f"message round trip vs GET /v1/me, {args.requests} each, alternating, one client")
    print(
        f"  ({args.entries} knowledge entries, {args.memories} memories per user, {len(users)} users)"
    )
    for name, samples in (("messages", message_ms), ("me", me_ms)):
        p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
        print(f"  {name:8s} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
    p95 = percentile(message_ms, 0.95)
    verdict = "within" if p95 <= TARGET_P95_MS else "OVER"
    print(f"  messages p95 {p95:.1f} ms is {verdict} the {TARGET_P95_MS:.0f} ms target")
    print(
        f"  ratio    p50 {percentile(message_ms, 0.5) / percentile(me_ms, 0.5):7.1f}x (messages / me)"
    )
    print(f"  sample reply: {sample[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--memories", type=int, default=50)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    with (
        gateway_on_free_port("bench-dialogue-gateway") as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        run(client, args)


if __name__ == "__main__":
    main()
