"""Rate limits on Upstash Redis: upstash-ratelimit's sliding window, one per policy.

`admit` sends the windows of several limits (a request's client address and its user), and any
flag keys to look up beside them (an erased person's tombstone), in one Upstash pipeline: one
HTTP round trip instead of one each. It drives the library's own limiter
steps (`_limit`: the command to send, then the decision from its reply; the same steps its
`Ratelimit.limit` drives), so keys, script and decisions stay exactly the library's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dotline.adapters.upstash_cache import redis_errors
from dotline.cache_keys import rate_limit_prefix
from dotline.ports.cache import Admission, RateDecision, RatePolicy

if TYPE_CHECKING:
    from upstash_ratelimit import SlidingWindow
    from upstash_redis import Redis


class UpstashRateLimits:
    """Counts requests per policy and identifier; each call is one Redis round trip."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._limiters: dict[RatePolicy, SlidingWindow] = {}

    def check(self, policy: RatePolicy, identifier: str) -> RateDecision:
        """Count one request for identifier under policy and say whether it is within the limit."""
        return self.check_many([(policy, identifier)])[0]

    def check_many(self, checks: Sequence[tuple[RatePolicy, str]]) -> list[RateDecision]:
        """`check` for each (policy, identifier), in order, in one round trip."""
        return self.admit(checks, ()).decisions

    def admit(self, checks: Sequence[tuple[RatePolicy, str]], flags: Sequence[str]) -> Admission:
        """`check_many`, and which of the `flags` keys exist, all in one round trip."""
        if not checks and not flags:
            return Admission(decisions=[])
        steps = [
            self._limiter(policy)._limit(f"{rate_limit_prefix(policy.name)}:{identifier}")
            for policy, identifier in checks
        ]
        # Each step yields the command it needs, or a falsy name when it needs none.
        commands: list[tuple[str | None, Any]] = [next(step) for step in steps]
        sent = [(name, args) for name, args in commands if name]
        sent += [("exists", [flag]) for flag in flags]
        with redis_errors():
            replies = self._send(sent)
        answers = iter(replies)
        decisions = []
        for step, (needed, _) in zip(steps, commands, strict=True):
            response = step.send(next(answers)) if needed else next(step)
            decisions.append(
                RateDecision(
                    allowed=response.allowed,
                    limit=response.limit,
                    remaining=response.remaining,
                    reset_at_s=response.reset,
                )
            )
        flagged = [flag for flag in flags if int(next(answers) or 0)]
        return Admission(decisions=decisions, flagged=flagged)

    def remaining(self, policy: RatePolicy, identifier: str) -> int:
        """Requests identifier may still make in policy's window (counts nothing)."""
        key = f"{rate_limit_prefix(policy.name)}:{identifier}"
        with redis_errors():
            return int(self._limiter(policy).get_remaining(self._redis, key))

    def _send(self, commands: list[tuple[str, Any]]) -> list[Any]:
        """The replies to `commands`: one plain request for one, one pipeline for several."""
        if not commands:
            return []
        if len(commands) == 1:
            name, args = commands[0]
            return [getattr(self._redis, name)(*args)]
        pipeline = self._redis.pipeline()
        for name, args in commands:
            getattr(pipeline, name)(*args)
        return list(pipeline.exec())

    def _limiter(self, policy: RatePolicy) -> SlidingWindow:
        limiter = self._limiters.get(policy)
        if limiter is None:
            from upstash_ratelimit import SlidingWindow

            limiter = SlidingWindow(max_requests=policy.max_requests, window=policy.window_s)
            self._limiters[policy] = limiter
        return limiter
