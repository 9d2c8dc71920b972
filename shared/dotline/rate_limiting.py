"""Per-IP and per-user request limits for the HTTP layer, and the headers that report them.

Limits fail open: while Redis is unreachable a request proceeds unlimited and a warning is logged.
Rate limiting guards against floods, not correctness, and API Gateway's own throttling still
stands behind it; failing closed would turn a cache outage into a full API outage. After a
failure the checks pause for `OUTAGE_PAUSE_S`, so an outage does not add a Redis timeout to
every request.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger

from dotline.bootstrap import deps
from dotline.errors import RateLimited, ServiceUnavailable
from dotline.ports.cache import RateDecision, RatePolicy

USER_DEFAULT = RatePolicy(name="user", max_requests=120, window_s=60)
IP_DEFAULT = RatePolicy(name="api", max_requests=300, window_s=60)  # seed: rate_limit:api:{ip}
MESSAGES = RatePolicy(name="messages", max_requests=20, window_s=60)

OUTAGE_PAUSE_S = 30.0
# The local gateway's own address. API Gateway always reports the client's public address, so
# this never exempts a real caller; locally it keeps every test run from sharing one IP budget.
LOCAL_SOURCES = frozenset({"127.0.0.1", "::1"})

logger = Logger(service="dotline", child=True)


@dataclass
class RequestLimits:
    """The limits one function applies: per client IP before auth, per user after it."""

    per_user: RatePolicy | None = USER_DEFAULT
    per_ip: RatePolicy | None = IP_DEFAULT
    _paused_until: float = field(default=0.0, init=False)

    def quota(self) -> Quota:
        """A fresh tally for one request."""
        return Quota(self)

    def check(self, policy: RatePolicy, identifier: str) -> RateDecision | None:
        """The decision for one request, or None while limits are paused by an outage."""
        if time.monotonic() < self._paused_until:
            return None
        try:
            return deps().rate_limits.check(policy, identifier)
        except ServiceUnavailable:
            self._paused_until = time.monotonic() + OUTAGE_PAUSE_S
            logger.warning(
                "rate limits unavailable; failing open",
                extra={"policy": policy.name, "pause_s": OUTAGE_PAUSE_S},
            )
            return None


@dataclass
class Quota:
    """One request's tally: the tightest decision seen, and a 429 when a limit is spent."""

    limits: RequestLimits
    tightest: RateDecision | None = None

    def admit_ip(self, source_ip: str | None) -> None:
        """Count the request against its client address (RateLimited past the limit)."""
        if self.limits.per_ip and source_ip and source_ip not in LOCAL_SOURCES:
            self._admit(self.limits.per_ip, source_ip)

    def admit_user(self, user_id: object) -> None:
        """Count the request against its caller (RateLimited past the limit)."""
        if self.limits.per_user:
            self._admit(self.limits.per_user, str(user_id))

    def headers(self) -> dict[str, str]:
        """RateLimit-* headers for the tightest limit (and Retry-After once it is spent)."""
        if self.tightest is None:
            return {}
        decision = self.tightest
        reset_s = _seconds_until(decision.reset_at_s)
        headers = {
            "RateLimit-Limit": str(decision.limit),
            "RateLimit-Remaining": str(decision.remaining),
            "RateLimit-Reset": str(reset_s),
        }
        if not decision.allowed:
            headers["Retry-After"] = str(reset_s)
        return headers

    def _admit(self, policy: RatePolicy, identifier: str) -> None:
        decision = self.limits.check(policy, identifier)
        if decision is None:
            return
        if self.tightest is None or not decision.allowed or _tighter(decision, self.tightest):
            self.tightest = decision
        if not decision.allowed:
            raise RateLimited(
                f"Too many requests; try again in {_seconds_until(decision.reset_at_s)} s.",
                retry_after_s=_seconds_until(decision.reset_at_s),
            )


def _tighter(a: RateDecision, b: RateDecision) -> bool:
    return (a.remaining / a.limit) < (b.remaining / b.limit)


def _seconds_until(at_s: float) -> int:
    return max(1, math.ceil(at_s - time.time()))
