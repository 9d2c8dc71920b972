"""Per-IP and per-user request limits for the HTTP layer, and the headers that report them.

The same round trip asks whether the caller has been erased (`dotline.erasure_tombstones`): an
erased person's token is refused with 401 however long it is still valid.

Limits fail open: while Redis is unreachable a request proceeds unlimited and a warning is logged.
Rate limiting guards against floods, not correctness, and API Gateway's own throttling still
stands behind it; failing closed would turn a cache outage into a full API outage. After a
failure the checks pause for `OUTAGE_PAUSE_S`, so an outage does not add a Redis timeout to
every request. The erasure check does not fail open: meanwhile Postgres answers it.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from uuid import UUID

from dotline import activity, daily_stats, erasure_tombstones
from dotline.bootstrap import deps
from dotline.errors import RateLimited, ServiceUnavailable, Unauthenticated
from dotline.ports.cache import Admission, Gate, RateDecision, RatePolicy, Tally

USER_DEFAULT = RatePolicy(name="user", max_requests=120, window_s=60)
IP_DEFAULT = RatePolicy(name="api", max_requests=300, window_s=60)  # seed: rate_limit:api:{ip}
MESSAGES = RatePolicy(name="messages", max_requests=20, window_s=60)

OUTAGE_PAUSE_S = 30.0
# The local gateway's own address. API Gateway always reports the client's public address, so
# this never exempts a real caller; locally it keeps every test run from sharing one IP budget.
LOCAL_SOURCES = frozenset({"127.0.0.1", "::1"})

logger = logging.getLogger(__name__)


@dataclass
class RequestLimits:
    """The limits one function applies: per client IP before auth, per user after it."""

    per_user: RatePolicy | None = USER_DEFAULT
    per_ip: RatePolicy | None = IP_DEFAULT
    _paused_until: float = field(default=0.0, init=False)

    def quota(self) -> Quota:
        """A fresh tally for one request."""
        return Quota(self)

    def check(
        self,
        checks: list[tuple[RatePolicy, str]],
        flags: list[str],
        gate: Gate | None = None,
        tally: Tally | None = None,
    ) -> Admission | None:
        """The decisions for one request, which flag keys exist, whether the gate opened and
        the tally added (one round trip), or None while limits are paused by an outage."""
        if not (checks or flags) or time.monotonic() < self._paused_until:
            return None
        try:
            return deps().rate_limits.admit(checks, flags, gate, tally)
        except ServiceUnavailable:
            self._paused_until = time.monotonic() + OUTAGE_PAUSE_S
            logger.warning(
                "rate limits unavailable; failing open",
                extra={
                    "policies": [policy.name for policy, _ in checks],
                    "pause_s": OUTAGE_PAUSE_S,
                },
            )
            return None


@dataclass
class Quota:
    """One request's tally: the tightest decision seen, and a 429 when a limit is spent."""

    limits: RequestLimits
    tightest: RateDecision | None = None
    opened_gate: bool = False  # this request opened its caller's activity gate

    def admit(self, source_ip: str | None, user_id: UUID | None = None) -> None:
        """Count the request against its client address and, once authenticated, its caller,
        both in one round trip (RateLimited past either limit; both are counted), and refuse an
        erased caller (Unauthenticated). The same round trip tries the caller's activity gate
        (`opened_gate`; a refused request drops the gate it opened) and adds the request to
        their day (`dotline.daily_stats`)."""
        checks = []
        if self.limits.per_ip and source_ip and source_ip not in LOCAL_SOURCES:
            checks.append((self.limits.per_ip, source_ip))
        if self.limits.per_user and user_id is not None:
            checks.append((self.limits.per_user, str(user_id)))
        if user_id is None:
            admission = self.limits.check(checks, [])
        else:
            gate, tally = activity.gate(user_id), daily_stats.request_tally(user_id)
            admission = self.limits.check(checks, [erasure_tombstones.key(user_id)], gate, tally)
        for decision in admission.decisions if admission else []:
            self._note(decision)
        self.opened_gate = admission is not None and admission.gate_opened
        try:
            self._refuse_if_spent(admission, user_id)
        except Unauthenticated:  # erased: the round trip's writes must not outlive the erasure
            _forget([gate.key, tally.key])
            self.opened_gate = False
            raise
        except RateLimited:  # counted, but no mark: the next admitted request marks them
            if self.opened_gate:
                _forget([gate.key])
                self.opened_gate = False
            raise

    def _refuse_if_spent(self, admission: Admission | None, user_id: UUID | None) -> None:
        if user_id is not None and (
            bool(admission.flagged)
            if admission is not None
            else erasure_tombstones.erased_in_postgres(deps().db, user_id)
        ):
            raise Unauthenticated("This account has been erased.")
        if self.tightest is not None and not self.tightest.allowed:
            retry_after_s = _seconds_until(self.tightest.reset_at_s)
            raise RateLimited(
                f"Too many requests; try again in {retry_after_s} s.", retry_after_s=retry_after_s
            )

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

    def _note(self, decision: RateDecision) -> None:
        """Keep the tightest decision: a refusal over any allowance, else the least left."""
        current = self.tightest
        if (
            current is None
            or (current.allowed and not decision.allowed)
            or (current.allowed == decision.allowed and _tighter(decision, current))
        ):
            self.tightest = decision


def _forget(keys: list[str]) -> None:
    """Drop keys a refused request's round trip wrote (best effort: the gate expires within a
    minute, and erasure's retries sweep every `user:{uid}:*` key)."""
    try:
        deps().cache.delete(keys)
    except Exception:
        logger.warning("could not drop a refused request's keys", exc_info=True)


def _tighter(a: RateDecision, b: RateDecision) -> bool:
    return (a.remaining / a.limit) < (b.remaining / b.limit)


def _seconds_until(at_s: float) -> int:
    return max(1, math.ceil(at_s - time.time()))
