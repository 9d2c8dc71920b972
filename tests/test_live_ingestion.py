"""Event-driven ingestion: a conversation is searchable seconds after it ends.

End to end through the real stack: the conversation ends through a real gateway, its outbox row
is delivered by a real dispatcher (a second gateway with --dispatch-outbox) to the real webhook,
which sends an ingestion request to an SQS queue on moto's server; the first gateway delivers the
queue to the real ingestion function, and `GET /v1/search` finds the memory. No schedule runs.

Then the queue consumer in-process against moto's SQS: a malformed request is reported as a
batch item failure (SQS redelivers it, then dead-letters it) while the valid one is ingested, and
a request delivered twice, or twice at once, ingests its conversation once.
"""

from __future__ import annotations

import importlib.util
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
from moto.server import ThreadedMotoServer

from conftest import ROOT, Server, User, free_port, park_pending_outbox, start_server, unpark_outbox
from dotline import bootstrap
from dotline.adapters.sqs_ingestion_queue import SqsIngestionQueue, sqs_client
from dotline.settings import Settings
from dotline_local.sqs_delivery import ensure_queue, sqs_event

SEARCHABLE_WITHIN_S = 5.0
WEBHOOK_PATH = "/v1/internal/db-events"
TURNS = [
    "I finally learned to play the bandoneon at the Rosario conservatory.",
    "My teacher Ilse says my tango phrasing is getting better every week.",
]


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def queue_url(moto_url: str, settings: Settings) -> str:
    url = f"{moto_url}/123456789012/dotline-ingestion-test-{uuid.uuid4().hex[:8]}"
    return ensure_queue(settings, url)


@pytest.fixture(scope="module")
def parked_backlog(pg: psycopg.Connection[Any]) -> Iterator[None]:
    """Other tests' undelivered changes wait a day: the dispatcher delivers this module's own."""
    parked = park_pending_outbox(pg)
    yield
    unpark_outbox(pg, parked)


