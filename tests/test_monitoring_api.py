"""GET /v1/admin/health through the real gateway: job runs recorded by the job handler,
behaviour-tracking coverage, admins only; and the growth backfill function, run in-process."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest

from conftest import ROOT, User
from dotline.growth_rules import packaged_config

ADMIN = {"role": "admin"}


@pytest.fixture
def make_user(
    make_user: Callable[..., User], pg: psycopg.Connection[Any]
) -> Iterator[Callable[..., User]]:
    """conftest's users, deleted (with their events) after the test: coverage counts everyone."""
    made: list[uuid.UUID] = []

    def make(*args: Any, **kwargs: Any) -> User:
        user = make_user(*args, **kwargs)
        made.append(user.user_id)
        return user

    yield make
    pg.execute("delete from auth.users where id = any(%s)", (made,))


def function_handler(name: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    spec = importlib.util.spec_from_file_location(f"{name}_app", ROOT / f"functions/{name}/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler  # type: ignore[no-any-return]


class FakeContext:
    """The part of a Lambda context a scheduled function reads."""

    def __init__(self, remaining_ms: int = 300_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def health(client: httpx.Client, admin: User) -> dict[str, Any]:
    response = client.get("/v1/admin/health", headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def job_health(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((j for j in body["jobs"] if j["job_name"] == name), None)


def remember(pg: psycopg.Connection[Any], user: User) -> None:
    pg.execute(
        "insert into public.memories (user_id, title, content) values (%s, 'A walk', 'We walked.')",
        (user.user_id,),
    )


def test_operations_health_is_for_admins_only(client: httpx.Client, make_user: Any) -> None:
    # given a person who is no admin
    person = make_user()

    # when they, and nobody, ask
    theirs = client.get("/v1/admin/health", headers=person.headers)
    nobodys = client.get("/v1/admin/health")

    # then
    assert theirs.status_code == 403
    assert theirs.headers["content-type"].startswith("application/problem+json")
    assert nobodys.status_code == 401


def test_a_job_run_is_recorded_with_counts_and_duration(
    client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given an admin, and a person with a memory the growth ledger has not seen
    admin, person = make_user(ADMIN), make_user()
    remember(pg, person)
    before = job_health(health(client, admin), "growth_backfill")
    expected = len(packaged_config().deltas("memory_created"))

    # when the backfill function runs for them
    report = function_handler("growth_backfill")({"user_id": str(person.user_id)}, FakeContext())

    # then the admin sees the run, its counts and its duration
    after = job_health(health(client, admin), "growth_backfill")
    assert report["events_added"] == expected
    assert after is not None
    assert after["runs_last_day"] == (before["runs_last_day"] if before else 0) + 1
    last = after["last_run"]
    assert last["status"] == "succeeded"
    assert last["counts"]["events_added"] == expected
    assert last["counts"]["users"] == 1
    assert last["duration_ms"] is not None and last["duration_ms"] >= 0


def test_a_failed_run_is_recorded_with_its_error(client: httpx.Client, make_user: Any) -> None:
    # given an admin
    admin = make_user(ADMIN)
    before = job_health(health(client, admin), "growth_backfill")

    # when the backfill is invoked with a payload it does not take
    with pytest.raises(ValueError, match="unknown"):
        function_handler("growth_backfill")({"unknown": 1}, FakeContext())

    # then the run is a failure the admin sees
    after = job_health(health(client, admin), "growth_backfill")
    assert after is not None
    assert after["failures_last_day"] == (before["failures_last_day"] if before else 0) + 1
    assert after["last_run"]["status"] == "failed"
    assert "ValidationError" in after["last_run"]["error"]


def test_tracking_coverage_counts_active_people_with_events(
    client: httpx.Client, make_user: Any
) -> None:
    # given an admin whose own activity is already counted
    admin = make_user(ADMIN)
    # (a GET marks its caller active after its own answer: the admin's first one is not counted)
    assert client.get("/v1/me", headers=admin.headers).status_code == 200
    before = health(client, admin)["tracking"]
    quiet, tracked = make_user(), make_user()

    # when one person only reads and another sends behaviour events
    assert client.get("/v1/me", headers=quiet.headers).status_code == 200
    sent = client.post(
        "/v1/events",
        headers=tracked.headers,
        json={"batch_id": str(uuid.uuid4()), "events": [
            {"action_type": "view", "item_id": str(uuid.uuid4()), "item_type": "memory"},
            {"action_type": "view", "item_id": str(uuid.uuid4()), "item_type": "memory"},
        ]},
    )  # fmt: skip
    assert sent.status_code in (200, 201, 202), sent.text

    # then both are active, one is tracked, and their events are counted
    after = health(client, admin)["tracking"]
    assert after["active_users"] == before["active_users"] + 2
    assert after["tracked_users"] == before["tracked_users"] + 1
    assert after["users_with_events"] == before["users_with_events"] + 1
    assert after["events"] == before["events"] + 2
    assert after["coverage"] == pytest.approx(after["tracked_users"] / after["active_users"])


def test_the_backfill_function_resumes_and_adds_nothing_twice(
    make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a person with a memory
    person = make_user()
    remember(pg, person)
    backfill = function_handler("growth_backfill")
    only_them = {"user_id": str(person.user_id)}

    # when a run has no time left, then runs after them, from before them, and again
    starved = backfill(only_them, FakeContext(remaining_ms=1))
    past_them = backfill({**only_them, "after_user_id": str(person.user_id)}, FakeContext())
    resumed = backfill({**only_them, "after_user_id": str(uuid.UUID(int=0))}, FakeContext())
    again = backfill(only_them, FakeContext())

    # then
    assert (starved["users"], starved["remaining"], starved["complete"]) == (0, 1, False)
    assert (past_them["users"], past_them["complete"]) == (0, True)
    assert (resumed["users"], resumed["complete"], resumed["resume_after"]) == (
        1, True, str(person.user_id),
    )  # fmt: skip
    assert resumed["events_added"] == len(packaged_config().deltas("memory_created"))
    assert again["events_added"] == 0
