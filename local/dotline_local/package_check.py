"""The package check: is what `sam build` ships enough to run? The layer and every function are
built for this machine (its Python and platform) by the same scripts SAM runs for Lambda's, then
each function answers one request in an interpreter that sees only its own folder, the layer and
the packages Lambda's runtime provides (boto3): a module missing from the package fails here.

Run with `make package-check` while the local stack is up (`make test` leaves it up). Production
settings apply except where the local stack stands in: embeddings come from an OpenAI-compatible
endpoint (WordLlama served locally), since the layer ships no WordLlama.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg

from dotline.settings import get_settings
from dotline_local.embeddings_endpoint import serving_embeddings
from dotline_local.package_probe import MARKER
from dotline_local.package_requests import Requests
from dotline_local.sam_template import FunctionSpec, read_template
from dotline_local.tokens import mint_token, sign_up

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / ".aws-sam" / "package-check"
PROBE = Path(__file__).with_name("package_probe.py")
PROBE_TIMEOUT_S = 120


def build(python: str, functions: tuple[FunctionSpec, ...]) -> tuple[Path, Path]:
    """The layer, the runtime's packages and every function, for this machine; (layer, runtime)."""
    version = "{}.{}".format(*sys.version_info[:2])
    target = f"{platform.machine()}-manylinux_2_28"
    env = {**os.environ, "LAMBDA_PYTHON_VERSION": version, "LAMBDA_PLATFORM": target}
    env["DOTLINE_PYTHON"] = python
    layer, runtime = OUT / "SharedLayer", OUT / "runtime"
    _run(["bash", "local/build_layer.sh", "shared", str(layer)], env)
    # What Lambda's Python runtime brings itself (boto3): never in the layer, so added here.
    pins = _run(["uv", "export", "--frozen", "--only-group", "aws-runtime", "--no-hashes",
                 "--no-emit-project", "--format", "requirements-txt", "-q"], env)  # fmt: skip
    requirements = OUT / "runtime-requirements.txt"
    requirements.write_text(pins)
    _run(["uv", "pip", "install", "--quiet", "--target", str(runtime), "--python-platform",
          target, "--python-version", version, "--only-binary", ":all:", "--no-deps",
          "--no-config", "-r", str(requirements)], env)  # fmt: skip
    for function in functions:
        built = OUT / function.logical_id
        _run(["bash", "local/build_function.sh", str(function.code_dir), str(built)], env)
    _run([python, "local/package_report.py", str(layer),
          *(str(OUT / f.logical_id) for f in functions)], env, show=True)  # fmt: skip
    return layer / "python", runtime


def probe(python: str, name: str, function_dir: Path, paths: list[Path], event: Any,
          env: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """Run one event through the built function in a bare interpreter; what it reported."""
    job = {"name": name, "function_dir": str(function_dir), "paths": [str(p) for p in paths]}
    done = subprocess.run(  # noqa: S603 - our interpreter and probe
        [python, "-I", "-S", str(PROBE)],
        input=json.dumps({**job, "event": event}),
        capture_output=True,
        text=True,
        env=env,
        timeout=PROBE_TIMEOUT_S,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr or done.stdout).strip()[-2000:]}
    report: dict[str, Any] = json.loads(lines[-1].removeprefix(MARKER))
    return report


def main() -> int:
    template = read_template(ROOT / "template.yaml")
    # The interpreter itself, not this virtual environment's: -I -S then sees the stdlib only.
    python = getattr(sys, "_base_executable", sys.executable)
    layer, runtime = build(python, template.functions)
    settings = get_settings()
    with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as conn:
        email = f"package-check-{uuid.uuid4().hex[:8]}@example.com"
        user_id = sign_up(conn, email)
        admin = mint_token(user_id, email, app_metadata={"role": "admin"})
        requests = Requests(conn, template, user_id, mint_token(user_id, email), admin)
        with serving_embeddings() as embeddings_url:
            env = {"PATH": os.environ.get("PATH", ""), "DOTLINE_PROFILE": "local",
                   "EMBEDDINGS_URL": embeddings_url, "EMBEDDINGS_MODEL": "wordllama-local",
                   "LOG_LEVEL": "WARNING"}  # fmt: skip
            failures = _probe_all(python, template.functions, [layer, runtime], requests, env)
    count = len(template.functions)
    verdict = f"{failures} of {count} functions failed" if failures else f"all {count} answered"
    print(f"package check: {verdict}")
    return 1 if failures else 0


def _probe_all(python: str, functions: tuple[FunctionSpec, ...], paths: list[Path],
               requests: Requests, env: dict[str, str]) -> int:  # fmt: skip
    failures = 0
    print(f"{'function':24s} {'request':44s} {'status':>6s} {'import':>8s} {'1st call':>9s}")
    for function in sorted(functions, key=requests.order):
        label, event, wanted = requests.event_for(function)
        report = probe(python, function.logical_id, OUT / function.logical_id, paths, event, env)
        requests.saw(function, report)
        problem = report.get("error") or _problem(report, wanted)
        status = report.get("status") or "-"
        timing = f"{report.get('import_ms', 0):6.0f}ms {report.get('first_call_ms', 0):7.0f}ms"
        print(f"{function.logical_id:24s} {label[:44]:44s} {status!s:>6s} {timing}")
        if problem:
            failures += 1
            print(f"  FAILED: {problem}")
    return failures


def _problem(report: dict[str, Any], wanted: tuple[int, ...] | None) -> str | None:
    if report["strays"]:
        return f"loaded modules from outside the package: {report['strays'][:5]}"
    if wanted is not None and report["status"] not in wanted:
        return f"status {report['status']}, expected {wanted}: {report['body']}"
    return None


def _run(command: list[str], env: dict[str, str], *, show: bool = False) -> str:
    done = subprocess.run(  # noqa: S603 - our own build scripts and uv
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if show or done.returncode != 0:
        print(done.stdout, end="")
        print(done.stderr, end="", file=sys.stderr)
    if done.returncode != 0:
        raise SystemExit(f"package check: {' '.join(command[:3])} failed ({done.returncode})")
    return done.stdout


if __name__ == "__main__":
    sys.exit(main())
