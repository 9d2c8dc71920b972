"""The dialogue: a person's message stored, answered from what the coach knows and remembers,
and the answer stored beside it with what it cost.

Both turns and the Idempotency-Key's record commit in one transaction, so a failed answer leaves
no unanswered message behind and a retry with the same key starts afresh. Memories are recalled
and the conversation's session (`dotline.services.dialogue.session`: its recent turns, kept in Redis) is
read before that transaction opens; the session is written once it committed, for the next turn.
"""

from __future__ import annotations

import math
import re
from typing import Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, Transaction, jsonb
from dotline.errors import Conflict, InvalidRequest, NotFound, ServiceUnavailable
from dotline.idempotency import Outcome, create_once
from dotline.models.conversations import Message
from dotline.models.dialogue import AssistantMessage, Exchange, MessageCreate
from dotline.ports.cache import Cache
from dotline.ports.embeddings import Embedder
from dotline.ports.language_model import Completion, LanguageModel
from dotline.ports.vectors import VectorStore
from dotline.services.dialogue import session as dialogue_session
from dotline.services.dialogue._context import (
    ChatContext,
    keep_live_memories,
    load_chat_context,
    recall_memories,
)
from dotline.services.dialogue._prompt import Prompt, build_prompt, cited_sources

# The conversation and, only while it is active, the new turn: one round trip.
_SAY = """
with conversation as (
  select conversation_id, app_id, status, message_count from public.conversations
  where conversation_id = %(conversation_id)s
), said as (
  insert into public.messages (conversation_id, role, content, media_ids)
  select conversation_id, 'user', %(content)s, %(media_ids)s from conversation
  where status = 'active'
  returning message_id, conversation_id, role, content, model, media_ids, referenced_entities,
            metadata, created_at
)
select c.app_id, c.status, c.message_count, to_jsonb(said) as message
from conversation c left join said on true
"""

# Only a conversation nobody has titled: a title the person gave (or gives later) stands.
_AUTO_TITLE = (
    "update public.conversations set title = %(title)s "
    "where conversation_id = %(conversation_id)s and title is null"
)
AUTO_TITLE_WORDS = 8
AUTO_TITLE_CHARS = 60

_VARIANT_KEYS = ("personality_schema_id", "schema_key", "version", "ab_test_group")

_OWNED_MEDIA = "select count(*) as owned from public.media_items where media_id = any(%(ids)s)"

_REPLY = """
select message_id, conversation_id, role, content, model, media_ids, referenced_entities, metadata,
       created_at, confidence_score, tokens_used, generation_time_ms, intimacy_code_reference
from private.record_assistant_message(
  conversation_id => %(conversation_id)s::uuid, content => %(content)s::text,
  model => %(model)s::text, confidence_score => %(confidence)s::numeric,
  tokens_used => %(tokens)s::integer, generation_time_ms => %(latency_ms)s::integer,
  llm_call_metadata => %(call)s::jsonb, referenced_entities => %(cited)s::jsonb,
  intimacy_code_reference => %(principle)s::text)
"""


def post_message(
    db: Database,
    user: Principal,
    conversation_id: UUID,
    new: MessageCreate,
    idempotency_key: str | None = None,
    *,
    language_model: LanguageModel,
    embedder: Embedder,
    vectors: VectorStore,
    cache: Cache,
) -> tuple[int, Exchange]:
    """Store the message and the coach's answer to it (201); a replay returns the first."""
    stored = dialogue_session.load(cache, user.user_id, conversation_id)
    memories = recall_memories(user.user_id, new.content, embedder=embedder, vectors=vectors)
    after: list[dialogue_session.DialogueSession] = []

    def exchange(tx: Transaction) -> Outcome:
        app_id, said, count = _say(tx, conversation_id, new)
        session = stored if stored is not None and stored.current_at(count) else None
        recent = None
        if session is not None:
            recent = [*session.recent_messages, _turn(said)][-dialogue_session.RECENT_MESSAGES :]
        context = load_chat_context(tx, user.user_id, conversation_id, app_id, new.content, recent)
        live = keep_live_memories(tx, memories)
        source = "session" if session is not None else "postgres"
        if session is None:
            session = dialogue_session.DialogueSession(
                message_count=count,
                recent_messages=[
                    m for m in context.recent_messages if m["message_id"] != str(said.message_id)
                ],
                context_package=dialogue_session.context_package(tx, conversation_id, count == 0),
            )
        prompt = dialogue_session.with_context_package(
            build_prompt(context, live), session.context_package
        )
        completion = language_model.complete(prompt.messages)
        package_id = (session.context_package or {}).get("insight_id")
        reply = _reply(tx, conversation_id, completion, prompt, context, source, package_id)
        if count == 0:  # the first exchange: an untitled conversation takes its title from it
            title = auto_title(new.content)
            if title:
                tx.execute(_AUTO_TITLE, {"title": title, "conversation_id": conversation_id})
        recalled = [hit.source_entity_id for hit in live]
        after.append(session.after_turn([_turn(said), _turn(reply)], recalled, count + 2))
        body = Exchange(user_message=said, assistant_message=reply)
        return Outcome(201, body.model_dump(mode="json"))

    request = {
        "route": "messages.create",
        "conversation_id": str(conversation_id),
        "body": new.model_dump(mode="json"),
    }
    outcome = create_once(db, user, idempotency_key, request, exchange)
    if after:  # answered (not a replay) and committed
        dialogue_session.save(cache, user.user_id, conversation_id, after[-1])
    return outcome.status, Exchange.model_validate(outcome.body)


