"""What the vector index holds of the coaching catalogue's knowledge entries.

An entry belongs to no person: its item lives in the catalogue's own tenant (`CATALOGUE_TENANT`),
searched by the knowledge route beside the full-text index. Once embedded, the entry's
`vector_store_id` names the item (an update the outbox ignores, so it does not echo back).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from dotline.db import Database
from dotline.models.db_events import DbEvent
from dotline.ports.embeddings import Embedder
from dotline.ports.vectors import KnowledgeItem, VectorStore
from dotline.services.mirroring.entities import item_id

TABLE = "knowledge_entries"
ITEM_TYPE = "knowledge"
# The tenant of catalogue items: no person's id (auth ids are random UUIDv4, never version 5).
CATALOGUE_TENANT = UUID("c47a1091-0e5c-5d2b-9c61-6b0d3f1a2e84")

_MARK_INDEXED = """
update public.knowledge_entries set vector_store_id = %(item)s
where knowledge_entry_id = %(id)s and vector_store_id is distinct from %(item)s
"""


def mirror_knowledge_entry(
    event: DbEvent, *, db: Database, vectors: VectorStore, embedder: Embedder
) -> None:
    """Embed the entry into the catalogue tenant and name the item on the row; a deleted entry's
    item is removed."""
    entry_id = UUID(event.row_key)
    if event.type == "DELETE":
        vectors.delete(CATALOGUE_TENANT, ITEM_TYPE, entry_id)
        return
    item = entry_item(event.row, embedder, event.version)
    vectors.upsert([item])
    with db.as_service() as tx:
        tx.execute(_MARK_INDEXED, {"item": str(item.item_id), "id": entry_id})


def remove_knowledge_entry(event: DbEvent, *, vectors: VectorStore) -> None:
    """Remove the entry's item; a missing one is fine."""
    vectors.delete(CATALOGUE_TENANT, ITEM_TYPE, UUID(event.row_key))


def entry_item(row: dict[str, Any], embedder: Embedder, version: int) -> KnowledgeItem:
    """The entry's item: title, content and tags embedded together."""
    key = str(row["knowledge_entry_id"])
    tags = list(row.get("tags") or [])
    text = "\n\n".join(p for p in (row["title"], row["content"], " ".join(tags)) if p)
    return KnowledgeItem(
        item_id=item_id(TABLE, key),
        user_id=CATALOGUE_TENANT,
        source_entity_type=ITEM_TYPE,
        source_entity_id=UUID(key),
        title=row["title"],
        text=text,
        tags=tags,
        created_at=datetime.fromisoformat(str(row["created_at"])),
        model_version=embedder.model_version,
        vector=embedder.embed([text])[0],
        version=version,
    )
