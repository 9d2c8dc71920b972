"""Ingestion of a 50-turn conversation, and how soon a memory from it is found, on the embedded default.

Each round makes a person and an ended conversation of --turns turns of theirs (each answered by a
short assistant turn), generated from templates with people, places, feelings and facts, then:
  ingest       the ingestion service on that conversation (what the scheduled function runs):
               extraction, concept resolution, Postgres, graph, vectors, growth event;
  searchable   from the start of ingestion until a paraphrase of one turn finds its memory,
               through the vectors port (embedding + search) and, when the search route is in
               template.yaml, through GET /v1/search on a gateway;
and, in the same run, the baselines over the same texts:
  insert       one plain INSERT of the same number of memory rows (no extraction, no links);
  insert+embed the plain insert, then embedding the texts and upserting them into the vectors
               port (the floor of making those rows searchable).
The first round warms the embedder and the gateway and is not counted. Prints medians and ratios.
Everything stored is removed (the people are deleted; their rows go with them).

Run with `uv run python bench/bench_ingestion.py` with the stack up (`make up`).
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

from dotline.bootstrap import Deps
from dotline.growth_rules import packaged_config
from dotline.ports.vectors import KnowledgeItem
from dotline.services.ingestion.ingestion import IngestionStores, ingest_conversations
from dotline.services.ingestion.writes import memory_id_for
from dotline.settings import get_settings
from dotline_local.bench_support import ROOT, gateway_on_free_port, remove_people
from dotline_local.tokens import mint_token, sign_up

PEOPLE = [("sister", "Mira"), ("friend", "Tomas"), ("colleague", "Aiko"), ("brother", "Leon")]
PLACES = ["Lisbon", "Lake Bled", "Kyoto", "Edinburgh", "Porto", "Vienna"]
FEELINGS = ["happy", "anxious", "proud", "tired", "grateful", "excited", "lonely"]
ACTIVITIES = ["hiking", "painting", "swimming", "cooking dinner", "running", "reading poetry"]
TEMPLATES = [
    "Last weekend I went {activity} in {place} with my {relation} {name}, and I felt {feeling}.",
    "My {relation} {name} called me about the trip to {place}; I was {feeling} all evening.",
    "I have started {activity} again after work, it makes me feel {feeling}.",
    "I live in {place} now and I work as a nurse at St Anne's hospital.",
    "Honestly I love {activity}, especially early in the morning.",
    "We celebrated my birthday in {place}, {name} organised everything.",
]
REPLY = "That sounds meaningful. Tell me more about it?"
PARAPHRASE = "when did I go {activity} near {place} together with {name}"


def conversation_turns(rng: random.Random, turns: int) -> list[tuple[str, str]]:
    said = []
    for _ in range(turns):
        relation, name = rng.choice(PEOPLE)
        values = {"relation": relation, "name": name, "place": rng.choice(PLACES),
                  "feeling": rng.choice(FEELINGS), "activity": rng.choice(ACTIVITIES)}  # fmt: skip
        said += [("user", rng.choice(TEMPLATES).format(**values)), ("assistant", REPLY)]
    return said


def store_conversation(
    conn: psycopg.Connection[Any], user_id: uuid.UUID, turns: list[tuple[str, str]]
) -> uuid.UUID:
    started = datetime.now(UTC) - timedelta(hours=2)
    conversation_id = uuid.uuid4()
    conn.execute(
        "insert into conversations (conversation_id, user_id, created_at, started_at) values (%s, %s, %s, %s)",
        (conversation_id, user_id, started, started),
    )
    with conn.cursor() as cur:
        cur.executemany(
            "insert into messages (conversation_id, user_id, role, content, created_at) values (%s, %s, %s, %s, %s)",
            [
                (conversation_id, user_id, role, text, started + timedelta(seconds=i))
                for i, (role, text) in enumerate(turns)
            ],
        )
    conn.execute(
        "update conversations set status = 'ended', ended_at = now() where conversation_id = %s",
        (conversation_id,),
    )
    return conversation_id


def probe(turns: list[tuple[str, str]]) -> tuple[int, str]:
    """A turn naming an activity, place and person, and a paraphrase of it as the query."""
    for index, (role, text) in enumerate(turns):
        if role == "user" and text.startswith("Last weekend"):
            activity = text.split(" went ", 1)[1].split(" in ", 1)[0]
            place = text.split(" in ", 1)[1].split(" with ", 1)[0]
            name = text.split(" with my ", 1)[1].split(",")[0].split()[-1]
            return index, PARAPHRASE.format(activity=activity, place=place, name=name)
    raise RuntimeError("no probe turn generated; use another seed")


def one_round(
    conn: psycopg.Connection[Any],
    deps: Deps,
    stores: IngestionStores,
    gateway: str | None,
    rng: random.Random,
    turns: int,
) -> dict[str, float]:
    user_id = sign_up(conn, f"bench-ingest-{uuid.uuid4().hex[:10]}@example.com")
    try:
        said = conversation_turns(rng, turns)
        conversation_id = store_conversation(conn, user_id, said)
        index, query = probe(said)
        message_id = conn.execute(
            "select message_id from messages where conversation_id = %s order by created_at offset %s limit 1",
            (conversation_id, index),
        ).fetchone()[0]  # type: ignore[index]
        wanted = memory_id_for(conversation_id, message_id)
        figures = ingest_and_find(deps, stores, conversation_id, user_id, wanted, query, gateway)
        figures.update(baselines(conn, deps, user_id, [t for r, t in said if r == "user"]))
        return figures
    finally:
        remove_people(conn, [user_id])


def ingest_and_find(deps: Deps, stores: IngestionStores, conversation_id: uuid.UUID, user_id: uuid.UUID,
                    wanted: uuid.UUID, query: str, gateway: str | None) -> dict[str, float]:  # fmt: skip
    started = time.perf_counter()
    run = ingest_conversations(stores, packaged_config(), conversation_id=conversation_id)
    ingested = time.perf_counter()
    assert run.processed == 1, run
    found = False
    while not found:
        hits = deps.vectors.search(user_id, deps.embedder.embed([query])[0], 10)
        found = any(h.source_entity_id == wanted for h in hits)
    figures = {"ingest": ingested - started, "searchable_vectors": time.perf_counter() - started}
    if gateway is not None:
        token = mint_token(user_id, "bench@example.com", settings=deps.settings)
        with httpx.Client(
            base_url=gateway, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as api:
            while True:
                items = api.get("/v1/search", params={"q": query}).json().get("items", [])
                if any(i["entity_id"] == str(wanted) for i in items):
                    break
                time.sleep(0.01)
        figures["searchable_route"] = time.perf_counter() - started
    return figures


def baselines(
    conn: psycopg.Connection[Any], deps: Deps, user_id: uuid.UUID, texts: list[str]
) -> dict[str, float]:
    started = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "insert into memories (user_id, title, content) values (%s, %s, %s) returning memory_id, created_at",
            [(user_id, text[:80], text) for text in texts],
            returning=True,
        )
        rows = []
        while True:
            rows.append(cur.fetchone())
            if not cur.nextset():
                break
    inserted = time.perf_counter()
    vectors = deps.embedder.embed(texts)
    deps.vectors.upsert([
        KnowledgeItem(item_id=uuid.uuid4(), user_id=user_id, source_entity_type="memory",
                      source_entity_id=row[0], title=text[:80], text=text, created_at=row[1],
                      model_version=deps.embedder.model_version, vector=vector)
        for row, text, vector in zip(rows, texts, vectors, strict=True)
    ])  # fmt: skip
    return {"insert": inserted - started, "insert_embed": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=50, help="the person's turns (default 50)")
    parser.add_argument("--rounds", type=int, default=5, help="counted rounds (default 5)")
    parser.add_argument("--no-route", action="store_true", help="skip GET /v1/search")
    args = parser.parse_args()
    for noisy in ("httpx", "dotline"):  # per-request and per-conversation INFO lines
        logging.getLogger(noisy).setLevel(logging.WARNING)
    deps = Deps(settings=get_settings())
    stores = IngestionStores(deps.db, deps.language_model, deps.embedder, deps.graph, deps.vectors)
    has_route = "/v1/search" in (ROOT / "template.yaml").read_text() and not args.no_route
    rng = random.Random(7)
    with psycopg.connect(deps.settings.database_url.get_secret_value(), autocommit=True) as conn:
        if has_route:
            with gateway_on_free_port("bench-ingestion") as gateway:
                rounds = [
                    one_round(conn, deps, stores, gateway, rng, args.turns)
                    for _ in range(args.rounds + 1)
                ]
        else:
            rounds = [
                one_round(conn, deps, stores, None, rng, args.turns) for _ in range(args.rounds + 1)
            ]
    report(rounds[1:], args.turns)


def report(rounds: list[dict[str, float]], turns: int) -> None:
    def median_ms(key: str) -> float:
        return statistics.median(r[key] for r in rounds) * 1000

    insert, floor = median_ms("insert"), median_ms("insert_embed")
    print(f"ingestion of a {turns}-turn conversation ({turns} turns of the person's, each answered), "
          f"median of {len(rounds)} rounds, embedded default")  # fmt: skip
    print(f"  baseline: plain insert of {turns} memory rows      {insert:8.1f} ms")
    print(f"  baseline: insert + embed + vector upsert       {floor:8.1f} ms")
    for key, label in (("ingest", "ingest (extract, resolve, write, link)"),
                       ("searchable_vectors", "searchable via the vectors port"),
                       ("searchable_route", "searchable via GET /v1/search")):  # fmt: skip
        if all(key in r for r in rounds):
            value = median_ms(key)
            print(
                f"  {label:<45} {value:8.1f} ms  = {value / insert:5.1f}x insert, {value / floor:4.1f}x insert+embed"
            )


if __name__ == "__main__":
    main()
