"""The commit gate: a read's rate-limit check in flight while the read runs, and the commits
that wait for its verdict.

A GET need not wait for its rate-limit round trip (the slowest fixed cost of a request) before
it starts: `in_flight` sends the check from a worker thread while the route runs, and every
database transaction of the request waits for the verdict before it commits (`dotline.db`).
A refused request therefore changes nothing in Postgres, its transactions roll back, and it
answers 429 whatever the route had found. Other methods are admitted before anything runs.

The verdict is bound to the request's thread (a context variable): a thread the route starts
itself does not wait for it, so such a thread must only read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar

_verdict: ContextVar[Future[None] | None] = ContextVar("dotline_commit_gate", default=None)
# One check in flight per request; a Lambda container serves one request at a time.
_CHECKS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="commit-gate")


@contextmanager
def in_flight(check: Callable[[], None]) -> Iterator[None]:
    """Run `check` (which raises to refuse) beside the block; the block's commits wait for it.
    Whatever the block does, its end waits for the verdict and raises a refusal."""
    verdict = _CHECKS.submit(check)
    token = _verdict.set(verdict)
    try:
        yield
    finally:
        _verdict.reset(token)
        verdict.result()  # a refusal wins over the block's own outcome


def admitted() -> bool:
    """True once nothing is pending for this request: no check in flight, or one that passed."""
    verdict = _verdict.get()
    return verdict is None or (verdict.done() and verdict.exception() is None)


def wait() -> None:
    """Block until this request's check is back; raises its refusal (RateLimited)."""
    verdict = _verdict.get()
    if verdict is not None:
        verdict.result()
