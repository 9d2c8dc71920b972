"""The card gallery: list with filters and cursor pages, read one (remembered as viewed: `recent`),
the recently viewed, favourite, move.

Evolution comes from api.card_evolution() with the configured rules, for a whole page in one
query; one card's evolution is read through its cache entry. People change only status and
is_favorited, under row-level security; each change refreshes the cache and is announced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Transaction, jsonb
from dotline.errors import NotFound
from dotline.growth_rules import GrowthConfig
from dotline.models.cards import Card, CardFilter, CardPage, CardUpdate
from dotline.services.cards import growth_cache, recent
from dotline.tables import Keyset

if TYPE_CHECKING:
    from dotline.bootstrap import GrowthStores

CURSOR_KIND = "cards_recent"
# Each card carries how many conversations were started from it (`conversations.source_card_id`,
# indexed), counted under the caller's row-level security.
_CARD_ONLY = (
    "select c.card_id, c.card_type, c.source_entity_type, c.source_entity_id, c.status,"
    " c.is_favorited, c.display_data, c.created_at, c.updated_at,"
    " (select count(*) from public.conversations v where v.source_card_id = c.card_id)"
    " as initiated_conversation_count"
    " from public.cards c where c.card_id = %(id)s"
)
_CARD_COLUMNS = (
    "c.card_id, c.card_type, c.source_entity_type, c.source_entity_id, c.status,"
    " c.is_favorited, c.display_data, c.created_at, c.updated_at,"
    " e.evolution_state, e.connection_count, e.dimension_count,"
    " (select count(*) from public.conversations v where v.source_card_id = c.card_id)"
    " as initiated_conversation_count"
)
_EVOLVED = (
    "public.cards c"
    " join api.card_evolution(%(rules)s, %(default)s, %(card_id)s) e on e.card_id = c.card_id"
)
_WITH_EVOLUTION = f"select {_CARD_COLUMNS} from {_EVOLVED}"  # noqa: S608 - constant columns
_BY_IDS = (
    f"select {_CARD_COLUMNS} from public.cards c"  # noqa: S608 - constant columns
    " cross join lateral api.card_evolution(%(rules)s, %(default)s, c.card_id) e"
    " where c.card_id = any(%(ids)s)"
)
# Without an evolution filter the page is cut first and only its cards are evaluated;
# filtering by state evaluates them all (docs/measurements.md, bench/bench_growth.py).
_PAGE_THEN_EVALUATE = Keyset(
    CURSOR_KIND,
    Card,
    "card_id",
    _CARD_COLUMNS,
    "public.cards c",
    alias="c",
    then_join="cross join lateral api.card_evolution(%(rules)s, %(default)s, c.card_id) e",
)
_EVALUATE_THEN_PAGE = Keyset(
    CURSOR_KIND,
    Card,
    "card_id",
    _CARD_COLUMNS,
    _EVOLVED,
    alias="c",
)
_FILTERS = {
    column: f"c.{column} = %({column})s"
    for column in ("status", "card_type", "source_entity_type", "is_favorited")
}


def list_cards(
    stores: GrowthStores, user: Principal, where: CardFilter, cursor: str | None, limit: int
) -> CardPage:
    """The caller's cards, newest first, `limit` per page, each with its evolution."""
    params: dict[str, Any] = {
        **_rules(stores.config, None),
        **where.model_dump(),
        "user_id": user.user_id,
    }
    conditions = ["c.user_id = %(user_id)s"]
    conditions += [test for column, test in _FILTERS.items() if params[column] is not None]
    order = _PAGE_THEN_EVALUATE
    if where.evolution_state is not None:
        conditions.append("e.evolution_state = %(evolution_state)s")
        order = _EVALUATE_THEN_PAGE
    with stores.db.as_user(user) as tx:
        items, next_cursor = order.page(tx, conditions, params, limit=limit, cursor=cursor)
    growth_cache.remember(stores.cache, user.user_id, items)
    return CardPage(items=items, next_cursor=next_cursor)


def get_card(stores: GrowthStores, user: Principal, card_id: UUID) -> Card:
    """One of the caller's cards, remembered as viewed; its evolution from the cache when fresh,
    else computed and cached."""
    growth = growth_cache.cached(stores.cache, user.user_id, card_id)
    with stores.db.as_user(user) as tx:
        if growth is None:
            card = _fetch(tx, stores.config, card_id)
        else:
            row = tx.execute(_CARD_ONLY, {"id": card_id}).fetchone()
            if row is None:
                raise NotFound("No such card.")
            card = Card.model_validate({**row, **growth})
    if growth is None:
        growth_cache.remember(stores.cache, user.user_id, [card])
    recent.viewed(stores.cache, user.user_id, card_id)
    return card


def recent_cards(stores: GrowthStores, user: Principal) -> list[Card]:
    """The cards the caller viewed lately, most recent first (those since deleted left out)."""
    ids = recent.card_ids(stores.cache, user.user_id)
    if not ids:
        return []
    params = {**_rules(stores.config, None), "ids": ids}
    with stores.db.as_user(user) as tx:
        rows = tx.execute(_BY_IDS, params).fetchall()
    found = {row["card_id"]: Card.model_validate(row) for row in rows}
    return [found[card_id] for card_id in ids if card_id in found]


def update_card(stores: GrowthStores, user: Principal, card_id: UUID, change: CardUpdate) -> Card:
    """Move or (un)favourite one of the caller's cards, then refresh its cache and announce it."""
    with stores.db.as_user(user) as tx:
        tx.execute(
            "update public.cards set status = coalesce(%(status)s, status),"
            " is_favorited = coalesce(%(is_favorited)s, is_favorited)"
            " where card_id = %(id)s returning card_id",
            {**change.model_dump(), "id": card_id},
        )
        if tx.fetchone() is None:
            raise NotFound("No such card.")
        card = _fetch(tx, stores.config, card_id)
    growth_cache.announce(stores.cache, user.user_id, card)
    return card


def _fetch(tx: Transaction, config: GrowthConfig, card_id: UUID) -> Card:
    tx.execute(_WITH_EVOLUTION, _rules(config, card_id))
    row = tx.fetchone()
    if row is None:
        raise NotFound("No such card.")
    return Card.model_validate(row)


def _rules(config: GrowthConfig, card_id: UUID | None) -> dict[str, Any]:
    return {
        "rules": jsonb(config.evolution_rules_json()),
        "default": config.evolution.default,
        "card_id": card_id,
    }
