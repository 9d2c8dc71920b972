"""Rate limits on Upstash Redis: one upstash-ratelimit sliding window per policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dotline.adapters.upstash_cache import redis_errors
from dotline.cache_keys import rate_limit_prefix
from dotline.ports.cache import RateDecision, RatePolicy

if TYPE_CHECKING:
    from upstash_ratelimit import Ratelimit
    from upstash_redis import Redis


class UpstashRateLimits:
    """Counts requests per policy and identifier; each check is one Redis round trip."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._limiters: dict[RatePolicy, Ratelimit] = {}

    def check(self, policy: RatePolicy, identifier: str) -> RateDecision:
        """Count one request for identifier under policy and say whether it is within the limit."""
        with redis_errors():
            response = self._limiter(policy).limit(identifier)
        return RateDecision(
            allowed=response.allowed,
            limit=response.limit,
            remaining=response.remaining,
            reset_at_s=response.reset,
        )

    def _limiter(self, policy: RatePolicy) -> Ratelimit:
        limiter = self._limiters.get(policy)
        if limiter is None:
            from upstash_ratelimit import Ratelimit, SlidingWindow

            limiter = Ratelimit(
                redis=self._redis,
                limiter=SlidingWindow(max_requests=policy.max_requests, window=policy.window_s),
                prefix=rate_limit_prefix(policy.name),
            )
            self._limiters[policy] = limiter
        return limiter
