"""Challenges: the template catalogue and the caller's runs (start, progress, complete, abandon)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Query

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.challenges import (
    Challenge,
    ChallengeCompletion,
    ChallengeStart,
    ChallengeStatus,
    ChallengeTemplate,
    ChallengeTemplateCreate,
    ChallengeTemplateUpdate,
    ChallengeTemplateVersion,
    ProgressUpdate,
)
from dotline.services.challenges import challenges, templates

app = resolver()


@app.get(
    "/v1/challenge-templates",
    summary="Challenges you can start",
    security=BEARER,
    tags=["challenges"],
)
def list_templates() -> list[ChallengeTemplate]:
    return challenges.list_templates(deps().db, current_user(app))


@app.post(
    "/v1/challenges",
    summary="Start a challenge",
    security=BEARER,
    tags=["challenges"],
    responses={
        201: {"description": "Started", "content": {"application/json": {"model": Challenge}}}
    },
)
def start_challenge(body: ChallengeStart) -> tuple[Challenge, int]:
    return challenges.start_challenge(deps().db, deps().cache, current_user(app), body), 201


@app.get("/v1/challenges", summary="Your challenges", security=BEARER, tags=["challenges"])
def list_challenges(
    status: Annotated[ChallengeStatus | None, Query()] = None,
) -> list[Challenge]:
    return challenges.list_challenges(deps().db, current_user(app), status)


@app.get(
    "/v1/challenges/<challenge_id>",
    summary="One of your challenges",
    security=BEARER,
    tags=["challenges"],
)
def read_challenge(challenge_id: UUID) -> Challenge:
    return challenges.get_challenge(deps().db, deps().cache, current_user(app), challenge_id)


@app.post(
    "/v1/challenges/<challenge_id>/progress",
    summary="Record progress on a challenge",
    security=BEARER,
    tags=["challenges"],
)
def record_progress(challenge_id: UUID, body: ProgressUpdate) -> Challenge:
    return challenges.update_progress(
        deps().db, deps().cache, current_user(app), challenge_id, body
    )


@app.post(
    "/v1/challenges/<challenge_id>/complete",
    summary="Complete a challenge (again: the same result)",
    security=BEARER,
    tags=["challenges"],
)
def complete_challenge(challenge_id: UUID) -> ChallengeCompletion:
    return challenges.complete_challenge(deps().growth_stores(), current_user(app), challenge_id)


@app.post(
    "/v1/challenges/<challenge_id>/abandon",
    summary="Abandon a challenge",
    security=BEARER,
    tags=["challenges"],
)
def abandon_challenge(challenge_id: UUID) -> Challenge:
    return challenges.abandon_challenge(deps().db, deps().cache, current_user(app), challenge_id)


@app.post(
    "/v1/admin/challenge-templates",
    summary="Create a challenge template (admins), active as version 1",
    security=BEARER,
    tags=["admin"],
    status_code=201,
)
def create_template(body: ChallengeTemplateCreate) -> ChallengeTemplateVersion:
    return templates.create_template(deps().db, current_user(app), body)


@app.patch(
    "/v1/admin/challenge-templates/<template_id>",
    summary="Change a challenge template (admins): a new version replaces it",
    description="Any of name, description, dim_keys, difficulty or payload writes a new version "
    "(a new id, version + 1) and retires this one; challenges already started keep theirs. "
    "`is_active` alone retires or restores this version in place. A replaced version is a 409.",
    security=BEARER,
    tags=["admin"],
)
def change_template(template_id: UUID, body: ChallengeTemplateUpdate) -> ChallengeTemplateVersion:
    return templates.update_template(deps().db, current_user(app), template_id, body)


handler = entry(app)
