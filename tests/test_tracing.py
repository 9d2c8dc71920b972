"""Traces: in Lambda with tracing on, each port call is an X-Ray subsegment named for the port
and the call (the real X-Ray SDK, its segments captured instead of sent to a daemon); elsewhere
the ports are handed out as they are, and no function's import loads the SDK."""

from __future__ import annotations

import json
import os

from conftest import ROOT
from python_probes import run_python

IN_LAMBDA = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_LAMBDA_FUNCTION_NAME": "dotline-trace-probe",
    "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
}

PROBE = """
import json
from aws_xray_sdk.core import xray_recorder
from dotline.observability import traced, subsegment

sent = []

class Capture:
    def send_entity(self, entity):
        sent.append(json.loads(entity.serialize()))
    def set_daemon_address(self, address):
        pass

class Graph:
    def neighbours(self, node):
        return [node]

graph = traced(Graph(), "graph")
xray_recorder.configure(emitter=Capture())
assert graph.neighbours("n1") == ["n1"]
with subsegment("postgres.as_user"):
    pass
print(json.dumps([[e["name"], e.get("annotations")] for e in sent]))
"""


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "shared"), **extra}


def test_in_lambda_each_port_call_is_a_subsegment_named_for_the_port() -> None:
    done = run_python(PROBE, env(**IN_LAMBDA))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [
        ["## graph.neighbours", {"port": "graph"}],
        ["## postgres.as_user", {"port": "postgres"}],
    ]


def test_outside_lambda_ports_are_unwrapped_and_the_sdk_never_loads() -> None:
    code = (
        "import sys\n"
        "from dotline.observability import traced\n"
        "port = object()\n"
        "assert traced(port, 'graph') is port\n"
        "print('aws_xray_sdk' in sys.modules)\n"
    )

    done = run_python(code, env())

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_importing_a_function_loads_neither_the_sdk_nor_boto3_nor_supabase() -> None:
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'functions' / 'me')!r})\n"
        "import app\n"
        "heavy = ('aws_xray_sdk', 'boto3', 'supabase', 'tenacity')\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )

    done = run_python(code, env(**IN_LAMBDA))

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
