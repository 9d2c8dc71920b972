"""Derived artifacts: GET /v1/artifacts, GET /v1/artifacts/{artifact_id}; the unread insights
counter: GET /v1/insights/unread, POST /v1/insights/read."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Query

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.insights import Artifact, ArtifactPage, ArtifactType, UnreadInsights
from dotline.pagination import DEFAULT_PAGE_SIZE
from dotline.route_params import Cursor, Limit
from dotline.services import artifacts

app = resolver()


@app.get(
    "/v1/artifacts",
    summary="Your insight summaries, cycle reports and trophies, newest first",
    security=BEARER,
    tags=["insights"],
)
def list_artifacts(
    type: Annotated[ArtifactType | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> ArtifactPage:
    return artifacts.list_artifacts(deps().db, current_user(app), type, cursor, limit)


@app.get(
    "/v1/artifacts/<artifact_id>", summary="One of your artifacts", security=BEARER,
    tags=["insights"],
)  # fmt: skip
def read_artifact(artifact_id: UUID) -> Artifact:
    return artifacts.get_artifact(deps().db, current_user(app), artifact_id)


@app.get(
    "/v1/insights/unread",
    summary="How many insights arrived since you last read them",
    security=BEARER,
    tags=["insights"],
)
def read_unread() -> UnreadInsights:
    return artifacts.unread_insights(deps().cache, current_user(app))


@app.post(
    "/v1/insights/read", summary="Mark your insights read", security=BEARER, tags=["insights"]
)
def mark_read() -> UnreadInsights:
    return artifacts.mark_insights_read(deps().cache, current_user(app))


handler = entry(app)
