"""One function run from its built package alone, as Lambda would: started by the package check as
`python -I -S package_probe.py` (no site-packages, no environment's PYTHONPATH), it puts the
function's folder, the layer and the runtime's own packages on sys.path, imports the handler,
answers one event read from stdin, and prints what happened as one JSON line after MARKER.

Standard library only: nothing of the project's environment is importable here, which is the point.
"""

from __future__ import annotations

import json
import sys
import sysconfig
import time
import uuid
from pathlib import Path
from typing import Any

MARKER = "PACKAGE-PROBE "
BUDGET_S = 5.0  # what a scheduled job is left for work past its own safety margin


class Context:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, name: str, remaining_s: float) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "package-check"
        self._deadline = time.monotonic() + remaining_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def strays(roots: list[str]) -> list[str]:
    """Loaded modules from anywhere but the standard library and the given folders."""
    kept = [*roots, sysconfig.get_paths()["stdlib"], __file__]  # this probe runs as __main__
    allowed = tuple(str(Path(p).resolve()) for p in kept)
    found = []
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None)
        if origin and not str(Path(origin).resolve()).startswith(allowed):
            found.append(f"{name} ({origin})")
    return sorted(found)


def main() -> None:
    job: dict[str, Any] = json.loads(sys.stdin.read())
    roots = [job["function_dir"], *job["paths"]]
    sys.path[:0] = roots
    started = time.perf_counter()
    import app  # type: ignore[import-not-found]  # the function's own handler module

    imported = time.perf_counter()
    margin_s = float(getattr(app, "SAFETY_MARGIN_S", 0.0))
    result = app.handler(job["event"], Context(job["name"], margin_s + BUDGET_S))
    answered = time.perf_counter()
    status = result.get("statusCode") if isinstance(result, dict) else None
    report = {
        "status": status,
        "body": str(result.get("body", result) if isinstance(result, dict) else result)[:4000],
        "import_ms": round((imported - started) * 1000, 1),
        "first_call_ms": round((answered - imported) * 1000, 1),
        "strays": strays(roots),
    }
    print(MARKER + json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
