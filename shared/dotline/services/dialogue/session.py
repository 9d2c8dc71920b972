"""The dialogue context of one conversation, kept in Redis between its turns (V11's DialogueAgent).

`user:{uid}:session:{sid}` (TTL `cache_keys.SESSION_TTL_S`, 3 days, renewed by every turn) holds
what the next turn needs from the last: the conversation's last ten messages, the memories
recalled so far, and the person's context package (the insight cycle's
`profiles.next_conversation_context_package`, taken by the conversation's first turn and handed
to every turn's prompt as a note: `private.take_context_package`). The session
id is the conversation's id: the messages route has it in its path, so the key is read before any
transaction opens. This module is the key's only reader and writer.

Postgres stays the truth. A session is used only when it was written at the conversation's
current `message_count` (the turn reads that count with the conversation row it already needs);
any other count (a turn whose session write was lost, a concurrent turn, messages removed by
retention) means it is stale and the turn rebuilds from Postgres. Redis down or the key gone is
the same rebuild: slower, never wrong. Ending the conversation, erasure (`user:{uid}:*`) and a
retention run that removed messages delete the keys.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from dotline import cache_keys
from dotline.db import Transaction
from dotline.errors import ServiceUnavailable
from dotline.ports.cache import Cache
from dotline.ports.language_model import CONTEXT_NOTE_PREFIX, ChatMessage

if TYPE_CHECKING:
    from dotline.services.dialogue._prompt import Prompt

logger = logging.getLogger(__name__)

FORMAT = 1  # bumped when the stored shape changes: an older session is rebuilt, never misread
RECENT_MESSAGES = 10
MAX_RECALLED = 50
MAX_PACKAGE_CHARS = 1_200

_TAKE_PACKAGE = (
    "select private.take_context_package(%(conversation_id)s, %(first_turn)s) as package"
)


@dataclass(frozen=True)
class DialogueSession:
    """One conversation's context as its last turn left it."""

    message_count: int  # messages in the conversation when written
    recent_messages: list[dict[str, Any]]  # oldest first: message_id, role, content, created_at
    recalled_memory_ids: list[str] = field(default_factory=list)  # first recalled first
    context_package: dict[str, Any] | None = None
    format: int = FORMAT

    def current_at(self, message_count: int) -> bool:
        """Whether this session knows every message of a conversation holding message_count."""
        return self.format == FORMAT and self.message_count == message_count

    def after_turn(
        self,
        said: Sequence[dict[str, Any]],
        recalled: Sequence[UUID | str],
        message_count: int,
    ) -> DialogueSession:
        """This session once `said` (the turn's messages, in order) were added."""
        recent = [*self.recent_messages, *said][-RECENT_MESSAGES:]
        ids = list(dict.fromkeys([*self.recalled_memory_ids, *(str(m) for m in recalled)]))
        return DialogueSession(
            message_count=message_count,
            recent_messages=recent,
            recalled_memory_ids=ids[-MAX_RECALLED:],
            context_package=self.context_package,
        )


def key(user_id: UUID, conversation_id: UUID) -> str:
    """Where the conversation's session lives."""
    return cache_keys.session(user_id, str(conversation_id))


def load(cache: Cache, user_id: UUID, conversation_id: UUID) -> DialogueSession | None:
    """The stored session, or None when there is none or Redis cannot say (then: rebuild)."""
    try:
        raw = cache.get_json(key(user_id, conversation_id))
    except (ServiceUnavailable, ValueError):  # Redis down, or not JSON (JSONDecodeError)
        logger.warning("dialogue session unreadable; rebuilding from Postgres", exc_info=True)
        return None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        return None
    try:
        return DialogueSession(**raw)
    except TypeError:
        return None


def save(cache: Cache, user_id: UUID, conversation_id: UUID, session: DialogueSession) -> None:
    """Store the session for the conversation's next turn (a failure only costs a rebuild)."""
    try:
        cache.set_json(key(user_id, conversation_id), asdict(session), cache_keys.SESSION_TTL_S)
    except ServiceUnavailable:
        logger.warning("dialogue session not stored; the next turn rebuilds it", exc_info=True)


def forget(cache: Cache, user_id: UUID, conversation_id: UUID) -> None:
    """Drop the conversation's session (it ended)."""
    cache.delete([key(user_id, conversation_id)])


def forget_all(cache: Cache, user_id: UUID | None = None) -> int:
    """Drop every session of the person (everyone's with None): messages under them were
    removed. Returns how many were dropped."""
    return cache.delete_matching(cache_keys.session("*" if user_id is None else user_id, "*"))


def context_package(
    tx: Transaction, conversation_id: UUID, first_turn: bool
) -> dict[str, Any] | None:
    """The person's next-conversation context package for a session being built: taken by the
    conversation's first turn (later conversations get none until the insight cycle writes a
    new one), its own again when its session is rebuilt."""
    params = {"conversation_id": conversation_id, "first_turn": first_turn}
    row = tx.execute(_TAKE_PACKAGE, params).fetchone()
    return row["package"] if row else None


def with_context_package(prompt: Prompt, package: dict[str, Any] | None) -> Prompt:
    """The prompt with what the last insight cycle left for this conversation (its summary and
    themes) as a system note after the persona; unchanged without one. A note, not a citable
    source: its lines never end in a colon, so no engine reads it as retrieved context."""
    summary = " ".join(str((package or {}).get("summary") or "").split())
    if not summary:
        return prompt
    themes = [" ".join(str(t).split()) for t in (package or {}).get("themes") or []]
    note = f"{CONTEXT_NOTE_PREFIX} {summary}"
    if themes:
        note += f" Themes: {', '.join(themes)}."
    note = note[:MAX_PACKAGE_CHARS]
    messages = [
        *prompt.messages[:1],
        ChatMessage(role="system", content=note),
        *prompt.messages[1:],
    ]
    return type(prompt)(messages, prompt.sources)
