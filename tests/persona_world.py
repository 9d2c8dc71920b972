"""Shared setup for the persona tests: people with known behaviour, made through the real API."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from conftest import User
from dotline.bootstrap import deps
from dotline.models.persona import AnalysisReport
from dotline.services.persona import persona


@pytest.fixture
def make_user(
    make_user: Callable[..., User], pg: psycopg.Connection[Any]
) -> Iterator[Callable[..., User]]:
    """conftest's users, deleted with everything they own after the test (behaviour_events and
    suggestions are shared tables other checks count)."""
    made: list[uuid.UUID] = []

    def make(*args: Any, **kwargs: Any) -> User:
        user = make_user(*args, **kwargs)
        made.append(user.user_id)
        return user

    yield make
    pg.execute("delete from auth.users where id = any(%s)", (made,))


def analyse(user: User) -> AnalysisReport:
    """Run persona analysis for one person now, as the scheduled function does."""
    return persona.analyse_user(deps().db, deps().embedder, user.user_id)


def local_time(timezone: str, days_ago: int, hour: int) -> str:
    """An ISO instant at `hour` o'clock on a recent day in `timezone`."""
    zone = ZoneInfo(timezone)
    day = (datetime.now(zone) - timedelta(days=days_ago)).date()
    return datetime(day.year, day.month, day.day, hour, 15, tzinfo=zone).astimezone(UTC).isoformat()


def log_events(api: httpx.Client, user: User, events: list[dict[str, Any]]) -> None:
    """Upload events through POST /v1/events."""
    body = {"batch_id": str(uuid.uuid4()), "events": events}
    response = api.post("/v1/events", json=body, headers=user.headers)
    assert response.status_code == 202, response.text


def remember(api: httpx.Client, user: User, *tags: str) -> str:
    """Create a memory carrying `tags` through POST /v1/memories; returns its id."""
    body = {"title": "A memory", "content": "Something that happened.", "tags": list(tags)}
    response = api.post("/v1/memories", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["memory_id"])


def set_timezone(api: httpx.Client, user: User, timezone: str) -> None:
    response = api.patch("/v1/me", json={"timezone": timezone}, headers=user.headers)
    assert response.status_code == 200, response.text
