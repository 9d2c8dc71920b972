"""What the benchmarks share: percentiles and a throwaway gateway whose log stays out of the figures."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from dotline.db import rolled_back_by_postgres
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
