"""Per-user and per-IP rate limits of the shared HTTP layer, through a real gateway and Redis."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from conftest import ROOT, User, free_port
from dotline.api import entry, resolver
from dotline.bootstrap import Deps, use
from dotline.settings import Settings

TEMPLATE = ROOT / "tests" / "fixtures" / "ratelimit" / "template.yaml"


@pytest.fixture(scope="module")
def limited(start_gateway: Callable[..., str], redis_rest: str) -> str:
    """A gateway over the fixture template, its limits kept in the real Redis."""
    return start_gateway({"UPSTASH_REDIS_REST_URL": redis_rest}, template=TEMPLATE)


def client_from(gateway: str, source_ip: str) -> httpx.Client:
    """A client whose connections leave from source_ip (any 127/8 address reaches loopback)."""
    transport = httpx.HTTPTransport(local_address=source_ip)
    return httpx.Client(base_url=gateway, transport=transport, timeout=10)


def fresh_loopback_ip() -> str:
    """A loopback address no earlier run has spent its quota from."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


def test_user_gets_429_with_retry_after_once_their_quota_is_spent(
    limited: str, make_user: Callable[[], User]
) -> None:
    user = make_user()
    with httpx.Client(base_url=limited, timeout=10) as api:
        allowed = [api.get("/v1/limited/user", headers=user.headers) for _ in range(3)]
        refused = api.get("/v1/limited/user", headers=user.headers)

    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert [r.headers["RateLimit-Remaining"] for r in allowed] == ["2", "1", "0"]
    assert all(r.headers["RateLimit-Limit"] == "3" for r in allowed)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/rate-limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["RateLimit-Reset"]) <= 60


def test_one_users_spent_quota_leaves_other_users_unaffected(
    limited: str, make_user: Callable[[], User]
) -> None:
    greedy, other = make_user(), make_user()
    with httpx.Client(base_url=limited, timeout=10) as api:
        for _ in range(4):
            api.get("/v1/limited/user", headers=greedy.headers)

        response = api.get("/v1/limited/user", headers=other.headers)

    assert response.status_code == 200
    assert response.json() == {"user_id": str(other.user_id)}
    assert response.headers["RateLimit-Remaining"] == "2"


def test_client_address_is_limited_before_authentication(limited: str) -> None:
    noisy, quiet = fresh_loopback_ip(), fresh_loopback_ip()
    with client_from(limited, noisy) as api:
        allowed = [api.get("/v1/limited/ip").status_code for _ in range(4)]
        refused = api.get("/v1/limited/ip")
    with client_from(limited, quiet) as api:
        elsewhere = api.get("/v1/limited/ip")

    assert allowed == [200, 200, 200, 200]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert elsewhere.status_code == 200
    assert elsewhere.headers["RateLimit-Remaining"] == "3"


def test_default_limits_report_the_remaining_quota_on_success(
    api: httpx.Client, make_user: Callable[[], User]
) -> None:
    user = make_user()

    response = api.get("/v1/me", headers=user.headers)

    assert response.status_code == 200
    assert response.headers["RateLimit-Limit"] == "120"
    assert response.headers["RateLimit-Remaining"] == "119"
    assert "Retry-After" not in response.headers


@pytest.fixture
def redis_down(settings: Settings) -> Iterator[None]:
    """Dependencies whose Redis URL points at a port nobody listens on."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    use(Deps(settings=settings.model_copy(update={"upstash_redis_rest_url": nowhere})))
    yield
    use(None)


def public_event(source_ip: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "GET /ok",
        "rawPath": "/ok",
        "rawQueryString": "",
        "headers": {},
        "requestContext": {
            "http": {"method": "GET", "path": "/ok", "sourceIp": source_ip},
            "requestId": "req-1",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def test_requests_proceed_with_a_warning_when_redis_is_unreachable(
    redis_down: None, caplog: pytest.LogCaptureFixture
) -> None:
    app = resolver()

    @app.get("/ok")
    def ok() -> dict[str, str]:
        return {"ok": "yes"}

    handler = entry(app, public=True)

    first = handler(public_event("203.0.113.9"), None)
    started = time.monotonic()
    second = handler(public_event("203.0.113.9"), None)

    assert first["statusCode"] == second["statusCode"] == 200
    assert json.loads(first["body"]) == {"ok": "yes"}
    assert "RateLimit-Remaining" not in first["headers"]
    assert any("failing open" in r.getMessage() for r in caplog.records)
    assert time.monotonic() - started < 0.05  # paused: no second trip to a dead Redis
