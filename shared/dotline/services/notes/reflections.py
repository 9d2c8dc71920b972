"""The caller's reflections: write, list, change, delete.

Sentiment and insights are derived from the text on write (`reflection_analysis`), before the
transaction opens (a model call holds no connection); the person may not set them, so the service
role writes them right after the person's own insert or change.
"""

from __future__ import annotations

from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, jsonb
from dotline.models.reflections import (
    Reflection,
    ReflectionCreate,
    ReflectionPage,
    ReflectionUpdate,
)
from dotline.ports.language_model import Extractor
from dotline.services.notes.reflection_analysis import Analysis, analyse
from dotline.tables import OwnedTable

REFLECTIONS = OwnedTable[Reflection](
    name="reflections",
    id_column="reflection_id",
    model=Reflection,
    jsonb_columns=frozenset({"related_entities", "metadata"}),
    noun="reflection",
)


_ANALYSED = """
update public.reflections set sentiment = %(sentiment)s, insights = %(insights)s
where reflection_id = %(reflection_id)s and user_id = %(user_id)s
returning updated_at
"""


def write_reflection(
    db: Database, extractor: Extractor, user: Principal, new: ReflectionCreate
) -> Reflection:
    """Store a new reflection with its derived sentiment and insights."""
    analysis = analyse(extractor, new.content)
    with db.as_user(user) as tx:
        stored = REFLECTIONS.insert(tx, new.model_dump(exclude_none=True))
    return _with_analysis(db, stored, analysis)


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
    db: Database,
    extractor: Extractor,
    user: Principal,
    reflection_id: UUID,
    change: ReflectionUpdate,
) -> Reflection:
    """Apply the fields sent; new content is analysed again."""
    analysis = analyse(extractor, change.content) if change.content is not None else None
    with db.as_user(user) as tx:
        stored = REFLECTIONS.change(tx, reflection_id, change)
    return stored if analysis is None else _with_analysis(db, stored, analysis)


def _with_analysis(db: Database, stored: Reflection, analysis: Analysis) -> Reflection:
    with db.as_service() as tx:
        row = tx.execute(
            _ANALYSED,
            {
                "sentiment": analysis.sentiment,
                "insights": jsonb(analysis.insights),
                "reflection_id": stored.reflection_id,
                "user_id": stored.user_id,
            },
        ).fetchone()
    changed = {"sentiment": analysis.sentiment, "insights": analysis.insights}
    return stored.model_copy(update=changed | ({"updated_at": row["updated_at"]} if row else {}))


def delete_reflection(db: Database, user: Principal, reflection_id: UUID) -> None:
    """Delete one of the caller's reflections."""
    with db.as_user(user) as tx:
        REFLECTIONS.delete(tx, reflection_id)
