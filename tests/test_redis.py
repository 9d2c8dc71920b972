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


@pytest.fixture
def one_reply_per_connection() -> Iterator[tuple[str, list[int]]]:
    """An HTTP endpoint that answers one request per connection (keep-alive, no
    `Connection: close`) and then closes it, as a server's idle timeout does; and how many
    connections it accepted."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = [0]
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            accepted[0] += 1
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(4096)
                head, _, body = request.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                while len(body) < length:
                    body += conn.recv(4096)
                reply = b'{"result":"PONG"}'
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(reply), reply)
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    server.close()


def test_a_kept_connection_the_server_closed_is_not_sent_on(
    one_reply_per_connection: tuple[str, list[int]],
) -> None:
    from dotline.adapters.upstash_redis import RestHttpClient

    url, accepted = one_reply_per_connection
    client = RestHttpClient(timeout_s=2)
    try:
        first = client.post(url, headers={}, json=["PING"]).json()
        time.sleep(0.1)  # the server has closed the connection the client keeps
        second = client.post(url, headers={}, json=["PING"]).json()
    finally:
        client.close()

    assert first == second == {"result": "PONG"}
    assert accepted[0] == 2  # the second call opened a new connection instead of failing


def test_the_rest_client_serves_threads_at_once(redis_rest: str, settings: Settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    redis = redis_from_settings(settings.model_copy(update={"upstash_redis_rest_url": redis_rest}))
    prefix = f"test:threads:{uuid.uuid4().hex}"

    def round_trip(n: int) -> str | None:
        redis.set(f"{prefix}:{n}", f"value {n}", ex=60)
        return redis.get(f"{prefix}:{n}")

    with ThreadPoolExecutor(8) as pool:
        values = list(pool.map(round_trip, range(80)))
    redis.delete(*[f"{prefix}:{n}" for n in range(80)])

    assert values == [f"value {n}" for n in range(80)]
