"""Faults under load: Postgres restarted, Redis stopped, the graph and vector stores hung, while
clients write and read through a real gateway and a real outbox dispatcher delivers.

Afterwards: every acknowledged write is in Postgres and mirrored once, nothing is dead in the
outbox, every refusal was a clean 503 problem with Retry-After, and it all came back by itself.

The embedded graph and vector stores are tables in Postgres (schemas `graph`, `vectors`); they
fail here the way a hung backend does: the test holds an exclusive lock on them, so every call
waits out its statement timeout. Postgres is stopped with a fast shutdown, as `pg_ctlcluster
restart` does, so what was committed is kept.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from conftest import ROOT, Server, User, park_pending_outbox, start_server, unpark_outbox
from dotline_local import postgres_cluster, redis_server, stack
from fault_load import FaultLoad, Write, marker, resend

WEBHOOK_PATH = "/v1/internal/db-events"
USERS = 12
OUTAGE_S = 4.0  # each fault lasts this long, under load
HUNG_STORES_S = 7.0  # longer than the 5 s statement timeout, so calls time out
STEADY_S = 3.0
RECOVERY_DEADLINE_S = 40.0
DRAIN_DEADLINE_S = 120.0
PROBLEM = "application/problem+json"


@pytest.fixture
def servers(redis_rest: str, pg: Any, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """A gateway for the clients and one running the outbox dispatcher into its webhook; the
    suite's other pending rows are parked, so the drain is this test's own."""
    env = {"UPSTASH_REDIS_REST_URL": redis_rest}
    gateway = start_server("dotline_local.gateway", ["--template", str(ROOT / "template.yaml")],
                           env, tmp_path / "gateway.log")  # fmt: skip
    # Backoff capped at 2 s so the test ends soon after the faults, and only 3 attempts a
    # change: a fault that spent a delivery's attempts would show as a dead letter.
    dispatcher_env = {**env, "WEBHOOK_URL": gateway.url + WEBHOOK_PATH,
                      "WEBHOOK_RETRY_CAP_S": "2", "WEBHOOK_MAX_ATTEMPTS": "3"}  # fmt: skip
    parked = park_pending_outbox(pg)
    dispatcher = None
    try:
        dispatcher = start_server(
            "dotline_local.gateway",
            ["--template", str(ROOT / "template.yaml"), "--dispatch-outbox"],
            dispatcher_env,
            tmp_path / "dispatcher.log",
        )
        yield gateway, dispatcher
    finally:
        if dispatcher is not None:
            dispatcher.stop()
        gateway.stop()
        # Whatever happened half-way, the rest of the suite finds its stack as it was.
        postgres_cluster.ensure_running()
        redis_server.ensure_running(stack.STATE_DIR / "redis.log")
        pg.reopen()  # the restart ended the suite's connection
        unpark_outbox(pg, parked)


def wait_for(check: Callable[[], bool], what: str, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.TransportError, psycopg.OperationalError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def answers(url: str, user: User, path: str) -> bool:
    return httpx.get(url + path, headers=user.headers, timeout=10).status_code == 200


def restart_postgres(pg: Any) -> None:
    assert postgres_cluster.stop()
    time.sleep(OUTAGE_S)
    postgres_cluster.start()
    pg.reopen()


def stop_redis_for_a_while() -> None:
    with socket.create_connection((redis_server.HOST, redis_server.PORT)) as conn:
        conn.sendall(b"SHUTDOWN NOSAVE\r\n")
        conn.recv(64)
    time.sleep(OUTAGE_S)
    redis_server.ensure_running(stack.STATE_DIR / "redis.log")


def hang_graph_and_vectors(conninfo: str) -> None:
    with psycopg.connect(conninfo) as conn:
        conn.execute("lock table graph.nodes, graph.edges, vectors.items in access exclusive mode")
        time.sleep(HUNG_STORES_S)
        conn.rollback()


@pytest.mark.timeout(420)
def test_writes_and_reads_survive_a_postgres_restart_redis_and_stores_down(
    pg: Any, make_user: Callable[..., User], servers: tuple[Server, Server], settings: Any
) -> None:
    gateway, _ = servers
    users = [make_user() for _ in range(USERS)]
    probe = users[0]
    for user in users:  # every orb has a state, so a read of it is a 200 when all is well
        httpx.put(gateway.url + "/v1/orb", headers=user.headers, timeout=30,
                  json={"visual_state": "idle", "emotional_tone": "calm", "energy_level": 0.5})  # fmt: skip
    anchors = {str(u.user_id): create_memory(gateway.url, u) for u in users}
    wait_for(lambda: in_graph(pg, list(anchors.values())), "the first memories in the graph",
             DRAIN_DEADLINE_S)  # fmt: skip
    load = FaultLoad(gateway.url, users, anchors)
    load.start()
    try:
        # given a steady load
        time.sleep(STEADY_S)

        # when Postgres restarts
        load.phase = "postgres"
        restart_postgres(pg)
        wait_for(lambda: answers(gateway.url, probe, "/v1/memories?limit=1"), "Postgres back",
                 RECOVERY_DEADLINE_S)  # fmt: skip
        load.phase = "steady"
        time.sleep(STEADY_S)

        # and Redis stops for a while
        load.phase = "redis"
        stop_redis_for_a_while()
        wait_for(lambda: answers(gateway.url, probe, "/v1/orb"), "Redis back", RECOVERY_DEADLINE_S)
        load.phase = "steady"
        time.sleep(STEADY_S)

        # and the graph and vector stores hang
        load.phase = "stores"
        hang_graph_and_vectors(settings.database_url.get_secret_value())
        neighbourhood = f"/v1/graph/nodes/{anchors[str(probe.user_id)]}/neighbourhood?depth=1"
        wait_for(lambda: answers(gateway.url, probe, neighbourhood), "the stores back",
                 RECOVERY_DEADLINE_S)  # fmt: skip
        load.phase = "after"
        time.sleep(STEADY_S)
    finally:
        load.stop()

    # then every refusal was a clean 503 problem with Retry-After, and each fault caused some
    assert_refusals_are_clean(load)
    for fault in ("postgres", "redis", "stores"):
        refusals = [a for a in load.in_phase(fault) if a.status == 503]
        assert refusals, f"{fault}: no refusal seen; answers: {summary(load)}"
    # and once the faults were over, everything answered
    assert [a for a in load.in_phase("after") if not 200 <= a.status < 300] == []

    # and a client sending its refused writes again (same key) gets each one stored once
    refused = [w for w in load.writes if not w.acknowledged]
    for write in refused:
        assert resend(gateway.url, write).is_success, write
    user_ids = [u.user_id for u in users]
    wait_for(lambda: drained(pg, user_ids), "the outbox drained", DRAIN_DEADLINE_S)
    assert dead_letters(pg, user_ids) == []
    assert_each_write_stored_once(pg, load.writes)
    assert_memories_mirrored_once(pg, user_ids)


def create_memory(url: str, user: User) -> str:
    created = httpx.post(url + "/v1/memories", headers=user.headers, timeout=30,
                         json={"title": "anchor", "content": "Where the graph is read from."})  # fmt: skip
    assert created.status_code == 201, created.text
    return str(created.json()["memory_id"])


def in_graph(pg: Any, node_ids: list[str]) -> bool:
    row = pg.execute(
        "select count(*) from graph.nodes where node_id = any(%s::uuid[])", (node_ids,)
    ).fetchone()
    return bool(row and row[0] == len(node_ids))


def summary(load: FaultLoad) -> dict[str, dict[str, int]]:
    """Answers per phase, counted by action and status."""
    counts: dict[str, dict[str, int]] = {}
    for a in load.answers:
        phase = counts.setdefault(a.phase, {})
        phase[f"{a.action} {a.status}"] = phase.get(f"{a.action} {a.status}", 0) + 1
    return counts


def assert_refusals_are_clean(load: FaultLoad) -> None:
    unclean = [
        a for a in load.answers
        if a.status >= 300 and not (
            a.status == 503 and a.content_type.startswith(PROBLEM)
            and a.retry_after is not None and a.retry_after.isdigit() and int(a.retry_after) > 0
        )
    ]  # fmt: skip
    assert unclean == [], f"{len(unclean)} not clean 503s: {unclean[:10]}; all: {summary(load)}"


def drained(pg: Any, user_ids: list[Any]) -> bool:
    row = pg.execute(
        "select count(*) from private.outbox where status = 'pending' and "
        "coalesce(payload->'record'->>'user_id', payload->'old_record'->>'user_id')::uuid = any(%s)",
        (user_ids,),
    ).fetchone()
    return bool(row and row[0] == 0)


def dead_letters(pg: Any, user_ids: list[Any]) -> list[tuple[Any, ...]]:
    return pg.execute(
        "select outbox_id, table_name, last_error from private.outbox where status = 'dead' and "
        "coalesce(payload->'record'->>'user_id', payload->'old_record'->>'user_id')::uuid = any(%s)",
        (user_ids,),
    ).fetchall()


def assert_each_write_stored_once(pg: Any, writes: list[Write]) -> None:
    memories = [marker(w) for w in writes if w.action == "memory"]
    batches = [marker(w) for w in writes if w.action == "events"]
    stored = dict(
        pg.execute(
            "select title, count(*) from public.memories where title = any(%s) group by title",
            (memories,),
        ).fetchall()
    )
    assert {t: stored.get(t, 0) for t in memories} == dict.fromkeys(memories, 1)
    events = dict(
        pg.execute(
            "select context->>'batch', count(*) from public.behaviour_events "
            "where context->>'batch' = any(%s) group by 1",
            (batches,),
        ).fetchall()
    )
    assert {b: events.get(b, 0) for b in batches} == dict.fromkeys(batches, 3)


def assert_memories_mirrored_once(pg: Any, user_ids: list[Any]) -> None:
    """Each memory has one graph node, one vector item, one card and one memory_created growth
    event, and the mirror ledger holds its last change."""
    rows = pg.execute(
        """
        select m.memory_id,
               (select count(*) from graph.nodes n where n.node_id = m.memory_id),
               (select count(*) from vectors.items v
                 where v.source_entity_type = 'memory' and v.source_entity_id = m.memory_id),
               (select count(*) from public.cards c where c.source_entity_id = m.memory_id),
               (select count(*) from public.growth_events g
                 where g.entity_id = m.memory_id and g.details->>'action' = 'memory_created'),
               (select r.version from private.mirrored_rows r
                 where r.table_name = 'memories' and r.row_key = m.memory_id::text)
                 = (select max(o.outbox_id) from private.outbox o
                     where o.table_name = 'memories' and o.row_key = m.memory_id::text)
        from public.memories m where m.user_id = any(%s)
        """,
        (user_ids,),
    ).fetchall()
    assert len(rows) > 20
    wrong = [row for row in rows if tuple(row[1:]) != (1, 1, 1, 1, True)]
    assert wrong == [], f"{len(wrong)} of {len(rows)} memories not mirrored once: {wrong[:5]}"
