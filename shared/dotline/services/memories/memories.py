"""The caller's memories: create, read (which counts as using them), list, change, delete, history.

Row-level security scopes every query to the caller; an expired memory (expires_at passed) is
treated as gone everywhere, even before the expiry job deletes it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, Transaction, jsonb
from dotline.errors import NotFound
from dotline.idempotency import Outcome, create_once
from dotline.models.memories import (
    Memory,
    MemoryChange,
    MemoryCreate,
    MemoryHistoryPage,
    MemoryPage,
    MemorySort,
    MemoryUpdate,
)
from dotline.pagination import decode_cursor, encode_cursor
from dotline.services.local_time import on_calendar, zone_in
from dotline.services.memories.evidence import EVIDENCE
from dotline.services.memories.occurrence import occurred_at
from dotline.tables import Keyset

# SQL text composed with psycopg.sql where it is used, which imports psycopg with the first query.
_COLUMNS = (
    "memory_id, user_id, app_id, source_conversation_id, memory_type, title, content, "
    "importance::float8 as importance, sentiment_score, creation_ts, occurred_at, location, people, "
    "emotions, media_urls, attributes, tags, access_count, last_accessed_at, expires_at, "
    "created_at, updated_at, invalid_at, superseded_by, " + EVIDENCE
)
_LIVE = "(expires_at is null or expires_at > now())"
_BY_ID = "select {} from public.memories where memory_id = %(id)s"
# Counts the access only when the memory is live and the caller's; no row: no such memory.
_RECORD_ACCESS = (
    "select private.record_memory_access(array[memory_id]) from public.memories "
    "where memory_id = %(id)s and {}"
)
_JSONB_FIELDS = frozenset({"location", "people", "emotions", "attributes"})
_LISTS = {
    MemorySort.recent: Keyset("memories.recent", Memory, "memory_id", _COLUMNS, "public.memories"),
    # The table's column, not the select list's float8 `importance`: ordered by the column, a
    # page comes off memories_user_importance_id_idx; by the cast, every match was sorted.
    MemorySort.importance: Keyset(
        "memories.importance", Memory, "memory_id", _COLUMNS, "public.memories",
        sort_key="memories.importance", sort_type="numeric",
    ),
}  # fmt: skip


def create_memory(
    db: Database, user: Principal, new: MemoryCreate, idempotency_key: str | None = None
) -> tuple[int, Memory]:
    """Store a new memory; with a key, a replay returns the first (status, memory). Without
    occurred_at, it is the date the content states, resolved against creation_ts (or now) on
    the caller's calendar (`local_time`)."""
    values = _column_values(new.model_dump(exclude_none=True))

    def insert(tx: Transaction) -> Outcome:
        from psycopg import sql

        if new.occurred_at is None:
            said_at = on_calendar(new.creation_ts or datetime.now(UTC), zone_in(tx, user.user_id))
            values["occurred_at"] = occurred_at(new.content, said_at)
        names = sorted(values)
        query = sql.SQL("insert into public.memories ({}) values ({}) returning {}").format(
            sql.SQL(", ").join(map(sql.Identifier, names)),
            sql.SQL(", ").join(map(sql.Placeholder, names)),
            sql.SQL(_COLUMNS),
        )
        row = tx.execute(query, values).fetchone()
        return Outcome(201, Memory.model_validate(row).model_dump(mode="json"))

    request = {"route": "memories.create", "body": new.model_dump(mode="json", exclude_unset=True)}
    outcome = create_once(db, user, idempotency_key, request, insert)
    return outcome.status, Memory.model_validate(outcome.body)


def get_memory(db: Database, user: Principal, memory_id: UUID) -> Memory:
    """One live memory of the caller's; reading it counts as an access (resets its decay)."""
    from psycopg import sql

    with db.as_user(user) as tx:
        access = sql.SQL(_RECORD_ACCESS).format(sql.SQL(_LIVE))
        if tx.execute(access, {"id": memory_id}).fetchone() is None:
            raise NotFound("No such memory.")
        row = tx.execute(sql.SQL(_BY_ID).format(sql.SQL(_COLUMNS)), {"id": memory_id}).fetchone()
    return Memory.model_validate(row)


