"""Run a few lines of Python in a fresh interpreter: for what an import does to a process (which
modules it loads, what it configures), which the test process itself has long since done."""

from __future__ import annotations

import subprocess
import sys


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`code` run by this interpreter in a new process (60 s at most), its output captured."""
    return subprocess.run(  # noqa: S603 - our interpreter, the test's own code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
