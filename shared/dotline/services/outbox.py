"""Delivering the outbox: claim due changes, post each signed, settle it, redrive dead ones.

A sweep claims a batch with `for update skip locked` and keeps the rows locked until every
delivery in it is settled, in one transaction: a dispatcher that dies mid-batch leaves its rows
pending for the next one (the webhook is idempotent, so a repeat changes nothing). A 2xx is
delivered; a 5xx, 408, 429 or a transport failure is retried after an exponential backoff with
full jitter; any other 4xx is permanent and dead at once, as is a change out of attempts. A 503
(the webhook's stores are down) is retried the same way but never dies: an outage is not the
change's fault, and the change goes through once the stores are back. A 409
`replayed-delivery` says the webhook received and applied this very delivery before (its answer
was lost on the way back): delivered.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from dotline.db import Database
from dotline.errors import ReplayedDelivery
from dotline.problems import PROBLEM_TYPE_BASE

if TYPE_CHECKING:
    from dotline.settings import Settings

RETRYABLE_CLIENT_STATUSES = frozenset({408, 429})
UNAVAILABLE_STATUS = 503
DEFAULT_BATCH_SIZE = 100
DEFAULT_CONCURRENCY = 8

# Posts a body; returns the HTTP status and the start of the answer; raises on transport failure.
Post = Callable[[bytes], tuple[int, str]]
ERROR_EXCERPT_CHARS = 500
_REPLAYED_TYPE = PROBLEM_TYPE_BASE + ReplayedDelivery.slug


@dataclass(frozen=True)
class Pacing:
    """How much one sweep takes on: rows claimed per batch, deliveries in flight at once."""

    batch_size: int = DEFAULT_BATCH_SIZE
    concurrency: int = DEFAULT_CONCURRENCY


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits uniform(0, min(cap, base * 2^(n-1)))."""

    max_attempts: int
    base_s: float = 0.5
    cap_s: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(max_attempts=settings.webhook_max_attempts, cap_s=settings.webhook_retry_cap_s)

    def delay_s(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the given number of failed attempts."""
        ceiling = min(self.cap_s, self.base_s * 2 ** max(attempts - 1, 0))
        return (rng or random).uniform(0, ceiling)


class Attempt(BaseModel):
    """One delivery's result."""

    outbox_id: int
    delivered: bool
    permanent: bool = False
    unavailable: bool = False  # the webhook answered 503: retried, however many attempts
    error: str | None = None


class SweepResult(BaseModel):
    """What one sweep did."""

    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0


class OutboxStatus(BaseModel):
    """Outbox rows in one status."""

    status: str
    events: int
    oldest: datetime | None
    next_attempt_at: datetime | None


def sweep(db: Database, post: Post, policy: RetryPolicy, pacing: Pacing = Pacing()) -> SweepResult:
    """Claim one batch of due changes, deliver them concurrently and settle each."""
    result = SweepResult()
    with db.as_service() as tx:
        tx.execute("select * from private.claim_outbox(%(n)s)", {"n": pacing.batch_size})
        rows = tx.fetchall()
        result.claimed = len(rows)
        if not rows:
            return result
        with ThreadPoolExecutor(min(pacing.concurrency, len(rows))) as pool:
            attempts = list(pool.map(lambda row: deliver(row, post), rows))
        for row, attempt in zip(rows, attempts, strict=True):
            tx.execute(
                "select private.settle_outbox_delivery(%(id)s, %(ok)s, %(error)s, %(retry_s)s, "
                "%(permanent)s, %(max)s, %(unavailable)s) as status",
                {
                    "id": attempt.outbox_id,
                    "ok": attempt.delivered,
                    "error": attempt.error,
                    "retry_s": policy.delay_s(row["attempts"] + 1),
                    "permanent": attempt.permanent,
                    "max": policy.max_attempts,
                    "unavailable": attempt.unavailable,
                },
            )
            status = (tx.fetchone() or {}).get("status")
            setattr(result, _TALLY[str(status)], getattr(result, _TALLY[str(status)]) + 1)
    return result


def drain(
    db: Database,
    post: Post,
    policy: RetryPolicy,
    pacing: Pacing = Pacing(),
    *,
    budget_s: float | None = None,
) -> SweepResult:
    """Sweep until nothing due is left to try, or budget_s is spent.

    A delivery can make the next change of its row due, so a short batch that delivered
    something is followed by another; one that claimed nothing, or delivered nothing (every
    failure now waits its backoff), ends the drain.
    """
    total = SweepResult()
    deadline = None if budget_s is None else time.monotonic() + budget_s
    while True:
        one = sweep(db, post, policy, pacing)
        for field in SweepResult.model_fields:
            setattr(total, field, getattr(total, field) + getattr(one, field))
        more = one.claimed == pacing.batch_size or one.delivered > 0
        if not more or (deadline is not None and time.monotonic() > deadline):
            return total


def deliver(row: dict[str, Any], post: Post) -> Attempt:
    """Post one outbox row as its webhook body and classify the answer."""
    outbox_id = int(row["outbox_id"])
    body = webhook_body(row["payload"], outbox_id)
    try:
        status, answer = post(body)
    except Exception as exc:  # any transport failure is worth another try
        return Attempt(outbox_id=outbox_id, delivered=False, error=f"{type(exc).__name__}: {exc}")
    if 200 <= status < 300 or (status == ReplayedDelivery.status and _replayed(answer)):
        return Attempt(outbox_id=outbox_id, delivered=True)
    permanent = 400 <= status < 500 and status not in RETRYABLE_CLIENT_STATUSES
    excerpt = answer[:ERROR_EXCERPT_CHARS]
    error = f"HTTP {status}: {excerpt}" if excerpt else f"HTTP {status}"
    return Attempt(
        outbox_id=outbox_id,
        delivered=False,
        permanent=permanent,
        unavailable=status == UNAVAILABLE_STATUS,
        error=error,
    )


def _replayed(answer: str) -> bool:
    try:
        problem = json.loads(answer)
    except ValueError:
        return False
    return isinstance(problem, dict) and problem.get("type") == _REPLAYED_TYPE


def webhook_body(payload: dict[str, Any], outbox_id: int) -> bytes:
    """The posted body: the stored Supabase-shaped payload plus its outbox id (the version)."""
    return json.dumps({**payload, "outbox_id": outbox_id}, separators=(",", ":")).encode()


def redrive(db: Database, outbox_ids: Sequence[int] | None) -> int:
    """Put dead rows (these, or all when None) back to pending; returns how many."""
    with db.as_service() as tx:
        tx.execute(
            "select private.redrive_outbox(%(ids)s::bigint[]) as redriven",
            {"ids": list(outbox_ids) if outbox_ids is not None else None},
        )
        row = tx.fetchone()
    return int(row["redriven"]) if row else 0


def status(db: Database) -> list[OutboxStatus]:
    """Rows per status, with the oldest and the next due."""
    with db.as_service() as tx:
        tx.execute("select * from private.outbox_summary()")
        return [OutboxStatus.model_validate(row) for row in tx.fetchall()]


_TALLY = {"delivered": "delivered", "pending": "retried", "dead": "dead"}
