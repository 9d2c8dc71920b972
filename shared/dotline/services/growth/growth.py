"""Reading the caller's growth: the per-dimension summary, the event stream, a card's dimensions."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, jsonb
from dotline.errors import InvalidRequest, NotFound
from dotline.growth_rules import GrowthConfig
from dotline.models.growth import (
    CardDimension,
    CardDimensions,
    DimensionSummary,
    EventFilter,
    GrowthEvent,
    GrowthEventPage,
    GrowthSummary,
)
from dotline.services.growth.ledger import EVENT_COLUMNS
from dotline.tables import Keyset

CURSOR_KIND = "growth_events"
_NEWEST = Keyset(CURSOR_KIND, GrowthEvent, "event_id", EVENT_COLUMNS, "public.growth_events")
_EQUALS = {column: f"{column} = %({column})s" for column in ("dim_key", "entity_type", "source")}

if TYPE_CHECKING:
    from dotline.bootstrap import GrowthStores


def growth_summary(stores: GrowthStores, user: Principal) -> GrowthSummary:
    """Every configured dimension with the caller's total, entity count and last activity."""
    config = stores.config
    with stores.db.as_user(user) as tx:
        tx.execute("select * from api.growth_summary(%(user_id)s)", {"user_id": user.user_id})
        rows = {row["dim_key"]: row for row in tx.fetchall()}
    dimensions = [
        DimensionSummary(
            dim_key=dim.key,
            **_shown(config, dim.key),
            total_score=(rows.get(dim.key) or {}).get("total_score") or 0.0,
            entity_count=(rows.get(dim.key) or {}).get("entity_count") or 0,
            last_activity=(rows.get(dim.key) or {}).get("last_activity"),
        )
        for dim in config.dimensions
    ]
    return GrowthSummary(config_version=config.version, dimensions=dimensions)


def list_events(
    db: Database, user: Principal, where: EventFilter, cursor: str | None, limit: int
) -> GrowthEventPage:
    """The caller's events, newest first, `limit` per page, keyset-paged by cursor."""
    if where.created_from and where.created_to and where.created_from > where.created_to:
        raise _invalid("query.created_from", "must not be after created_to")
    params = {**where.model_dump(), "user_id": user.user_id}
    conditions = ["user_id = %(user_id)s"]
    conditions += [_EQUALS[column] for column in _EQUALS if params[column] is not None]
    if where.created_from is not None:
        conditions.append("created_at >= %(created_from)s")
    if where.created_to is not None:
        conditions.append("created_at < %(created_to)s")
    with db.as_user(user) as tx:
        items, next_cursor = _NEWEST.page(tx, conditions, params, limit=limit, cursor=cursor)
    return GrowthEventPage(items=items, next_cursor=next_cursor)


def card_dimensions(stores: GrowthStores, user: Principal, card_id: UUID) -> CardDimensions:
    """A card's score per dimension with what last moved it, and its evolution state."""
    config = stores.config
    with stores.db.as_user(user) as tx:
        tx.execute(
            "select * from api.card_evolution(%(rules)s, %(default)s, %(card_id)s)",
            {
                "rules": jsonb(config.evolution_rules_json()),
                "default": config.evolution.default,
                "card_id": card_id,
            },
        )
        card = tx.fetchone()
        if card is None:
            raise NotFound("No such card.")
        tx.execute(
            "select dim_key, sum(delta) as score, count(*) as event_count,"
            " max(created_at) as last_activity,"
            " (array_agg(source order by created_at desc, event_id desc))[1] as last_source"
            " from public.growth_events"
            " where user_id = %(user_id)s and entity_type = %(type)s and entity_id = %(id)s"
            " group by dim_key order by dim_key",
            {
                "user_id": user.user_id,
                "type": card["source_entity_type"],
                "id": card["source_entity_id"],
            },
        )
        scores = tx.fetchall()
    dimensions = [CardDimension(**row, **_shown(config, row["dim_key"])) for row in scores]
    return CardDimensions(
        card_id=card["card_id"],
        source_entity_type=card["source_entity_type"],
        source_entity_id=card["source_entity_id"],
        evolution_state=card["evolution_state"],
        connection_count=card["connection_count"],
        dimension_count=card["dimension_count"],
        config_version=config.version,
        dimensions=dimensions,
    )


def _shown(config: GrowthConfig, dim_key: str) -> dict[str, str]:
    return config.describe(dim_key).model_dump(include={"label", "description", "color"})


def _invalid(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"{field}: {message}", errors=[{"field": field, "message": message}])