def list_memories(
    db: Database,
    user: Principal,
    *,
    limit: int,
    cursor: str | None = None,
    sort: MemorySort = MemorySort.recent,
    filters: dict[str, Any] | None = None,
) -> MemoryPage:
    """A page of the caller's live memories, newest (or most important) first."""
    conditions, params = _filter_conditions(filters or {})
    with db.as_user(user) as tx:
        items, next_cursor = _LISTS[sort].page(
            tx, [_LIVE, *conditions], params, limit=limit, cursor=cursor
        )
    return MemoryPage(items=items, next_cursor=next_cursor)


def update_memory(db: Database, user: Principal, memory_id: UUID, change: MemoryUpdate) -> Memory:
    """Apply the fields sent to a live memory (the old version goes to its history)."""
    from psycopg import sql

    values = _column_values(change.model_dump(include=change.model_fields_set))
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name))
        for name in sorted(values)
    )
    query = sql.SQL(
        "update public.memories set {} where memory_id = %(memory_id)s and {} returning {}"
    ).format(assignments, sql.SQL(_LIVE), sql.SQL(_COLUMNS))
    with db.as_user(user) as tx:
        row = tx.execute(query, {**values, "memory_id": memory_id}).fetchone()
    if row is None:
        raise NotFound("No such memory.")
    return Memory.model_validate(row)


def delete_memory(db: Database, user: Principal, memory_id: UUID) -> None:
    """Delete a live memory (its last state stays in its history)."""
    from psycopg import sql

    query = sql.SQL("delete from public.memories where memory_id = %(id)s and {} returning 1")
    with db.as_user(user) as tx:
        if tx.execute(query.format(sql.SQL(_LIVE)), {"id": memory_id}).fetchone() is None:
            raise NotFound("No such memory.")


def memory_history(
    db: Database, user: Principal, memory_id: UUID, *, limit: int, cursor: str | None = None
) -> MemoryHistoryPage:
    """Earlier versions of a memory, newest first; a deleted memory keeps its history, an
    expired one is gone."""
    from psycopg import sql

    params: dict[str, Any] = {"id": memory_id, "limit": limit + 1, "after": None}
    if cursor is not None:
        after = decode_cursor(cursor, "memory_history")[1]
        params["after"] = int(after) if after.isdigit() else 0  # a forged cursor: empty page
    with db.as_user(user) as tx:
        state = tx.execute(sql.SQL(_MEMORY_STATE).format(sql.SQL(_LIVE)), params).fetchone()
        assert state is not None  # a select of exists() always answers
        if not (state["live"] or (state["has_history"] and not state["stored"])):
            raise NotFound("No such memory.")
        rows = tx.execute(_HISTORY_PAGE, params).fetchall()
    items = [MemoryChange.model_validate(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor("memory_history", None, items[-1].memory_history_id)
    return MemoryHistoryPage(items=items, next_cursor=next_cursor)


_MEMORY_STATE = (
    "select exists (select from public.memories where memory_id = %(id)s and {}) as live, "
    "exists (select from public.memories where memory_id = %(id)s) as stored, "
    "exists (select from public.memory_history where memory_id = %(id)s) as has_history"
)

_HISTORY_PAGE = """
select memory_history_id, memory_id, operation, old_values, changed_columns, changed_by, changed_at
from public.memory_history
where memory_id = %(id)s
  and (%(after)s::bigint is null or memory_history_id < %(after)s::bigint)
order by memory_history_id desc
limit %(limit)s
"""


def _filter_conditions(filters: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions for the filters given (None means not filtered)."""
    templates = {
        "memory_type": "memory_type = %(memory_type)s",
        "app_id": "app_id = %(app_id)s",
        "importance_min": "importance >= %(importance_min)s",
        "importance_max": "importance <= %(importance_max)s",
        "created_after": "created_at > %(created_after)s",
        "created_before": "created_at < %(created_before)s",
        "occurred_after": "occurred_at > %(occurred_after)s",
        "occurred_before": "occurred_at < %(occurred_before)s",
        "tags": "tags && %(tags)s::text[]",
    }
    given = {name: value for name, value in filters.items() if value is not None}
    return [templates[name] for name in sorted(given)], given


def _column_values(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        name: jsonb(value) if name in _JSONB_FIELDS and value is not None else value
        for name, value in fields.items()
    }
