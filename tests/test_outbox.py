"""The outbox: triggers write every change in webhook shape; sweeps deliver, retry, dead-letter.

Sweeps here run in-process with a recording `post` in place of HTTP; rows other tests left
pending are parked for the test's duration so a sweep sees only this test's changes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from conftest import User
from dotline.bootstrap import Deps
from dotline.db import Database
from dotline.services import outbox
from dotline.settings import Settings
from dotline.webhooks import verify

POLICY = outbox.RetryPolicy(max_attempts=3, base_s=0.0, cap_s=0.0)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Deps(settings).db
    yield database
    database.close()


class Recorder:
    """A `post` that answers from a script of statuses (or exceptions) and keeps the bodies."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, body: bytes) -> tuple[int, str]:
        self.bodies.append(json.loads(body))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer, ""


def insert_memory(pg: psycopg.Connection[Any], user: User, title: str = "Lisbon") -> uuid.UUID:
    row = pg.execute(
        "insert into public.memories (user_id, title, content) values (%s, %s, 'Trams') "
        "returning memory_id",
        (user.user_id, title),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def outbox_rows(pg: psycopg.Connection[Any], memory_id: uuid.UUID) -> list[dict[str, Any]]:
    cur = pg.cursor(row_factory=psycopg.rows.dict_row)
    return cur.execute(
        "select * from private.outbox where table_name = 'memories' and row_key = %s "
        "order by outbox_id",
        (str(memory_id),),
    ).fetchall()


def test_every_change_lands_in_the_outbox_in_webhook_shape(
    pg: psycopg.Connection[Any], make_user: Callable[..., User]
) -> None:
    user = make_user()
    memory_id = insert_memory(pg, user)
    pg.execute("update public.memories set title = 'Porto' where memory_id = %s", (memory_id,))
    pg.execute("delete from public.memories where memory_id = %s", (memory_id,))

    rows = outbox_rows(pg, memory_id)

    assert [r["event_type"] for r in rows] == ["INSERT", "UPDATE", "DELETE"]
    insert, update, delete = (r["payload"] for r in rows)
    assert set(insert) == {"type", "table", "schema", "record", "old_record"}
    assert (insert["table"], insert["schema"], insert["old_record"]) == ("memories", "public", None)
    assert (update["old_record"]["title"], update["record"]["title"]) == ("Lisbon", "Porto")
    assert (delete["record"], delete["old_record"]["memory_id"]) == (None, str(memory_id))


def test_a_change_notifies_the_dispatcher_with_just_its_id(
    pg: psycopg.Connection[Any], settings: Settings, make_user: Callable[..., User]
) -> None:
    user = make_user()
    with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as listener:
        listener.execute("listen dotline_outbox")
        memory_id = insert_memory(pg, user)
        notes = list(listener.notifies(timeout=5, stop_after=1))

    assert notes[0].payload == str(outbox_rows(pg, memory_id)[0]["outbox_id"])


def test_a_rolled_back_change_leaves_nothing_in_the_outbox(
    pg: psycopg.Connection[Any], make_user: Callable[..., User]
) -> None:
    user = make_user()
    memory_id = uuid.uuid4()
    with pytest.raises(psycopg.errors.RaiseException), pg.transaction():
        pg.execute(
            "insert into public.memories (memory_id, user_id, title, content) "
            "values (%s, %s, 'x', 'y')",
            (memory_id, user.user_id),
        )
        pg.execute("do $$ begin raise exception 'abort'; end $$")

    assert outbox_rows(pg, memory_id) == []


@pytest.mark.usefixtures("quiet_outbox")
def test_a_2xx_marks_the_change_delivered_and_the_body_is_signed(
    pg: psycopg.Connection[Any], db: Database, make_user: Callable[..., User], settings: Settings
) -> None:
    memory_id = insert_memory(pg, make_user())
    sent: list[tuple[bytes, dict[str, str]]] = []

    def post(body: bytes) -> tuple[int, str]:
        from dotline.webhooks import signed_headers

        sent.append((body, signed_headers(settings.webhook_secret.get_secret_value(), body)))
        return 204, ""

    result = outbox.drain(db, post, POLICY)

    row = outbox_rows(pg, memory_id)[0]
    assert (row["status"], row["attempts"], result.delivered >= 1) == ("delivered", 1, True)
    body, headers = next((b, h) for b, h in sent if json.loads(b)["outbox_id"] == row["outbox_id"])
    verify(settings.webhook_secret.get_secret_value(), headers, body)
    assert json.loads(body)["record"]["memory_id"] == str(memory_id)


@pytest.mark.usefixtures("quiet_outbox")
@pytest.mark.parametrize("answer", [500, 503, 408, 429, ConnectionError("refused")])
def test_a_transient_failure_is_retried_later_with_the_error_kept(
    answer: int | Exception,
    pg: psycopg.Connection[Any],
    db: Database,
    make_user: Callable[..., User],
) -> None:
    memory_id = insert_memory(pg, make_user())
    policy = outbox.RetryPolicy(max_attempts=5, base_s=60.0, cap_s=60.0)

    outbox.drain(db, Recorder(answer), policy)

    row = outbox_rows(pg, memory_id)[0]
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["last_error"]
    assert row["next_attempt_at"] > row["created_at"]


@pytest.mark.usefixtures("quiet_outbox")
@pytest.mark.parametrize("answer", [400, 401, 404, 422])
def test_a_permanent_client_error_is_dead_at_once(
    answer: int, pg: psycopg.Connection[Any], db: Database, make_user: Callable[..., User]
) -> None:
    memory_id = insert_memory(pg, make_user())

    outbox.drain(db, Recorder(answer), POLICY)

    row = outbox_rows(pg, memory_id)[0]
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 1, f"HTTP {answer}")


