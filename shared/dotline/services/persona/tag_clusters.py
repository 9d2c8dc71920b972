"""A person's tag clusters: found from their tags, stored with their evolution, read back.

Each run re-clusters the person's current tags; a new cluster that continues an earlier one
(`_tag_clustering.match_clusters`) updates that row, recording tags added and removed and a size
history entry per day; clusters no run continues are removed; new themes get new rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, Transaction, jsonb
from dotline.models.persona import TagClusters
from dotline.ports.embeddings import Embedder
from dotline.services.persona._tag_clustering import Cluster, cluster_tags, match_clusters

MAX_TAGS = 200
SIZE_HISTORY_LENGTH = 52

_COLUMNS = (
    "tag_cluster_id, cluster_name, tags, cohesion_score::float8 as cohesion_score, cluster_size,"
    " evolution_data, created_at, updated_at"
)
_PREVIOUS = "select tag_cluster_id, tags, cohesion_score::float8 as cohesion_score, evolution_data"
_PREVIOUS += " from public.tag_clusters where user_id = %(user_id)s for update"
_INSERT = """
insert into public.tag_clusters (user_id, cluster_name, tags, cluster_center, cohesion_score,
                                 cluster_size, evolution_data)
values (%(user_id)s, %(name)s, %(tags)s, %(centre)s, %(cohesion)s, %(size)s, %(evolution)s)
"""
_UPDATE = """
update public.tag_clusters
set cluster_name = %(name)s, tags = %(tags)s, cluster_center = %(centre)s,
    cohesion_score = %(cohesion)s, cluster_size = %(size)s, evolution_data = %(evolution)s
where tag_cluster_id = %(id)s
"""


def find_clusters(tags: list[dict[str, Any]], embedder: Embedder) -> list[Cluster]:
    """Cluster the person's most used tags (rows of persona statistics' `tags`)."""
    names = [row["tag"] for row in tags[:MAX_TAGS]]
    return cluster_tags(names, embedder.embed(names)) if len(names) >= 2 else []


def store_clusters(
    tx: Transaction,
    user_id: UUID,
    clusters: list[Cluster],
    frequency: dict[str, int],
    today: date,
    run_id: UUID,
) -> list[dict[str, Any]]:
    """Write this run's clusters over the previous ones; returns what was stored (for
    suggestions): name, members, size, cohesion."""
    previous = {str(r["tag_cluster_id"]): r for r in tx.execute(_PREVIOUS, {"user_id": user_id})}
    members = {cid: {t["tag"] for t in row["tags"]} for cid, row in previous.items()}
    continued = match_clusters(members, clusters)
    for index, cluster in enumerate(clusters):
        earlier_id = continued.get(index)
        earlier = previous.get(earlier_id) if earlier_id else None
        params = {
            "user_id": user_id,
            "id": earlier_id,
            "name": cluster.name,
            "tags": jsonb(
                [
                    {"tag": t, "weight": w, "frequency": frequency.get(t, 0)}
                    for t, w in zip(cluster.members, cluster.weights, strict=True)
                ]
            ),
            "centre": list(cluster.centre),
            "cohesion": cluster.cohesion,
            "size": len(cluster.members),
            "evolution": jsonb(
                _evolution(cluster, earlier, members.get(earlier_id or ""), today, run_id)
            ),
        }
        tx.execute(_UPDATE if earlier else _INSERT, params)
    gone = [cid for cid in previous if cid not in continued.values()]
    if gone:
        tx.execute(
            "delete from public.tag_clusters where tag_cluster_id = any(%s::uuid[])", (gone,)
        )
    return [
        {"name": c.name, "members": list(c.members), "size": len(c.members), "cohesion": c.cohesion}
        for c in clusters
    ]


def list_tag_clusters(db: Database, user: Principal) -> TagClusters:
    """The caller's clusters, most cohesive first (RLS: only theirs)."""
    query = f"select {_COLUMNS} from public.tag_clusters"  # noqa: S608 - constant columns
    query += " order by cohesion_score desc nulls last, cluster_size desc, tag_cluster_id"
    with db.as_user(user) as tx:
        rows = tx.execute(query).fetchall()
    return TagClusters.model_validate({"items": rows})


def _evolution(
    cluster: Cluster,
    earlier: dict[str, Any] | None,
    earlier_members: set[str] | None,
    today: date,
    run_id: UUID,
) -> dict[str, Any]:
    members = set(cluster.members)
    history = list((earlier or {}).get("evolution_data", {}).get("size_history", []))
    if history and history[-1].get("date") == today.isoformat():
        history.pop()  # one entry per day: a re-run the same day replaces it
    history.append({"date": today.isoformat(), "size": len(members)})
    before = earlier["cohesion_score"] if earlier else None
    return {
        "size_history": history[-SIZE_HISTORY_LENGTH:],
        "new_tags_added": sorted(members - (earlier_members or set())),
        "tags_removed": sorted((earlier_members or set()) - members),
        "cohesion_trend": "new"
        if before is None
        else "increasing"
        if cluster.cohesion > before + 0.01
        else "decreasing"
        if cluster.cohesion < before - 0.01
        else "stable",
        "runs": int((earlier or {}).get("evolution_data", {}).get("runs", 0)) + 1,
        "last_run_id": str(run_id),
    }
