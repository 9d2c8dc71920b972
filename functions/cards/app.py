"""The card gallery: GET /v1/cards, GET /v1/cards/recent, GET and PATCH /v1/cards/{card_id},
favourite and unfavourite."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Query

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.cards import (
    Card,
    CardFilter,
    CardPage,
    CardStatus,
    CardUpdate,
    RecentCards,
    SourceEntityType,
)
from dotline.pagination import DEFAULT_PAGE_SIZE
from dotline.route_params import Cursor, Limit
from dotline.services.cards import cards

app = resolver()

NameQuery = Annotated[str | None, Query(pattern=r"^[a-z][a-z_]{0,31}$")]


@app.get("/v1/cards", summary="Your cards, newest first", security=BEARER, tags=["cards"])
def list_cards(
    status: Annotated[CardStatus | None, Query()] = None,
    card_type: NameQuery = None,
    source_entity_type: Annotated[SourceEntityType | None, Query()] = None,
    is_favorited: Annotated[bool | None, Query()] = None,
    evolution_state: NameQuery = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> CardPage:
    where = CardFilter(
        status=status,
        card_type=card_type,
        source_entity_type=source_entity_type,
        is_favorited=is_favorited,
        evolution_state=evolution_state,
    )
    return cards.list_cards(deps().growth_stores(), current_user(app), where, cursor, limit)


@app.get(
    "/v1/cards/recent",
    summary="The cards you viewed lately, most recent first",
    description="Each read of one card (GET /v1/cards/{card_id}) puts it first; the 20 latest "
    "are kept, and the list is forgotten after 24 hours without a view.",
    security=BEARER,
    tags=["cards"],
)
def recent_cards() -> RecentCards:
    return RecentCards(items=cards.recent_cards(deps().growth_stores(), current_user(app)))


@app.get("/v1/cards/<card_id>", summary="One of your cards", security=BEARER, tags=["cards"])
def read_card(card_id: UUID) -> Card:
    return cards.get_card(deps().growth_stores(), current_user(app), card_id)


@app.patch(
    "/v1/cards/<card_id>", summary="Move or favourite a card", security=BEARER, tags=["cards"]
)
def update_card(card_id: UUID, body: CardUpdate) -> Card:
    return _update(card_id, body)


@app.post(
    "/v1/cards/<card_id>/favourite", summary="Favourite a card", security=BEARER, tags=["cards"]
)
def favourite_card(card_id: UUID) -> Card:
    return _update(card_id, CardUpdate(is_favorited=True))


@app.post(
    "/v1/cards/<card_id>/unfavourite",
    summary="Stop favouriting a card",
    security=BEARER,
    tags=["cards"],
)
def unfavourite_card(card_id: UUID) -> Card:
    return _update(card_id, CardUpdate(is_favorited=False))


def _update(card_id: UUID, change: CardUpdate) -> Card:
    return cards.update_card(deps().growth_stores(), current_user(app), card_id, change)


handler = entry(app)
