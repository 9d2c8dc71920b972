"""Rate limits on Upstash Redis: upstash-ratelimit's sliding window, one per policy.

`admit` sends the windows of several limits (a request's client address and its user), any flag
keys to look up beside them (an erased person's tombstone), the caller's activity gate and the
day's tally, in one Upstash pipeline: one HTTP round trip instead of one each. It drives the library's own limiter
steps (`_limit`: the command to send, then the decision from its reply; the same steps its
`Ratelimit.limit` drives), so keys, script and decisions stay exactly the library's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dotline.adapters.upstash_cache import redis_errors
from dotline.cache_keys import rate_limit_prefix
from dotline.ports.cache import Admission, Gate, RateDecision, RatePolicy, Tally

if TYPE_CHECKING:
    from upstash_ratelimit import SlidingWindow
    from upstash_redis import Redis

# A Redis command as sent: its name, positional arguments and keyword options.
Command = tuple[str, list[Any], dict[str, Any]]


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

    def admit(
        self,
        checks: Sequence[tuple[RatePolicy, str]],
        flags: Sequence[str],
        gate: Gate | None = None,
        tally: Tally | None = None,
    ) -> Admission:
        """`check_many`, which of the `flags` keys exist, whether `gate` opened (SET NX EX) and
        `tally` added, all in one round trip."""
        if not checks and not flags and gate is None and tally is None:
            return Admission(decisions=[])
        steps = [
            self._limiter(policy)._limit(f"{rate_limit_prefix(policy.name)}:{identifier}")
            for policy, identifier in checks
        ]
        # Each step yields the command it needs, or a falsy name when it needs none.
        commands: list[tuple[str | None, Any]] = [next(step) for step in steps]
        sent: list[Command] = [(name, args, {}) for name, args in commands if name]
        sent += [("exists", [flag], {}) for flag in flags]
        if gate is not None:
            sent.append(("set", [gate.key, "1"], {"nx": True, "ex": gate.ttl_s}))
        if tally is not None:
            sent += [("hincrby", [tally.key, name, n], {}) for name, n in tally.counts.items()]
            sent.append(("expireat", [tally.key, tally.expire_at_s], {}))
        with redis_errors():
            replies = self._send(sent)
        answers = iter(replies)
        decisions = [
            _decision(step.send(next(answers)) if needed else next(step))
            for step, (needed, _) in zip(steps, commands, strict=True)
        ]
        flagged = [flag for flag in flags if int(next(answers) or 0)]
        opened = gate is not None and bool(next(answers))
        return Admission(decisions=decisions, flagged=flagged, gate_opened=opened)

    def remaining(self, policy: RatePolicy, identifier: str) -> int:
        """Requests identifier may still make in policy's window (counts nothing)."""
        key = f"{rate_limit_prefix(policy.name)}:{identifier}"
        with redis_errors():
            return int(self._limiter(policy).get_remaining(self._redis, key))

    def _send(self, commands: list[Command]) -> list[Any]:
        """The replies to `commands`: one plain request for one, one pipeline for several."""
        if not commands:
            return []
        if len(commands) == 1:
            name, args, options = commands[0]
            return [getattr(self._redis, name)(*args, **options)]
        pipeline = self._redis.pipeline()
        for name, args, options in commands:
            getattr(pipeline, name)(*args, **options)
        return list(pipeline.exec())

    def _limiter(self, policy: RatePolicy) -> SlidingWindow:
        limiter = self._limiters.get(policy)
        if limiter is None:
            from upstash_ratelimit import SlidingWindow

            limiter = SlidingWindow(max_requests=policy.max_requests, window=policy.window_s)
            self._limiters[policy] = limiter
        return limiter


def _decision(response: Any) -> RateDecision:
    return RateDecision(
        allowed=response.allowed,
        limit=response.limit,
        remaining=response.remaining,
        reset_at_s=response.reset,
    )