@pytest.mark.usefixtures("quiet_outbox")
def test_a_change_out_of_attempts_is_dead_and_redrive_brings_it_back(
    pg: psycopg.Connection[Any], db: Database, make_user: Callable[..., User]
) -> None:
    memory_id = insert_memory(pg, make_user())
    for _ in range(POLICY.max_attempts):
        outbox.drain(db, Recorder(500), POLICY)
    dead = outbox_rows(pg, memory_id)[0]
    assert (dead["status"], dead["attempts"], dead["last_error"]) == ("dead", 3, "HTTP 500")

    assert outbox.redrive(db, [dead["outbox_id"]]) == 1
    outbox.drain(db, Recorder(200), POLICY)

    assert outbox_rows(pg, memory_id)[0]["status"] == "delivered"


@pytest.mark.usefixtures("quiet_outbox")
def test_a_webhook_unavailable_past_every_attempt_leaves_the_change_pending_until_it_is_back(
    pg: psycopg.Connection[Any], db: Database, make_user: Callable[..., User]
) -> None:
    # given a webhook answering 503 (its stores are down) to more tries than a change has
    memory_id = insert_memory(pg, make_user())
    for _ in range(POLICY.max_attempts + 2):
        outbox.drain(db, Recorder(503), POLICY)
    waiting = outbox_rows(pg, memory_id)[0]
    assert (waiting["status"], waiting["attempts"]) == ("pending", POLICY.max_attempts + 2)

    # when the stores are back
    outbox.drain(db, Recorder(200), POLICY)

    # then the change goes through, no redrive needed
    assert outbox_rows(pg, memory_id)[0]["status"] == "delivered"


@pytest.mark.usefixtures("quiet_outbox")
def test_a_rows_later_change_waits_while_an_earlier_one_is_pending(
    pg: psycopg.Connection[Any], db: Database, make_user: Callable[..., User]
) -> None:
    memory_id = insert_memory(pg, make_user())
    pg.execute("update public.memories set title = 'Porto' where memory_id = %s", (memory_id,))
    slow = outbox.RetryPolicy(max_attempts=5, base_s=3600.0, cap_s=3600.0)
    failing = Recorder(500)

    outbox.drain(db, failing, slow)  # the insert fails and waits an hour at most

    first, second = outbox_rows(pg, memory_id)
    posted = [b["outbox_id"] for b in failing.bodies if b["table"] == "memories"]
    assert posted == [first["outbox_id"]]
    assert second["status"] == "pending" and second["attempts"] == 0


@pytest.mark.usefixtures("quiet_outbox")
def test_status_counts_rows_per_state(
    pg: psycopg.Connection[Any], db: Database, make_user: Callable[..., User]
) -> None:
    insert_memory(pg, make_user())

    states = {row.status: row.events for row in outbox.status(db)}

    assert states["pending"] >= 1


@pytest.mark.usefixtures("quiet_outbox")
def test_one_dispatch_delivers_every_queued_change_of_a_row_in_order(
    pg: psycopg.Connection[Any], db: Database, make_user: Callable[..., User]
) -> None:
    memory_id = insert_memory(pg, make_user())
    for title in ("Porto", "Faro"):
        pg.execute("update public.memories set title = %s where memory_id = %s", (title, memory_id))
    recorder = Recorder(200)

    outbox.drain(db, recorder, POLICY)

    rows = outbox_rows(pg, memory_id)
    assert [r["status"] for r in rows] == ["delivered"] * 3
    posted = [b["outbox_id"] for b in recorder.bodies if b["table"] == "memories"]
    assert posted == [r["outbox_id"] for r in rows]


@pytest.mark.usefixtures("quiet_outbox")
def test_the_cli_shows_status_and_redrives_dead_events(
    pg: psycopg.Connection[Any], db: Database, make_user: Callable[..., User],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from dotline_local import cli

    memory_id = insert_memory(pg, make_user())
    outbox.drain(db, Recorder(400), POLICY)
    dead_id = outbox_rows(pg, memory_id)[0]["outbox_id"]

    assert cli.main(["outbox", "status"]) == 0
    assert "dead" in capsys.readouterr().out
    assert cli.main(["outbox", "redrive"]) == 2  # neither --id nor --all-dead
    assert cli.main(["outbox", "redrive", "--id", str(dead_id)]) == 0

    assert "redrove 1 dead event(s)" in capsys.readouterr().out
    assert outbox_rows(pg, memory_id)[0]["status"] == "pending"
