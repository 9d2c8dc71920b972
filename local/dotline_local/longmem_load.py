"""Storing the long-conversation corpus (longmem_corpus.py) as the product holds it, and removing it.

Each conversation belongs to its first speaker, a user of their own; every turn of it, both
speakers', becomes one of that user's memories through the service call `POST /v1/memories`
makes (`memories.create_memory`, with the body the route validates), one transaction a turn, so
the triggers keep the full-text documents as they do for any write. The request body carries
what the API can today: the speaker (title, `people`, a tag, `attributes`), the session's date
(title) and the turn's time (`creation_ts`, `occurred_at`: stored, but search reads neither;
`created_at` is the load time for every turn, so recency cannot tell old turns from new).
Through the gateway itself the per-user rate limit (120 a minute) would make a load of
thousands of turns take many minutes, hence the service call.

The outbox delivery would then embed each memory and write its vector item and graph node one
delivery at a time; the loader writes the same item and node itself
(`search_corpus_load.mirror_rows`, embedding in batches) and forgets the outbox rows, so no
dispatcher is left thousands of deliveries (one running meanwhile may deliver some first: the
same item and node). Turns get no graph edges: the API writes none for a memory.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from dotline.auth import Principal
from dotline.bootstrap import Deps
from dotline.models.memories import MemoryCreate
from dotline.services.memories import memories
from dotline_local.longmem_corpus import Conversation, Corpus, Turn
from dotline_local.search_corpus_load import (
    forget_outbox,
    mirror_rows,
    refresh_statistics,
    remove_user,
)
from dotline_local.tokens import sign_up


@dataclass(frozen=True)
class Stored:
    """Whose memory holds each conversation, and each turn's memory id."""

    users: dict[str, Principal]  # conversation id -> its person
    memory_ids: dict[str, UUID]  # turn id -> memory id

    def turn_ids(self) -> dict[UUID, str]:
        return {memory_id: turn_id for turn_id, memory_id in self.memory_ids.items()}


def memory_body(conversation: Conversation, turn: Turn) -> MemoryCreate:
    """The POST /v1/memories body a client importing the conversation would send for a turn."""
    body = {
        "title": f"Session {turn.session}, {turn.at:%-d %B %Y}",
        "content": f"{turn.speaker}: {turn.text}",
        "creation_ts": turn.at.isoformat(),
        "occurred_at": turn.at.isoformat(),
        "people": [{"name": turn.speaker, "role": "speaker"}],
        "tags": [turn.speaker],
        "attributes": {
            "conversation": conversation.conversation_id,
            "session": turn.session,
            "speaker": turn.speaker,
            "turn": turn.turn_id,
        },
    }
    return MemoryCreate.model_validate(body)


def store(conn: psycopg.Connection[Any], deps: Deps, corpus: Corpus) -> Stored:
    """Every conversation as its person's memories, with vectors and graph nodes."""
    stored = Stored({}, {})
    for conversation in corpus.conversations:
        email = f"bench-longmem-{uuid.uuid4().hex[:8]}@example.com"
        user_id = sign_up(conn, email)
        user = Principal(user_id, {"sub": str(user_id), "role": "authenticated"})
        stored.users[conversation.conversation_id] = user
        for turn in conversation.turns:
            _, memory = memories.create_memory(deps.db, user, memory_body(conversation, turn))
            stored.memory_ids[turn.turn_id] = memory.memory_id
        forget_outbox(conn, _keys(stored, user_id))
        mirror_rows(conn, deps, user_id)
    refresh_statistics(conn)
    return stored


def remove(conn: psycopg.Connection[Any], deps: Deps, stored: Stored) -> None:
    """Remove every user the corpus was stored for, and all of theirs."""
    for user in stored.users.values():
        remove_user(conn, deps, user.user_id, _keys(stored, user.user_id))


def _keys(stored: Stored, user_id: UUID) -> list[str]:
    return [str(user_id), *(str(memory_id) for memory_id in stored.memory_ids.values())]