def auto_title(content: str) -> str | None:
    """A short title from the person's first message: its first sentence or line (of three
    words or more, when there is one), at most
    AUTO_TITLE_WORDS words and AUTO_TITLE_CHARS characters, without trailing punctuation
    (deterministic; None when nothing is left)."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", content.strip()) if s.split()]
    # A greeting ("Hi!") says nothing of the topic: the first sentence of three words or more.
    first = next((s for s in sentences if len(s.split()) >= 3), sentences[0] if sentences else "")
    words = first.split()[:AUTO_TITLE_WORDS]
    title = ""
    for word in words:
        candidate = f"{title} {word}".strip()
        if len(candidate) > AUTO_TITLE_CHARS:
            break
        title = candidate
    if not title and words:  # one very long word
        title = words[0][:AUTO_TITLE_CHARS]
    title = title.rstrip(" .,;:!?-\u2026")
    return title[:1].upper() + title[1:] if title else None


def _turn(message: Message | AssistantMessage) -> dict[str, Any]:
    """A stored message as the session (and the prompt) keep it."""
    return {
        "message_id": str(message.message_id),
        "role": message.role,
        "content": message.content,
        "created_at": message.created_at.isoformat(),
    }


def _say(
    tx: Transaction, conversation_id: UUID, new: MessageCreate
) -> tuple[UUID | None, Message, int]:
    if new.media_ids:
        owned = tx.execute(_OWNED_MEDIA, {"ids": list(set(new.media_ids))}).fetchone()
        if owned is None or owned["owned"] < len(set(new.media_ids)):
            message = "names media that are not yours"
            raise InvalidRequest(
                f"media_ids: {message}", errors=[{"field": "media_ids", "message": message}]
            )
    params = {**new.model_dump(), "conversation_id": conversation_id}
    row = tx.execute(_SAY, params).fetchone()
    if row is None:
        raise NotFound("No such conversation.")
    if row["message"] is None:
        raise Conflict(f"This conversation is {row['status']}; it takes no new messages.")
    return row["app_id"], Message.model_validate(row["message"]), row["message_count"]


def _reply(
    tx: Transaction,
    conversation_id: UUID,
    completion: Completion,
    prompt: Prompt,
    context: ChatContext,
    source: str,
    package_id: str | None,
) -> AssistantMessage:
    if not completion.text.strip():
        raise ServiceUnavailable("The language model gave an empty answer; try again.")
    cited = cited_sources(completion.text, prompt.sources)
    confidence = completion.confidence
    row = tx.execute(
        _REPLY,
        {
            "conversation_id": conversation_id,
            "content": completion.text,
            "model": completion.model,
            "confidence": None if confidence is None else round(min(max(confidence, 0), 1), 2),
            "tokens": completion.prompt_tokens + completion.completion_tokens,
            "latency_ms": math.ceil(completion.latency_ms),
            "call": jsonb(
                {
                    **_call_record(completion, prompt, context),
                    "context_from": source,
                    "context_package": package_id,
                }
            ),
            "cited": jsonb([s.reference() for s in cited]),
            # Seed 004's messages.intimacy_code_reference: the principle the answer drew on.
            "principle": next((s.title for s in cited if s.kind == "knowledge_entry"), None),
        },
    ).fetchone()
    assert row is not None  # the function returns the row it stored, or raises
    return AssistantMessage.model_validate(row)


def _call_record(completion: Completion, prompt: Prompt, context: ChatContext) -> dict[str, Any]:
    """What went into the call and what came out: messages.llm_call_metadata."""
    personality = context.personality or {}
    return {
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "latency_ms": round(completion.latency_ms, 3),
        "app_id": str(context.app["app_id"]) if context.app else None,
        "personality": {k: personality.get(k) for k in _VARIANT_KEYS} if personality else None,
        "focus_area": (context.progress or {}).get("current_focus_area"),
        "prompt_messages": len(prompt.messages),
        "history_message_ids": [str(m["message_id"]) for m in context.recent_messages],
        "sources": [s.reference() for s in prompt.sources],
    }
