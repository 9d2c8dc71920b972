"""The local Redis server on 127.0.0.1:6379: reused when one answers, started when none does."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

HOST = "127.0.0.1"
PORT = 6379
URL = f"redis://{HOST}:{PORT}/0"
PING_TIMEOUT_S = 1.0
START_DEADLINE_S = 10.0


class RedisError(RuntimeError):
    """Redis could not be started."""


def answers_ping(port: int = PORT) -> bool:
    """True when something on HOST:port answers PING like Redis (even refusing without auth)."""
    try:
        with socket.create_connection((HOST, port), timeout=PING_TIMEOUT_S) as conn:
            conn.sendall(b"PING\r\n")
            reply = conn.recv(64)
    except OSError:
        return False
    return reply.startswith((b"+PONG", b"-NOAUTH"))


def ensure_running(log_file: Path, port: int = PORT) -> bool:
    """Start a throwaway (no persistence) Redis unless one answers; True when started."""
    if answers_ping(port):
        return False
    log_file.parent.mkdir(parents=True, exist_ok=True)
    argv = ["redis-server", "--daemonize", "yes", "--bind", HOST, "--port", str(port)]
    argv += ["--save", "", "--appendonly", "no", "--logfile", str(log_file)]
    try:
        subprocess.run(argv, check=True, capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError as exc:
        raise RedisError("redis-server not found: run local/bootstrap.sh first") from exc
    except subprocess.CalledProcessError as exc:
        raise RedisError(f"redis-server failed: {exc.stderr.strip()} (log: {log_file})") from exc
    deadline = time.monotonic() + START_DEADLINE_S
    while not answers_ping(port):
        if time.monotonic() > deadline:
            raise RedisError(f"redis-server did not answer PING in {START_DEADLINE_S}s: {log_file}")
        time.sleep(0.1)
    return True
