"""The caller's reflections: write, list, change, delete (sentiment and insights are derived)."""

from __future__ import annotations

from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database
from dotline.models.reflections import (
    Reflection,
    ReflectionCreate,
    ReflectionPage,
    ReflectionUpdate,
)
from dotline.tables import OwnedTable

REFLECTIONS = OwnedTable[Reflection](
    name="reflections",
    id_column="reflection_id",
    model=Reflection,
    jsonb_columns=frozenset({"related_entities", "metadata"}),
    noun="reflection",
)


def write_reflection(db: Database, user: Principal, new: ReflectionCreate) -> Reflection:
    """Store a new reflection."""
    with db.as_user(user) as tx:
        return REFLECTIONS.insert(tx, new.model_dump(exclude_none=True))


def list_reflections(
    db: Database,
    user: Principal,
    *,
    limit: int,
    cursor: str | None = None,
    reflection_type: str | None = None,
) -> ReflectionPage:
    """A page of the caller's reflections, newest first."""
    with db.as_user(user) as tx:
        items, next_cursor = REFLECTIONS.page(
            tx, limit, cursor, {"reflection_type": reflection_type}
        )
    return ReflectionPage(items=items, next_cursor=next_cursor)


def update_reflection(
    db: Database, user: Principal, reflection_id: UUID, change: ReflectionUpdate
) -> Reflection:
    """Apply the fields sent."""
    with db.as_user(user) as tx:
        return REFLECTIONS.change(tx, reflection_id, change)


def delete_reflection(db: Database, user: Principal, reflection_id: UUID) -> None:
    """Delete one of the caller's reflections."""
    with db.as_user(user) as tx:
        REFLECTIONS.delete(tx, reflection_id)
