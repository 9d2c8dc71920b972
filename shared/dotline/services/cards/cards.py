"""The card gallery: list with filters and cursor pages, read one, favourite, move.

Evolution comes from api.card_evolution() with the configured rules, for a whole page in one
query; one card's evolution is read through its cache entry. People change only status and
is_favorited, under row-level security; each change refreshes the cache and is announced.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Transaction, jsonb
from dotline.errors import InvalidRequest, NotFound
from dotline.growth_rules import GrowthConfig
from dotline.models.cards import Card, CardFilter, CardPage, CardUpdate
from dotline.pagination import decode_cursor, encode_cursor
from dotline.services.cards import growth_cache

if TYPE_CHECKING:
    from psycopg import sql

    from dotline.bootstrap import GrowthStores

CURSOR_KIND = "cards_recent"
_CARD_ONLY = (
    "select c.card_id, c.card_type, c.source_entity_type, c.source_entity_id, c.status,"
    " c.is_favorited, c.display_data, c.created_at, c.updated_at"
    " from public.cards c where c.card_id = %(id)s"
)
_WITH_EVOLUTION = (
    "select c.card_id, c.card_type, c.source_entity_type, c.source_entity_id, c.status,"
    " c.is_favorited, c.display_data, c.created_at, c.updated_at,"
    " e.evolution_state, e.connection_count, e.dimension_count"
    " from public.cards c"
    " join api.card_evolution(%(rules)s, %(default)s, %(card_id)s) e on e.card_id = c.card_id"
)

_ALL_WITH_EVOLUTION = "{} where {} order by c.created_at desc, c.card_id desc limit %(limit)s"
_PAGE_WITH_EVOLUTION = (
    "select c.card_id, c.card_type, c.source_entity_type, c.source_entity_id, c.status,"
    " c.is_favorited, c.display_data, c.created_at, c.updated_at,"
    " e.evolution_state, e.connection_count, e.dimension_count"
    " from (select * from public.cards c where {1}"
    " order by c.created_at desc, c.card_id desc limit %(limit)s) c"
    " cross join lateral api.card_evolution(%(rules)s, %(default)s, c.card_id) e"
    " order by c.created_at desc, c.card_id desc"
)


def list_cards(
    stores: GrowthStores, user: Principal, where: CardFilter, cursor: str | None, limit: int
) -> CardPage:
    """The caller's cards, newest first, `limit` per page, each with its evolution."""
    from psycopg import sql

    db, cache = stores.db, stores.cache
    params: dict[str, Any] = {
        **_rules(stores.config, None),
        **where.model_dump(),
        "limit": limit + 1,
    }
    conditions: list[sql.Composable] = [sql.SQL("c.user_id = %(user_id)s")]
    params["user_id"] = user.user_id
    for column in ("status", "card_type", "source_entity_type", "is_favorited"):
        if params[column] is not None:
            conditions.append(
                sql.SQL("c.{} = {}").format(sql.Identifier(column), sql.Placeholder(column))
            )
    if where.evolution_state is not None:
        conditions.append(sql.SQL("e.evolution_state = %(evolution_state)s"))
    if cursor is not None:
        after_at, params["after_id"] = decode_cursor(cursor, CURSOR_KIND)
        params["after_at"] = _instant(after_at)
        conditions.append(sql.SQL("(c.created_at, c.card_id) < (%(after_at)s, %(after_id)s)"))
    # Without an evolution filter the page is cut first and only its cards are evaluated;
    # filtering by state evaluates them all (docs/measurements.md, bench/bench_growth.py).
    template = _PAGE_WITH_EVOLUTION if where.evolution_state is None else _ALL_WITH_EVOLUTION
    query = sql.SQL(template).format(sql.SQL(_WITH_EVOLUTION), sql.SQL(" and ").join(conditions))
    with db.as_user(user) as tx:
        tx.execute(query, params)
        rows = tx.fetchall()
    items = [Card.model_validate(row) for row in rows[:limit]]
    growth_cache.remember(cache, user.user_id, items)
    last = items[-1] if items and len(rows) > limit else None
    next_cursor = (
        encode_cursor(CURSOR_KIND, last.created_at.isoformat(), str(last.card_id)) if last else None
    )
    return CardPage(items=items, next_cursor=next_cursor)


def get_card(stores: GrowthStores, user: Principal, card_id: UUID) -> Card:
    """One of the caller's cards; its evolution from the cache when fresh, else computed and cached."""
    growth = growth_cache.cached(stores.cache, user.user_id, card_id)
    with stores.db.as_user(user) as tx:
        if growth is None:
            card = _fetch(tx, stores.config, card_id)
        else:
            tx.execute(
                _CARD_ONLY,
                {"id": card_id},
            )
            row = tx.fetchone()
            if row is None:
                raise NotFound("No such card.")
            return Card.model_validate({**row, **growth})
    growth_cache.remember(stores.cache, user.user_id, [card])
    return card


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


def _instant(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as exc:
        message = "is not a cursor this list handed out"
        raise InvalidRequest(
            f"query.cursor: {message}", errors=[{"field": "query.cursor", "message": message}]
        ) from exc
