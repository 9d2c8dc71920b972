"""The growth a delivered change earns: a new memory earns `memory_created` for that memory.

Event ids are derived from the action and the entity (growth_ledger), the same ones the backfill
uses, so a redelivery, a replay or a later backfill never adds the growth twice.
"""

from __future__ import annotations

from uuid import UUID

from dotline.db import Database
from dotline.growth_rules import GrowthConfig
from dotline.models.db_events import DbEvent
from dotline.models.growth import GrowthEvent
from dotline.services.growth_ledger import record_growth_events

MEMORY_ACTION = "memory_created"
SOURCE = "pipeline"


def earn_growth(event: DbEvent, *, db: Database, config: GrowthConfig) -> list[GrowthEvent]:
    """Append the events the change earns (none for most changes); returns those added."""
    if event.table != "memories" or event.type != "INSERT":
        return []
    with db.as_service() as tx:
        tx.execute("select 1 from public.memories where memory_id = %(id)s", {"id": event.row_key})
        if tx.fetchone() is None:
            return []  # deleted before delivery: nothing left to grow
        return record_growth_events(
            tx, config, user_id=UUID(str(event.row["user_id"])), action=MEMORY_ACTION,
            entity_type="memory", entity_id=UUID(event.row_key), source=SOURCE,
        )  # fmt: skip
