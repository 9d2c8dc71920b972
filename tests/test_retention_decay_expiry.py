"""Memory decay and expiry, from the Postgres jobs through the importance re-sync or the removal
queue to the vector index and the graph, and every read path's query-time expiry filter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest

from dotline.auth import Principal
from dotline.bootstrap import Deps
from dotline.ports.vectors import VectorFilter
from dotline.services.dialogue._context import keep_live_memories, recall_memories
from dotline.services.lifecycle._importance_sync import sync_importance
from dotline.services.lifecycle._removals import drain_removals
from dotline.settings import Settings
from lifecycle_data import add_memory, mirror, node_ids, vector_sources


@pytest.fixture
def deps(settings: Settings) -> Deps:
    return Deps(settings=settings)


def key_range(size: int) -> tuple[UUID, list[UUID]]:
    """A key just below `size` consecutive fresh ids, so a keyset batch covers exactly them."""
    base = uuid.uuid4().int & ~((1 << 16) - 1)
    return UUID(int=base), [UUID(int=base + n) for n in range(1, size + 1)]


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def importances(pg: psycopg.Connection[Any], memory_ids: list[UUID]) -> list[float]:
    rows = pg.execute(
        "select memory_id, importance from public.memories where memory_id = any(%s)",
        (memory_ids,),
    ).fetchall()
    found = {UUID(str(r[0])): float(r[1]) for r in rows}
    return [found[m] for m in memory_ids]


def test_decay_lowers_exactly_the_unused_memories_and_the_vector_index_follows(
    pg: psycopg.Connection[Any], deps: Deps, make_user: Any
) -> None:
    # given five memories 40 days old: unused, used 5 days ago, nearly at 0, decayed already
    # today, and one that does not decay
    user = make_user()
    before_first, keys = key_range(5)
    unused, used, nearly_zero, decayed_today, steady = keys
    for memory_id, title, columns in [
        (unused, "unused", {"importance": 0.5, "decay_rate": 0.1}),
        (used, "used", {"importance": 0.5, "decay_rate": 0.1, "last_accessed_at": ago(days=5)}),
        (nearly_zero, "nearly zero", {"importance": 0.03, "decay_rate": 0.05}),
        (decayed_today, "decayed today", {"importance": 0.5, "last_decayed_at": ago(hours=2)}),
        (steady, "steady", {"importance": 0.5, "decay_rate": 0}),
    ]:
        add_memory(pg, user.user_id, title, age_days=40, memory_id=memory_id, **columns)
    mirror(pg, deps, user.user_id)
    query = deps.embedder.embed(["unused"])[0]
    floor = VectorFilter(min_importance=0.45)
    assert unused in {
        h.source_entity_id for h in deps.vectors.search(user.user_id, query, 10, floor)
    }

    mark = pg.execute("select coalesce(max(outbox_id), 0) from private.outbox").fetchone()

    # when the decay job's batch walks exactly those keys
    pg.execute("select * from private.decay_memory_importance_batch(5, %s)", (before_first,))

    # then only the unused ones lost their rate, never below 0, noted for the stores, not outboxed
    assert importances(pg, keys) == [0.4, 0.5, 0.0, 0.5, 0.5]
    outboxed = pg.execute(
        "select count(*) from private.outbox where outbox_id > %s and row_key = any(%s)",
        (mark[0] if mark else 0, [str(k) for k in keys]),
    ).fetchone()
    assert outboxed == (0,)
    noted = pg.execute(
        "select memory_id from private.importance_changes where user_id = %s", (user.user_id,)
    ).fetchall()
    assert {UUID(str(r[0])) for r in noted} == {unused, nearly_zero}

    # when the retention run's re-sync carries the notes to the stores
    sync_importance(deps.db, graph=deps.graph, vectors=deps.vectors)

    # then the vector index and the graph hold the decayed importance, and search follows it
    in_index = vector_sources(pg, user.user_id)
    assert [in_index[m] for m in keys] == [0.4, 0.5, 0.0, 0.5, 0.5]
    hits = deps.vectors.search(user.user_id, query, 10, floor)
    assert unused not in {h.source_entity_id for h in hits}
    assert {h.source_entity_id for h in hits} == {used, decayed_today, steady}
    node = pg.execute(
        "select properties ->> 'importance' from graph.nodes where node_id = %s", (unused,)
    ).fetchone()
    assert node is not None and float(node[0]) == 0.4
    assert pg.execute(
        "select count(*) from private.importance_changes where user_id = %s", (user.user_id,)
    ).fetchone() == (0,)


def test_an_expired_memory_vanishes_from_every_read_path_at_once_and_is_purged(
    pg: psycopg.Connection[Any], deps: Deps, make_user: Any, api: httpx.Client
) -> None:
    # given a live memory and one that expired an hour ago, both in the graph and vectors
    user = make_user()
    live = add_memory(pg, user.user_id, "Garden party", age_days=2)
    expired = add_memory(pg, user.user_id, "Garden party plans", age_days=2)
    mirror(pg, deps, user.user_id)
    pg.execute(
        "update public.memories set expires_at = now() - interval '1 hour' where memory_id = %s",
        (expired,),
    )
    mirror(pg, deps, user.user_id)
    recalled = recall_memories(
        user.user_id, "garden party", embedder=deps.embedder, vectors=deps.vectors
    )
    assert {live, expired} <= {hit.source_entity_id for hit in recalled}  # the index still has it

    # when the person reads their memories, and a chat recalls them, before any job ran
    one = api.get(f"/v1/memories/{expired}", headers=user.headers)
    listed = api.get("/v1/memories", headers=user.headers).json()["items"]
    principal = Principal(user.user_id, {"sub": str(user.user_id), "role": "authenticated"})
    with deps.db.as_user(principal) as tx:
        used = keep_live_memories(tx, recalled)

    # then the expired memory is in none of them, and the live one counts an access
    assert one.status_code == 404
    assert [m["memory_id"] for m in listed] == [str(live)]
    assert [hit.source_entity_id for hit in used] == [live]
    access = pg.execute("select access_count from public.memories where memory_id = %s", (live,))
    assert access.fetchone() == (1,)

    # when the expiry job runs and the removals drain
    pg.execute("select private.expire_memories_batch(1000)")
    drain_removals(deps.db, graph=deps.graph, vectors=deps.vectors, cache=deps.cache)

    # then it is gone from Postgres, the graph and the vectors; the live one stays everywhere
    assert (
        pg.execute("select 1 from public.memories where memory_id = %s", (expired,)).fetchone()
        is None
    )
    assert node_ids(pg, user.user_id) - {user.user_id} == {live}
    assert set(vector_sources(pg, user.user_id)) == {live}
