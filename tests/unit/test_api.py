"""The shared resolver in-process: problem responses, the request log line, secrets kept out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dotline.api import entry, logger, resolver
from dotline.errors import Conflict

TOKEN_MARKER = "secret-token-value"


def event(path: str, method: str = "GET", headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers or {},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "127.0.0.1"},
            "requestId": "req-123",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def public_app() -> Any:
    app = resolver()

    @app.get("/boom")
    def boom() -> dict[str, str]:
        raise RuntimeError("database password is hunter2")

    @app.get("/conflict")
    def conflict() -> dict[str, str]:
        raise Conflict("That name is taken.", existing_id="thing-1")

    return entry(app, public=True)


def test_unexpected_error_is_500_problem_without_internals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    response = public_app()(event("/boom"), None)

    assert response["statusCode"] == 500
    body = json.loads(response["body"])
    assert body["type"].endswith("/internal-error")
    assert "hunter2" not in response["body"]
    assert "Traceback" not in response["body"]


def test_domain_error_keeps_its_status_and_extensions() -> None:
    response = public_app()(event("/conflict"), None)

    assert response["statusCode"] == 409
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert json.loads(response["body"])["existing_id"] == "thing-1"


def test_unknown_route_inside_a_function_is_404_problem() -> None:
    response = public_app()(event("/nowhere"), None)

    assert response["statusCode"] == 404
    assert json.loads(response["body"])["status"] == 404


def test_one_json_log_line_per_request_with_id_and_latency(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = resolver()

    @app.get("/ok")
    def ok() -> dict[str, str]:
        return {"ok": "yes"}

    handler = entry(app)
    caplog.clear()

    handler(event("/ok", headers={"authorization": f"Bearer {TOKEN_MARKER}"}), None)

    records = [r for r in caplog.records if r.name == "dotline" and r.getMessage() == "request"]
    assert len(records) == 1
    line = json.loads(logger.registered_formatter.format(records[0]))
    assert line["request_id"] == "req-123"
    assert line["status"] == 401
    assert isinstance(line["latency_ms"], float)
    assert TOKEN_MARKER not in json.dumps([r.__dict__ for r in caplog.records], default=str)
