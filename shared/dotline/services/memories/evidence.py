"""A memory's evidence: the statements it stands for, and splitting a merged one back out.

Ingestion merges a statement the person made before into the memory already saying it (see
`services/ingestion/_evidence.py`); a memory written through the API is its own one statement.
Row-level security scopes the reads to the caller; the split runs as
`private.unmerge_memory_source`, which acts on the caller's rows only.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import Conflict, NotFound
from dotline.models.memories import MemorySource, MemorySourcePage
from dotline.pagination import decode_cursor, encode_cursor

# The evidence column of a memory row (select list over public.memories).
EVIDENCE = """(
  select jsonb_build_object(
    'count', greatest(count(*), 1),
    'first_seen_at', coalesce(min(s.said_at), memories.creation_ts),
    'last_seen_at', coalesce(max(s.said_at), memories.creation_ts))
  from public.memory_sources s where s.memory_id = memories.memory_id
) as evidence"""
_LIVE_MEMORY = """
select exists (
  select from public.memories
  where memory_id = %(id)s and (expires_at is null or expires_at > now())
) as live
"""
_SOURCES_PAGE = """
select memory_source_id, memory_id, conversation_id, message_id, said_at, title, content, merged_at
from public.memory_sources
where memory_id = %(id)s and (%(after)s::bigint is null or memory_source_id > %(after)s::bigint)
order by memory_source_id
limit %(limit)s
"""
_UNMERGE = "select outcome, memory_id from private.unmerge_memory_source(%(id)s, %(source_id)s)"
_CURSOR_KIND = "memory_sources"


def memory_sources(
    db: Database, user: Principal, memory_id: UUID, *, limit: int, cursor: str | None = None
) -> MemorySourcePage:
    """The statements a live memory of the caller's stands for, in the order they were recorded."""
    params: dict[str, Any] = {"id": memory_id, "limit": limit + 1, "after": None}
    if cursor is not None:
        after = decode_cursor(cursor, _CURSOR_KIND)[1]
        params["after"] = int(after) if after.isdigit() else 0
    with db.as_user(user) as tx:
        state = tx.execute(_LIVE_MEMORY, params).fetchone()
        if not (state and state["live"]):
            raise NotFound("No such memory.")
        rows = tx.execute(_SOURCES_PAGE, params).fetchall()
    items = [MemorySource.model_validate(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(_CURSOR_KIND, None, items[-1].memory_source_id)
    return MemorySourcePage(items=items, next_cursor=next_cursor)


def unmerge(db: Database, user: Principal, memory_id: UUID, source_id: int) -> UUID:
    """Split a merged statement of the caller's memory out into its own memory; its id.

    NotFound when the memory or that source of it is not the caller's (or the memory expired);
    Conflict for the statement the memory was written from (nothing to split it from).
    """
    with db.as_user(user) as tx:
        row = tx.execute(_UNMERGE, {"id": memory_id, "source_id": source_id}).fetchone()
    if row is None or row["outcome"] == "not_found":
        raise NotFound("No such source of this memory.")
    if row["outcome"] == "original":
        raise Conflict("This is the statement the memory was written from; it was never merged.")
    return UUID(str(row["memory_id"]))
