"""Where computed cosmos projections are kept: `public.user_graph_projections` (the truth, a few
snapshots per user) and the cache, which holds them by fingerprint plus a pointer from the graph's
version to its fingerprint. A cache outage is logged and served from Postgres."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from dotline import cache_keys
from dotline.auth import Principal
from dotline.db import Database, jsonb
from dotline.errors import ServiceUnavailable
from dotline.models.graph_views import GraphProjection
from dotline.ports.cache import Cache
from dotline.services.memories.liveness import Liveness

logger = logging.getLogger(__name__)

KEPT_SNAPSHOTS = 3  # per user; older snapshots are deleted when a new one is stored
MAX_CACHED_BYTES = 900_000  # Upstash refuses requests over 1 MB; bigger ones are read from Postgres

_STORED = """
select projection_id, created_at, projection_data, metadata from public.user_graph_projections
where status = 'completed' and metadata ->> 'fingerprint' = %(fingerprint)s
order by created_at desc limit 1
"""
_STORE = """
insert into public.user_graph_projections (user_id, status, projection_data, metadata)
values (%(user_id)s, 'completed', %(data)s, %(metadata)s)
returning projection_id, created_at
"""
_PRUNE = """
delete from public.user_graph_projections
where user_id = %(user_id)s and projection_id not in (
  select projection_id from public.user_graph_projections where user_id = %(user_id)s
  order by created_at desc limit %(kept)s
)
"""


def find(db: Database, cache: Cache, user: Principal, fingerprint: str) -> GraphProjection | None:
    """The caller's projection of the graph with this fingerprint: cached, else stored (and
    cached again), else None."""
    key = cache_keys.graph_projection(user.user_id, fingerprint)
    try:
        value = cache.get_json(key)
    except ServiceUnavailable:
        logger.warning("graph projection cache unreachable; reading the stored projection")
        value = None
    if value is not None:
        return GraphProjection.model_validate(value)
    with db.as_user(user) as tx:
        row = tx.execute(_STORED, {"fingerprint": fingerprint}).fetchone()
    if row is None:
        return None
    projection = _from_row(row)
    if row["metadata"].get("json_bytes", 0) <= MAX_CACHED_BYTES:
        remember(cache, user.user_id, projection)
    return projection


def store(
    db: Database, user_id: UUID, data: dict[str, Any], metadata: dict[str, Any]
) -> GraphProjection:
    """Keep a freshly computed projection (dropping the oldest snapshots) and return it."""
    metadata = {**metadata, "json_bytes": len(json.dumps(data, separators=(",", ":")))}
    params = {"user_id": user_id, "data": jsonb(data), "metadata": jsonb(metadata)}
    with db.as_service() as tx:
        row = tx.execute(_STORE, params).fetchone()
        tx.execute(_PRUNE, {"user_id": user_id, "kept": KEPT_SNAPSHOTS})
    assert row is not None  # an insert returns its row
    return _from_row({**row, "projection_data": data, "metadata": metadata})


def remember(cache: Cache, user_id: UUID, projection: GraphProjection) -> None:
    """Cache the projection under its fingerprint, unless it is too big for one request (the
    stored snapshot then serves it)."""
    body = projection.model_dump(mode="json")
    if len(json.dumps(body, separators=(",", ":"))) > MAX_CACHED_BYTES:
        return
    try:
        key = cache_keys.graph_projection(user_id, projection.fingerprint)
        cache.set_json(key, body, cache_keys.GRAPH_PROJECTION_TTL_S)
    except ServiceUnavailable:
        logger.warning("graph projection not cached: the cache is unreachable")


def fingerprint_at(cache: Cache, user_id: UUID, version: int) -> tuple[str, Liveness] | None:
    """The fingerprint the user's live graph had at this graph version, with the memory
    liveness answer it was cut by, if recorded."""
    try:
        value = cache.get_json(cache_keys.graph_projection_current(user_id))
    except ServiceUnavailable:
        return None
    if not isinstance(value, dict) or value.get("version") != version or "liveness" not in value:
        return None  # another version, or recorded before liveness was (computed again once)
    stamps = value["liveness"]
    liveness = Liveness(frozenset(), _stamp(stamps["next_expiry"]), _stamp(stamps["checked_at"]))
    return str(value["fingerprint"]), liveness


def record_fingerprint(
    cache: Cache, user_id: UUID, version: int, fingerprint: str, liveness: Liveness
) -> None:
    """Remember that the live graph had this fingerprint at this version, as of liveness."""
    stamps = {
        "next_expiry": liveness.next_expiry and liveness.next_expiry.isoformat(),
        "checked_at": liveness.checked_at and liveness.checked_at.isoformat(),
    }
    try:
        cache.set_json(
            cache_keys.graph_projection_current(user_id),
            {"version": version, "fingerprint": fingerprint, "liveness": stamps},
            cache_keys.GRAPH_PROJECTION_TTL_S,
        )
    except ServiceUnavailable:
        logger.warning("graph version not cached: the cache is unreachable")


def _stamp(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _from_row(row: dict[str, Any]) -> GraphProjection:
    meta = row["metadata"]
    return GraphProjection(
        projection_id=row["projection_id"],
        computed_at=row["created_at"],
        fingerprint=meta["fingerprint"],
        algorithm=meta["algorithm"],
        node_count=meta["node_count"],
        total_nodes=meta["total_nodes"],
        truncated=meta["truncated"],
        nodes=row["projection_data"]["nodes"],
        edges=row["projection_data"]["edges"],
    )
