"""What the benchmarks share: percentiles and a throwaway gateway whose log stays out of the figures."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import psycopg

from dotline.db_errors import rolled_back_by_postgres
from dotline_local.daemons import Daemon, stop_child, wait_healthy

ROOT = Path(__file__).resolve().parents[2]


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) of samples, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def remove_people(
    conn: psycopg.Connection[Any], user_ids: Sequence[uuid.UUID], attempts: int = 5
) -> None:
    """Delete the bench's people (their rows cascade) on an autocommit connection. The local
    stack's outbox dispatcher may still be delivering their last changes, and the cascade can
    deadlock with it; Postgres then undoes one side, so the delete is simply sent again."""
    for attempt in range(1, attempts + 1):
        try:
            conn.execute("delete from auth.users where id = any(%s)", (list(user_ids),))
            return
        except psycopg.Error as exc:
            if attempt == attempts or not rolled_back_by_postgres(exc):
                raise
            time.sleep(0.2 * attempt)


class TimingClient:
    """A keep-alive HTTP/1.1 client for latency figures, on http.client.

    The bench's client shares the machine with the server, and its own time is in every figure
    it takes: this one spends a fraction of httpx's CPU per request (docs/measurements.md).
    `source_address` binds the
    connection to a loopback address, so per-address rate limits see several clients."""

    def __init__(
        self, base_url: str, *, source_address: str | None = None, timeout_s: float = 30
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or url.hostname is None:
            raise ValueError(f"an http:// URL is needed, not {base_url!r}")
        self._host, self._port = url.hostname, url.port or 80
        self._source = (source_address, 0) if source_address else None
        self._timeout_s = timeout_s
        self._conn: http.client.HTTPConnection | None = None

    def get(
        self,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """(status, body) of a GET; a connection the server closed is opened again once."""
        target = f"{path}?{urlencode(params)}" if params else path
        return self.request("GET", target, headers=headers)

    def request(
        self,
        method: str,
        target: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """(status, body) of any request; a connection the server had closed before the request
        went out is opened again once."""
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, target, body=body, headers=headers or {})
                response = conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(
                self._host, self._port, timeout=self._timeout_s, source_address=self._source
            )
        return self._conn


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gateway_on_free_port(
    name: str, *, extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> Iterator[str]:
    """A gateway over template.yaml on a free port (log under .stack/NAME.log); yields its URL."""
    port = free_port()
    daemon = Daemon(
        name,
        "dotline_local.gateway",
        (
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--template",
            str(ROOT / "template.yaml"),
            *extra_args,
        ),
        f"http://127.0.0.1:{port}/health",
        ROOT / ".stack",
    )
    daemon.state_dir.mkdir(exist_ok=True)
    with daemon.log_file.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            daemon.argv,
            cwd=ROOT,
            stdout=log,
            stderr=log,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    try:
        wait_healthy(daemon, lambda: process.poll() is None)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_child(process)
