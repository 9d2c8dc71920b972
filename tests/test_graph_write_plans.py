"""The embedded graph's writes find a person's nodes by key, whatever the planner's statistics.

In a bulk transaction (an import, a mirroring batch, the search bench's load) the statistics are
those of before it: a person new to them looks as if they had one node. The edge upsert was then
planned as a hash join over every node (once per chunk of 2,000: O(n^2) in the load), and each
edge's foreign-key check walked the person's whole (user_id, label) index range to find one
node: at 100k memories the bench's load spent 31x its 10k time in the graph, or timed out
(docs/measurements.md). Which plan the statistics pick cannot be staged here reliably, so the
tests take the planner's choice away instead: the edge upsert must probe each end by key even
when the planner is told to avoid nested loops, and no index may offer a person's nodes by
user_id without narrowing them by node id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from conftest import User
from dotline.adapters.postgres_graph import UPSERT_EDGES

NODES = 2_001
EDGES = 2_000  # one chunk of the edge upsert


@pytest.fixture
def person_nodes(
    pg: psycopg.Connection[Any], make_user: Any
) -> Iterator[tuple[Any, uuid.UUID, list[uuid.UUID]]]:
    """A transaction (rolled back afterwards) in which a new person has NODES nodes."""
    user: User = make_user()
    node_ids = sorted(uuid.uuid4() for _ in range(NODES))
    with pg.transaction(force_rollback=True), pg.cursor() as cur:
        cur.execute(
            "insert into graph.nodes (node_id, user_id, label)"
            " select n, %s, 'MemoryUnit' from unnest(%s::uuid[]) as n",
            (user.user_id, node_ids),
        )
        yield cur, user.user_id, node_ids


@pytest.mark.parametrize("avoid", ["nothing", "enable_nestloop"])
def test_an_edge_chunk_probes_each_end_by_key(
    person_nodes: tuple[Any, uuid.UUID, list[uuid.UUID]], avoid: str
) -> None:
    """Each end of each edge is one index probe on (user_id, node_id), never a scan of the
    nodes, even when the planner would rather join (stale statistics: told so here)."""
    cur, user_id, node_ids = person_nodes
    if avoid != "nothing":
        cur.execute(f"set local {avoid} = off")
    params = {
        "user_ids": [user_id] * EDGES,
        "source_ids": [node_ids[0]] * EDGES,
        "target_ids": node_ids[1 : EDGES + 1],
        "types": ["RELATED_TO"] * EDGES,
        "weights": [1.0] * EDGES,
        "properties": ["{}"] * EDGES,
        "versions": [1] * EDGES,
    }
    lines = [row[0] for row in cur.execute(f"explain (costs off) {UPSERT_EDGES}", params)]
    plan = "\n".join(lines)
    assert not [line for line in lines if "Scan on nodes" in line and "Index" not in line], plan
    assert "Hash" not in plan and "Merge" not in plan, plan
    probes = [line for line in lines if "Index Cond" in line and "node_id" in line]
    assert len(probes) == 2, plan  # the source and the target
    assert all("user_id" in line for line in probes), plan


def test_no_index_offers_a_persons_nodes_without_their_ids(pg: psycopg.Connection[Any]) -> None:
    """Each edge's foreign-key check is `user_id = $1 and node_id = $2`, planned once per session
    by Postgres's RI triggers. With the statistics estimating the person at one node, any index
    led by user_id alone costs the same as the key, and the planner may take it: then every
    check walks the person's nodes. Every index of graph.nodes led by user_id must go on with
    node_id."""
    rows = pg.execute(
        """
        select i.indexrelid::regclass::text as name,
               array_agg(a.attname::text order by k.ord) as columns
        from pg_index i
        cross join lateral unnest(i.indkey) with ordinality as k (attnum, ord)
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
        where i.indrelid = 'graph.nodes'::regclass
        group by i.indexrelid
        """
    ).fetchall()
    by_user = {name: columns for name, columns in rows if columns[0] == "user_id"}
    assert by_user, rows
    assert all(columns[:2] == ["user_id", "node_id"] for columns in by_user.values()), by_user
