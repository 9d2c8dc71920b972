"""The growth ledger: appending events, server only, exactly once per action and entity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from dotline.db import Transaction, jsonb
from dotline.growth_rules import CONTROL, GrowthConfig
from dotline.models.growth import GrowthEvent

# Event ids are uuid5(namespace, "user:dedupe key:dimension"): replaying an action for an entity
# yields the same ids, and `on conflict do nothing` turns the replay into a no-op.
EVENT_NAMESPACE = UUID("6f1d3c2e-8a4b-5e7f-9c0d-1a2b3c4d5e6f")

EVENT_COLUMNS = "event_id, entity_type, entity_id, dim_key, delta, source, details, created_at"


@dataclass(frozen=True)
class NewEvent:
    """One growth event to append; its id decides whether it already happened."""

    event_id: UUID
    user_id: UUID
    entity_type: str
    entity_id: UUID
    dim_key: str
    delta: float
    source: str
    details: dict[str, Any]


def event_id_for(user_id: UUID, dedupe_key: str, dim_key: str) -> UUID:
    """The deterministic id of the event `dedupe_key` earns along `dim_key` for a user."""
    return uuid5(EVENT_NAMESPACE, f"{user_id}:{dedupe_key}:{dim_key}")


@dataclass(frozen=True)
class GrowthAction:
    """What a person did to one of their entities, as the growth rules name it, and which part
    of the server saw it (`source`)."""

    user_id: UUID
    action: str
    entity_type: str
    entity_id: UUID
    source: str
    dim_keys: list[str] | None = None  # only these of the rule's dimensions (None: all)
    dedupe_key: str | None = None  # what makes a replay the same action (None: action and entity)


def record_growth_events(
    tx: Transaction, config: GrowthConfig, done: GrowthAction
) -> list[GrowthEvent]:
    """Append one event per dimension the action's rule names (within dim_keys when given).

    `tx` must be a service transaction. A second call for the same action and entity (or
    dedupe_key) appends nothing; returns the events this call appended.
    """
    return insert_events(tx, events_earned(config, done))


def events_earned(config: GrowthConfig, done: GrowthAction) -> list[NewEvent]:
    """The events an action on an entity earns under `config`: one per dimension its rule names
    (within dim_keys when given), by dimension, each with the id that makes a replay a no-op."""
    key = done.dedupe_key or f"{done.action}:{done.entity_type}:{done.entity_id}"
    details: dict[str, Any] = {"action": done.action, "config_version": config.version}
    variant = config.variant_for(done.user_id)
    if config.variants:  # an experiment runs: every event says which cohort earned it
        details["variant"] = variant.name if variant is not None else CONTROL
    return [
        NewEvent(
            event_id_for(done.user_id, key, dim),
            done.user_id,
            done.entity_type,
            done.entity_id,
            dim,
            delta,
            done.source,
            details,
        )
        for dim, delta in sorted(config.deltas(done.action, done.dim_keys, variant).items())
    ]


def insert_events(tx: Transaction, events: Sequence[NewEvent]) -> list[GrowthEvent]:
    """Append events in one statement, skipping ids already in the ledger; returns those added."""
    from psycopg import sql

    if not events:
        return []
    tx.execute(
        sql.SQL(
            "insert into public.growth_events"
            " (event_id, user_id, entity_type, entity_id, dim_key, delta, source, details)"
            " select * from unnest(%(ids)s::uuid[], %(users)s::uuid[], %(types)s::text[],"
            " %(entities)s::uuid[], %(dims)s::text[], %(deltas)s::float8[], %(sources)s::text[],"
            " %(details)s::jsonb[])"
            " on conflict (event_id) do nothing returning {}"
        ).format(sql.SQL(EVENT_COLUMNS)),
        {
            "ids": [e.event_id for e in events],
            "users": [e.user_id for e in events],
            "types": [e.entity_type for e in events],
            "entities": [e.entity_id for e in events],
            "dims": [e.dim_key for e in events],
            "deltas": [e.delta for e in events],
            "sources": [e.source for e in events],
            "details": [jsonb(e.details) for e in events],
        },
    )
    return [GrowthEvent.model_validate(row) for row in tx.fetchall()]
