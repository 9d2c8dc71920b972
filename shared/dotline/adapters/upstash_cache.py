"""The cache port on Upstash Redis: JSON values with TTLs, counters, publish and erasure by SCAN."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from dotline.adapters.upstash_redis import TRANSPORT_ERRORS
from dotline.errors import ServiceUnavailable
from dotline.ports.cache import Tally

if TYPE_CHECKING:
    from upstash_redis import Redis

# Keys SCAN looks at per round trip; Redis's default of 10 would make erasure crawl.
SCAN_COUNT = 500

T = TypeVar("T")


class UpstashCache:
    """Cache, realtime state and pub/sub on one upstash-redis client."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    def get_json(self, key: str) -> Any | None:
        """The value stored under key, or None when absent or expired."""
        raw = self._call(lambda: self._redis.get(key))
        return None if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any, ttl_s: int | None) -> None:
        """Store value under key, expiring after ttl_s seconds (None: no expiry)."""
        payload = json.dumps(value, separators=(",", ":"))
        self._call(lambda: self._redis.set(key, payload, ex=ttl_s))

    def set_many_json(self, values: Mapping[str, Any], ttl_s: int | None) -> None:
        """Store each value under its key with one TTL, in one pipelined round trip."""
        if not values:
            return
        pipe = self._redis.pipeline()
        for key, value in values.items():
            pipe.set(key, json.dumps(value, separators=(",", ":")), ex=ttl_s)
        self._call(pipe.exec)

    def add_json(self, key: str, value: Any, ttl_s: int) -> bool:
        """Store value under key only if the key is absent (SET NX EX); True when stored."""
        payload = json.dumps(value, separators=(",", ":"))
        return bool(self._call(lambda: self._redis.set(key, payload, nx=True, ex=ttl_s)))

    def delete(self, keys: Sequence[str]) -> int:
        """Remove keys; returns how many existed."""
        if not keys:
            return 0
        return int(self._call(lambda: self._redis.delete(*keys)))

    def incr(self, key: str, by: int = 1) -> int:
        """Add to a counter and return its new value."""
        return int(self._call(lambda: self._redis.incrby(key, by)))

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Send message (as JSON) to channel's subscribers."""
        payload = json.dumps(message, separators=(",", ":"))
        self._call(lambda: self._redis.publish(channel, payload))

    def delete_matching(self, pattern: str) -> int:
        """Remove every key matching a glob pattern (erasure); returns how many.

        SCAN with MATCH walks the keyspace in pages and never blocks the server as KEYS would.
        """
        return sum(self.delete(page) for page in self._scan(pattern))

    def push_recent(self, key: str, member: str, keep: int, ttl_s: int) -> None:
        """LREM, LPUSH, LTRIM and EXPIRE in one pipelined round trip."""
        pipe = self._redis.pipeline()
        pipe.lrem(key, 0, member)
        pipe.lpush(key, member)
        pipe.ltrim(key, 0, keep - 1)
        pipe.expire(key, ttl_s)
        self._call(pipe.exec)

    def recent(self, key: str, count: int) -> list[str]:
        """The first `count` members of the list under key (LRANGE)."""
        return [str(m) for m in self._call(lambda: self._redis.lrange(key, 0, count - 1))]

    def tally(self, tally: Tally) -> None:
        """HINCRBY each field and EXPIREAT, in one pipelined round trip."""
        pipe = self._redis.pipeline()
        for name, count in tally.counts.items():
            pipe.hincrby(tally.key, name, count)
        pipe.expireat(tally.key, tally.expire_at_s)
        self._call(pipe.exec)

    def tallies(self, key: str) -> dict[str, int]:
        """Every field of the hash under key with its count (HGETALL)."""
        found = self._call(lambda: self._redis.hgetall(key)) or {}
        return {str(name): int(value) for name, value in found.items()}

    def _scan(self, pattern: str) -> Iterator[list[str]]:
        cursor = 0
        while True:
            with redis_errors():
                cursor, keys = self._redis.scan(cursor, match=pattern, count=SCAN_COUNT)
            if keys:
                yield list(keys)
            if int(cursor) == 0:
                return

    def _call(self, command: Callable[[], T]) -> T:
        with redis_errors():
            return command()


@contextmanager
def redis_errors() -> Iterator[None]:
    """Turn the SDK's transport and protocol failures into ServiceUnavailable."""
    from upstash_redis.errors import UpstashError

    try:
        yield
    except (*TRANSPORT_ERRORS, UpstashError) as exc:
        raise ServiceUnavailable("The cache is unreachable.", backend="redis") from exc
