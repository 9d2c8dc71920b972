"""The growth a delivered change earns: a new memory earns `memory_created` for that memory; a new
reflection earns `journal_reflection` for each entity it is about (its `related_entities`).

Event ids are derived from the action and the entity (`ledger`), the same ones the backfill
uses, so a redelivery, a replay or a later backfill never adds the growth twice.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from dotline.db import Database, Transaction
from dotline.growth_rules import GrowthConfig
from dotline.models.db_events import DbEvent
from dotline.models.growth import GrowthEvent
from dotline.services.growth.ledger import GrowthAction, record_growth_events

MEMORY_ACTION = "memory_created"
REFLECTION_ACTION = "journal_reflection"
SOURCE = "pipeline"
# What growth may be recorded against (growth_events_entity_type_valid), and where each lives: a
# reflection names ids its writer chose, so only the writer's own entities grow.
_OWNED = {
    "memory": "select 1 from public.memories where memory_id = %(id)s and user_id = %(user_id)s",
    "concept": "select 1 from public.concepts where concept_id = %(id)s and user_id = %(user_id)s",
    "artifact": "select 1 from public.derived_artifacts"
    " where artifact_id = %(id)s and user_id = %(user_id)s",
    "card": "select 1 from public.cards where card_id = %(id)s and user_id = %(user_id)s",
    "challenge": "select 1 from public.user_challenges"
    " where user_challenge_id = %(id)s and user_id = %(user_id)s",
    "prompt": "select 1 from public.proactive_prompts"
    " where prompt_id = %(id)s and user_id = %(user_id)s",
}
_STILL_THERE = {
    "memories": "select 1 from public.memories where memory_id = %(id)s",
    "reflections": "select 1 from public.reflections where reflection_id = %(id)s",
}


def earn_growth(event: DbEvent, *, db: Database, config: GrowthConfig) -> list[GrowthEvent]:
    """Append the events the change earns (none for most changes); returns those added."""
    if event.type != "INSERT" or event.table not in _STILL_THERE:
        return []
    user_id = UUID(str(event.row["user_id"]))
    with db.as_service() as tx:
        tx.execute(_STILL_THERE[event.table], {"id": event.row_key})
        if tx.fetchone() is None:
            return []  # deleted before delivery: nothing left to grow
        if event.table == "memories":
            return record_growth_events(tx, config, GrowthAction(
                user_id=user_id, action=MEMORY_ACTION, entity_type="memory",
                entity_id=UUID(event.row_key), source=SOURCE,
            ))  # fmt: skip
        return _reflection_growth(tx, config, user_id, event.row_key, event.row)


def related_entities(row: dict[str, Any]) -> list[tuple[str, UUID]]:
    """The (entity_type, entity_id) pairs a reflection names that growth can be recorded for.

    Both shapes in use are read: {"entity_type", "entity_id"} and {"type", "id"}.
    """
    found: list[tuple[str, UUID]] = []
    for item in row.get("related_entities") or []:
        if not isinstance(item, dict):
            continue
        kind, raw_id = (
            item.get("entity_type", item.get("type")),
            item.get("entity_id", item.get("id")),
        )
        try:
            entity = (str(kind), UUID(str(raw_id)))
        except ValueError:
            continue
        if entity[0] in _OWNED and entity not in found:
            found.append(entity)
    return found


def _reflection_growth(
    tx: Transaction, config: GrowthConfig, user_id: UUID, reflection_id: str, row: dict[str, Any]
) -> list[GrowthEvent]:
    added: list[GrowthEvent] = []
    for kind, entity_id in related_entities(row):
        tx.execute(_OWNED[kind], {"id": entity_id, "user_id": user_id})
        if tx.fetchone() is None:
            continue  # not the writer's, or gone
        added += record_growth_events(tx, config, GrowthAction(
            user_id=user_id, action=REFLECTION_ACTION, entity_type=kind,
            entity_id=entity_id, source=SOURCE,
            dedupe_key=f"{REFLECTION_ACTION}:{reflection_id}:{kind}:{entity_id}",
        ))  # fmt: skip
    return added
