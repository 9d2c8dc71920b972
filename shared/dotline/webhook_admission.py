"""Who may deliver a change to the webhook, and how often.

A failed authentication counts against the sender's address (`AUTH_FAILURES`): past the limit,
every delivery from that address is refused with 429 until the window has passed, before any
secret is compared, so guessing costs a window per few tries. A signed delivery is received once:
the same signature again while it is still valid is a replay, refused with 409 (a delivery that
failed is forgotten, so its retry passes; one that succeeded is spent, and the dispatcher takes
the 409 for the success it stands for). Both checks live in Redis and fail open, as the rate
limits do: a replayed change is harmless (the webhook is idempotent), a refused one is not.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from dotline import cache_keys
from dotline.bootstrap import Deps
from dotline.errors import RateLimited, ReplayedDelivery, ServiceUnavailable, Unauthenticated
from dotline.ports.cache import RatePolicy
from dotline.rate_limiting import LOCAL_SOURCES
from dotline.webhooks import MAX_SIGNATURE_AGE_S, SIGNATURE_HEADER, verify

logger = logging.getLogger(__name__)

AUTH_FAILURES = RatePolicy(name="webhook-auth-failures", max_requests=10, window_s=60)
# A signature is accepted up to MAX_SIGNATURE_AGE_S either side of now: remember it that long.
REPLAY_TTL_S = 2 * MAX_SIGNATURE_AGE_S


@contextmanager
def admitted_delivery(
    deps: Deps, headers: Mapping[str, str], body: bytes, source_ip: str | None
) -> Iterator[None]:
    """Authenticate one delivery (401, 429 once its address failed too often, 409 for a replay)
    and run the block; a block that fails lets the same delivery be sent again."""
    address = source_ip if source_ip and source_ip not in LOCAL_SOURCES else None
    if address is not None and _failures_left(deps, address) <= 0:
        raise RateLimited("Too many failed deliveries from this address; try again later.")
    try:
        verify(deps.settings.webhook_secret.get_secret_value(), headers, body)
    except Unauthenticated:
        if address is not None:
            _count_failure(deps, address)
        raise
    claim = _claim(deps, headers)
    try:
        yield
    except BaseException:
        if claim is not None:
            _forget(deps, claim)
        raise


def _failures_left(deps: Deps, address: str) -> int:
    try:
        return deps.rate_limits.remaining(AUTH_FAILURES, address)
    except ServiceUnavailable:
        logger.warning("webhook failure limit unavailable; failing open")
        return AUTH_FAILURES.max_requests


def _count_failure(deps: Deps, address: str) -> None:
    try:
        deps.rate_limits.check(AUTH_FAILURES, address)
    except ServiceUnavailable:
        logger.warning("webhook failure limit unavailable; failing open")


def _claim(deps: Deps, headers: Mapping[str, str]) -> str | None:
    """The replay key of a signed delivery, claimed now; Conflict when it was claimed before."""
    sent = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER.lower())
    if sent is None:
        return None  # a shared-secret bearer (Supabase's own webhooks) cannot be told apart
    key = cache_keys.webhook_delivery(hashlib.sha256(sent.strip().encode()).hexdigest())
    try:
        fresh = deps.cache.add_json(key, True, REPLAY_TTL_S)
    except ServiceUnavailable:
        logger.warning("webhook replay guard unavailable; failing open")
        return None
    if not fresh:
        raise ReplayedDelivery("This delivery was received and applied before.")
    return key


def _forget(deps: Deps, key: str) -> None:
    try:
        deps.cache.delete([key])
    except ServiceUnavailable:
        logger.warning("webhook replay guard unavailable; the retry waits for a new signature")
