"""How a database error becomes the domain error a caller can act on, naming fields, never SQL.

A refused value is reported by the columns its constraint covers (read once from the catalogue,
then kept): the caller learns which field to fix, not what the schema calls its rule. The
constraint's name goes to the log for whoever runs the service.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from dotline.errors import (
    Conflict,
    DotlineError,
    Forbidden,
    InvalidRequest,
    MissingReference,
    ServiceUnavailable,
)

logger = logging.getLogger(__name__)

# SQLSTATE class 40: deadlock_detected, serialization_failure and kin. psycopg gives each its own
# subclass of OperationalError, not of TransactionRollback, so the class is matched by its code.
TRANSACTION_ROLLBACK_CLASS = "40"
# SQLSTATE class 54: a statement past one of Postgres's own limits (an index entry over a page,
# an array or a row too large). psycopg raises them as OperationalError too, but sending the same
# request again fails the same way: not a 503 that invites a retry.
PROGRAM_LIMIT_CLASS = "54"
# The owner column is in most keys and rules; it is never a field a person sends.
OWNER_COLUMN = "user_id"

_CONSTRAINT_COLUMNS = """
select a.attname::text as name
from pg_catalog.pg_constraint c
join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
where c.conname = %(constraint)s and c.conrelid = to_regclass(%(table)s)
order by array_position(c.conkey, a.attnum)
"""

# (schema.table, constraint) -> its columns; the catalogue does not change under a running process.
_columns: dict[tuple[str, str], list[str]] = {}
_columns_lock = threading.Lock()

ColumnsOf = Callable[[str, str], list[str]]


def rolled_back_by_postgres(exc: psycopg.Error) -> bool:
    """Postgres undid the transaction for a concurrent one (deadlock, serialization failure):
    nothing of it was kept, and sending it again may pass."""
    return (exc.sqlstate or "").startswith(TRANSACTION_ROLLBACK_CLASS)


def constraint_columns(conn: psycopg.Connection[dict[str, Any]]) -> ColumnsOf:
    """A lookup of a constraint's columns over `conn` (which must be idle), kept per process."""

    def columns_of(table: str, constraint: str) -> list[str]:
        key = (table, constraint)
        with _columns_lock:
            if key in _columns:
                return _columns[key]
        try:
            rows = conn.execute(_CONSTRAINT_COLUMNS, {"table": table, "constraint": constraint})
            found = [str(row["name"]) for row in rows.fetchall()]
        except psycopg.Error:
            return []
        with _columns_lock:
            _columns[key] = found
        return found

    return columns_of


def translate(exc: psycopg.Error, columns_of: ColumnsOf | None = None) -> DotlineError:
    """The domain error for a database error; a broken rule names the fields it covers."""
    diag = exc.diag
    if isinstance(exc, pg_errors.NotNullViolation):
        return _invalid(InvalidRequest, [diag.column_name or "body"], "is required")
    if isinstance(exc, pg_errors.CheckViolation):
        return _invalid(InvalidRequest, _fields(exc, columns_of), "is not an accepted value")
    if isinstance(exc, pg_errors.ForeignKeyViolation):
        fields = _fields(exc, columns_of)
        return _invalid(MissingReference, fields, "names an item that does not exist")
    if isinstance(exc, pg_errors.UniqueViolation):
        fields = _fields(exc, columns_of)
        return _invalid(Conflict, fields, "is already taken", detail="That already exists.")
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return Forbidden("That change is not allowed.")
    if isinstance(exc, pg_errors.QueryCanceled):
        return ServiceUnavailable("The database took too long to answer.")
    if rolled_back_by_postgres(exc):
        # For instance an erasure racing the outbox's delivery for the same person.
        logger.warning("transaction rolled back by the database (%s)", exc.sqlstate)
        return ServiceUnavailable(
            "A concurrent change to the same data got in the way; nothing was saved, try again."
        )
    if (exc.sqlstate or "").startswith(PROGRAM_LIMIT_CLASS):
        logger.error("database limit exceeded (%s): %s", exc.sqlstate, diag.message_primary)
        return DotlineError("The request could not be completed.")
    if isinstance(exc, psycopg.OperationalError):
        return ServiceUnavailable("The database connection failed.")
    if isinstance(exc, psycopg.DataError):  # Postgres's data exceptions, and psycopg's own
        return InvalidRequest("A value has the wrong form.")
    logger.error(
        "unexpected database error %s (%s)", type(exc).__name__, diag.sqlstate if diag else ""
    )
    return DotlineError("The request could not be completed.")


def _fields(exc: psycopg.Error, columns_of: ColumnsOf | None) -> list[str]:
    diag = exc.diag
    constraint, table = diag.constraint_name, diag.table_name
    logger.info("constraint %s refused a value", constraint)
    if not (constraint and table and columns_of):
        return ["body"]
    columns = columns_of(f"{diag.schema_name or 'public'}.{table}", constraint)
    named = [c for c in columns if c != OWNER_COLUMN] or columns
    return named or ["body"]


def _invalid(
    kind: type[InvalidRequest] | type[Conflict],
    fields: list[str],
    message: str,
    *,
    detail: str | None = None,
) -> DotlineError:
    errors = [{"field": field, "message": message} for field in fields]
    return kind(detail or f"{fields[0]}: {message}", errors=errors)
