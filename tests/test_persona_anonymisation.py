"""Anonymisation: opted-out and deleted people keep only the aggregates of their persona."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import psycopg

from conftest import ROOT
from dotline.bootstrap import deps
from dotline.services.persona import persona
from persona_world import analyse, make_user, remember

__all__ = ["make_user"]

PERSONAL = ("technical_profile", "lifestyle_profile", "learning_style", "interests_evolution",
            "cross_domain_insights")  # fmt: skip


def analysed(api: httpx.Client, make_user: Any) -> Any:
    user = make_user()
    for _ in range(3):
        remember(api, user, "python", "cooking")
    assert analyse(user).status == "analysed"
    return user


def persona_row(pg: psycopg.Connection[Any], user: Any) -> dict[str, Any]:
    with pg.cursor(row_factory=psycopg.rows.dict_row) as cur:
        row = cur.execute(
            "select * from public.user_personas where user_id = %s", (user.user_id,)
        ).fetchone()
    assert row is not None
    return row


def assert_anonymised(pg: psycopg.Connection[Any], user: Any) -> None:
    row = persona_row(pg, user)
    assert all(row[column] == {} for column in PERSONAL)
    assert row["life_phase"] is not None and row["anonymised_at"] is not None
    profiles = pg.execute(
        "select progression_data, current_level from public.learning_profiles where user_id = %s",
        (user.user_id,),
    ).fetchall()
    assert profiles and all(p == ({}, "beginner") for p in profiles)


def test_opting_out_blanks_the_persona_at_once(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given
    user, neighbour = analysed(api, make_user), analysed(api, make_user)
    # when
    response = api.patch("/v1/me", json={"persona_analysis": False}, headers=user.headers)
    # then
    assert response.status_code == 200 and response.json()["persona_analysis"] is False
    assert_anonymised(pg, user)
    body = api.get("/v1/persona", headers=user.headers).json()
    assert body["lifestyle_profile"] == {} and body["anonymised_at"] is not None
    assert persona_row(pg, neighbour)["lifestyle_profile"]["interests"] == ["cooking", "python"]


def test_a_deleted_account_loses_its_persona_but_not_its_aggregates(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given
    user = analysed(api, make_user)
    # when
    pg.execute(
        "update public.profiles set account_status = 'deleted' where user_id = %s",
        (user.user_id,),
    )
    # then
    assert_anonymised(pg, user)


def test_the_job_blanks_exactly_the_personas_left_behind(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given: an opted-out person whose persona came back by another path (a restore), and
    # someone who never opted out
    left_behind, kept = analysed(api, make_user), analysed(api, make_user)
    api.patch("/v1/me", json={"persona_analysis": False}, headers=left_behind.headers)
    pg.execute(
        'update public.user_personas set lifestyle_profile = \'{"interests": ["python"]}\','
        " anonymised_at = null where user_id = %s",
        (left_behind.user_id,),
    )
    # when
    counts = persona.anonymise(deps().db)
    # then
    assert counts["anonymised"] >= 1
    assert persona_row(pg, left_behind)["lifestyle_profile"] == {}
    assert persona_row(pg, left_behind)["anonymised_at"] is not None
    untouched = persona_row(pg, kept)
    assert untouched["anonymised_at"] is None
    assert untouched["lifestyle_profile"]["interests"] == ["cooking", "python"]


def test_opted_out_people_are_not_analysed_again(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given
    user = analysed(api, make_user)
    api.patch("/v1/me", json={"persona_analysis": False}, headers=user.headers)
    persona.anonymise(deps().db)
    # when
    report = analyse(user)
    # then
    assert report.status == "skipped"
    assert persona_row(pg, user)["lifestyle_profile"] == {}


def test_opting_back_in_analyses_again(api: httpx.Client, make_user: Any) -> None:
    # given
    user = analysed(api, make_user)
    api.patch("/v1/me", json={"persona_analysis": False}, headers=user.headers)
    persona.anonymise(deps().db)
    # when
    api.patch("/v1/me", json={"persona_analysis": True}, headers=user.headers)
    report = analyse(user)
    # then
    body = api.get("/v1/persona", headers=user.headers).json()
    assert report.status == "analysed"
    assert body["anonymised_at"] is None and body["lifestyle_profile"]["interests"]


def test_persona_analysis_flag_must_be_a_boolean(api: httpx.Client, make_user: Any) -> None:
    # given
    user = make_user()
    # when
    response = api.patch("/v1/me", json={"persona_analysis": "no"}, headers=user.headers)
    # then
    assert response.status_code == 422
    assert "persona_analysis" in response.text


def test_cli_anonymise_reports_counts() -> None:
    # when
    done = subprocess.run(
        [sys.executable, "-m", "dotline_local.cli", "persona", "anonymise"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    # then
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("anonymised ")
