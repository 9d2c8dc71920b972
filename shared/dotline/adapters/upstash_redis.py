"""Upstash Redis over its REST protocol: the one Redis client, with the timeouts the SDK lacks
and a leaner HTTP client under it."""

from __future__ import annotations

import http.client
import json as _json
import select
import ssl
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import certifi

from dotline.settings import Settings

if TYPE_CHECKING:
    from upstash_redis import Redis

REST_RETRIES = 1
REST_RETRY_INTERVAL_S = 0.05
POOL_CONNECTIONS = 8  # idle ones kept per host: a container's request thread, rate-limit checks
# What a failed call raises: the socket's errors (refused, reset, timed out) and HTTP's.
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)

Origin = tuple[str, str, int]  # scheme, host, port


class RestReply:
    """What upstash-redis reads of a reply: its headers and its JSON body."""

    __slots__ = ("_body", "_status", "headers")

    def __init__(self, headers: Any, body: bytes, status: int = 200) -> None:
        self.headers = headers
        self._body = body
        self._status = status

    def json(self) -> Any:
        """The body; a refused request (`{"error": ...}` with a 4xx or 5xx) raises UpstashError.

        The SDK reads a single command's error itself, but iterates a pipeline's answer as a
        list of replies: a whole pipeline refused (Redis down behind the REST API) would reach it
        as a dict and fail with an AttributeError instead of its own error."""
        answer = _json.loads(self._body)
        if self._status >= 400 and isinstance(answer, dict) and answer.get("error"):
            from upstash_redis.errors import UpstashError

            raise UpstashError(str(answer["error"]))
        return answer


class RestHttpClient:
    """The part of httpx.Client that upstash-redis 1.x calls (`post(url, headers=, json=)` and
    `close()`), on keep-alive http.client connections, a few kept per host.

    Every request pays for its HTTP client, and the rate-limit check is one on every request:
    plain http.client costs about half the CPU of httpx's client or urllib3's pool on a warm
    pipeline call (docs/measurements.md). Connect
    and every read are bounded by `timeout_s`; a kept connection the server has closed is
    dropped before it is used (as urllib3 does), and the SDK's own retry covers the rest. TLS
    verifies the server against certifi's roots, as httpx did."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._tls = ssl.create_default_context(cafile=certifi.where())
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()  # containers call from several threads

    def post(self, url: str, *, headers: dict[str, str], json: Any) -> RestReply:
        origin, target = _split(url)
        body = _json.dumps(json, separators=(",", ":")).encode()
        sent = {**headers, "Content-Type": "application/json"}
        conn = self._take(origin)
        try:
            conn.request("POST", target, body=body, headers=sent)
            reply = conn.getresponse()
            data = reply.read()
        except BaseException:
            conn.close()
            raise
        if reply.will_close:
            conn.close()
        else:
            self._keep(origin, conn)
        return RestReply(reply.headers, data, reply.status)

    def close(self) -> None:
        with self._lock:
            kept = [conn for conns in self._idle.values() for conn in conns]
            self._idle.clear()
        for conn in kept:
            conn.close()

    def _take(self, origin: Origin) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                conn = idle.pop() if idle else None
            if conn is None:
                return self._open(origin)
            if not _dropped(conn):
                return conn
            conn.close()

    def _keep(self, origin: Origin, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < POOL_CONNECTIONS:
                idle.append(conn)
                return
        conn.close()

    def _open(self, origin: Origin) -> http.client.HTTPConnection:
        scheme, host, port = origin
        if scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=self._timeout_s, context=self._tls
            )
        return http.client.HTTPConnection(host, port, timeout=self._timeout_s)


@lru_cache(maxsize=16)
def _split(url: str) -> tuple[Origin, str]:
    """(scheme, host, port) and the request target of an http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the Upstash REST URL must be http:// or https://")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (parts.scheme, parts.hostname, port), target


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """Whether a kept connection was closed by the server meanwhile (its socket reads: the end
    of the stream, or bytes nobody asked for)."""
    sock = conn.sock
    if sock is None:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    try:
        return bool(poller.poll(0))
    except OSError:
        return True


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
    # by tests/test_redis.py, which fails if a new SDK version stops calling it).
    client._http._client.close()
    client._http._client = RestHttpClient(settings.redis_timeout_s)  # type: ignore[assignment]
    return client