@pytest.fixture
def live_stack(
    redis_rest: str, queue_url: str, parked_backlog: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A gateway serving the routes and the webhook and delivering the ingestion queue, and a
    second one dispatching the outbox to it; the first one's URL. Stopped after its test, so
    the consumer tests below meet requests nobody else takes."""
    logs = tmp_path_factory.mktemp("live")
    env = {"UPSTASH_REDIS_REST_URL": redis_rest}
    servers: list[Server] = []
    try:
        served = start_server(
            "dotline_local.gateway",
            ["--template", str(ROOT / "template.yaml"), "--ingestion-queue", queue_url],
            env,
            logs / "gateway.log",
        )
        servers.append(served)
        servers.append(
            start_server(
                "dotline_local.gateway",
                ["--template", str(ROOT / "template.yaml"), "--dispatch-outbox"],
                {**env, "WEBHOOK_URL": served.url + WEBHOOK_PATH},
                logs / "dispatcher.log",
            )
        )
        yield served.url
    finally:
        for server in reversed(servers):
            server.stop()


def hold(api: httpx.Client, user: User, turns: list[str]) -> str:
    opened = api.post("/v1/conversations", json={}, headers=user.headers)
    assert opened.status_code == 201, opened.text
    conversation_id = str(opened.json()["conversation_id"])
    for text in turns:
        sent = api.post(
            f"/v1/conversations/{conversation_id}/messages",
            json={"content": text},
            headers=user.headers,
        )
        assert sent.status_code in (200, 201), sent.text
    return conversation_id


def memory_hits(api: httpx.Client, user: User, q: str) -> list[dict[str, Any]]:
    found = api.get("/v1/search", params={"q": q, "types": "memory"}, headers=user.headers)
    assert found.status_code == 200, found.text
    return [h for h in found.json()["items"] if h["entity_type"] == "memory"]


def test_a_conversation_ended_through_the_api_is_searchable_within_seconds(
    live_stack: str, make_user: Callable[..., User], pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    with httpx.Client(base_url=live_stack, timeout=30) as api:
        conversation_id = hold(api, user, TURNS)
        assert memory_hits(api, user, "bandoneon conservatory") == []
        ended = api.post(f"/v1/conversations/{conversation_id}/end", headers=user.headers)
        assert ended.status_code == 200, ended.text
        at = time.monotonic()
        hits: list[dict[str, Any]] = []
        while time.monotonic() - at < SEARCHABLE_WITHIN_S and not hits:
            hits = memory_hits(api, user, "bandoneon conservatory")
            if not hits:
                time.sleep(0.1)
        waited = time.monotonic() - at
    assert hits, f"no memory found {waited:.1f} s after the conversation ended"
    ours = {
        str(r[0])
        for r in pg.execute(
            "select memory_id from memories where source_conversation_id = %s", (conversation_id,)
        )
    }
    assert {h["entity_id"] for h in hits} <= ours and ours
    # The memories are committed before their enrichment (concepts, graph, vectors), so the
    # search can find them while the run is still finishing: wait for it to finish, once.
    deadline = time.monotonic() + 60
    while True:
        status = pg.execute(
            "select c.status, i.attempts from conversations c"
            " join private.conversation_ingestions i using (conversation_id)"
            " where c.conversation_id = %s",
            (conversation_id,),
        ).fetchone()
        if status != ("processing", 1) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == ("processed", 1)


# --- the queue consumer, in-process, over moto's SQS -----------------------------------------


class Context:
    """What the handler reads of a Lambda context."""

    def __init__(self, timeout_s: float = 120.0) -> None:
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


@pytest.fixture(scope="module")
def ingestion_handler(settings: Settings, redis_rest: str) -> Iterator[Callable[..., Any]]:
    """The real functions/ingestion handler, in-process."""
    spec = importlib.util.spec_from_file_location(
        "ingestion_app", Path(ROOT / "functions/ingestion/app.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    local = settings.model_copy(update={"upstash_redis_rest_url": redis_rest})
    bootstrap.use(bootstrap.Deps(settings=local))
    yield module.handler
    bootstrap.deps().db.close()
    bootstrap.use(None)


@pytest.fixture
def own_queue(moto_url: str, settings: Settings) -> str:
    """A queue only the test reads."""
    url = f"{moto_url}/123456789012/dotline-ingestion-own-{uuid.uuid4().hex[:8]}"
    return ensure_queue(settings, url)


@pytest.fixture
def receive(own_queue: str, settings: Settings) -> Callable[[int], list[dict[str, Any]]]:
    client = sqs_client(settings, own_queue)

    def take(count: int) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + 5
        while len(messages) < count and time.monotonic() < deadline:
            got = client.receive_message(
                QueueUrl=own_queue, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            messages += got.get("Messages") or []
        assert len(messages) == count
        return messages

    return take


def ended_conversation(api: httpx.Client, user: User) -> UUID:
    """A conversation ended through the API (no dispatcher: nothing requests its ingestion)."""
    conversation_id = hold(api, user, TURNS)
    ended = api.post(f"/v1/conversations/{conversation_id}/end", headers=user.headers)
    assert ended.status_code == 200, ended.text
    return UUID(conversation_id)


def ingested(pg: psycopg.Connection[Any], conversation_id: UUID) -> tuple[Any, ...]:
    row = pg.execute(
        "select c.status, i.attempts,"
        " (select count(*) from memories m where m.source_conversation_id = c.conversation_id),"
        " (select count(*) from growth_events g where g.entity_id = c.conversation_id)"
        " from conversations c left join private.conversation_ingestions i using (conversation_id)"
        " where c.conversation_id = %s",
        (conversation_id,),
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_the_queue_consumer_ingests_requests_and_reports_a_malformed_one(
    api: httpx.Client,
    make_user: Callable[..., User],
    pg: psycopg.Connection[Any],
    settings: Settings,
    own_queue: str,
    receive: Callable[[int], list[dict[str, Any]]],
    ingestion_handler: Callable[..., Any],
) -> None:
    user = make_user()
    conversation_id = ended_conversation(api, user)
    assert ingested(pg, conversation_id)[:2] == ("ended", None)
    queue = SqsIngestionQueue(sqs_client(settings, own_queue), own_queue)
    queue.request(conversation_id, user.user_id)
    sqs_client(settings, own_queue).send_message(QueueUrl=own_queue, MessageBody="{not json")
    messages = receive(2)
    event = sqs_event(messages, queue_arn="arn:aws:sqs:us-east-1:0:q", region="us-east-1")

    answer = ingestion_handler(event, Context())

    malformed = next(m["MessageId"] for m in messages if m["Body"] == "{not json")
    assert answer["batchItemFailures"] == [{"itemIdentifier": malformed}]
    assert (answer["processed"], answer["malformed"]) == (1, 1)
    status, attempts, memories, growth = ingested(pg, conversation_id)
    assert (status, attempts) == ("processed", 1) and memories > 0 and growth > 0


def test_a_request_delivered_twice_or_twice_at_once_ingests_once(
    api: httpx.Client,
    make_user: Callable[..., User],
    pg: psycopg.Connection[Any],
    ingestion_handler: Callable[..., Any],
) -> None:
    user = make_user()
    conversation_id = ended_conversation(api, user)
    body = f'{{"conversation_id": "{conversation_id}", "user_id": "{user.user_id}"}}'

    def deliver(message_id: str) -> dict[str, Any]:
        message = {"MessageId": message_id, "ReceiptHandle": message_id, "Body": body}
        event = sqs_event([message], queue_arn="arn:aws:sqs:us-east-1:0:q", region="us-east-1")
        answer: dict[str, Any] = ingestion_handler(event, Context())
        return answer

    # two consumers receive the same request at once (SQS is at least once), then a third late
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(deliver, ["first", "second"]))
    first = ingested(pg, conversation_id)
    answers.append(deliver("late"))

    assert all(a["batchItemFailures"] == [] for a in answers)
    assert sum(a["processed"] for a in answers) == 1  # one claim took it; the others found none
    status, attempts, memories, growth = first
    assert (status, attempts) == ("processed", 1) and memories > 0 and growth > 0
    assert ingested(pg, conversation_id) == first


# --- which changes ask for an ingestion --------------------------------------------------------


def change(kind: str, status: str | None, old_status: str | None) -> Any:
    from dotline.models.db_events import DbEvent

    row = {"conversation_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4())}
    return DbEvent.model_validate({
        "type": kind, "table": "conversations", "schema": "public", "outbox_id": 1,
        "record": None if status is None else {**row, "status": status},
        "old_record": None if old_status is None else {**row, "status": old_status},
    })  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "status", "old_status", "asks"),
    [
        ("UPDATE", "ended", "active", True),  # the route, the idle-end job
        ("INSERT", "ended", None, True),  # a conversation stored already ended (an import)
        ("UPDATE", "ended", "ended", False),  # an ended one changed otherwise
        ("UPDATE", "processing", "ended", False),  # ingestion claiming it
        ("INSERT", "active", None, False),
        ("DELETE", None, "ended", False),
    ],
)
def test_only_a_conversation_becoming_ended_asks_for_its_ingestion(
    kind: str, status: str | None, old_status: str | None, asks: bool
) -> None:
    from dotline.models.db_events import DbEventOutcome
    from dotline.services.ingestion.trigger import ended_conversation, request_ingestion

    event = change(kind, status, old_status)
    sent: list[tuple[UUID, UUID]] = []

    class Queue:
        def request(self, conversation_id: UUID, user_id: UUID) -> None:
            sent.append((conversation_id, user_id))

    outcome = DbEventOutcome(applied=True, table="conversations", row_key="k", version=1)
    assert request_ingestion(event, outcome, Queue()) is asks
    assert sent == ([ended_conversation(event)] if asks else [])
    skipped = outcome.model_copy(update={"applied": False, "skipped": "owner_erased"})
    assert request_ingestion(event, skipped, Queue()) is False
