"""The caller's derived artifacts (insight summaries, cycle reports, trophies, posters) and the
unread-insights counter the insight cycle bumps (`user:{uid}:insights:unread`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from dotline import cache_keys
from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import NotFound
from dotline.models.insights import Artifact, ArtifactPage, ArtifactType, UnreadInsights
from dotline.ports.cache import Cache
from dotline.tables import Keyset

CURSOR_KIND = "artifacts_recent"
_COLUMNS = (
    "artifact_id, artifact_type, title, description, content_narrative, content_data,"
    " source_entities, attributes, created_at, updated_at"
)

_NEWEST = Keyset(CURSOR_KIND, Artifact, "artifact_id", _COLUMNS, "public.derived_artifacts")


def list_artifacts(
    db: Database,
    user: Principal,
    artifact_type: ArtifactType | None,
    cursor: str | None,
    limit: int,
) -> ArtifactPage:
    """The caller's artifacts, newest first, optionally of one type, keyset-paged."""
    where = ["user_id = %(user_id)s", "(%(type)s::text is null or artifact_type = %(type)s)"]
    with db.as_user(user) as tx:
        items, next_cursor = _NEWEST.page(
            tx,
            where,
            {"type": artifact_type, "user_id": user.user_id},
            limit=limit,
            cursor=cursor,
        )
    return ArtifactPage(items=items, next_cursor=next_cursor)


def get_artifact(db: Database, user: Principal, artifact_id: UUID) -> Artifact:
    """One of the caller's artifacts; NotFound for anyone else's."""
    from psycopg import sql

    with db.as_user(user) as tx:
        tx.execute(
            sql.SQL("select {} from public.derived_artifacts where artifact_id = %(id)s").format(
                sql.SQL(_COLUMNS)
            ),
            {"id": artifact_id},
        )
        row = tx.fetchone()
    if row is None:
        raise NotFound("No such artifact.")
    return Artifact.model_validate(row)


def unread_insights(cache: Cache, user: Principal) -> UnreadInsights:
    """How many insights arrived since the caller last marked them read."""
    value = cache.get_json(cache_keys.unread_insights(user.user_id))
    return UnreadInsights(unread=int(value) if isinstance(value, int | str) else 0)


def count_unread(cache: Cache, user_id: UUID, new: int) -> None:
    """Add `new` insights to the person's unread counter."""
    cache.incr(cache_keys.unread_insights(user_id), new)


def exported_unread(cache: Cache, user_id: UUID) -> dict[str, Any]:
    """The unread counter as cached, by key (left out when absent)."""
    key = cache_keys.unread_insights(user_id)
    value = cache.get_json(key)
    return {} if value is None else {key: value}


def mark_insights_read(cache: Cache, user: Principal) -> UnreadInsights:
    """Reset the caller's unread counter."""
    cache.delete([cache_keys.unread_insights(user.user_id)])
    return UnreadInsights(unread=0)
