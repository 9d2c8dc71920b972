"""The caller's annotations: pin one to a node of theirs, list, change, delete."""

from __future__ import annotations

from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, Transaction
from dotline.errors import NotFound
from dotline.models.annotations import (
    Annotation,
    AnnotationCreate,
    AnnotationPage,
    AnnotationUpdate,
)
from dotline.tables import OwnedTable

ANNOTATIONS = OwnedTable[Annotation](
    name="annotations",
    id_column="annotation_id",
    model=Annotation,
    jsonb_columns=frozenset({"metadata"}),
    noun="annotation",
)

# target_type -> the query that finds such a target among the caller's live rows.
_TARGETS = {
    "memory": (
        "select from public.memories where memory_id = %(id)s"
        " and (expires_at is null or expires_at > now())"
    ),
    "concept": "select from public.concepts where concept_id = %(id)s",
    "conversation": "select from public.conversations where conversation_id = %(id)s",
}


def annotate(db: Database, user: Principal, new: AnnotationCreate) -> Annotation:
    """Pin an annotation; a memory, concept or conversation target must be the caller's."""
    with db.as_user(user) as tx:
        _require_target(tx, new.target_type, new.target_id)
        return ANNOTATIONS.insert(tx, new.model_dump(exclude_none=True))


def list_annotations(
    db: Database,
    user: Principal,
    *,
    limit: int,
    cursor: str | None = None,
    target_type: str | None = None,
    target_id: UUID | None = None,
) -> AnnotationPage:
    """A page of the caller's annotations, newest first, optionally of one target."""
    with db.as_user(user) as tx:
        items, next_cursor = ANNOTATIONS.page(
            tx, limit, cursor, {"target_type": target_type, "target_id": target_id}
        )
    return AnnotationPage(items=items, next_cursor=next_cursor)


def update_annotation(
    db: Database, user: Principal, annotation_id: UUID, change: AnnotationUpdate
) -> Annotation:
    """Apply the fields sent (an annotation keeps text or media: else 422)."""
    with db.as_user(user) as tx:
        return ANNOTATIONS.change(tx, annotation_id, change)


def delete_annotation(db: Database, user: Principal, annotation_id: UUID) -> None:
    """Delete one of the caller's annotations."""
    with db.as_user(user) as tx:
        ANNOTATIONS.delete(tx, annotation_id)


def _require_target(tx: Transaction, target_type: str, target_id: UUID) -> None:
    query = _TARGETS.get(target_type)
    if query is not None and tx.execute(query, {"id": target_id}).fetchone() is None:
        raise NotFound(f"No such {target_type} to annotate.", field="target_id")
