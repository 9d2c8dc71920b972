"""A conversation with the local engine through the real gateway, and its dialogue session in the
real Redis (`user:{uid}:session:{conversation_id}`): what the next turn reads instead of the
conversation's history in Postgres."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import redis

from coaching_catalogue import add_app, add_knowledge_base
from dotline import cache_keys
from dotline.bootstrap import Deps
from dotline.ports.vectors import KnowledgeItem
from dotline.services.mirroring.entities import item_id
from dotline.settings import Settings

MIRA = "My sister Mira is a marine biologist who lives in Porto."
SCRIPT = [
    "Hi! I just moved to Lisbon for a new job at a robotics startup.",
    "I'm a bit nervous because I don't know anyone here yet.",
    "My sister Mira is coming to visit next weekend.",
    "The startup is intense, but the robotics team is great and I'm learning a lot.",
    "Do you think I should look for a climbing gym here?",
]
# What each reply must say back in the person's own words.
ACKNOWLEDGED = [
    ["Lisbon", "a new job at a robotics startup"],
    ["nervous", "don't know anyone here yet"],
    ["your sister Mira", "next weekend"],
    ["the robotics team is great", "learning a lot"],
    ["a climbing gym"],
]
# What each reply must bring back from an earlier turn (None: nothing earlier to link).
LINKED = [None, "Lisbon", None, "the robotics startup", "Lisbon"]
WORD = re.compile(r"[a-z']+")


def open_conversation(api: httpx.Client, user: Any) -> str:
    response = api.post("/v1/conversations", json={}, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["conversation_id"])


def say(api: httpx.Client, user: Any, conversation_id: str, text: str) -> dict[str, Any]:
    response = api.post(
        f"/v1/conversations/{conversation_id}/messages",
        json={"content": text},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    reply: dict[str, Any] = response.json()["assistant_message"]
    return reply


def remember(settings: Settings, pg: psycopg.Connection[Any], user: Any, content: str) -> str:
    """A memory row, and its vector written through the port (as the outbox would)."""
    row = pg.execute(
        "insert into memories (user_id, title, content) values (%s, 'Mira', %s) returning memory_id",
        (user.user_id, content),
    ).fetchone()
    assert row is not None
    memory_id = str(row[0])
    deps = Deps(settings=settings)
    text = f"Mira\n\n{content}"
    deps.vectors.upsert(
        [
            KnowledgeItem(
                item_id=item_id("memories", memory_id),
                user_id=user.user_id,
                source_entity_type="memory",
                source_entity_id=uuid.UUID(memory_id),
                title="Mira",
                text=text,
                created_at=datetime.now(UTC),
                model_version=deps.embedder.model_version,
                vector=deps.embedder.embed([text])[0],
            )
        ]
    )
    deps.db.close()
    return memory_id


def session_key(user: Any, conversation_id: str) -> str:
    return cache_keys.session(user.user_id, conversation_id)


def last_call(pg: psycopg.Connection[Any], conversation_id: str) -> dict[str, Any]:
    row = pg.execute(
        "select llm_call_metadata from messages where conversation_id = %s and role = 'assistant' "
        "order by created_at desc limit 1",
        (conversation_id,),
    ).fetchone()
    assert row is not None
    call: dict[str, Any] = row[0]
    return call


def is_said_in_order(window: list[str], said: list[str]) -> bool:
    return any(said[i : i + len(window)] == window for i in range(len(said)))


def test_a_scripted_conversation_reads_as_a_companion(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], settings: Settings
) -> None:
    user = make_user()
    mira = remember(settings, pg, user, MIRA)
    conversation_id = open_conversation(api, user)

    replies = [say(api, user, conversation_id, text) for text in SCRIPT]

    person_words = WORD.findall(" ".join(SCRIPT).lower().replace("i'm", "i am"))
    for turn, reply, words, linked in zip(SCRIPT, replies, ACKNOWLEDGED, LINKED, strict=True):
        text = reply["content"]
        for phrase in words:
            assert phrase in text, (turn, text)
        if linked:
            assert linked in text and "earlier" in text, (turn, text)
        else:
            assert "earlier" not in text, (turn, text)
        assert text.count("?") == 1 and text.endswith("?"), text
        # No keyword bag: any run of four of the person's words outside a quote of a memory is
        # one they said in that order.
        said = WORD.findall(re.sub(r'"[^"]*"', " ", text).lower())
        for i in range(len(said) - 3):
            window = said[i : i + 4]
            if all(w in person_words for w in window) and not set(window) & {"you", "your"}:
                assert is_said_in_order(window, person_words), (window, text)
    cited = [reply["referenced_entities"] for reply in replies]
    assert cited[2] == [{"type": "memory", "id": mira, "label": "M1", "title": "Mira"}]
    assert "marine biologist" in replies[2]["content"]
    assert [c for i, c in enumerate(cited) if i != 2] == [[], [], [], []]
    assert "won't guess" in replies[4]["content"]


def test_the_same_conversation_twice_gives_the_same_replies(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], settings: Settings
) -> None:
    runs = []
    for _ in range(2):
        user = make_user()
        remember(settings, pg, user, MIRA)
        conversation_id = open_conversation(api, user)
        runs.append([say(api, user, conversation_id, text)["content"] for text in SCRIPT])

    assert runs[0] == runs[1]


def test_each_turn_leaves_the_session_for_the_next_with_a_three_day_ttl(
    api: httpx.Client, make_user: Any, rds: redis.Redis
) -> None:
    user = make_user()
    conversation_id = open_conversation(api, user)

    first = say(api, user, conversation_id, SCRIPT[0])
    second = say(api, user, conversation_id, SCRIPT[1])

    key = session_key(user, conversation_id)
    stored = json.loads(rds.get(key) or "null")
    assert stored["message_count"] == 4
    assert [m["content"] for m in stored["recent_messages"]] == [
        SCRIPT[0], first["content"], SCRIPT[1], second["content"]
    ]  # fmt: skip
    assert cache_keys.SESSION_TTL_S - 60 < rds.ttl(key) <= cache_keys.SESSION_TTL_S


def test_the_next_turn_reads_the_session_not_the_history(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], rds: redis.Redis
) -> None:
    # Given a first turn, and its session altered where Postgres was not
    user = make_user()
    conversation_id = open_conversation(api, user)
    say(api, user, conversation_id, SCRIPT[0])
    key = session_key(user, conversation_id)
    stored = json.loads(rds.get(key) or "null")
    stored["recent_messages"][0]["content"] = SCRIPT[0].replace("Lisbon", "Valencia")
    rds.set(key, json.dumps(stored), keepttl=True)

    # When the person says "here"
    reply = say(api, user, conversation_id, SCRIPT[1])

    # Then the turn took the earlier place from the session: it never read the history
    assert "Valencia" in reply["content"] and "Lisbon" not in reply["content"]
    assert last_call(pg, conversation_id)["context_from"] == "session"


def test_a_missing_session_is_rebuilt_from_postgres(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], rds: redis.Redis
) -> None:
    user = make_user()
    conversation_id = open_conversation(api, user)
    say(api, user, conversation_id, SCRIPT[0])
    key = session_key(user, conversation_id)
    assert rds.delete(key) == 1  # Redis lost it

    reply = say(api, user, conversation_id, SCRIPT[1])

    assert "Lisbon" in reply["content"]
    call = last_call(pg, conversation_id)
    assert call["context_from"] == "postgres"
    assert len(call["history_message_ids"]) == 3
    assert json.loads(rds.get(key) or "null")["message_count"] == 4  # written again
    say(api, user, conversation_id, SCRIPT[2])
    assert last_call(pg, conversation_id)["context_from"] == "session"


def test_a_session_behind_the_conversation_is_not_trusted(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], rds: redis.Redis
) -> None:
    # Given a session, then a message Postgres has and the session does not
    user = make_user()
    conversation_id = open_conversation(api, user)
    say(api, user, conversation_id, "I just started a new job.")
    pg.execute(
        "insert into messages (conversation_id, user_id, role, content) values (%s, %s, 'user', %s)",
        (conversation_id, user.user_id, "I just moved to Lisbon."),
    )

    reply = say(api, user, conversation_id, "I don't know anyone here yet.")

    assert "Lisbon" in reply["content"]
    call = last_call(pg, conversation_id)
    assert call["context_from"] == "postgres" and len(call["history_message_ids"]) == 4
    stored = json.loads(rds.get(session_key(user, conversation_id)) or "null")
    assert stored["message_count"] == 5


def test_ending_the_conversation_drops_its_session(
    api: httpx.Client, make_user: Any, rds: redis.Redis
) -> None:
    user = make_user()
    conversation_id = open_conversation(api, user)
    other = open_conversation(api, user)
    say(api, user, conversation_id, SCRIPT[0])
    say(api, user, other, SCRIPT[0])

    ended = api.post(f"/v1/conversations/{conversation_id}/end", headers=user.headers)

    assert ended.status_code == 200, ended.text
    assert rds.exists(session_key(user, conversation_id)) == 0
    assert rds.exists(session_key(user, other)) == 1


def test_recalled_memories_are_kept_in_the_session(
    api: httpx.Client,
    make_user: Any,
    pg: psycopg.Connection[Any],
    settings: Settings,
    rds: redis.Redis,
) -> None:
    user = make_user()
    mira = remember(settings, pg, user, MIRA)
    conversation_id = open_conversation(api, user)

    say(api, user, conversation_id, SCRIPT[2])

    stored = json.loads(rds.get(session_key(user, conversation_id)) or "null")
    assert stored["recalled_memory_ids"] == [mira]


def test_the_context_package_is_read_once_per_session_and_handed_to_every_turn(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # Given the insight cycle left a context package for the person's next conversation
    user = make_user()
    insight_id = str(uuid.uuid4())
    package = {"insight_id": insight_id, "summary": "You wrote a lot about moving.", "themes": []}
    pg.execute(
        "update profiles set next_conversation_context_package = %s where user_id = %s",
        (json.dumps(package), user.user_id),
    )
    conversation_id = open_conversation(api, user)

    # When they talk, and a newer cycle replaces the package mid-conversation
    say(api, user, conversation_id, SCRIPT[0])
    first = last_call(pg, conversation_id)
    pg.execute(
        "update profiles set next_conversation_context_package = %s where user_id = %s",
        (json.dumps({**package, "insight_id": str(uuid.uuid4())}), user.user_id),
    )
    say(api, user, conversation_id, SCRIPT[1])
    second = last_call(pg, conversation_id)

    # Then both turns were given the package the conversation started with, as one more
    # system message, and the second did not read the profile again
    assert first["context_package"] == second["context_package"] == insight_id
    assert (first["context_from"], second["context_from"]) == ("postgres", "session")
    assert first["prompt_messages"] == 3  # persona, the package's note, the turn


def test_a_coaching_app_turn_from_the_session_still_gets_its_personality_and_knowledge(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    app_id, _ = add_app(pg, personality={"tone": "casual"})
    (rest,) = add_knowledge_base(pg, app_id, [("Rest", "Rest two minutes between heavy sets.")])
    response = api.post("/v1/conversations", json={"app_id": app_id}, headers=user.headers)
    assert response.status_code == 201, response.text
    conversation_id = str(response.json()["conversation_id"])

    say(api, user, conversation_id, "I just moved to Lisbon.")
    reply = say(api, user, conversation_id, "How long should I rest between sets?")

    call = last_call(pg, conversation_id)
    assert call["context_from"] == "session"
    assert len(call["history_message_ids"]) == 3  # two earlier turns and this one, not re-read
    assert call["personality"]["version"] == "1.0.0"
    assert [ref["id"] for ref in reply["referenced_entities"]] == [rest]
    assert "Rest two minutes between heavy sets" in reply["content"]
    assert reply["content"].endswith("Does that help?")  # the casual variant
