"""What a person runs after a deploy: `dotline smoke` against a real gateway, and the deployed
`GET /health` function (which the local gateway answers itself, so it is called as Lambda would)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from conftest import ROOT, User
from dotline import bootstrap, profile
from dotline import settings as settings_module
from dotline_local import cli
from dotline_local.lambda_events import LambdaContext
from dotline_local.sam_template import read_template


def health_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("health_app", ROOT / "functions/health/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def health_event() -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "GET /health",
        "rawPath": "/health",
        "rawQueryString": "",
        "headers": {},
        "requestContext": {
            "http": {"method": "GET", "path": "/health", "sourceIp": "198.51.100.7"},
            "requestId": "health-1",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def context() -> LambdaContext:
    template = read_template(ROOT / "template.yaml")
    function = next(f for f in template.functions if f.logical_id == "HealthFunction")
    return LambdaContext(function, "health-invocation")


def test_the_template_routes_get_health_to_its_function() -> None:
    routes = {
        r.route_key for f in read_template(ROOT / "template.yaml").functions for r in f.routes
    }
    assert "GET /health" in routes


def test_health_answers_once_postgres_and_redis_answer() -> None:
    response = health_module().handler(health_event(), context())

    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"]) == {
        "status": "ok",
        "checked": ["settings", "postgres", "redis"],
    }


def test_health_is_a_500_problem_while_the_settings_may_not_serve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a deployed function with nothing configured
    monkeypatch.setenv(profile.PROFILE_ENV, "")
    monkeypatch.setenv(profile.LAMBDA_ENV, "dotline-health")
    monkeypatch.setattr(settings_module, "_loaded", None)
    bootstrap.use(None)
    try:
        response = health_module().handler(health_event(), context())
    finally:
        monkeypatch.undo()
        bootstrap.use(None)

    assert response["statusCode"] == 500
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert json.loads(response["body"])["type"].endswith("/misconfigured")


def test_smoke_passes_against_a_serving_api(
    gateway: str, make_user: Callable[..., User], capsys: pytest.CaptureFixture[str]
) -> None:
    user = make_user()

    code = cli.main(["smoke", "--url", gateway, "--token", user.token])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0, lines
    assert [line.split()[0] for line in lines] == ["ok", "ok", "ok"]
    assert lines[-1].endswith(f"user_id {user.user_id}")


def test_smoke_fails_on_a_token_the_api_refuses(
    gateway: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["smoke", "--url", gateway, "--token", "not-a-token"])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[-1].startswith("FAIL GET /v1/me with the token: 401")


def test_smoke_names_an_unreachable_api(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["smoke", "--url", "http://127.0.0.1:9", "--token", "t"])

    assert code == 1
    assert capsys.readouterr().out.startswith("FAIL http://127.0.0.1:9 unreachable")
