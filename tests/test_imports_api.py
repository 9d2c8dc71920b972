"""POST /v1/imports and GET /v1/imports/{id} through the real gateway, Postgres and RLS, then the
ingestion job (the service the scheduled function runs) over the imported conversations."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from dotline.bootstrap import Deps
from dotline.growth_rules import packaged_config
from dotline.models.imports import MAX_ITEMS
from dotline.services.ingestion.ingestion import IngestionStores, ingest_conversations
from dotline.settings import Settings
from dotline_local.cli import main
from dotline_local.import_corpus import RARE, SESSIONS, TURNS_PER_SESSION, transcript


@pytest.fixture(scope="module")
def stores(settings: Settings) -> Iterator[IngestionStores]:
    deps = Deps(settings=settings)
    yield IngestionStores(deps.db, deps.language_model, deps.embedder, deps.graph, deps.vectors)
    deps.db.close()


@pytest.fixture
def api(gateway: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway, timeout=60) as client:
        yield client


def rows(pg: psycopg.Connection[Any], query: str, *params: Any) -> list[dict[str, Any]]:
    with pg.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def counts(pg: psycopg.Connection[Any], user_id: uuid.UUID) -> dict[str, int]:
    (row,) = rows(
        pg,
        "select (select count(*) from public.imports where user_id = %s) as imports,"
        " (select count(*) from public.conversations where user_id = %s) as conversations,"
        " (select count(*) from public.messages where user_id = %s) as messages,"
        " (select count(*) from public.memories where user_id = %s) as memories",
        user_id, user_id, user_id, user_id,
    )  # fmt: skip
    return {key: int(value) for key, value in row.items()}


def post_import(
    api: httpx.Client, user: Any, body: dict[str, Any], **headers: str
) -> httpx.Response:
    return api.post("/v1/imports", json=body, headers={**user.headers, **headers})


def test_a_600_turn_transcript_is_one_request_keeps_every_time_and_is_searchable_when_done(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], stores: IngestionStores
) -> None:
    # given a person with 20 sessions of past chat, 600 turns in all
    user = make_user()
    body = transcript()

    # when they import it in one request
    response = post_import(api, user, body)

    # then it is stored whole, every session an ended conversation at its own times
    assert response.status_code == 202, response.text
    receipt = response.json()
    assert receipt["kind"] == "transcript"
    assert (receipt["sessions"], receipt["turns"]) == (SESSIONS, SESSIONS * TURNS_PER_SESSION)
    assert receipt["status"] == "pending"
    assert receipt["progress"] == {"total": SESSIONS, "ingested": 0, "failed": 0, "percent": 0.0}
    import_id = receipt["import_id"]
    conversations = rows(
        pg,
        "select conversation_id, title, status, started_at, ended_at, message_count,"
        " metadata from public.conversations where user_id = %s order by started_at",
        user.user_id,
    )
    assert [c["title"] for c in conversations] == [s["title"] for s in body["sessions"]]
    for conversation, session in zip(conversations, body["sessions"], strict=True):
        assert conversation["status"] == "ended"
        assert conversation["started_at"] == datetime.fromisoformat(session["started_at"])
        assert conversation["ended_at"] == datetime.fromisoformat(session["ended_at"])
        assert conversation["message_count"] == TURNS_PER_SESSION
        assert conversation["metadata"]["import_id"] == import_id
    # and every turn is a message said by its speaker at its own time, to the microsecond
    messages = rows(
        pg,
        "select m.role, m.content, m.created_at, m.metadata from public.messages m"
        " join public.conversations c using (conversation_id)"
        " where m.user_id = %s order by c.started_at, m.created_at",
        user.user_id,
    )
    sent = [turn for session in body["sessions"] for turn in session["turns"]]
    assert len(messages) == len(sent) == 600
    for message, turn in zip(messages, sent, strict=True):
        assert (message["role"], message["content"]) == (turn["role"], turn["text"])
        assert message["created_at"] == datetime.fromisoformat(turn["timestamp"])
        assert message["metadata"]["speaker"] == turn["speaker"]

    # when ingestion runs over them (as the scheduled function does)
    run = ingest_conversations(stores, packaged_config(), user_id=user.user_id)
    assert run.processed == SESSIONS, run.model_dump()

    # then the import reports done, and each memory happened when its turn was said
    status = api.get(f"/v1/imports/{import_id}", headers=user.headers)
    assert status.status_code == 200, status.text
    assert status.json()["status"] == "done"
    assert status.json()["progress"] == {
        "total": SESSIONS, "ingested": SESSIONS, "failed": 0, "percent": 100.0,
    }  # fmt: skip
    memories = rows(pg, "select occurred_at from public.memories where user_id = %s", user.user_id)
    said = {datetime.fromisoformat(t["timestamp"]) for t in sent if t["role"] == "user"}
    assert len(memories) >= SESSIONS
    assert {m["occurred_at"] for m in memories} <= said
    # and the imported history is searchable
    found = api.get("/v1/search", params={"q": RARE, "types": "memory"}, headers=user.headers)
    assert found.status_code == 200, found.text
    hits = found.json()["items"]
    assert hits and RARE in hits[0]["snippet"]
    rare_at = datetime.fromisoformat(body["sessions"][13]["turns"][8]["timestamp"])
    (rare,) = rows(
        pg, "select occurred_at from public.memories where memory_id = %s", hits[0]["entity_id"]
    )
    assert rare["occurred_at"] == rare_at


def test_importing_the_same_history_twice_changes_nothing_and_answers_the_first_import(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    body = transcript()
    first = post_import(api, user, body)
    assert first.status_code == 202, first.text
    stored = counts(pg, user.user_id)

    again = post_import(api, user, body)

    assert again.status_code == 202, again.text
    assert again.json()["import_id"] == first.json()["import_id"]
    assert again.json()["replayed"] is True
    assert counts(pg, user.user_id) == stored == {
        "imports": 1, "conversations": SESSIONS, "messages": 600, "memories": 0,
    }  # fmt: skip


def test_an_import_id_or_idempotency_key_names_one_import_and_other_content_under_it_conflicts(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    import_id = str(uuid.uuid4())
    small = transcript()
    small["sessions"] = small["sessions"][:2]
    first = post_import(api, user, {**small, "import_id": import_id})
    assert first.status_code == 202, first.text
    assert first.json()["import_id"] == import_id

    other = {"sessions": small["sessions"][:1], "import_id": import_id}
    conflicting = post_import(api, user, other)
    # an import_id in the body wins over the header
    keyed_by_id = post_import(api, user, other, **{"Idempotency-Key": "my-export-2024"})
    del other["import_id"]
    keyed = post_import(api, user, other, **{"Idempotency-Key": "my-export-2024"})
    keyed_again = post_import(api, user, other, **{"Idempotency-Key": "my-export-2024"})
    reused_key = post_import(api, user, small, **{"Idempotency-Key": "my-export-2024"})

    assert conflicting.status_code == 409, conflicting.text
    assert conflicting.json()["import_id"] == import_id
    assert keyed_by_id.status_code == 409
    assert keyed.status_code == 202 and keyed.json()["replayed"] is False
    assert keyed_again.json()["import_id"] == keyed.json()["import_id"]
    assert keyed_again.json()["replayed"] is True
    assert reused_key.status_code == 409
    assert counts(pg, user.user_id)["conversations"] == 3


@pytest.mark.parametrize(
    ("spoil", "field"),
    [
        (lambda b: b["sessions"][3]["turns"][12].update(timestamp="yesterday"),
         "sessions.3.turns.12.timestamp"),
        (lambda b: b["sessions"][3]["turns"][12].update(
            timestamp=b["sessions"][3]["turns"][11]["timestamp"].replace("08:", "07:", 1)),
         "sessions.3.turns.12.timestamp"),
        (lambda b: b["sessions"][7]["turns"][0].update(role="narrator"), "sessions.7.turns.0.role"),
        (lambda b: b["sessions"][19]["turns"][29].update(text="   "), "sessions.19.turns.29.text"),
        (lambda b: b["sessions"][5]["turns"][2].update(timestamp="2026-05-04T09:00:00"),
         "sessions.5.turns.2.timestamp"),
        (lambda b: b["sessions"][0]["turns"][3].update(timestamp="2999-01-01T00:00:00Z"),
         "sessions.0.turns.3.timestamp"),
        (lambda b: b["sessions"][2].update(ended_at="2020-01-01T00:00:00Z"), "sessions.2.ended_at"),
        (lambda b: b["sessions"][4]["turns"][1].pop("timestamp"), "sessions.4.turns.1.timestamp"),
        (lambda b: b["sessions"][6].update(turns=[]), "sessions.6.turns"),
        (lambda b: b.update(memories=[{"content": "x", "occurred_at": "2026-01-01T00:00:00Z"}]),
         "body"),
    ],
)  # fmt: skip
def test_a_malformed_item_fails_the_whole_import_with_a_422_naming_it_and_stores_nothing(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], spoil: Any, field: str
) -> None:
    user = make_user()
    body = transcript()
    spoil(body)

    response = post_import(api, user, body)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field
    assert counts(pg, user.user_id) == {
        "imports": 0, "conversations": 0, "messages": 0, "memories": 0,
    }  # fmt: skip


def test_more_than_the_limit_is_a_413_and_stores_nothing(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    at = "2025-03-01T10:00:00Z"
    memories = [{"content": f"note {i}", "occurred_at": at} for i in range(MAX_ITEMS + 1)]

    response = post_import(api, user, {"memories": memories})

    assert response.status_code == 413, response.text
    assert response.json()["max_items"] == MAX_ITEMS
    assert counts(pg, user.user_id)["memories"] == 0


def test_a_batch_of_memories_keeps_each_occurred_at_and_is_done_and_searchable_at_once(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    memories = [
        {"content": "We planted the Gravenstein apple tree behind the cabin.",
         "occurred_at": "2019-04-12T16:20:00+02:00", "tags": ["garden"]},
        {"content": "Passed my driving test on the second attempt.",
         "occurred_at": "2008-09-30T09:05:07.250000Z", "title": "Driving test"},
    ]  # fmt: skip

    response = post_import(api, user, {"memories": memories})

    assert response.status_code == 202, response.text
    receipt = response.json()
    assert (receipt["kind"], receipt["status"], receipt["memories"]) == ("memories", "done", 2)
    stored = rows(
        pg,
        "select title, content, occurred_at, tags from public.memories where user_id = %s"
        " order by occurred_at",
        user.user_id,
    )
    assert [m["occurred_at"] for m in stored] == [
        datetime.fromisoformat(memories[1]["occurred_at"]),
        datetime.fromisoformat(memories[0]["occurred_at"]),
    ]
    assert stored[0]["title"] == "Driving test"
    assert stored[1]["title"] == memories[0]["content"]
    assert stored[1]["tags"] == ["garden"]
    found = api.get("/v1/search", params={"q": "Gravenstein"}, headers=user.headers)
    assert found.status_code == 200, found.text
    assert found.json()["items"][0]["snippet"] == memories[0]["content"]


def test_another_person_cannot_read_an_import_and_a_stranger_is_refused(
    api: httpx.Client, make_user: Any
) -> None:
    owner, other = make_user(), make_user()
    body = {"memories": [{"content": "A private memory.", "occurred_at": "2024-02-02T02:02:02Z"}]}
    created = post_import(api, owner, body)
    assert created.status_code == 202, created.text
    import_id = created.json()["import_id"]

    assert api.get(f"/v1/imports/{import_id}", headers=owner.headers).status_code == 200
    assert api.get(f"/v1/imports/{import_id}", headers=other.headers).status_code == 404
    assert api.get(f"/v1/imports/{import_id}").status_code == 401
    assert api.post("/v1/imports", json=body).status_code == 401
    # the same content imported by another person is their own import
    theirs = post_import(api, other, body)
    assert theirs.status_code == 202 and theirs.json()["replayed"] is False


def test_imports_are_rate_limited_per_import_not_per_item(
    api: httpx.Client, make_user: Any
) -> None:
    user = make_user()
    at = "2023-06-01T12:00:00Z"
    answers = []
    for n in range(21):
        items = [{"content": f"import {n} note {i}", "occurred_at": at} for i in range(10)]
        answers.append(post_import(api, user, {"memories": items}))

    # 20 imports of 10 memories each pass (200 items: past the 120 a minute of one by one), the
    # 21st is refused, and the other routes still answer
    assert [a.status_code for a in answers] == [202] * 20 + [429]
    assert int(answers[-1].headers["Retry-After"]) > 60  # the hour's bucket, not the minute's
    assert answers[-1].headers["content-type"].startswith("application/problem+json")
    assert api.get("/v1/me", headers=user.headers).status_code == 200


def test_the_imports_are_in_the_export(api: httpx.Client, make_user: Any) -> None:
    user = make_user()
    body = {"memories": [{"content": "Exported memory.", "occurred_at": "2022-01-01T00:00:00Z"}]}
    import_id = post_import(api, user, body).json()["import_id"]

    export = api.get("/v1/me/export", headers=user.headers)

    assert export.status_code == 200, export.text
    assert [i["import_id"] for i in export.json()["postgres"]["public.imports"]] == [import_id]


def test_the_route_is_in_the_openapi_spec_with_its_problems(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    post = spec["paths"]["/v1/imports"]["post"]
    assert {"202", "401", "409", "413", "422", "429"} <= set(post["responses"])
    assert "sessions" in post["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert "404" in spec["paths"]["/v1/imports/{import_id}"]["get"]["responses"]


def test_an_import_may_carry_more_than_other_routes_up_to_5_mb(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    at = "2021-11-11T11:11:11Z"
    words = " ".join(f"word{i}" for i in range(400))  # about 3,100 characters

    # over 1 MiB (every other route's cap) and under 5 MB: stored
    big = [{"content": f"{n} {words * 6}", "occurred_at": at} for n in range(60)]
    stored = post_import(api, user, {"memories": big})
    # over 5 MB: refused by the function, past 6 MB by the gateway, nothing stored either way
    huge = [{"content": f"{n} {words * 6}", "occurred_at": at} for n in range(300)]
    too_big = post_import(api, user, {"memories": huge})
    far_too_big = post_import(api, user, {"memories": huge * 2})

    assert stored.status_code == 202, stored.text
    assert len(json.dumps({"memories": big})) > 1024 * 1024
    assert stored.json()["memories"] == 60
    assert too_big.status_code == 413, too_big.text
    assert far_too_big.status_code == 413
    assert counts(pg, user.user_id)["memories"] == 60


def test_dotline_import_posts_a_file_and_follows_it_until_done(
    gateway: str,
    make_user: Any,
    pg: psycopg.Connection[Any],
    stores: IngestionStores,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given a history file of three sessions
    user = make_user()
    body = transcript()
    body["sessions"] = body["sessions"][:3]
    history_file = tmp_path / "history.json"
    history_file.write_text(json.dumps(body))
    argv = ["import", str(history_file), "--token", user.token, "--url", gateway, "--timeout", "60"]

    # when the person imports it with the CLI while ingestion runs (as the schedule would)
    with ThreadPoolExecutor(1) as pool:
        cli = pool.submit(main, argv)
        deadline = time.monotonic() + 30
        while counts(pg, user.user_id)["conversations"] < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        run = ingest_conversations(stores, packaged_config(), user_id=user.user_id)
        exit_code = cli.result(timeout=60)

    # then it posted once, followed the progress and ends on done
    out = capsys.readouterr().out
    assert run.processed == 3
    assert exit_code == 0, out
    assert "3 sessions, 90 turns" in out
    assert out.rstrip().endswith("status: done")
    assert counts(pg, user.user_id)["imports"] == 1
    # and the same file again is the same import
    assert main(argv) == 0
    assert "imported before: nothing new" in capsys.readouterr().out
    assert counts(pg, user.user_id)["conversations"] == 3
