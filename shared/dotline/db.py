"""Postgres access: one lazy connection per container, and transactions that carry the caller's role.

A user's request runs in a transaction that first sets `role` and `request.jwt.claims`, both
transaction-local, exactly as PostgREST does, so row-level security is the one guard. Jobs and
webhooks run as `service_role`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from dotline import commit_gate
from dotline.errors import ServiceUnavailable
from dotline.observability import subsegment

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql as pg_sql
    from psycopg.types.json import Jsonb

    from dotline.auth import Principal
    from dotline.settings import Settings

logger = logging.getLogger(__name__)

# psycopg is imported on the first transaction, not with this module: a cold start that ends
# before one (a refused token, a schedule with nothing to do) never loads it.
Transaction: TypeAlias = "psycopg.Cursor[dict[str, Any]]"
T = TypeVar("T")
Query: TypeAlias = "str | pg_sql.Composed"  # what the one-round-trip helpers send

# JIT off: it pays only for long analytic queries, and the planner's estimates for the API's
# functions (a function scan counts 1,000 rows) pass jit_above_cost, so a search's context read
# compiled 65 functions for 25 ms in 1 search of 20 at 100k memories (docs/measurements.md).
_BEGIN_AS = (
    "select set_config('role', %(role)s, true), "
    "set_config('request.jwt.claims', %(claims)s, true), "
    "set_config('statement_timeout', %(timeout)s, true), "
    "set_config('jit', 'off', true)"
)
_TRACE_NAMES = {"authenticated": "as_user", "service_role": "as_service"}
# A read: the same, and Postgres refuses any write the statement (or a function it calls) tries.
_BEGIN_READING_AS = _BEGIN_AS + ", set_config('transaction_read_only', 'on', true)"


def jsonb(value: Any) -> Jsonb:
    """`value` as a jsonb parameter (psycopg's Jsonb wrapper, imported on first use)."""
    from psycopg.types.json import Jsonb

    return Jsonb(value)


class Database:
    """Hands out transactions on a connection opened lazily, once per thread, and reused."""

    def __init__(self, settings: Settings) -> None:
        self._dsn = settings.database_url.get_secret_value()
        self._timeout_ms = str(settings.db_statement_timeout_ms)
        self._connect_timeout_s = settings.db_connect_timeout_s
        self._local = threading.local()

    @contextmanager
    def as_user(self, principal: Principal) -> Iterator[Transaction]:
        """A transaction in which the caller is `authenticated` with their own claims."""
        with self._transaction("authenticated", principal.claims) as tx:
            yield tx

    @contextmanager
    def as_service(self) -> Iterator[Transaction]:
        """A transaction as `service_role`, which bypasses row-level security (jobs, webhooks)."""
        with self._transaction("service_role", {"role": "service_role"}) as tx:
            yield tx

    def fetch_as_user(
        self,
        principal: Principal,
        sql: Query,
        params: dict[str, Any] | None = None,
        *,
        read_only: bool = False,
    ) -> list[dict[str, Any]]:
        """The rows of one statement run as the caller in a transaction of its own, begin to
        commit in one round trip (three with `as_user`). The statement must be safe to send
        twice: a connection found dead is replaced and the whole transaction sent once more.

        `read_only` makes the transaction read-only (a write fails, ReadOnlySqlTransaction),
        so it commits at once even while the request's rate-limit check is in flight: a read
        has nothing to undo."""
        return self._one_shot("authenticated", principal.claims, sql, params, read_only)

    def fetch_as_service(
        self, sql: Query, params: dict[str, Any] | None = None, *, read_only: bool = False
    ) -> list[dict[str, Any]]:
        """`fetch_as_user`, as `service_role`."""
        return self._one_shot("service_role", {"role": "service_role"}, sql, params, read_only)

    def close(self) -> None:
        """Close this thread's connection, if open."""
        conn: psycopg.Connection[dict[str, Any]] | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def _transaction(self, role: str, claims: dict[str, Any]) -> Iterator[Transaction]:
        import psycopg

        from dotline.db_errors import constraint_columns, translate

        with subsegment(f"postgres.{_TRACE_NAMES[role]}"):
            conn = self._begin(self._settings(role, claims))
            try:
                with conn.cursor() as cur:
                    yield cur
                commit_gate.wait()  # a request refused meanwhile commits nothing
                conn.execute("commit")
            except BaseException as exc:
                _rollback(conn)
                if isinstance(exc, psycopg.Error):
                    raise translate(exc, constraint_columns(conn)) from exc
                raise

    def _one_shot(
        self,
        role: str,
        claims: dict[str, Any],
        sql: Query,
        params: dict[str, Any] | None,
        read_only: bool,
    ) -> list[dict[str, Any]]:
        settings = self._settings(role, claims)

        def send(conn: psycopg.Connection[dict[str, Any]]) -> list[dict[str, Any]]:
            if read_only or commit_gate.admitted():
                return _in_one_message(conn, _BEGIN_READING_AS if read_only else _BEGIN_AS,
                                       settings, sql, params)  # fmt: skip
            # While the request's rate-limit check is in flight a write's commit waits for it:
            # one round trip more, instead of waiting for the check before the statement.
            with conn.cursor() as cur:
                with conn.pipeline():  # leaving it sends everything and reads every reply
                    conn.execute("begin")
                    conn.execute(_BEGIN_AS, settings)
                    cur.execute(sql, params)
                rows = cur.fetchall() if cur.description else []
            self._commit_once_admitted(conn)
            return rows

        with subsegment(f"postgres.fetch_{_TRACE_NAMES[role]}"):
            return self._sent_once_more_if_dropped(send)

    def _commit_once_admitted(self, conn: psycopg.Connection[dict[str, Any]]) -> None:
        try:
            commit_gate.wait()
        except BaseException:
            _rollback(conn)
            raise
        conn.execute("commit")

    def _settings(self, role: str, claims: dict[str, Any]) -> dict[str, str]:
        return {
            "role": role,
            "claims": json.dumps(claims, default=str),
            "timeout": self._timeout_ms,
        }

    def _begin(self, params: dict[str, str]) -> psycopg.Connection[dict[str, Any]]:
        """Open a transaction as the caller (begin and the settings in one round trip)."""

        def send(conn: psycopg.Connection[dict[str, Any]]) -> psycopg.Connection[dict[str, Any]]:
            with conn.pipeline():
                conn.execute("begin")
                conn.execute(_BEGIN_AS, params)
            return conn

        return self._sent_once_more_if_dropped(send)

    def _sent_once_more_if_dropped(self, send: Callable[[psycopg.Connection[Any]], T]) -> T:
        """`send` on this thread's connection; a connection the server dropped is replaced and
        `send` runs once more on the new one. A statement the server refused rolls back and
        raises its domain error."""
        import psycopg

        from dotline.db_errors import constraint_columns, translate

        for attempt in (1, 2):
            conn = self._connection()
            try:
                return send(conn)
            except psycopg.Error as exc:
                if not (conn.broken or conn.closed):
                    _rollback(conn)
                    raise translate(exc, constraint_columns(conn)) from exc
                self.close()
                if attempt == 2:
                    raise ServiceUnavailable("The database connection failed.") from exc
                logger.warning("database connection dropped; reconnecting once")
        raise AssertionError("unreachable")

    def _connection(self) -> psycopg.Connection[dict[str, Any]]:
        import psycopg
        from psycopg.rows import dict_row

        conn: psycopg.Connection[dict[str, Any]] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            try:
                conn = psycopg.connect(
                    self._dsn,
                    autocommit=True,
                    prepare_threshold=None,  # transaction pooler: no server-side prepared statements
                    row_factory=dict_row,
                    connect_timeout=self._connect_timeout_s,
                    application_name="dotline",
                )
            except psycopg.OperationalError as exc:
                raise ServiceUnavailable("The database is unreachable.") from exc
            self._local.conn = conn
        return conn


def _in_one_message(
    conn: psycopg.Connection[dict[str, Any]],
    begin_as: str,
    settings: dict[str, str],
    sql: Query,
    params: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The settings and the statement as one simple-protocol message: Postgres runs the two as
    one implicit transaction, so the settings hold for the statement and end with it, and the
    end of the message commits (or rolls back) both. Parameters are bound here, by psycopg's
    client-side quoting, as a transaction pooler needs anyway (no prepared statements).

    Cheaper than the same two statements in a pipeline (extended protocol), in the client's CPU
    and in wall time per call (docs/measurements.md); every search makes four."""
    import psycopg
    from psycopg import sql as pg_sql

    with psycopg.ClientCursor(conn) as cur:
        prefix = cur.mogrify(begin_as, settings) + ";\n"
        if params is not None:
            prefix = prefix.replace("%", "%%")  # the statement's parameters are bound after
        message = (
            prefix + sql if isinstance(sql, str) else pg_sql.Composed([pg_sql.SQL(prefix), sql])
        )
        cur.execute(message, params)
        cur.nextset()  # past the settings' row
        return cur.fetchall() if cur.description else []


def _rollback(conn: psycopg.Connection[dict[str, Any]]) -> None:
    import psycopg
    from psycopg.pq import TransactionStatus

    if conn.closed or conn.broken:
        return
    if conn.info.transaction_status == TransactionStatus.IDLE:
        return  # an implicit transaction, already ended by Postgres: nothing to roll back
    try:
        conn.execute("rollback")
    except psycopg.Error:
        conn.close()
