"""What the coach is handed to answer one message: the app's context and knowledge from Postgres,
the person's relevant memories from the vector index.

With an app, `api.get_chat_context` (personality variant, knowledge bases, last ten messages,
progress) and `api.search_knowledge` run in ONE statement; without one (the companion), only the
conversation's last ten messages are read. A turn handed the recent messages by its session
(`dotline.services.dialogue.session`) reads no messages at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from dotline.db import Transaction
from dotline.ports.embeddings import Embedder
from dotline.ports.vectors import VectorFilter, VectorHit, VectorStore

KNOWLEDGE_LIMIT = 5
MEMORY_LIMIT = 5
RECALL_CANDIDATES = 10  # nearest memories read, so that dropping stale ones still leaves 5
MAX_QUERY_WORDS = 32
# get_chat_context reads the last ten messages of the conversation it is given: no conversation
# has the nil id, so with it the function reads none (the session already holds them).
NO_CONVERSATION = UUID(int=0)
_WORD = re.compile(r"[^\W_]+")

_APP_CONTEXT = """
select ctx.app_id, ctx.app_slug, ctx.display_name, ctx.domain, ctx.personality, ctx.progress,
       ctx.recent_messages,
       api.knowledge_hits(%(query)s, ctx.app_id::text, %(limit)s) as knowledge
from api.get_chat_context(%(app)s, %(user_id)s, %(conversation_id)s) as ctx
"""

# The same shape as get_chat_context's recent_messages, for a conversation without an app.
_RECENT_MESSAGES = """
select coalesce(jsonb_agg(jsonb_build_object('message_id', m.message_id, 'role', m.role,
                                             'content', m.content, 'created_at', m.created_at)
                          order by m.created_at, m.message_id), '[]'::jsonb) as recent_messages
from (select message_id, role, content, created_at from public.messages
      where conversation_id = %(conversation_id)s
      order by created_at desc, message_id desc limit 10) as m
"""


@dataclass(frozen=True)
class ChatContext:
    """The app (if any) with the person's personality variant and progress, the conversation's
    recent turns (oldest first) and the knowledge entries matching the message, best first."""

    recent_messages: list[dict[str, Any]]
    app: dict[str, Any] | None = None
    personality: dict[str, Any] | None = None
    progress: dict[str, Any] | None = None
    knowledge: list[dict[str, Any]] = field(default_factory=list)


def load_chat_context(
    tx: Transaction,
    user_id: UUID,
    conversation_id: UUID,
    app_id: UUID | None,
    message: str,
    recent: list[dict[str, Any]] | None = None,
) -> ChatContext:
    """The context for answering `message` in the conversation (as the user: RLS applies);
    `recent`: the last ten messages as the session has them (then none are read)."""
    read_from = conversation_id if recent is None else NO_CONVERSATION
    params = {"user_id": user_id, "conversation_id": read_from}
    if app_id is not None:
        query = knowledge_query(message)
        row = tx.execute(
            _APP_CONTEXT,
            {**params, "app": str(app_id), "query": query, "limit": KNOWLEDGE_LIMIT},
        ).fetchone()
        if row is not None:  # None: the app was retired since; answer as the companion
            return ChatContext(
                recent_messages=list(row["recent_messages"]) if recent is None else recent,
                app={k: row[k] for k in ("app_id", "app_slug", "display_name", "domain")},
                personality=row["personality"],
                progress=row["progress"],
                knowledge=list(row["knowledge"]),
            )
    if recent is not None:
        return ChatContext(recent_messages=recent)
    row = tx.execute(_RECENT_MESSAGES, params).fetchone()
    return ChatContext(recent_messages=list(row["recent_messages"]) if row else [])


def knowledge_query(message: str) -> str:
    """The message as a web-search query matching ANY of its words (ranked by how many match):
    a question's words rarely all appear in the entry that answers it."""
    words = dict.fromkeys(w for w in _WORD.findall(message.lower()) if w != "or")
    return " or ".join(list(words)[:MAX_QUERY_WORDS])


def recall_memories(
    user_id: UUID, message: str, *, embedder: Embedder, vectors: VectorStore
) -> list[VectorHit]:
    """The person's memories nearest in meaning to the message, best first."""
    vector = embedder.embed([message])[0]
    only_memories = VectorFilter(source_entity_types=["memory"])
    return vectors.search(user_id, vector, limit=RECALL_CANDIDATES, where=only_memories)


# Recalled memories as Postgres has them now: the vector index may still hold one that expired
# (expiry is a query-time rule) or was deleted and not yet removed from the index. A memory a
# newer one replaced (its invalid_at passed) no longer holds: the model is not
# handed "I live in Paris" as current once "I moved to Berlin" was said.
_LIVE_MEMORIES = """
select memory_id from public.memories
where memory_id = any(%(ids)s) and (expires_at is null or expires_at > now())
  and (invalid_at is null or invalid_at > now())
"""
_RECORD_ACCESS = "select private.record_memory_access(%(ids)s::uuid[])"


def keep_live_memories(tx: Transaction, hits: list[VectorHit]) -> list[VectorHit]:
    """The recalled memories still live and current (as the user: RLS applies), the first
    MEMORY_LIMIT in recall order; using one in an answer counts as an access, which resets its
    decay clock."""
    if not hits:
        return []
    ids = [hit.source_entity_id for hit in hits]
    live = {row["memory_id"] for row in tx.execute(_LIVE_MEMORIES, {"ids": ids}).fetchall()}
    kept = [hit for hit in hits if hit.source_entity_id in live][:MEMORY_LIMIT]
    if kept:
        tx.execute(_RECORD_ACCESS, {"ids": sorted(hit.source_entity_id for hit in kept)})
    return kept
