"""End to end: a change committed in Postgres reaches the graph and the vectors through the
outbox, a real dispatcher (a gateway with --dispatch-outbox) and the real webhook function.

The fault test puts a flaky proxy between the dispatcher and the webhook, kills the dispatcher
mid-way and restarts it, and then compares every store with Postgres.
"""

from __future__ import annotations

import collections
import json
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from conftest import ROOT, Server, User, park_pending_outbox, start_server, unpark_outbox

WEBHOOK_PATH = "/v1/internal/db-events"
DEADLINE_S = 60.0
FAULT_CHANGES = 1000
FAILURE_RATE = 0.3


def start_dispatcher(webhook_url: str, env: dict[str, str], log: Path) -> Server:
    """A gateway that runs the outbox dispatcher, delivering to webhook_url."""
    return start_server(
        "dotline_local.gateway",
        ["--template", str(ROOT / "template.yaml"), "--dispatch-outbox"],
        {**env, "WEBHOOK_URL": webhook_url},
        log,
    )


@pytest.fixture(scope="module")
def stack_env(redis_rest: str) -> dict[str, str]:
    return {"UPSTASH_REDIS_REST_URL": redis_rest}


@pytest.fixture(scope="module")
def webhook(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway serving the webhook (and every other route); it does not dispatch."""
    log = tmp_path_factory.mktemp("webhook") / "gateway.log"
    server = start_server(
        "dotline_local.gateway", ["--template", str(ROOT / "template.yaml")], stack_env, log
    )
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def parked_backlog(pg: psycopg.Connection[Any]) -> Iterator[None]:
    """Earlier tests leave thousands of undelivered rows (their gateways do not dispatch); the
    dispatcher here should spend its deadlines on this module's own changes, not on those."""
    parked = park_pending_outbox(pg)
    yield
    unpark_outbox(pg, parked)


@pytest.fixture
def dispatcher(
    webhook: str, stack_env: dict[str, str], parked_backlog: None, tmp_path: Path
) -> Iterator[Server]:
    """A dispatcher delivering straight to the webhook, for one test: the fault test must have
    only its own, delivering through the flaky proxy, or most changes would bypass the faults."""
    server = start_dispatcher(webhook + WEBHOOK_PATH, stack_env, tmp_path / "dispatcher.log")
    yield server
    server.stop()


def wait_for(check: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def graph_node(pg: psycopg.Connection[Any], node_id: uuid.UUID) -> dict[str, Any] | None:
    row = pg.execute(
        "select label, properties, version from graph.nodes where node_id = %s", (node_id,)
    ).fetchone()
    return None if row is None else {"label": row[0], "properties": row[1], "version": row[2]}


def node_properties(pg: psycopg.Connection[Any], node_id: uuid.UUID) -> dict[str, Any]:
    node = graph_node(pg, node_id)
    return {} if node is None else dict(node["properties"])


def vector_text(pg: psycopg.Connection[Any], memory_id: uuid.UUID) -> str | None:
    row = pg.execute(
        "select text from vectors.items where source_entity_type = 'memory' "
        "and source_entity_id = %s",
        (memory_id,),
    ).fetchone()
    return None if row is None else str(row[0])


@pytest.mark.usefixtures("dispatcher")
def test_a_memory_written_in_the_database_is_mirrored_moved_and_removed(
    pg: psycopg.Connection[Any], make_user: Callable[..., User]
) -> None:
    user = make_user()
    memory_id = pg.execute(
        "insert into public.memories (user_id, title, content, tags) "
        "values (%s, 'Lisbon', 'Trams up the hill', '{travel}') returning memory_id",
        (user.user_id,),
    ).fetchone()[0]  # type: ignore[index]

    wait_for(lambda: vector_text(pg, memory_id) == "Lisbon\n\nTrams up the hill", "the insert")
    node = graph_node(pg, memory_id)
    assert node is not None
    assert (node["label"], node["properties"]["title"]) == ("MemoryUnit", "Lisbon")

    pg.execute("update public.memories set title = 'Porto' where memory_id = %s", (memory_id,))
    wait_for(lambda: vector_text(pg, memory_id) == "Porto\n\nTrams up the hill", "the update")
    assert graph_node(pg, memory_id)["properties"]["title"] == "Porto"  # type: ignore[index]

    pg.execute("delete from public.memories where memory_id = %s", (memory_id,))
    wait_for(lambda: graph_node(pg, memory_id) is None, "the delete in the graph")
    assert vector_text(pg, memory_id) is None


@pytest.mark.usefixtures("dispatcher")
def test_redelivering_a_delivered_event_changes_nothing(
    pg: psycopg.Connection[Any], make_user: Callable[..., User], webhook: str, settings: Any
) -> None:
    from dotline.services.outbox import webhook_body
    from dotline.webhooks import signed_headers

    user = make_user()
    memory_id = pg.execute(
        "insert into public.memories (user_id, title, content) values (%s, 'A', 'B') "
        "returning memory_id",
        (user.user_id,),
    ).fetchone()[0]  # type: ignore[index]
    wait_for(lambda: vector_text(pg, memory_id) is not None, "the insert")
    # the same delivery then puts the memory's growth on its node
    wait_for(lambda: "evolution_state" in node_properties(pg, memory_id), "its growth")
    outbox_id, payload = pg.execute(
        "select outbox_id, payload from private.outbox where row_key = %s", (str(memory_id),)
    ).fetchone()  # type: ignore[misc]
    before = graph_node(pg, memory_id)

    body = webhook_body(payload, outbox_id)
    secret = settings.webhook_secret.get_secret_value()
    # A redelivery comes later than the first delivery, under a signature of its own.
    headers = signed_headers(secret, body, now_s=time.time() + 2)
    response = httpx.post(webhook + WEBHOOK_PATH, content=body, headers=headers)

    assert response.status_code == 200
    assert response.json()["applied"] is False
    assert graph_node(pg, memory_id) == before


def test_a_supabase_webhook_with_the_bearer_secret_is_applied(
    pg: psycopg.Connection[Any], make_user: Callable[..., User], webhook: str, settings: Any
) -> None:
    # given a change in Postgres, which the outbox holds, posted in Supabase's own shape
    user = make_user()
    memory_id = pg.execute(
        "insert into public.memories (user_id, title, content) values (%s, 'Direct', "
        "'From pg_net') returning memory_id",
        (user.user_id,),
    ).fetchone()[0]  # type: ignore[index]
    outbox_id, payload = pg.execute(
        "select outbox_id, payload from private.outbox where row_key = %s", (str(memory_id),)
    ).fetchone()  # type: ignore[misc]
    secret = settings.webhook_secret.get_secret_value()

    response = httpx.post(
        webhook + WEBHOOK_PATH, json=payload, headers={"Authorization": f"Bearer {secret}"}
    )

    assert response.status_code == 200, response.text
    assert (response.json()["applied"], response.json()["version"]) == (True, outbox_id)
    assert vector_text(pg, memory_id) == "Direct\n\nFrom pg_net"


# The fault test --------------------------------------------------------------------------


class FlakyProxy:
    """Forwards to the webhook, but answers 500 for ~FAILURE_RATE of requests: half of those
    before forwarding, half after (applied, yet reported failed). Records what it forwarded."""

    def __init__(self, target: str, seed: int = 4) -> None:
        self.target = target
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.applied: collections.Counter[int] = collections.Counter()
        self.failures = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with proxy.lock:
                    roll = proxy.rng.random()
                if roll < FAILURE_RATE / 2:
                    return self._answer(500, b"{}", failed=True)
                headers = {k: v for k, v in self.headers.items() if k.lower().startswith("x-")}
                headers["content-type"] = "application/json"
                response = httpx.post(proxy.target, content=body, headers=headers, timeout=30)
                if response.status_code == 200 and response.json().get("applied"):
                    with proxy.lock:
                        proxy.applied[json.loads(body)["outbox_id"]] += 1
                if roll < FAILURE_RATE:
                    return self._answer(500, b"{}", failed=True)
                self._answer(response.status_code, response.content)

            def _answer(self, status: int, body: bytes, failed: bool = False) -> None:
                if failed:
                    with proxy.lock:
                        proxy.failures += 1
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the dispatcher was killed while waiting for this answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{WEBHOOK_PATH}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def make_changes(conninfo: str, users: list[User], count: int, rng: random.Random) -> None:
    """count committed changes, each its own transaction: inserts, updates and deletes of
    memories (graph and vectors) and, one in ten, of cards (cache and realtime)."""
    memories: list[uuid.UUID] = []
    cards: list[uuid.UUID] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for n in range(count):
            if rng.random() < 0.1:
                _change_a_card(conn, users, cards, n, rng)
                continue
            choice = rng.random()
            if not memories or choice < 0.45:
                row = conn.execute(
                    "insert into public.memories (user_id, title, content, tags) "
                    "values (%s, %s, %s, %s) returning memory_id",
                    (rng.choice(users).user_id, f"title {n}", f"content {n}", [f"t{n % 7}"]),
                ).fetchone()
                memories.append(row[0])  # type: ignore[index]
            elif choice < 0.85:
                conn.execute(
                    "update public.memories set title = %s, content = %s where memory_id = %s",
                    (f"title {n}", f"content {n}", rng.choice(memories)),
                )
            else:
                conn.execute(
                    "delete from public.memories where memory_id = %s",
                    (memories.pop(rng.randrange(len(memories))),),
                )


def _change_a_card(
    conn: psycopg.Connection[Any], users: list[User], cards: list[uuid.UUID], n: int,
    rng: random.Random,
) -> None:  # fmt: skip
    choice = rng.random()
    if not cards or choice < 0.4:
        row = conn.execute(
            "insert into public.cards (user_id, card_type, source_entity_id, source_entity_type) "
            "values (%s, 'memory', %s, 'memory') returning card_id",
            (rng.choice(users).user_id, uuid.uuid4()),
        ).fetchone()
        cards.append(row[0])  # type: ignore[index]
    elif choice < 0.85:
        # Toggle, so every write is a real change: an update that changes nothing but
        # updated_at is bookkeeping and rightly reaches no other store.
        conn.execute(
            "update public.cards set is_favorited = not is_favorited where card_id = %s",
            (rng.choice(cards),),
        )
    else:
        conn.execute("delete from public.cards where card_id = %s", (cards.pop(),))


class ChannelListener:
    """Messages published on the given users' cards channels, as (card id, version)."""

    def __init__(self, user_ids: list[uuid.UUID]) -> None:
        import redis

        self.channels = {f"user:{user_id}:cards".encode() for user_id in user_ids}
        self.messages: list[tuple[str, int]] = []
        self._pubsub = redis.Redis.from_url("redis://127.0.0.1:6379/0").pubsub()
        self._pubsub.psubscribe(**{"user:*:cards": self._receive})
        self._thread = self._pubsub.run_in_thread(sleep_time=0.01, daemon=True)

    def _receive(self, message: dict[str, Any]) -> None:
        if message["channel"] not in self.channels:
            return  # other tests share this Redis
        event = json.loads(message["data"])
        if not event["kind"].startswith("row."):
            return  # a card event (evolved, updated), not the row change this test counts
        self.messages.append((event["id"], event["version"]))

    def close(self) -> None:
        self._thread.stop()
        self._thread.join(timeout=5)
        self._pubsub.close()


@pytest.mark.timeout(400)
@pytest.mark.usefixtures("parked_backlog")
def test_a_thousand_changes_survive_a_flaky_webhook_and_a_killed_dispatcher(
    pg: psycopg.Connection[Any],
    make_user: Callable[..., User],
    webhook: str,
    stack_env: dict[str, str],
    settings: Any,
    tmp_path: Path,
) -> None:
    # given users, a proxy failing ~30% of deliveries, and a dispatcher delivering through it
    users = [make_user() for _ in range(4)]
    user_ids = [u.user_id for u in users]
    proxy = FlakyProxy(webhook + WEBHOOK_PATH)
    listener = ChannelListener(user_ids)
    # Backoffs capped at 2 s: the production cap (600 s) would leave the last retries of a
    # row's chain of changes waiting minutes; the cap changes when a retry comes, not whether.
    env = {**stack_env, "WEBHOOK_MAX_ATTEMPTS": "30", "WEBHOOK_RETRY_CAP_S": "2"}
    dispatcher = start_dispatcher(proxy.url, env, tmp_path / "dispatcher-1.log")
    conninfo = settings.database_url.get_secret_value()
    try:
        # when a thousand changes are made while the dispatcher is killed and restarted
        writer = threading.Thread(
            target=make_changes, args=(conninfo, users, FAULT_CHANGES, random.Random(7))
        )
        writer.start()
        wait_for(lambda: sum(proxy.applied.values()) >= 150, "deliveries before the kill")
        dispatcher.process.send_signal(signal.SIGKILL)
        dispatcher.process.wait(timeout=10)
        time.sleep(0.5)  # changes keep coming while no dispatcher runs
        dispatcher = start_dispatcher(proxy.url, env, tmp_path / "dispatcher-2.log")
        writer.join(timeout=120)
        assert not writer.is_alive()
        wait_for(lambda: all_delivered(pg, user_ids), "every change delivered", deadline_s=300)
    finally:
        dispatcher.stop()
        proxy.close()
        time.sleep(0.5)  # the last publishes reach the listener
        listener.close()

    # then every store matches Postgres, nothing is dead, and each change was applied once
    assert proxy.failures > 0
    states = pg.execute(
        "select status, count(*) from private.outbox where table_name in ('memories', 'cards') "
        "and (coalesce(nullif(payload->'record', 'null'::jsonb), payload->'old_record')->>'user_id')::uuid = any(%s) "
        "group by status",
        (user_ids,),
    ).fetchall()
    assert dead_for(pg, user_ids) == []
    assert dict(states).keys() == {"delivered"}
    assert dict(states)["delivered"] >= FAULT_CHANGES
    assert_stores_match_postgres(pg, user_ids)
    assert max(proxy.applied.values()) == 1  # no change applied twice
    assert len(proxy.applied) >= FAULT_CHANGES  # and every one through the faults
    assert_each_card_change_published_once(pg, user_ids, listener.messages)


def all_delivered(pg: psycopg.Connection[Any], user_ids: list[uuid.UUID]) -> bool:
    """True once nothing is left to deliver; a change given up as dead fails at once, with its
    error, rather than after the deadline (it will never be delivered)."""
    dead = dead_for(pg, user_ids)
    assert dead == [], f"changes given up as dead: {dead}"
    return pending_for(pg, user_ids) == 0


def dead_for(pg: psycopg.Connection[Any], user_ids: list[uuid.UUID]) -> list[tuple[Any, ...]]:
    return pg.execute(
        "select outbox_id, last_error from private.outbox where status = 'dead' "
        "and table_name in ('memories', 'cards') "
        "and (coalesce(nullif(payload->'record', 'null'::jsonb), payload->'old_record')->>'user_id')"
        "::uuid = any(%s)",
        (user_ids,),
    ).fetchall()


def pending_for(pg: psycopg.Connection[Any], user_ids: list[uuid.UUID]) -> int:
    row = pg.execute(
        "select count(*) from private.outbox where status <> 'delivered' "
        "and table_name in ('memories', 'cards') "
        "and (coalesce(nullif(payload->'record', 'null'::jsonb), payload->'old_record')->>'user_id')::uuid = any(%s)",
        (user_ids,),
    ).fetchone()
    return int(row[0])  # type: ignore[index]


def assert_stores_match_postgres(pg: psycopg.Connection[Any], user_ids: list[uuid.UUID]) -> None:
    memories = {
        row[0]: (row[1], f"{row[1]}\n\n{row[2]}")
        for row in pg.execute(
            "select memory_id, title, content from public.memories where user_id = any(%s)",
            (user_ids,),
        ).fetchall()
    }
    nodes = {
        row[0]: row[1]
        for row in pg.execute(
            "select node_id, properties->>'title' from graph.nodes "
            "where user_id = any(%s) and label = 'MemoryUnit'",
            (user_ids,),
        ).fetchall()
    }
    items = {
        row[0]: row[1]
        for row in pg.execute(
            "select source_entity_id, text from vectors.items "
            "where user_id = any(%s) and source_entity_type = 'memory'",
            (user_ids,),
        ).fetchall()
    }
    item_rows = pg.execute(
        "select count(*) from vectors.items where user_id = any(%s) and source_entity_type = 'memory'",
        (user_ids,),
    ).fetchone()
    assert len(memories) > 100
    assert nodes == {k: title for k, (title, _) in memories.items()}
    assert items == {k: text for k, (_, text) in memories.items()}
    assert item_rows == (len(memories),)
    # the ledger holds, for each row ever changed, the version of its last change
    stale = pg.execute(
        "select count(*) from (select row_key, max(outbox_id) as last from private.outbox "
        "  where table_name = 'memories' and status = 'delivered' "
        "  and (coalesce(nullif(payload->'record', 'null'::jsonb), payload->'old_record')->>'user_id')::uuid = any(%s) "
        "  group by row_key) o "
        "left join private.mirrored_rows m on m.table_name = 'memories' and m.row_key = o.row_key "
        "where m.version is distinct from o.last",
        (user_ids,),
    ).fetchone()
    assert stale == (0,)


def assert_each_card_change_published_once(
    pg: psycopg.Connection[Any], user_ids: list[uuid.UUID], messages: list[tuple[str, int]]
) -> None:
    changes = pg.execute(
        "select row_key, outbox_id from private.outbox where table_name = 'cards' "
        "and (coalesce(nullif(payload->'record', 'null'::jsonb), payload->'old_record')->>'user_id')"
        "::uuid = any(%s)",
        (user_ids,),
    ).fetchall()
    assert len(changes) > 50
    assert sorted(messages) == sorted((str(key), int(version)) for key, version in changes)
