"""What ingesting one conversation writes to Postgres, in one transaction, idempotently.

Ids are deterministic (a memory is uuid5 of conversation and message, a new concept uuid5 of
person, type and name) and every insert is `on conflict do nothing` (the enrichment of a memory
`write_memories` wrote first updates it only while it is marked pending), so a re-run writes
nothing new and leaves what a person edited since alone. Rows come back as `to_jsonb` of the row, the
shape the outbox carries, so the graph and vector writes match what the mirror writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from typing import Any
from uuid import UUID

from dotline.db import Transaction, jsonb
from dotline.ports.language_model import ExtractedMemory, Extraction
from dotline.services.ingestion._concept_resolution import Resolution
from dotline.services.ingestion._evidence import place_statements
from dotline.services.ingestion._fact_supersession import (
    StatedFact,
    Supersession,
    find_supersessions,
    standing_facts,
    supersede,
)
from dotline.services.memories.occurrence import occurred_at

MEMORY_NAMESPACE = UUID("a3c1e9d4-2f6b-4b8e-9d07-5e4f1c2b7a96")
COACHING_MEMORY_TYPE = "conversation_context"  # Hugo's type for what a coaching chat yields
COMPANION_MEMORY_TYPE = "memory"

_INSERT_CONCEPT = """
insert into public.concepts (concept_id, user_id, name, type, source, attributes)
values (%(concept_id)s, %(user_id)s, %(name)s, %(type)s, 'ingestion', %(attributes)s)
on conflict do nothing
"""
_SAME_NAME = """
select concept_id from public.concepts
where user_id = %(user_id)s and name = %(name)s and type = %(type)s
"""
_ADD_ALIAS = """
update public.concepts
set attributes = jsonb_set(attributes, '{aliases}',
                           coalesce(attributes -> 'aliases', '[]'::jsonb) || to_jsonb(%(alias)s::text))
where user_id = %(user_id)s and concept_id = %(concept_id)s
  and lower(name) <> lower(%(alias)s)
  and not coalesce(attributes -> 'aliases', '[]'::jsonb) ? %(alias)s
"""
_INSERT_MEMORY = """
insert into public.memories
  (memory_id, user_id, app_id, source_conversation_id, memory_type, title, content, importance,
   sentiment_score, creation_ts, occurred_at, location, people, emotions, tags, attributes)
values
  (%(memory_id)s, %(user_id)s, %(app_id)s, %(conversation_id)s, %(memory_type)s, %(title)s,
   %(content)s, %(importance)s, %(sentiment)s, %(said_at)s, %(occurred_at)s, %(location)s, %(people)s,
   %(emotions)s, %(tags)s, %(attributes)s)
on conflict (memory_id) do nothing
"""
# The enriched memory: a new one, or one that `write_memories` left waiting for its concepts. A
# memory already enriched (or edited since) is left alone, so a re-run changes nothing.
_ENRICH_MEMORY = _INSERT_MEMORY.replace(
    "on conflict (memory_id) do nothing",
    """on conflict (memory_id) do update
  set location = excluded.location, people = excluded.people, attributes = excluded.attributes
  where memories.user_id = excluded.user_id and memories.attributes ? 'enrichment_pending'""",
)
_MEMORY_ROWS = """
select to_jsonb(m.*) as row from public.memories m
where m.user_id = %(user_id)s and m.memory_id = any(%(ids)s::uuid[]) order by m.creation_ts, m.memory_id
"""
_CONCEPT_ROWS = """
select to_jsonb(c.*) as row from public.concepts c
where c.user_id = %(user_id)s and c.concept_id = any(%(ids)s::uuid[])
"""
# The graph node of the entity behind the card the conversation was started from, if any (a
# prompt's card has none).
_INSPIRING_ENTITY = """
select card.source_entity_id from public.conversations conversation
join public.cards card on card.card_id = conversation.source_card_id
  and card.user_id = conversation.user_id
where conversation.conversation_id = %(conversation_id)s and conversation.user_id = %(user_id)s
  and card.source_entity_type in ('memory', 'concept', 'artifact')
