"""The deployment secret at run time: read from Secrets Manager (moto) through Powertools
Parameters, kept for its TTL, and a rotated secret picked up after it without a redeploy: the
next transaction connects to the real local Postgres with the new password."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import boto3
import psycopg
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws
from psycopg import sql

from deployed_settings import DEPLOYED
from dotline import bootstrap, profile
from dotline import settings as settings_module
from dotline.errors import Misconfigured

SECRET_NAME = "dotline/test"
T = TypeVar("T")


def eventually(probe: Callable[[], T | None], deadline_s: float = 5.0) -> T:
    """The probe's first truthy answer, polled until the deadline."""
    deadline = time.monotonic() + deadline_s
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError("no answer before the deadline")
        time.sleep(0.05)


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's Secrets Manager, a deployed function's environment naming the secret (TTL 1 s), and
    this process's settings and dependencies read afresh, then put back."""
    for name, value in {
        settings_module.SECRET_ID_ENV: SECRET_NAME,
        settings_module.SECRET_TTL_ENV: "1",
        profile.PROFILE_ENV: "",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(settings_module, "_loaded", None)
    bootstrap.use(None)
    parameters.clear_caches()
    with mock_aws():
        yield boto3.client("secretsmanager")
    parameters.clear_caches()
    current = bootstrap._deps
    bootstrap.use(None)
    if current is not None:
        current.close()


@pytest.fixture
def rotating_role(pg: psycopg.Connection[Any]) -> Iterator[str]:
    """A login role that may act as service_role, as a deployment's pooler user would."""
    role = f"rotation_{uuid.uuid4().hex[:10]}"
    pg.execute(
        sql.SQL("create role {} login password 'first-password' in role service_role").format(
            sql.Identifier(role)
        )
    )
    yield role
    pg.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = %s", (role,))
    pg.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def url(role: str, password: str) -> str:
    return f"postgresql://{role}:{password}@127.0.0.1:54322/postgres"


def secret(role: str, password: str) -> str:
    return json.dumps({**DEPLOYED, "database_url": url(role, password)})


def who(deps: bootstrap.Deps) -> str:
    return str(deps.db.fetch_as_service("select session_user as name")[0]["name"])


def test_a_rotated_password_is_used_after_the_ttl_without_a_redeploy(
    secrets: Any, rotating_role: str, pg: psycopg.Connection[Any]
) -> None:
    # given a function serving with the secret's first password
    secrets.create_secret(Name=SECRET_NAME, SecretString=secret(rotating_role, "first-password"))
    first = bootstrap.deps()
    assert who(first) == rotating_role

    # when the password is rotated in Postgres and in the secret
    pg.execute(
        sql.SQL("alter role {} password 'second-password'").format(sql.Identifier(rotating_role))
    )
    secrets.put_secret_value(
        SecretId=SECRET_NAME, SecretString=secret(rotating_role, "second-password")
    )

    # then within the TTL the cached reading serves (its open connection still works) ...
    assert bootstrap.deps() is first
    assert who(first) == rotating_role
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url(rotating_role, "first-password")).close()
    # ... and after it new dependencies connect with the new password, the old connection closed
    second = eventually(lambda: (d := bootstrap.deps()) is not first and d)
    assert second.settings.database_url.get_secret_value() == url(rotating_role, "second-password")
    assert who(second) == rotating_role
    assert first.db._local.conn is None


def test_an_unchanged_secret_read_again_keeps_the_dependencies(secrets: Any) -> None:
    secrets.create_secret(Name=SECRET_NAME, SecretString=json.dumps(DEPLOYED))
    first = bootstrap.deps()
    reading = settings_module._loaded

    eventually(lambda: settings_module.get_settings() and settings_module._loaded is not reading)

    assert bootstrap.deps() is first


def test_a_missing_secret_refuses_to_serve(secrets: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR), pytest.raises(Misconfigured):
        bootstrap.deps()

    assert [r.getMessage() for r in caplog.records] == ["deployment secret unreadable"]


def test_an_unknown_or_unsafe_key_is_named_and_its_value_never_logged(
    secrets: Any, caplog: pytest.LogCaptureFixture
) -> None:
    values = {**DEPLOYED, "databse_url": "postgresql://typo:hunter2@db/postgres"}
    secrets.create_secret(Name=SECRET_NAME, SecretString=json.dumps(values))

    with caplog.at_level(logging.ERROR), pytest.raises(Misconfigured):
        bootstrap.deps()
    with pytest.raises(Misconfigured):
        bootstrap.deps()  # refused again, logged once

    (record,) = caplog.records
    assert record.settings == ["databse_url: extra_forbidden"]  # type: ignore[attr-defined]
    assert "hunter2" not in json.dumps([r.__dict__ for r in caplog.records], default=str)
