"""Logs and metrics the AWS way: through a real gateway, each request leaves one JSON `request`
line carrying its API Gateway request id as correlation id (and so do the service logs it
causes), and one CloudWatch EMF document; a scheduled job logs its summary and its counts."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import ROOT, User, start_server
from dotline.observability import logger
from dotline_local.lambda_events import LambdaContext
from dotline_local.sam_template import read_template

NAMESPACE = "dotline-observability-test"


@pytest.fixture(scope="module")
def measured_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A gateway whose functions publish metrics (off by default on the local stack)."""
    log = tmp_path_factory.mktemp("gateway") / "gateway.log"
    env = {"POWERTOOLS_METRICS_DISABLED": "false", "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE}
    server = start_server("dotline_local.gateway", ["--template", "template.yaml"], env, log)
    yield server.url, log
    server.stop()


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def logged(log: Path, wanted: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """The log's JSON lines once `wanted` holds for them (polled, with a deadline)."""
    deadline = time.monotonic() + 5
    while True:
        lines = json_lines(log.read_text(encoding="utf-8"))
        if wanted(lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def emf_of(lines: list[dict[str, Any]], **dimensions: str) -> list[dict[str, Any]]:
    return [
        line
        for line in lines
        if "_aws" in line and all(line.get(k) == v for k, v in dimensions.items())
    ]


def test_each_request_logs_one_json_line_with_its_correlation_id_and_one_emf_document(
    measured_gateway: tuple[str, Path], make_user: Callable[..., User]
) -> None:
    url, log = measured_gateway
    user = make_user()

    responses = [httpx.get(f"{url}/v1/me", headers=user.headers, timeout=10) for _ in range(2)]

    ids = [r.headers["apigw-requestid"] for r in responses]
    assert [r.status_code for r in responses] == [200, 200]
    lines = logged(log, lambda ls: len(emf_of(ls, route="GET /v1/me")) >= 2)
    for request_id in ids:
        mine = [line for line in lines if line.get("correlation_id") == request_id]
        (request,) = [line for line in mine if line.get("message") == "request"]
        assert request["function_name"] == "MeFunction"
        assert request["function_request_id"] == request_id
        assert (request["status"], request["route"]) == (200, "GET /v1/me")
    # a service log line of the first request (the container's first build) carries its id too
    (backends,) = [line for line in lines if line.get("message") == "backends"]
    assert backends["correlation_id"] == ids[0]
    assert backends["backends"]["graph"] == "postgres (embedded)"
    document = emf_of(lines, route="GET /v1/me", status="200")[0]
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert set(directive["Dimensions"][0]) == {"service", "route", "status"}
    units = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    assert units == {"Requests": "Count", "RateLimited": "Count", "Latency": "Milliseconds"}
    # Powertools writes each metric's values as a list (one value per document here)
    assert (document["Requests"], document["RateLimited"]) == ([1], [0])
    assert document["Latency"][0] > 0


def test_a_refused_token_is_counted_under_its_status(
    measured_gateway: tuple[str, Path],
) -> None:
    url, log = measured_gateway

    response = httpx.get(f"{url}/v1/me", headers={"Authorization": "Bearer nope"}, timeout=10)

    assert response.status_code == 401
    lines = logged(log, lambda ls: bool(emf_of(ls, route="GET /v1/me", status="401")))
    assert emf_of(lines, route="GET /v1/me", status="401")[0]["Requests"] == [1]


class SpentContext(LambdaContext):
    """The ingestion function's context with no time left beyond its safety margin."""

    def get_remaining_time_in_millis(self) -> int:
        return 40_000


@pytest.fixture
def log_to_stdout() -> Iterator[Callable[[], None]]:
    """Point the logger's handler at the current stdout (it keeps the stdout it was made with,
    earlier in the session); call it inside the test, where capsys's stdout is live."""
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.stream

    def point() -> None:
        handler.stream = sys.stdout

    yield point
    handler.stream = previous


def test_a_scheduled_job_logs_its_summary_and_publishes_its_counts(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    log_to_stdout: Callable[[], None],
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    spec = importlib.util.spec_from_file_location(
        "ingestion_app", ROOT / "functions/ingestion/app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = next(f for f in read_template(ROOT / "template.yaml").functions
                    if f.logical_id == "IngestionFunction")  # fmt: skip
    event = {"id": "schedule-event-1", "source": "aws.events", "detail-type": "Scheduled Event"}
    log_to_stdout()
    capsys.readouterr()

    module.handler(event, SpentContext(function, "invocation-1"))

    lines = json_lines(capsys.readouterr().out)
    (summary,) = [line for line in lines if line.get("message") == "job finished"]
    assert summary["correlation_id"] == "schedule-event-1"
    assert summary["function_request_id"] == "invocation-1"
    assert summary["summary"]["claimed"] == 0
    (document,) = emf_of(lines, job="ingestion")
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == NAMESPACE
    assert (document["Runs"], document["Failures"], document["IngestionFailures"]) == (
        [1],
        [0],
        [0],
    )
