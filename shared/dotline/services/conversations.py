"""The caller's conversations: open (idempotent by session_id), list, read with messages, end.

Posting messages (the dialogue) is another service; row-level security scopes every query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, Transaction, jsonb
from dotline.errors import NotFound
from dotline.idempotency import Outcome, create_once
from dotline.models.conversations import (
    Conversation,
    ConversationCreate,
    ConversationPage,
    ConversationStatus,
    ConversationWithMessages,
    Message,
)
from dotline.tables import Keyset

if TYPE_CHECKING:
    from psycopg import sql

# SQL text composed with psycopg.sql where it is used, which imports psycopg with the first query.
_COLUMNS = (
    "conversation_id, user_id, app_id, session_id, title, status, importance_score, "
    "context_summary, source_card_id, intimacy_code_reference, message_count, metadata, created_at, "
    "started_at, last_message_at, ended_at, closed_at, updated_at"
)

_INSERT = (
    "insert into public.conversations "
    "(session_id, app_id, title, source_card_id, intimacy_code_reference, metadata) values "
    "(%(session_id)s, %(app_id)s, %(title)s, %(source_card_id)s, %(intimacy_code_reference)s, "
    "%(metadata)s) "
    "on conflict (user_id, session_id) do nothing returning {}"
)

_BY_SESSION = "select {} from public.conversations where session_id = %(session_id)s"

_BY_ID = "select {} from public.conversations where conversation_id = %(id)s"

_END = (
    "update public.conversations set status = 'ended', ended_at = coalesce(ended_at, now()) "
    "where conversation_id = %(id)s and status = 'active' returning {}"
)

_NEWEST = Keyset("conversations", Conversation, "conversation_id", _COLUMNS, "public.conversations")
_MESSAGES = Keyset(
    "messages",
    Message,
    "message_id",
    "message_id, conversation_id, role, content, model, media_ids, referenced_entities,"
    " metadata, created_at",
    "public.messages",
    field="query.messages_cursor",
    descending=False,
)


def open_conversation(
    db: Database, user: Principal, new: ConversationCreate, idempotency_key: str | None = None
) -> tuple[int, Conversation]:
    """A new conversation (201), or the one already opened with this session_id (200)."""
    params = {**new.model_dump(), "metadata": jsonb(new.metadata)}

    def insert(tx: Transaction) -> Outcome:
        row = tx.execute(_with_columns(_INSERT), params).fetchone()
        status = 201
        if row is None:  # this session_id was opened before: hand that one back
            row = tx.execute(_with_columns(_BY_SESSION), params).fetchone()
            status = 200
        return Outcome(status, Conversation.model_validate(row).model_dump(mode="json"))

    request = {"route": "conversations.create", "body": new.model_dump(mode="json")}
    outcome = create_once(db, user, idempotency_key, request, insert)
    return outcome.status, Conversation.model_validate(outcome.body)


def list_conversations(
    db: Database,
    user: Principal,
    *,
    limit: int,
    cursor: str | None = None,
    app_id: UUID | None = None,
    status: ConversationStatus | None = None,
    source_card_id: UUID | None = None,
) -> ConversationPage:
    """A page of the caller's conversations, newest first; with `source_card_id`, those started
    from that card (its initiated conversations)."""
    where = []
    if app_id is not None:
        where.append("app_id = %(app_id)s")
    if status is not None:
        where.append("status = %(status)s")
    if source_card_id is not None:
        where.append("source_card_id = %(source_card_id)s")
    params = {
        "app_id": app_id,
        "status": status.value if status is not None else None,
        "source_card_id": source_card_id,
    }
    with db.as_user(user) as tx:
        items, next_cursor = _NEWEST.page(tx, where, params, limit=limit, cursor=cursor)
    return ConversationPage(items=items, next_cursor=next_cursor)


def get_conversation(
    db: Database,
    user: Principal,
    conversation_id: UUID,
    *,
    messages_limit: int,
    messages_cursor: str | None = None,
) -> ConversationWithMessages:
    """One of the caller's conversations with a page of its messages, oldest first."""
    params = {"id": conversation_id}
    with db.as_user(user) as tx:
        row = tx.execute(_with_columns(_BY_ID), params).fetchone()
        if row is None:
            raise NotFound("No such conversation.")
        messages, next_cursor = _MESSAGES.page(
            tx,
            ["conversation_id = %(id)s"],
            params,
            limit=messages_limit,
            cursor=messages_cursor,
        )
    return ConversationWithMessages.model_validate(
        {**row, "messages": messages, "next_messages_cursor": next_cursor}
    )


def end_conversation(db: Database, user: Principal, conversation_id: UUID) -> Conversation:
    """End an active conversation; one already ended (or further along) is returned as it is."""
    with db.as_user(user) as tx:
        row = tx.execute(_with_columns(_END), {"id": conversation_id}).fetchone()
        if row is None:
            row = tx.execute(_with_columns(_BY_ID), {"id": conversation_id}).fetchone()
    if row is None:
        raise NotFound("No such conversation.")
    return Conversation.model_validate(row)


def _with_columns(template: str) -> sql.Composed:
    """A statement template whose `{}` is the conversation's columns."""
    from psycopg import sql

    return sql.SQL(template).format(sql.SQL(_COLUMNS))
