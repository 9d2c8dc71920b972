"""The caller's growth: GET /v1/growth, GET /v1/growth/events, GET /v1/cards/{card_id}/dimensions."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Query

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.growth import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    CardDimensions,
    EventFilter,
    GrowthEventPage,
    GrowthSummary,
)
from dotline.services.growth import growth

app = resolver()

DimKeyQuery = Annotated[str | None, Query(pattern=r"^(self|world)_(know|act|show)$")]
EntityTypeQuery = Annotated[
    Literal["memory", "concept", "artifact", "card", "challenge", "prompt"] | None, Query()
]


@app.get("/v1/growth", summary="Your growth per dimension", security=BEARER, tags=["growth"])
def read_growth() -> GrowthSummary:
    return growth.growth_summary(deps().growth_stores(), current_user(app))


@app.get(
    "/v1/growth/events",
    summary="Your growth events, newest first",
    security=BEARER,
    tags=["growth"],
)
def list_growth_events(
    dim_key: DimKeyQuery = None,
    entity_type: EntityTypeQuery = None,
    source: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    created_from: Annotated[datetime | None, Query()] = None,
    created_to: Annotated[datetime | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> GrowthEventPage:
    where = EventFilter(
        dim_key=dim_key,
        entity_type=entity_type,
        source=source,
        created_from=created_from,
        created_to=created_to,
    )
    return growth.list_events(deps().db, current_user(app), where, cursor, limit)


@app.get(
    "/v1/cards/<card_id>/dimensions",
    summary="A card's growth per dimension and its evolution",
    security=BEARER,
    tags=["growth"],
)
def read_card_dimensions(card_id: UUID) -> CardDimensions:
    return growth.card_dimensions(deps().growth_stores(), current_user(app), card_id)


handler = entry(app)
