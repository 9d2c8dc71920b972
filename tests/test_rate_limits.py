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


class CountingClient:
    """The adapter's own HTTP client (upstash_redis.RestHttpClient), counting the requests that
    reach the REST face."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests = 0

    def post(self, url: str, **kwargs: Any) -> Any:
        self.requests += 1
        return self.inner.post(url, **kwargs)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def counted_limits(redis_rest: str, settings: Settings) -> Iterator[tuple[Any, CountingClient]]:
    from dotline.adapters.upstash_rate_limits import UpstashRateLimits
    from dotline.adapters.upstash_redis import RestHttpClient, redis_from_settings

    client = redis_from_settings(settings.model_copy(update={"upstash_redis_rest_url": redis_rest}))
    assert isinstance(client._http._client, RestHttpClient)  # what production sends through
    counting = CountingClient(client._http._client)
    client._http._client = counting
    yield UpstashRateLimits(client), counting
    counting.close()


def test_two_limits_are_counted_in_one_round_trip_as_the_library_counts_them(
    counted_limits: tuple[Any, CountingClient], settings: Settings, redis_rest: str
) -> None:
    from upstash_ratelimit import Ratelimit, SlidingWindow

    from dotline.adapters.upstash_redis import redis_from_settings
    from dotline.cache_keys import rate_limit_prefix
    from dotline.ports.cache import RatePolicy

    limits, transport = counted_limits
    per_ip = RatePolicy(name="test-both-ip", max_requests=5, window_s=60)
    per_user = RatePolicy(name="test-both-user", max_requests=3, window_s=60)
    ip, user = fresh_loopback_ip(), str(random.getrandbits(64))

    first = limits.check_many([(per_ip, ip), (per_user, user)])
    second = limits.check_many([(per_ip, ip), (per_user, user)])

    assert transport.requests == 2  # one HTTP request per call, for both windows
    assert [(d.limit, d.remaining, d.allowed) for d in first] == [(5, 4, True), (3, 2, True)]
    assert [(d.remaining, d.allowed) for d in second] == [(3, True), (1, True)]
    # The same windows upstash-ratelimit's own Ratelimit.limit counts in.
    client = redis_from_settings(settings.model_copy(update={"upstash_redis_rest_url": redis_rest}))
    library = Ratelimit(
        redis=client,
        limiter=SlidingWindow(max_requests=3, window=60),
        prefix=rate_limit_prefix(per_user.name),
    )
    assert library.limit(user).remaining == 0
    assert [d.allowed for d in limits.check_many([(per_ip, ip), (per_user, user)])] == [True, False]


def test_an_authenticated_request_spends_its_address_and_its_user_at_once(
    limited: str, make_user: Callable[[], User]
) -> None:
    import redis

    address, user = fresh_loopback_ip(), make_user()
    with client_from(limited, address) as api:
        response = api.get("/v1/limited/user", headers=user.headers)
        bad_token = api.get("/v1/limited/user", headers={"Authorization": "Bearer nope"})

    assert response.status_code == 200
    assert response.headers["RateLimit-Remaining"] == "2"  # the user's 3 is the tighter limit
    assert bad_token.status_code == 401
    raw = redis.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
    try:
        spent = sum(int(raw.get(k) or 0) for k in raw.scan_iter(f"rate_limit:api:{address}:*"))
    finally:
        raw.close()
    assert spent == 2  # the address counted both, the refused token too


def test_a_read_refused_while_it_ran_commits_nothing(
    limited: str, make_user: Callable[[], User], pg: Any
) -> None:
    # The check of a GET is in flight while the route runs; its commit waits for the verdict.
    user = make_user()
    with httpx.Client(base_url=limited, timeout=10) as api:
        allowed = [
            api.get("/v1/limited/touch", params={"name": n}, headers=user.headers)
            for n in ("first", "second", "third")
        ]
        refused = api.get("/v1/limited/touch", params={"name": "fourth"}, headers=user.headers)

    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["type"].endswith("/rate-limited")
    assert int(refused.headers["Retry-After"]) >= 1
    name = pg.execute("select display_name from profiles where user_id = %s", (user.user_id,))
    assert name.fetchone()[0] == "third"  # the refused read's write was rolled back


def test_the_activity_gate_and_the_days_tally_ride_in_the_same_round_trip(
    counted_limits: tuple[Any, CountingClient], settings: Settings
) -> None:
    import uuid

    import redis

    from dotline import activity, daily_stats
    from dotline.ports.cache import RatePolicy

    limits, transport = counted_limits
    per_user = RatePolicy(name="test-gate-user", max_requests=5, window_s=60)
    person = uuid.uuid4()
    gate, tally = activity.gate(person), daily_stats.request_tally(person)

    first = limits.admit([(per_user, str(person))], ["erased:nobody"], gate, tally)
    second = limits.admit([(per_user, str(person))], ["erased:nobody"], gate, tally)

    assert transport.requests == 2  # one HTTP request per admission, gate and tally included
    assert (first.gate_opened, second.gate_opened) == (True, False)  # once a minute
    assert [d.remaining for d in (*first.decisions, *second.decisions)] == [4, 3]
    raw = redis.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
    try:
        assert 0 < raw.ttl(gate.key) <= 60
        assert raw.hgetall(tally.key) == {"requests": "2"}
        assert raw.ttl(tally.key) > 0
    finally:
        raw.delete(gate.key, tally.key)
        raw.close()
