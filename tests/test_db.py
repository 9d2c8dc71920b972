"""dotline.db against the real Postgres: caller roles, RLS on profiles, reconnects, error mapping."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import psycopg
import pytest

from dotline import commit_gate
from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import DotlineError, Forbidden, InvalidRequest, ServiceUnavailable
from dotline.settings import Settings


def principal(user: Any) -> Principal:
    return Principal(
        user.user_id, {"sub": str(user.user_id), "role": "authenticated", "aud": "authenticated"}
    )


@pytest.fixture
def db(settings: Settings) -> Any:
    database = Database(settings)
    yield database
    database.close()


def test_claims_and_role_are_transaction_local(db: Database, make_user: Any) -> None:
    user = make_user()

    with db.as_user(principal(user)) as tx:
        inside = tx.execute("select current_user as role, auth.uid() as uid").fetchone()
    with db.as_service() as tx:
        after = tx.execute("select current_user as role, auth.uid() as uid").fetchone()

    assert inside == {"role": "authenticated", "uid": user.user_id}
    assert after == {"role": "service_role", "uid": None}


def test_another_user_can_neither_read_nor_change_a_profile(db: Database, make_user: Any) -> None:
    owner, other = make_user(), make_user()

    with db.as_user(principal(other)) as tx:
        seen = tx.execute("select * from profiles where user_id = %s", (owner.user_id,)).fetchall()
        tx.execute(
            "update profiles set display_name = 'hijacked' where user_id = %s", (owner.user_id,)
        )
        changed = tx.rowcount

    assert seen == []
    assert changed == 0
    with db.as_service() as tx:
        row = tx.execute(
            "select display_name from profiles where user_id = %s", (owner.user_id,)
        ).fetchone()
    assert row == {"display_name": None}


def test_anonymous_role_has_no_access_to_profiles(
    pg: psycopg.Connection[Any], make_user: Any
) -> None:
    make_user()

    with pytest.raises(psycopg.errors.InsufficientPrivilege), pg.transaction():
        pg.execute("set local role anon")
        pg.execute("select count(*) from profiles")


@pytest.mark.parametrize(
    "column_value",
    [
        ("subscription_tier", "'enterprise'"),
        ("growth_profile", "'{\"self_know\": 9}'"),
        ("account_status", "'active'"),
    ],
)
def test_server_only_columns_refuse_client_writes(
    db: Database, make_user: Any, column_value: tuple[str, str]
) -> None:
    user = make_user()
    column, value = column_value

    with pytest.raises(Forbidden), db.as_user(principal(user)) as tx:
        tx.execute(f"update profiles set {column} = {value} where user_id = %s", (user.user_id,))  # noqa: S608


def test_client_cannot_create_or_delete_profiles(db: Database, make_user: Any) -> None:
    user = make_user()

    with pytest.raises(Forbidden), db.as_user(principal(user)) as tx:
        tx.execute("insert into profiles (user_id) values (%s)", (uuid.uuid4(),))
    with pytest.raises(Forbidden), db.as_user(principal(user)) as tx:
        tx.execute("delete from profiles where user_id = %s", (user.user_id,))


def test_check_violation_becomes_invalid_request_naming_the_field_not_the_constraint(
    db: Database, make_user: Any
) -> None:
    user = make_user()

    with pytest.raises(InvalidRequest) as caught, db.as_user(principal(user)) as tx:
        tx.execute(
            "update profiles set data_retention_days = 10 where user_id = %s", (user.user_id,)
        )

    assert caught.value.extensions["errors"] == [
        {"field": "data_retention_days", "message": "is not an accepted value"}
    ]
    assert "profiles_data_retention_days_range" not in str(caught.value.extensions)


def test_failed_transaction_is_rolled_back_and_connection_reusable(
    db: Database, make_user: Any
) -> None:
    user = make_user()

    with pytest.raises(InvalidRequest), db.as_user(principal(user)) as tx:
        tx.execute("update profiles set display_name = 'kept?' where user_id = %s", (user.user_id,))
        tx.execute(
            "update profiles set timezone = 'Nowhere/Land' where user_id = %s", (user.user_id,)
        )
    with db.as_user(principal(user)) as tx:
        row = tx.execute("select display_name from profiles").fetchone()

    assert row == {"display_name": None}


def test_dropped_connection_is_replaced_once(
    db: Database, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    with db.as_user(principal(user)) as tx:
        backend_pid = tx.execute("select pg_backend_pid() as pid").fetchone()["pid"]
    pg.execute("select pg_terminate_backend(%s)", (backend_pid,))

    with db.as_user(principal(user)) as tx:
        row = tx.execute("select pg_backend_pid() as pid, auth.uid() as uid").fetchone()

    assert row["pid"] != backend_pid
    assert row["uid"] == user.user_id


def test_statement_timeout_becomes_service_unavailable(settings: Settings) -> None:
    database = Database(settings.model_copy(update={"db_statement_timeout_ms": 100}))
    try:
        with pytest.raises(ServiceUnavailable), database.as_service() as tx:
            tx.execute("select pg_sleep(2)")
    finally:
        database.close()


def test_unreachable_database_is_service_unavailable(settings: Settings) -> None:
    from pydantic import SecretStr

    database = Database(
        settings.model_copy(
            update={
                "database_url": SecretStr("postgresql://postgres:postgres@127.0.0.1:1/postgres")
            }
        )
    )

    with pytest.raises(ServiceUnavailable), database.as_service():
        pass


# fetch_as_user / fetch_as_service: one statement, begin to commit in one round trip.


def test_one_round_trip_fetch_runs_as_the_caller_under_rls(db: Database, make_user: Any) -> None:
    user, other = make_user(), make_user()

    mine = db.fetch_as_user(principal(user), "select user_id, current_user as role from profiles")
    theirs = db.fetch_as_user(
        principal(user), "select * from profiles where user_id = %(id)s", {"id": other.user_id}
    )
    service = db.fetch_as_service("select current_user as role, auth.uid() as uid")

    assert mine == [{"user_id": user.user_id, "role": "authenticated"}]
    assert theirs == []
    assert service == [{"role": "service_role", "uid": None}]


def test_one_round_trip_write_is_committed_and_a_statement_without_rows_gives_none(
    db: Database, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()

    rows = db.fetch_as_user(
        principal(user),
        "update profiles set display_name = 'Ada' where user_id = %(id)s",
        {"id": user.user_id},
    )

    assert rows == []
    seen = pg.execute("select display_name from profiles where user_id = %s", (user.user_id,))
    assert seen.fetchone()[0] == "Ada"  # another connection sees it: committed


def test_one_round_trip_refusal_is_translated_and_changes_nothing(
    db: Database, make_user: Any
) -> None:
    user = make_user()
    change = (
        "update profiles set display_name = 'no', data_retention_days = 10 where user_id = %(id)s"
    )

    with pytest.raises(InvalidRequest) as caught:
        db.fetch_as_user(principal(user), change, {"id": user.user_id})
    after = db.fetch_as_user(
        principal(user), "select display_name, current_user as role from profiles"
    )

    assert caught.value.extensions["errors"][0]["field"] == "data_retention_days"
    assert after == [{"display_name": None, "role": "authenticated"}]  # rolled back, reusable


def test_a_read_only_fetch_refuses_a_write_and_the_next_fetch_can_write(
    db: Database, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    change = "update profiles set display_name = %(name)s where user_id = %(id)s"

    with pytest.raises(DotlineError) as caught:
        db.fetch_as_user(
            principal(user), change, {"name": "no", "id": user.user_id}, read_only=True
        )
    kept = pg.execute("select display_name from profiles where user_id = %s", (user.user_id,))
    assert kept.fetchone()[0] is None  # refused, nothing written
    assert caught.value.status == 500  # a read that writes is our bug, not the caller's

    # The read-only setting ended with its transaction: the same connection writes again.
    db.fetch_as_user(principal(user), change, {"name": "Ada", "id": user.user_id})
    (row,) = db.fetch_as_user(
        principal(user),
        "select display_name, current_user as role, current_setting('transaction_read_only') as ro"
        " from profiles",
        read_only=True,
    )
    assert row == {"display_name": "Ada", "role": "authenticated", "ro": "on"}
    plain = db.fetch_as_service("select current_setting('transaction_read_only') as ro")
    assert plain == [{"ro": "off"}]


def test_a_read_only_fetch_does_not_wait_for_the_rate_limit_check_in_flight(
    db: Database, make_user: Any
) -> None:
    user = make_user()
    check_may_answer = threading.Event()
    with commit_gate.in_flight(lambda: check_may_answer.wait(10) and None):
        (row,) = db.fetch_as_user(principal(user), "select auth.uid() as uid", read_only=True)
        still_pending = not commit_gate.admitted()
        check_may_answer.set()

    assert row == {"uid": user.user_id}
    assert still_pending  # it answered before the verdict came back


def test_one_round_trip_binds_percent_signs_in_claims_query_and_values_as_written(
    db: Database, make_user: Any
) -> None:
    user = make_user()
    claims = {"sub": str(user.user_id), "role": "authenticated", "note": "100% ok; drop table x"}
    caller = Principal(user.user_id, claims)

    (bound,) = db.fetch_as_user(
        caller,
        "select auth.jwt() ->> 'note' as note, %(v)s::text as v, '50%%' as literal",
        {"v": "it's 20% '; --"},
        read_only=True,
    )
    (unbound,) = db.fetch_as_user(caller, "select '50%' as literal, auth.uid() as uid")

    assert bound == {"note": "100% ok; drop table x", "v": "it's 20% '; --", "literal": "50%"}
    assert unbound == {"literal": "50%", "uid": user.user_id}


def test_one_round_trip_fetch_replaces_a_dropped_connection_once(
    db: Database, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    (first,) = db.fetch_as_user(principal(user), "select pg_backend_pid() as pid")
    pg.execute("select pg_terminate_backend(%s)", (first["pid"],))

    (row,) = db.fetch_as_user(principal(user), "select pg_backend_pid() as pid, auth.uid() as uid")

    assert row["pid"] != first["pid"]
    assert row["uid"] == user.user_id


def test_one_round_trip_timeout_is_service_unavailable_and_the_connection_stays_usable(
    settings: Settings,
) -> None:
    database = Database(settings.model_copy(update={"db_statement_timeout_ms": 100}))
    try:
        with pytest.raises(ServiceUnavailable) as caught:
            database.fetch_as_service("select pg_sleep(2)")
        (row,) = database.fetch_as_service("select 1 as ok")
    finally:
        database.close()

    assert "too long" in caught.value.detail
    assert row == {"ok": 1}


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])  # deadlock, serialization failure
def test_a_transaction_postgres_rolled_back_is_a_retryable_503_not_a_lost_connection(
    db: Database, make_user: Any, sqlstate: str
) -> None:
    user = make_user()
    roll_back = f"do $$ begin raise exception 'undone' using errcode = '{sqlstate}'; end $$"

    with pytest.raises(ServiceUnavailable) as caught, db.as_service() as tx:
        tx.execute(
            "update profiles set display_name = 'undone' where user_id = %(id)s",
            {"id": user.user_id},
        )
        tx.execute(roll_back)
    (row,) = db.fetch_as_service(
        "select display_name, pg_backend_pid() > 0 as usable from profiles where user_id = %(id)s",
        {"id": user.user_id},
    )

    assert caught.value.status == 503
    assert "try again" in caught.value.detail
    assert "connection" not in caught.value.detail
    assert row == {"display_name": None, "usable": True}  # nothing kept; the connection serves on


def test_every_transaction_runs_without_jit(db: Database, make_user: Any) -> None:
    """The API's statements are short; JIT compiled a search's context read for 25 ms (the
    planner counts a function scan at 1,000 rows, past jit_above_cost). Off in each transaction
    the Database opens, whichever way, and only there."""
    user = principal(make_user())
    jit = "select current_setting('jit') as jit"

    with db.as_user(user) as tx:
        in_transaction = tx.execute(jit).fetchone()
    one_shot = db.fetch_as_user(user, jit, read_only=True)
    writing = db.fetch_as_service(jit)
    with db.as_service() as tx:
        tx.execute("commit")  # outside any transaction of ours: the server's own setting
        outside = tx.execute(jit).fetchone()
        tx.execute("begin")

    assert in_transaction == {"jit": "off"}
    assert one_shot == [{"jit": "off"}] and writing == [{"jit": "off"}]
    assert outside == {"jit": "on"}
