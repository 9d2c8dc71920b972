"""Event-driven ingestion: a conversation is ingested the moment it ends, not at the next minute.

The path is the database-triggered one every change takes: the conversation's update to `ended`
(by `POST /v1/conversations/{id}/end`, the idle-end job, or any writer that stores a conversation
already ended) is written to the outbox in its transaction, delivered signed to the webhook
(`functions/mirroring`), which mirrors it and then sends an ingestion request to the ingestion
queue (SQS); the ingestion function consumes the queue. Locally the gateway's dispatcher delivers
the outbox and its queue poller hands the queue to the same function (`dotline_local.sqs_delivery`).

Nothing here decides what is ingested: a request only starts the ingestion of that person's due
conversations, through the same claim (`for update skip locked`, under a lease) the schedule uses.
A repeated request (a redelivered change, an SQS redelivery, a request racing the schedule) finds
the conversation leased or processed and claims nothing, so a conversation is ingested once. The
minute schedule stays as the safety net for a request that was never sent or whose run failed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from dotline.growth_rules import GrowthConfig
from dotline.models.db_events import DbEvent, DbEventOutcome
from dotline.ports.ingestion_queue import IngestionQueue
from dotline.services.ingestion.ingestion import IngestionStores, ingest_conversations

logger = logging.getLogger(__name__)

ENDED = "ended"
# A change skipped for these reasons is no news about the conversation: nothing is requested.
_NOT_NEWS = frozenset({"not_in_outbox", "owner_erased"})


def ended_conversation(event: DbEvent) -> tuple[UUID, UUID] | None:
    """(conversation id, owner) when the change is a conversation becoming ended, else None."""
    if event.table != "conversations" or event.type == "DELETE" or event.record is None:
        return None
    if event.record.get("status") != ENDED:
        return None
    if event.old_record is not None and event.old_record.get("status") == ENDED:
        return None  # an ended conversation changed otherwise (its title, say)
    return UUID(str(event.record["conversation_id"])), UUID(str(event.record["user_id"]))


def request_ingestion(
    event: DbEvent, outcome: DbEventOutcome, queue: IngestionQueue | None
) -> bool:
    """Queue the ingestion of the conversation the change ended; True when a request was sent.

    A redelivered change (`not_newer`) requests again: at least once, and a repeat claims nothing.
    A queue that fails raises ServiceUnavailable, so the outbox delivers the change again.
    """
    ended = ended_conversation(event)
    if ended is None or queue is None or outcome.skipped in _NOT_NEWS:
        return False
    queue.request(*ended)
    return True


def parse_request(body: str) -> tuple[UUID, UUID]:
    """(conversation id, owner) of a queued request; ValueError when the body is not one."""
    try:
        data = json.loads(body)
        return UUID(str(data["conversation_id"])), UUID(str(data["user_id"]))
    except (TypeError, KeyError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise ValueError(f"not an ingestion request: {body[:200]!r}") from exc


def is_queue_event(event: dict[str, Any]) -> bool:
    """True for the event SQS hands a function (a batch of records), not a schedule's."""
    records = event.get("Records") or []
    return bool(records) and all(r.get("eventSource") == "aws:sqs" for r in records)


@dataclass
class QueueRun:
    """What one batch of requests did; `batchItemFailures` is what SQS redelivers."""

    requests: int = 0
    processed: int = 0
    failed: int = 0
    malformed: int = 0
    deferred: int = 0
    failures: list[str] = field(default_factory=list)

    def response(self) -> dict[str, Any]:
        """The answer Lambda reads with `ReportBatchItemFailures`, and the run's counts."""
        return {
            "batchItemFailures": [{"itemIdentifier": i} for i in self.failures],
            "requests": self.requests,
            "processed": self.processed,
            "failed": self.failed,
            "malformed": self.malformed,
            "deferred": self.deferred,
        }


def ingest_requested(
    stores: IngestionStores,
    growth: GrowthConfig,
    records: Sequence[dict[str, Any]],
    *,
    remaining_s: Callable[[], float],
) -> QueueRun:
    """Ingest what each queued request asks for: its person's due conversations.

    A record fails (and SQS redelivers it, then dead-letters it) when it is not a request, when
    the run itself fails (Postgres down, say), or when no time is left to start it. A conversation
    whose ingestion fails is not a failed record: the claim recorded the failure and its backoff,
    and the schedule retries it, as it does for every failure.
    """
    run = QueueRun(requests=len(records))
    done: set[UUID] = set()  # people already ingested in this batch: a repeat claims nothing
    for record in records:
        message_id = str(record.get("messageId", ""))
        try:
            _conversation_id, user_id = parse_request(str(record.get("body", "")))
        except ValueError:
            logger.warning("ingestion queue: message %s is not a request", message_id)
            run.malformed += 1
            run.failures.append(message_id)
            continue
        if user_id in done:
            continue
        if remaining_s() <= 0:
            run.deferred += 1
            run.failures.append(message_id)
            continue
        try:
            result = ingest_conversations(
                stores, growth, user_id=user_id, budget_s=max(0.0, remaining_s())
            )
        except Exception:
            logger.exception("ingestion queue: the run for message %s failed", message_id)
            run.failures.append(message_id)
            continue
        done.add(user_id)
        run.processed += result.processed
        run.failed += result.failed
    return run
