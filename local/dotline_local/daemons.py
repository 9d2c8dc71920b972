"""The stack's long-running Python services, judged alive by their `GET /health`.

Started detached (pid and log files under .stack/) by `up`, or in the foreground by `dev`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

HEALTH_TIMEOUT_S = 1.0
READY_DEADLINE_S = 30.0
STOP_DEADLINE_S = 10.0
LOG_TAIL_LINES = 20


class DaemonError(RuntimeError):
    """A service did not start or did not become healthy."""


@dataclass(frozen=True)
class Daemon:
    """A Python module run as a service, and where its state lives."""

    name: str
    module: str
    arguments: tuple[str, ...]
    health_url: str
    state_dir: Path

    @property
    def argv(self) -> list[str]:
        return [sys.executable, "-m", self.module, *self.arguments]

    @property
    def pid_file(self) -> Path:
        return self.state_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / f"{self.name}.log"


def is_healthy(daemon: Daemon) -> bool:
    """True when the daemon's health URL answers 200."""
    try:
        with httpx.Client(trust_env=False, timeout=HEALTH_TIMEOUT_S) as client:
            return client.get(daemon.health_url).status_code == 200
    except httpx.HTTPError:
        return False


def running_pid(daemon: Daemon) -> int | None:
    """The pid in the daemon's pid file, if that process still runs this daemon's module."""
    try:
        pid = int(daemon.pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if daemon.module.encode() in cmdline and _alive(pid) else None


def start_detached(daemon: Daemon, cwd: Path) -> bool:
    """Start the daemon in the background unless it is healthy already; True when started."""
    if is_healthy(daemon):
        return False
    if running_pid(daemon) is None:
        daemon.state_dir.mkdir(parents=True, exist_ok=True)
        with daemon.log_file.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603
                daemon.argv,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        daemon.pid_file.write_text(f"{process.pid}\n")
    wait_healthy(daemon, lambda: running_pid(daemon) is not None)
    return True


def start_foreground(daemon: Daemon, cwd: Path) -> subprocess.Popen[bytes]:
    """Start the daemon as a child sharing our output; the caller stops it."""
    # A session of its own: Ctrl-C reaches only us, and we stop the children in order.
    return subprocess.Popen(daemon.argv, cwd=cwd, stdin=subprocess.DEVNULL, start_new_session=True)  # noqa: S603


def wait_healthy(daemon: Daemon, alive: Callable[[], bool]) -> None:
    """Poll the health URL until it answers; fail early once alive() turns false."""
    deadline = time.monotonic() + READY_DEADLINE_S
    while not is_healthy(daemon):
        if not alive():
            raise DaemonError(
                f"{daemon.name} exited before answering {daemon.health_url}" + _log_tail(daemon)
            )
        if time.monotonic() > deadline:
            raise DaemonError(
                f"{daemon.name} did not answer {daemon.health_url} within "
                f"{READY_DEADLINE_S:.0f}s" + _log_tail(daemon)
            )
        time.sleep(0.2)


def stop_detached(daemon: Daemon) -> bool:
    """Stop the daemon started by start_detached; True when one was running."""
    pid = running_pid(daemon)
    daemon.pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_DEADLINE_S
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    _signal_group(pid, signal.SIGKILL)
    return True


def stop_child(process: subprocess.Popen[bytes]) -> None:
    """Stop a foreground child: SIGTERM, then SIGKILL after STOP_DEADLINE_S."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()


def _alive(pid: int) -> bool:
    """True while pid runs (a zombie, exited but not yet reaped, does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _log_tail(daemon: Daemon) -> str:
    try:
        lines = daemon.log_file.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
    except OSError:
        return f"; no log at {daemon.log_file}"
    return f"; see {daemon.log_file}, which ends:\n" + "\n".join(f"  | {line}" for line in lines)
