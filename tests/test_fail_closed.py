"""Fail closed: outside the local profile a function with a missing or well-known local security
setting refuses every request (500 problem, nothing touched), and names the setting once in its
log; the same settings, complete, serve. Real gateways, each run as a Lambda environment."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from conftest import User, start_server
from deployed_settings import DEPLOYED, PROJECT_URL, STRONG_JWT_SECRET, STRONG_REDIS_TOKEN
from dotline import profile
from dotline.settings import LOCAL_JWT_SECRET, LOCAL_WEBHOOK_SECRET, Settings
from dotline.webhooks import signed_headers
from dotline_local.tokens import mint_token

REFUSAL = "refusing to serve: settings missing or unsafe"
MISCONFIGURED = "https://dotline.dev/problems/misconfigured"


@pytest.fixture(scope="module")
def deployed_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A REST face in front of the local Redis, with a token that is not the local one."""
    log = tmp_path_factory.mktemp("upstash") / "upstash.log"
    args = ["--redis-url", "redis://127.0.0.1:6379/0", "--token", STRONG_REDIS_TOKEN]
    server = start_server("dotline_local.upstash_rest", args, {}, log)
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def deployed_env(deployed_redis: str) -> dict[str, str]:
    """DEPLOYED as a Lambda function's environment (Redis: the local one, its own token)."""
    env = {name.upper(): value for name, value in DEPLOYED.items()}
    env["UPSTASH_REDIS_REST_URL"] = deployed_redis
    return env | {profile.PROFILE_ENV: "", profile.LAMBDA_ENV: "dotline-fail-closed"}


@pytest.fixture(scope="module")
def gateway_with(
    deployed_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., tuple[str, Path]]]:
    """A gateway whose functions see `deployed_env` without the named variables."""
    servers = []

    def start(*without: str) -> tuple[str, Path]:
        env = {k: v for k, v in deployed_env.items() if k not in without}
        log = tmp_path_factory.mktemp("gateway") / "gateway.log"
        server = start_server("dotline_local.gateway", ["--template", "template.yaml"], env, log)
        servers.append(server)
        return server.url, log

    yield start
    for server in servers:
        server.stop()


def token(user: User, secret: str) -> str:
    return mint_token(user.user_id, user.email, settings=Settings(supabase_url=PROJECT_URL,
                                                                  supabase_jwt_secret=secret))  # fmt: skip


def refusal_lines(log: Path) -> list[dict[str, Any]]:
    """The refusal lines the gateway's functions logged (JSON, one per line)."""
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(line) for line in log.read_text().splitlines() if REFUSAL in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def timezone_of(pg: psycopg.Connection[Any], user: User) -> str:
    row = pg.execute("select timezone from profiles where user_id = %s", (user.user_id,)).fetchone()
    assert row is not None
    return str(row[0])


def test_local_profile_alone_accepts_the_defaults() -> None:
    defaults = Settings()

    assert profile.refusals(defaults, {profile.PROFILE_ENV: "local"}) == []
    in_lambda = profile.refusals(defaults, {profile.PROFILE_ENV: "local", profile.LAMBDA_ENV: "f"})
    deployed = profile.refusals(defaults, {})

    assert in_lambda[0].startswith(f"{profile.PROFILE_ENV}:")
    named = {reason.split(":")[0] for reason in deployed}
    rules = (*profile.SECURITY_SETTINGS, *profile.PRODUCTION_BACKENDS)
    assert named == {rule.name for rule in rules}


def test_each_well_known_local_value_is_refused_by_name() -> None:
    assert profile.refusals(Settings(**DEPLOYED), {profile.LAMBDA_ENV: "f"}) == []
    for rule in profile.SECURITY_SETTINGS:
        for local_value in rule.local_values:
            reasons = profile.refusals(Settings(**{**DEPLOYED, rule.name: local_value}), {})
            assert reasons == [f"{rule.name}: a well-known local value"]


def test_a_blank_is_a_choice_only_where_the_rule_says_so() -> None:
    hs256_off = Settings(**{**DEPLOYED, "supabase_jwt_secret": ""})
    no_graph = Settings(**{**DEPLOYED, "neo4j_uri": ""})

    assert profile.refusals(hs256_off, {}) == []
    assert profile.refusals(no_graph, {}) == ["neo4j_uri: blank"]


def test_without_the_jwt_secret_a_locally_signed_token_is_refused_and_nothing_changes(
    gateway_with: Callable[..., tuple[str, Path]],
    make_user: Callable[..., User],
    pg: psycopg.Connection[Any],
) -> None:
    # given a deployed function whose environment lacks SUPABASE_JWT_SECRET (and any JWKS)
    url, log = gateway_with("SUPABASE_JWT_SECRET")
    user = make_user()
    before = timezone_of(pg, user)
    forged = {"Authorization": f"Bearer {token(user, LOCAL_JWT_SECRET)}"}

    # when a token signed with the Supabase CLI's public secret reads and writes /v1/me
    read = httpx.get(f"{url}/v1/me", headers=forged, timeout=10)
    write = httpx.patch(f"{url}/v1/me", headers=forged, json={"timezone": "Asia/Tokyo"}, timeout=10)

    # then both are refused as a 500 problem, the profile is untouched, and the log names it
    for response in (read, write):
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == MISCONFIGURED
        assert "supabase_jwt_secret" not in response.text  # the reason is for the log only
    assert timezone_of(pg, user) == before
    (line,) = refusal_lines(log)
    assert line["settings"] == ["supabase_jwt_secret: missing"]
    assert STRONG_JWT_SECRET not in log.read_text()


def test_without_the_webhook_secret_a_locally_signed_delivery_is_refused(
    gateway_with: Callable[..., tuple[str, Path]],
) -> None:
    url, log = gateway_with("WEBHOOK_SECRET")
    body = json.dumps(
        {"type": "INSERT", "table": "memories", "schema": "public", "old_record": None,
         "record": {"memory_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4())}}
    ).encode()  # fmt: skip

    response = httpx.post(
        f"{url}/v1/internal/db-events",
        content=body,
        headers={"content-type": "application/json", **signed_headers(LOCAL_WEBHOOK_SECRET, body)},
        timeout=10,
    )

    assert response.status_code == 500
    assert response.json()["type"] == MISCONFIGURED
    (line,) = refusal_lines(log)
    assert line["settings"] == ["webhook_secret: missing"]


def test_the_same_settings_complete_serve_and_still_refuse_the_local_secret(
    gateway_with: Callable[..., tuple[str, Path]], make_user: Callable[..., User]
) -> None:
    url, log = gateway_with()
    user = make_user()

    mine = httpx.get(
        f"{url}/v1/me", headers={"Authorization": f"Bearer {token(user, STRONG_JWT_SECRET)}"}
    )
    forged = httpx.get(
        f"{url}/v1/me", headers={"Authorization": f"Bearer {token(user, LOCAL_JWT_SECRET)}"}
    )

    assert mine.status_code == 200, mine.text
    assert mine.json()["user_id"] == str(user.user_id)
    assert forged.status_code == 401
    assert REFUSAL not in log.read_text()
