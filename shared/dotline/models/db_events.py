"""A database change as Supabase database webhooks (and the outbox dispatcher) post it."""

from __future__ import annotations

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
        """Orders changes of one row: the outbox id, assigned after the row lock is taken, so it
        grows with commit order. A Supabase webhook's change carries none; the webhook finds the
        outbox row it describes first (`mirroring.placed_in_outbox`)."""
        if self.outbox_id is None:
            raise ValueError("a change is ordered by its outbox id, and this one has none")
        return self.outbox_id

    @property
    def owner(self) -> str | None:
        """The person the changed row belongs to, when it belongs to one."""
        owner = self.row.get("user_id")
        return str(owner) if owner is not None else None

    @property
    def webhook_payload(self) -> dict[str, Any]:
        """The change in Supabase's webhook shape, as the outbox stores it."""
        return {
            "type": self.type,
            "table": self.table,
            "schema": self.schema_,
            "record": self.record,
            "old_record": self.old_record,
        }


class DbEventOutcome(BaseModel):
    """What the webhook did with an event."""

    applied: bool
    table: str
    row_key: str
    version: int | None = Field(description="The change's outbox id (null: not in the outbox)")
    skipped: Literal["not_newer", "owner_erased", "not_in_outbox"] | None = Field(
        default=None,
        description="Why nothing was applied: a change as new was already applied, the row's "
        "owner is being erased, or the change is not one the outbox holds",
    )
