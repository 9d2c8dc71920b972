"""What importing a handler loads: no backend SDK, database driver or token library before the
first request that needs it (a cold start pays only for the resolver and its models)."""

from __future__ import annotations

import json
from pathlib import Path

from python_probes import run_python

ROOT = Path(__file__).resolve().parent.parent
# Each is imported by the adapter or service that uses it, on first use.
DEFERRED = (
    "psycopg",
    "jwt",
    "cryptography",
    "pydantic_settings",
    "numpy",
    "networkx",
    "neo4j",
    "weaviate",
    "grpc",
    "wordllama",
    "boto3",
    "httpx",
    "upstash_redis",
)

PROBE = """
import importlib.util, json, sys
sys.path.insert(0, {shared!r})
deferred, loaded = set({deferred!r}), {{}}
for folder in {folders!r}:
    spec = importlib.util.spec_from_file_location("app_" + folder.rsplit("/", 1)[-1], folder + "/app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.handler)
    early = sorted(deferred & {{name.split(".")[0] for name in sys.modules}})
    if early:
        loaded[folder.rsplit("/", 1)[-1]] = early
        break  # what it loaded would show against every later function too
print(json.dumps(loaded))
"""


def test_importing_any_handler_loads_no_deferred_library() -> None:
    folders = sorted(str(p.parent) for p in (ROOT / "functions").glob("*/app.py"))
    assert len(folders) > 20

    done = run_python(PROBE.format(shared=str(ROOT / "shared"), deferred=DEFERRED, folders=folders))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {}
