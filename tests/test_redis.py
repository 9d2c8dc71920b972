"""The project's Redis client (upstash-redis) through the local REST face of a real Redis."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from dotline.adapters.upstash_redis import redis_from_settings
from dotline.settings import Settings


def test_round_trip_through_the_rest_face(redis_rest: str, settings: Settings) -> None:
    redis = redis_from_settings(settings.model_copy(update={"upstash_redis_rest_url": redis_rest}))
    key = f"test:{uuid.uuid4().hex}"

    redis.set(key, "héllo ✓", ex=60)
    value = redis.get(key)
    ttl = redis.ttl(key)
    redis.delete(key)

    assert value == "héllo ✓"
    assert 0 < ttl <= 60
    assert redis.get(key) is None


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """An HTTP endpoint that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_hung_endpoint_fails_within_the_timeout_instead_of_hanging(
    silent_endpoint: str, settings: Settings
) -> None:
    redis = redis_from_settings(
        settings.model_copy(
            update={"upstash_redis_rest_url": silent_endpoint, "redis_timeout_s": 0.3}
        )
    )
    started = time.monotonic()

    with pytest.raises(Exception, match=r"(?i)timed out|timeout"):
        redis.get("anything")

    assert time.monotonic() - started < 5  # two tries of 0.3 s each, not forever