"""
_PROFILE_ROW = "select to_jsonb(p.*) as row from public.profiles p where p.user_id = %(user_id)s"
# How many of the person's memories name both concepts of each pair (RELATED_TO weights).
_CO_OCCURRENCES = """
with pair as (select * from unnest(%(a)s::text[], %(b)s::text[]) as p (a, b)),
named as (
  select m.attributes -> 'concept_ids' as ids from public.memories m
  where m.user_id = %(user_id)s and m.attributes -> 'concept_ids' ?| %(involved)s::text[]
)
select pair.a, pair.b, count(*)::integer as memories
from pair join named on named.ids ? pair.a and named.ids ? pair.b
group by pair.a, pair.b
"""


@dataclass(frozen=True)
class Conversation:
    """The conversation being ingested, as its claim names it."""

    conversation_id: UUID
    user_id: UUID
    app_id: UUID | None


@dataclass
class Written:
    """What the transaction left in Postgres, for the graph, the vectors and the report."""

    memories: list[dict[str, Any]] = field(default_factory=list)
    concepts: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    new_concept_ids: list[UUID] = field(default_factory=list)
    profile: dict[str, Any] | None = None
    co_occurrences: dict[tuple[UUID, UUID], int] = field(default_factory=dict)
    supersessions: list[Supersession] = field(default_factory=list)
    inspired_by: UUID | None = None  # the entity of the card the conversation started from
    memories_created: int = 0
    memories_invalidated: int = 0


def memory_id_for(conversation_id: UUID, message_id: UUID) -> UUID:
    """The id of the memory a turn yields: the same on every re-run."""
    return uuid.uuid5(MEMORY_NAMESPACE, f"{conversation_id}:{message_id}")


def write_memories(
    tx: Transaction,
    conversation: Conversation,
    extraction: Extraction,
    said_at: dict[UUID, datetime],
) -> tuple[int, dict[UUID, UUID]]:
    """The memories alone, before their concepts are resolved: searchable by text at once.

    Each is marked `enrichment_pending`; `write_conversation` then fills in its concepts, people
    and place (and clears the mark) in the same run or a retry. A statement the person made
    before joins that memory as a source instead (`_evidence`). Returns how many memories are
    new, and each merged statement's message id with the memory it joined.
    """
    statements = [
        (m.message_id, _memory_params(
            conversation, memory_id_for(conversation.conversation_id, m.message_id), m,
            said_at[m.message_id], None, [],
        ))
        for m in extraction.memories
    ]  # fmt: skip
    return place_statements(tx, statements, _INSERT_MEMORY)


def write_conversation(
    tx: Transaction,
    conversation: Conversation,
    extraction: Extraction,
    said_at: dict[UUID, datetime],
    resolution: Resolution,
) -> Written:
    """Concepts, memories, their supersessions; returns the rows as they now stand."""
    user_id = conversation.user_id
    written = Written()
    written.new_concept_ids = _insert_concepts(tx, user_id, resolution)
    for concept_id, aliases in resolution.aliases.items():
        if concept_id in written.new_concept_ids:
            continue  # created with its aliases
        for alias in sorted(aliases):
            tx.execute(_ADD_ALIAS, {"user_id": user_id, "concept_id": concept_id, "alias": alias})
    planned = {
        memory_id_for(conversation.conversation_id, m.message_id): m for m in extraction.memories
    }
    incoming = [
        StatedFact(memory_id, said_at[m.message_id], fact)
        for memory_id, m in planned.items()
        for fact in m.facts
    ]
    written.supersessions = find_supersessions(standing_facts(tx, user_id, list(planned)), incoming)
    params = [
        _memory_params(
            conversation, memory_id, memory, said_at[memory.message_id], resolution,
            [s.record() for s in written.supersessions if s.newer == memory_id],
        )
        for memory_id, memory in planned.items()
    ]  # fmt: skip
    if params:
        tx.executemany(_ENRICH_MEMORY, params)  # new, or enriched after `write_memories`
        written.memories_created = max(0, tx.rowcount)
    written.memories_invalidated = supersede(tx, user_id, written.supersessions)
    ids = list(planned)
    written.memories = [
        r["row"] for r in tx.execute(_MEMORY_ROWS, {"user_id": user_id, "ids": ids})
    ]
    concept_ids = sorted(set(resolution.concept_ids.values()))
    rows = tx.execute(_CONCEPT_ROWS, {"user_id": user_id, "ids": concept_ids}).fetchall()
    written.concepts = {UUID(r["row"]["concept_id"]): r["row"] for r in rows}
    profile = tx.execute(_PROFILE_ROW, {"user_id": user_id}).fetchone()
    written.profile = profile["row"] if profile else None
    written.co_occurrences = _co_occurrences(tx, user_id, written.memories)
    inspiring = tx.execute(
        _INSPIRING_ENTITY, {"conversation_id": conversation.conversation_id, "user_id": user_id}
    ).fetchone()
    written.inspired_by = inspiring["source_entity_id"] if inspiring else None
    return written


def _insert_concepts(tx: Transaction, user_id: UUID, resolution: Resolution) -> list[UUID]:
    """Create the new concepts; one that a concurrent writer named first is used instead."""
    created = []
    for concept_id, concept in resolution.new.items():
        attributes: dict[str, Any] = (
            {"relationship": concept.relationship} if concept.relationship else {}
        )
        aliases = sorted(
            a
            for a in resolution.aliases.get(concept_id, ())
            if a.casefold() != concept.name.casefold()
        )
        if aliases:
            attributes["aliases"] = aliases
        params = {"concept_id": concept_id, "user_id": user_id, "name": concept.name,
                  "type": concept.type, "attributes": jsonb(attributes)}  # fmt: skip
        if tx.execute(_INSERT_CONCEPT, params).rowcount:
            created.append(concept_id)
            continue
        same = tx.execute(_SAME_NAME, params).fetchone()
        if same is not None and same["concept_id"] != concept_id:
            for key, value in resolution.concept_ids.items():
                if value == concept_id:
                    resolution.concept_ids[key] = same["concept_id"]
    return created


def _memory_params(
    conversation: Conversation,
    memory_id: UUID,
    memory: ExtractedMemory,
    said_at: datetime,
    resolution: Resolution | None,
    contradicts: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """The row of a memory; without a resolution, one waiting for its concepts."""
    concepts = [(c, resolution.of(c)) for c in memory.concepts] if resolution else []
    places = [{"name": c.name, "concept_id": str(i)} for c, i in concepts if c.type == "place"]
    people = [
        {
            "name": c.name,
            "concept_id": str(i),
            **({"relationship": c.relationship} if c.relationship else {}),
        }
        for c, i in concepts
        if c.type == "person"
    ]
    attributes = {
        "ingestion": {
            "conversation_id": str(conversation.conversation_id),
            "message_id": str(memory.message_id),
        },
        "concept_ids": sorted({str(i) for _, i in concepts}),
        "facts": [f.model_dump() for f in memory.facts],
        **({"contradicts": list(contradicts)} if contradicts else {}),
        **({} if resolution else {"enrichment_pending": True}),
    }
    return {
        "memory_id": memory_id,
        "user_id": conversation.user_id,
        "app_id": conversation.app_id,
        "conversation_id": conversation.conversation_id,
        "memory_type": COACHING_MEMORY_TYPE if conversation.app_id else COMPANION_MEMORY_TYPE,
        "title": memory.title,
        "content": memory.content,
        "importance": round(memory.importance, 2),
        "sentiment": memory.sentiment,
        "said_at": said_at,
        "occurred_at": occurred_at(memory.content, said_at),  # the event's time, not the turn's
        "location": jsonb(places[0]) if places else None,
        "people": jsonb(people),
        "emotions": jsonb([{"name": e} for e in memory.emotions]),
        "tags": sorted(set(memory.tags)),
        "attributes": jsonb(attributes),
    }


def _co_occurrences(
    tx: Transaction, user_id: UUID, memories: Sequence[dict[str, Any]]
) -> dict[tuple[UUID, UUID], int]:
    pairs = sorted({
        pair
        for row in memories
        for pair in combinations(sorted((row.get("attributes") or {}).get("concept_ids") or []), 2)
    })  # fmt: skip
    if not pairs:
        return {}
    params = {
        "user_id": user_id,
        "a": [a for a, _ in pairs],
        "b": [b for _, b in pairs],
        "involved": sorted({i for pair in pairs for i in pair}),
    }
    rows = tx.execute(_CO_OCCURRENCES, params).fetchall()
    return {(UUID(r["a"]), UUID(r["b"])): int(r["memories"]) for r in rows}
