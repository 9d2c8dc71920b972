"""POST /v1/conversations/{conversation_id}/messages through the real gateway: the person's turn,
the coach's grounded answer, both in Postgres with the answer's cost."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest

from coaching_catalogue import access_counts, add_app, add_knowledge_base
from dotline.bootstrap import Deps
from dotline.ports.vectors import KnowledgeItem
from dotline.rate_limiting import MESSAGES
from dotline.services.mirroring.entities import item_id
from dotline.settings import Settings

REST_ENTRY = (
    "Rest between sets",
    "Rest two to three minutes between heavy sets so the muscles can recover",
)
OTHER_ENTRIES = [
    ("Sleep", "Adults need seven to nine hours of sleep."),
    ("Protein", "Spread protein across the day's meals."),
]


def open_conversation(api: httpx.Client, user: Any, app_id: str | None = None) -> str:
    response = api.post("/v1/conversations", json={"app_id": app_id}, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["conversation_id"])


def send(
    api: httpx.Client, user: Any, conversation_id: str, body: Any, key: str | None = None
) -> httpx.Response:
    headers = {**user.headers, **({"Idempotency-Key": key} if key else {})}
    return api.post(f"/v1/conversations/{conversation_id}/messages", json=body, headers=headers)


def stored_messages(pg: psycopg.Connection[Any], conversation_id: str) -> list[dict[str, Any]]:
    with pg.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(
            "select * from messages where conversation_id = %s order by created_at",
            (conversation_id,),
        ).fetchall()


def remember(settings: Settings, pg: psycopg.Connection[Any], user: Any, content: str) -> str:
    """A memory row, and its vector written through the port (as the outbox would)."""
    row = pg.execute(
        "insert into memories (user_id, title, content) values (%s, 'Birthday', %s) "
        "returning memory_id",
        (user.user_id, content),
    ).fetchone()
    assert row is not None
    memory_id = str(row[0])
    deps = Deps(settings=settings)
    text = f"Birthday\n\n{content}"
    deps.vectors.upsert(
        [
            KnowledgeItem(
                item_id=item_id("memories", memory_id),
                user_id=user.user_id,
                source_entity_type="memory",
                source_entity_id=uuid.UUID(memory_id),
                title="Birthday",
                text=text,
                created_at=datetime.now(UTC),
                model_version=deps.embedder.model_version,
                vector=deps.embedder.embed([text])[0],
            )
        ]
    )
    deps.db.close()
    return memory_id


def test_reply_quotes_the_apps_knowledge_and_is_stored_with_its_cost(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    app_id, _ = add_app(pg, personality={"tone": "warm", "focus": ["strength"]})
    rest, *others = add_knowledge_base(pg, app_id, [REST_ENTRY, *OTHER_ENTRIES])
    conversation_id = open_conversation(api, user, app_id)

    response = send(
        api, user, conversation_id, {"content": "  How long should I rest between sets?  "}
    )

    assert response.status_code == 201, response.text
    said, reply = response.json()["user_message"], response.json()["assistant_message"]
    assert (said["role"], said["content"]) == ("user", "How long should I rest between sets?")
    assert reply["role"] == "assistant"
    assert REST_ENTRY[1] in reply["content"]
    assert reply["referenced_entities"][0]["id"] == rest
    assert reply["intimacy_code_reference"] == REST_ENTRY[0]  # the entry it drew on
    assert response.headers["RateLimit-Limit"] == str(MESSAGES.max_requests)
    user_row, assistant_row = stored_messages(pg, conversation_id)
    assert str(user_row["message_id"]) == said["message_id"]
    assert str(assistant_row["message_id"]) == reply["message_id"]
    assert assistant_row["model"] == reply["model"] == "dotline-local-1"
    assert assistant_row["tokens_used"] > 0
    assert assistant_row["generation_time_ms"] is not None
    assert assistant_row["confidence_score"] > 0
    assert assistant_row["intimacy_code_reference"] == REST_ENTRY[0]
    call = assistant_row["llm_call_metadata"]
    assert call["personality"]["version"] == "1.0.0"
    assert call["prompt_tokens"] + call["completion_tokens"] == assistant_row["tokens_used"]
    assert access_counts(pg, [rest]) == [1]
    assert access_counts(pg, others) == [0, 0]


def test_reply_recalls_the_persons_relevant_memory(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], settings: Settings
) -> None:
    user = make_user()
    memory_id = remember(settings, pg, user, "My sister gave me a red bicycle for my birthday")
    conversation_id = open_conversation(api, user)  # the companion: no app, no knowledge

    response = send(api, user, conversation_id, {"content": "What did my sister give me?"})

    assert response.status_code == 201, response.text
    reply = response.json()["assistant_message"]
    assert "red bicycle" in reply["content"]
    assert reply["referenced_entities"] == [
        {"type": "memory", "id": memory_id, "label": "M1", "title": "Birthday"}
    ]
    assert reply["intimacy_code_reference"] is None  # a memory is no principle of a code


def test_a_superseded_memory_is_not_handed_to_the_model_as_current(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], settings: Settings
) -> None:
    # Given an old fact that a newer one replaced (as ingestion marks it)
    user = make_user()
    old = remember(settings, pg, user, "My sister gave me a red bicycle for my birthday")
    new = remember(settings, pg, user, "My sister gave me a blue kayak for my birthday")
    pg.execute(
        "update memories set invalid_at = now() - interval '1 minute', superseded_by = %s "
        "where memory_id = %s",
        (new, old),
    )
    conversation_id = open_conversation(api, user)

    # When the person asks about it
    response = send(api, user, conversation_id, {"content": "What did my sister give me?"})

    # Then the answer draws on the newer memory only, and only it counts as used
    assert response.status_code == 201, response.text
    reply = response.json()["assistant_message"]
    assert [ref["id"] for ref in reply["referenced_entities"]] == [new]
    assert "red bicycle" not in reply["content"]
    assert "blue kayak" in reply["content"]
    used = pg.execute(
        "select memory_id::text, access_count from memories where memory_id = any(%s::uuid[])",
        ([old, new],),
    ).fetchall()
    assert dict(used) == {old: 0, new: 1}


def test_context_holds_at_most_the_last_ten_messages(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    app_id, _ = add_app(pg)
    conversation_id = open_conversation(api, user, app_id)
    for i in range(14):
        pg.execute(
            "insert into messages (conversation_id, user_id, role, content) values (%s, %s, %s, %s)",
            (conversation_id, user.user_id, ("user", "assistant")[i % 2], f"turn {i}"),
        )

    response = send(api, user, conversation_id, {"content": "And now?"})

    assert response.status_code == 201, response.text
    rows = stored_messages(pg, conversation_id)
    expected = [str(row["message_id"]) for row in rows[-11:-1]]  # the new turn is the tenth
    assert expected[-1] == response.json()["user_message"]["message_id"]
    assert rows[-1]["llm_call_metadata"]["history_message_ids"] == expected


def test_replay_with_the_same_idempotency_key_creates_nothing_new(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    conversation_id = open_conversation(api, user)
    key = str(uuid.uuid4())

    first = send(api, user, conversation_id, {"content": "Hello there"}, key)
    again = send(api, user, conversation_id, {"content": "Hello there"}, key)
    other = send(api, user, conversation_id, {"content": "Something else"}, key)

    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert len(stored_messages(pg, conversation_id)) == 2
    assert other.status_code == 422, other.text
    assert other.json()["errors"][0]["field"] == "header.idempotency-key"


def test_another_users_conversation_is_404_not_403(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    owner, stranger = make_user(), make_user()
    conversation_id = open_conversation(api, owner)

    theirs = send(api, stranger, conversation_id, {"content": "Let me in"})
    unknown = send(api, owner, str(uuid.uuid4()), {"content": "Anyone?"})

    assert theirs.status_code == unknown.status_code == 404, theirs.text
    assert stored_messages(pg, conversation_id) == []


def test_ended_conversation_is_409(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    conversation_id = open_conversation(api, user)
    ended = api.post(f"/v1/conversations/{conversation_id}/end", headers=user.headers)
    assert ended.status_code == 200, ended.text

    response = send(api, user, conversation_id, {"content": "Still there?"})

    assert response.status_code == 409, response.text
    assert stored_messages(pg, conversation_id) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "content"),
        ({"content": "   "}, "content"),
        ({"content": "x" * 8001}, "content"),
        ({"content": "hi", "media_ids": ["not-a-uuid"]}, "media_ids.0"),
        ({"content": "hi", "media_ids": [str(uuid.uuid4())]}, "media_ids"),
        ({"content": "hi", "role": "assistant"}, "role"),
    ],
    ids=["missing", "blank", "too-long", "bad-media-id", "media-not-yours", "unknown-field"],
)
def test_invalid_message_is_422_naming_the_field(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], body: Any, field: str
) -> None:
    user = make_user()
    conversation_id = open_conversation(api, user)

    response = send(api, user, conversation_id, body)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert stored_messages(pg, conversation_id) == []


def test_messages_have_their_own_stricter_rate_limit(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    conversation_id = open_conversation(api, user)

    answered = [
        send(api, user, conversation_id, {"content": f"note {i}"}).status_code
        for i in range(MESSAGES.max_requests)
    ]
    refused = send(api, user, conversation_id, {"content": "one too many"})
    reading = api.get(f"/v1/conversations/{conversation_id}", headers=user.headers)

    assert answered == [201] * MESSAGES.max_requests
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) >= 1
    assert reading.status_code == 200  # the other conversation routes keep the default limit
    assert len(stored_messages(pg, conversation_id)) == 2 * MESSAGES.max_requests
