"""A person's data from every store as one document (GET /v1/me/export).

The Postgres part is generated from the catalogue (`private.user_owned_tables()`: every table
with a user_id column), so a table added later is exported without a change here. The graph
comes through its port (Neo4j or the embedded tables alike); the cache part is the live state
kept under the person's keys. Only the rows of the caller are read, as service_role, by id.

A document over the inline limit (Lambda's response size) is stored in the media bucket under
`exports/{user_id}/{export_id}.json` instead, and answered with a short-lived download link; the
bucket expires those objects after a day, and erasure removes them at once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from dotline import daily_stats
from dotline.db import Database
from dotline.models.lifecycle import ExportDownload, UserExport
from dotline.ports.cache import Cache
from dotline.ports.graph import GraphStore
from dotline.ports.objects import ObjectStore
from dotline.services import artifacts, orb
from dotline.services.cards import recent

logger = logging.getLogger(__name__)

EXPORT_URL_EXPIRES_S = 900  # the download link of a stored export

# The graph's embedded tables are exported through the port, as the graph section.
_PORT_SCHEMAS = frozenset({"graph"})

_TABLES = "select schema_name, table_name from private.user_owned_tables()"
_ROWS = "select private.export_user_rows(%(user_id)s, %(schema)s, %(table)s) as row"


def export_user(db: Database, user_id: UUID, *, graph: GraphStore, cache: Cache) -> UserExport:
    """Every row, node, edge and cached value the person owns."""
    return UserExport(
        user_id=user_id,
        exported_at=datetime.now(UTC),
        postgres=_postgres_rows(db, user_id),
        graph=graph.subgraph(user_id),
        cache=_cached_state(cache, user_id),
    )


def deliver_export(
    db: Database,
    user_id: UUID,
    *,
    graph: GraphStore,
    cache: Cache,
    objects: ObjectStore,
    inline_max_bytes: int,
) -> str | ExportDownload:
    """The export as the response says it: the JSON document itself when it is at most
    inline_max_bytes, else stored in object storage and named by a short-lived download link."""
    document = export_user(db, user_id, graph=graph, cache=cache)
    body = document.model_dump_json().encode()
    if len(body) <= inline_max_bytes:
        return body.decode()
    export_id = uuid4()
    key = export_key(user_id, export_id)
    objects.write(key, body, content_type="application/json")
    stamp = document.exported_at.strftime("%Y%m%dT%H%M%SZ")
    url = objects.presign_download(
        key, filename=f"dotline-export-{stamp}.json", expires_s=EXPORT_URL_EXPIRES_S
    )
    logger.info(
        "export stored for download",
        extra={"user_id": str(user_id), "export_id": str(export_id), "size_bytes": len(body)},
    )
    return ExportDownload(
        export_id=export_id,
        download_url=url,
        expires_at=datetime.now(UTC) + timedelta(seconds=EXPORT_URL_EXPIRES_S),
        size_bytes=len(body),
        exported_at=document.exported_at,
    )


def export_prefix(user_id: UUID) -> str:
    """Where the person's stored exports live in the bucket."""
    return f"exports/{user_id}/"


def export_key(user_id: UUID, export_id: UUID) -> str:
    """The key of one stored export."""
    return f"{export_prefix(user_id)}{export_id}.json"


def _postgres_rows(db: Database, user_id: UUID) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    with db.as_service() as tx:
        tables = tx.execute(_TABLES).fetchall()
        for table in tables:
            if table["schema_name"] in _PORT_SCHEMAS:
                continue
            params = {
                "user_id": user_id,
                "schema": table["schema_name"],
                "table": table["table_name"],
            }
            found = [row["row"] for row in tx.execute(_ROWS, params).fetchall()]
            if found:
                rows[f"{table['schema_name']}.{table['table_name']}"] = found
    return rows


def _cached_state(cache: Cache, user_id: UUID) -> dict[str, Any]:
    return {
        **orb.exported(cache, user_id),
        **daily_stats.exported(cache, user_id),
        **recent.exported(cache, user_id),
        **artifacts.exported_unread(cache, user_id),
    }
