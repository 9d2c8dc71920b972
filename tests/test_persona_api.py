"""Persona analysis over real events and memories, read back through the gateway:
GET /v1/persona and GET /v1/learning-profiles."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from typing import Any

import httpx
import psycopg

from conftest import ROOT
from persona_world import analyse, local_time, log_events, make_user, remember, set_timezone

__all__ = ["make_user"]  # the fixture, imported so pytest finds it

TOKYO = "Asia/Tokyo"


def known_behaviour(api: httpx.Client, user: Any) -> None:
    """Six morning, three afternoon and one evening action in Tokyo (all night in UTC for the
    morning ones); five articles, three videos, two code items; python the most used tag."""
    set_timezone(api, user, TOKYO)
    hours = [8] * 6 + [14] * 3 + [20]
    kinds = ["article"] * 5 + ["video"] * 3 + ["code"] * 2
    events = [
        {
            "action_type": "view",
            "item_type": kind,
            "duration_seconds": 300,
            "context": {"tags": ["python"]},
            "occurred_at": local_time(TOKYO, days_ago=1 + i % 3, hour=hour),
        }
        for i, (hour, kind) in enumerate(zip(hours, kinds, strict=True))
    ]
    log_events(api, user, events)
    for tags in (["python", "django"], ["python"], ["cooking", "baking"], ["cooking"]):
        remember(api, user, *tags)


def test_persona_reads_part_of_day_in_the_users_timezone(api: httpx.Client, make_user: Any) -> None:
    # given
    user = make_user()
    known_behaviour(api, user)
    # when
    report = analyse(user)
    response = api.get("/v1/persona", headers=user.headers)
    # then
    assert report.status == "analysed" and report.events == 10
    assert response.status_code == 200, response.text
    lifestyle = response.json()["lifestyle_profile"]
    assert lifestyle["activity_patterns"] == {
        "morning": 0.6,
        "afternoon": 0.3,
        "evening": 0.1,
        "night": 0.0,
    }
    assert lifestyle["basis"]["part_of_day_events"]["morning"] == 6
    assert lifestyle["basis"]["window"]["timezone"] == TOKYO


def test_persona_holds_content_preferences_and_top_interests(
    api: httpx.Client, make_user: Any
) -> None:
    # given
    user = make_user()
    known_behaviour(api, user)
    # when
    analyse(user)
    body = api.get("/v1/persona", headers=user.headers).json()
    # then
    lifestyle = body["lifestyle_profile"]
    assert lifestyle["content_preferences"] == {"article": 0.5, "video": 0.3, "code": 0.2}
    assert lifestyle["interests"][:2] == ["python", "cooking"]
    assert lifestyle["basis"]["interest_evidence"]["python"] == 12  # 10 events + 2 memories
    technical = body["technical_profile"]
    assert technical["primary_languages"] == ["Python"]
    assert technical["skill_levels"]["Python"] == "intermediate"
    assert technical["basis"]["evidence"]["Python"]["events"] == 10
    assert "Web Development" in technical["domains"]
    assert body["learning_style"]["attention_span"] == "medium"
    assert body["learning_style"]["preferred_formats"][0] == "text"


def test_learning_profiles_list_each_skill_area_with_level_and_milestones(
    api: httpx.Client, make_user: Any
) -> None:
    # given
    user = make_user()
    known_behaviour(api, user)
    # when
    analyse(user)
    response = api.get("/v1/learning-profiles", headers=user.headers)
    # then
    assert response.status_code == 200, response.text
    profiles = {p["skill_area"]: p for p in response.json()["items"]}
    assert set(profiles) == {"Python", "Web Development"}
    python = profiles["Python"]
    assert python["current_level"] == "intermediate"
    assert python["learning_velocity"] == 0.6  # 12 pieces of evidence in 28 days / 20
    levels = [m["level"] for m in python["progression_data"]["milestones"]]
    assert levels == ["beginner", "intermediate"]


def test_persona_is_404_before_the_first_analysis_and_never_someone_elses(
    api: httpx.Client, make_user: Any
) -> None:
    # given
    owner, other = make_user(), make_user()
    known_behaviour(api, owner)
    analyse(owner)
    # when
    persona = api.get("/v1/persona", headers=other.headers)
    profiles = api.get("/v1/learning-profiles", headers=other.headers)
    # then
    assert persona.status_code == 404
    assert persona.headers["content-type"].startswith("application/problem+json")
    assert profiles.json()["items"] == []


def test_other_peoples_data_never_enters_a_persona(api: httpx.Client, make_user: Any) -> None:
    # given
    user, neighbour = make_user(), make_user()
    remember(api, user, "python")
    for _ in range(5):
        remember(api, neighbour, "gardening", "rust")
    # when
    analyse(user)
    body = api.get("/v1/persona", headers=user.headers).json()
    # then
    assert body["lifestyle_profile"]["interests"] == ["python"]
    assert "Rust" not in body["technical_profile"]["skill_levels"]


def test_reanalysis_is_harmless(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given
    user = make_user()
    known_behaviour(api, user)
    analyse(user)
    first = api.get("/v1/learning-profiles", headers=user.headers).json()["items"]
    # when
    analyse(user)
    # then
    again = api.get("/v1/learning-profiles", headers=user.headers).json()["items"]
    assert [p["learning_profile_id"] for p in again] == [p["learning_profile_id"] for p in first]
    row = pg.execute(
        "select count(*) from public.suggestions where user_id = %s", (user.user_id,)
    ).fetchone()
    assert row is not None and row[0] == analyse(user).suggestions


def test_cli_analyses_one_user(api: httpx.Client, make_user: Any) -> None:
    # given
    user = make_user()
    remember(api, user, "python", "django")
    # when
    done = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [
            sys.executable,
            "-m",
            "dotline_local.cli",
            "persona",
            "analyse",
            "--user",
            str(user.user_id),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then
    assert done.returncode == 0, done.stderr
    assert '"status":"analysed"' in done.stdout
    assert api.get("/v1/persona", headers=user.headers).status_code == 200


def test_the_scheduled_function_starts_nobody_once_its_budget_is_spent() -> None:
    # given: the function's handler with only its safety margin left (a zero budget); a larger
    # one would analyse whoever is due in the shared test database, under other tests' feet
    spec = importlib.util.spec_from_file_location(
        "persona_analysis_app", ROOT / "functions" / "persona_analysis" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return int(module.SAFETY_MARGIN_S * 1000)

    # when
    counts = module.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, Context())
    # then
    assert counts == {"due": counts["due"], "analysed": 0, "skipped": 0, "failed": 0}
