"""A database change as Supabase database webhooks (and the outbox dispatcher) post it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Each mirrored table and its primary-key column (as the trigger migration attaches them).
KEY_COLUMNS = {
    "memories": "memory_id",
    "concepts": "concept_id",
    "messages": "message_id",
    "conversations": "conversation_id",
    "cards": "card_id",
    "growth_events": "event_id",
    "derived_artifacts": "artifact_id",
    "knowledge_entries": "knowledge_entry_id",
    "profiles": "user_id",
    "reflections": "reflection_id",
}
MirroredTable = Literal[
    "memories", "concepts", "messages", "conversations", "cards", "growth_events",
    "derived_artifacts", "knowledge_entries", "profiles", "reflections",
]  # fmt: skip


class DbEvent(BaseModel):
    """`{type, table, schema, record, old_record}`; `outbox_id` when the outbox delivered it."""

    type: Literal["INSERT", "UPDATE", "DELETE"]
    table: MirroredTable
    schema_: Literal["public"] = Field(alias="schema")
    record: dict[str, Any] | None = None
    old_record: dict[str, Any] | None = None
    outbox_id: int | None = None

    model_config = ConfigDict(populate_by_name=True)

    @property
    def row(self) -> dict[str, Any]:
        """The row as it is now (as it was, for a delete)."""
        row = self.old_record if self.type == "DELETE" else self.record
        if row is None:
            raise ValueError(f"a {self.type} event carries no row")
        return row

    @property
    def row_key(self) -> str:
        """The changed row's primary key, as text."""
        return str(self.row[KEY_COLUMNS[self.table]])

    @property
    def version(self) -> int:
        """Orders changes of one row: the outbox id, else the row's last change in microseconds.

        The outbox id is assigned after the row lock is taken, so it grows with commit order; a
        Supabase webhook has none, so its version is the row's updated_at (created_at), a delete
        one past it. A project uses one path or the other: the two scales do not compare.
        """
        if self.outbox_id is not None:
            return self.outbox_id
        stamp = self.row.get("updated_at") or self.row.get("created_at")
        if stamp is None:
            return 0
        micros = int(datetime.fromisoformat(str(stamp)).timestamp() * 1_000_000)
        return micros + 1 if self.type == "DELETE" else micros


class DbEventOutcome(BaseModel):
    """What the webhook did with an event."""

    applied: bool
    table: str
    row_key: str
    version: int
