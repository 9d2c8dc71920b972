"""Upstash Redis over its REST protocol: the one Redis client, with the timeouts the SDK lacks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from dotline.settings import Settings

if TYPE_CHECKING:
    from upstash_redis import Redis

REST_RETRIES = 1
REST_RETRY_INTERVAL_S = 0.05


def redis_from_settings(settings: Settings) -> Redis:
    """An upstash-redis client whose every call is bounded by `redis_timeout_s`."""
    from upstash_redis import Redis

    client = Redis(
        url=settings.upstash_redis_rest_url,
        token=settings.upstash_redis_rest_token.get_secret_value(),
        rest_retries=REST_RETRIES,
        rest_retry_interval=REST_RETRY_INTERVAL_S,
        allow_telemetry=False,
    )
    # upstash-redis 1.x builds httpx.Client(timeout=None) and offers no option to change it; a
    # hung endpoint would hold a Lambda until its own timeout. Swap in a bounded client (guarded
    # by tests/test_redis.py, which fails if a new SDK version stops honouring it).
    client._http._client.close()
    client._http._client = httpx.Client(timeout=settings.redis_timeout_s)
    return client
