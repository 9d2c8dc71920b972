"""What a delivered change does to the cards it touches: evolution kept current and announced.

A growth event moves its entity's dimensions; a memory, concept or artifact written to the graph
moves its own connections and its neighbours'. For each entity touched the pipeline recounts the
connections it needs, drops the card's cached growth (`card:{id}:growth`), recomputes the
evolution and, when the state differs from the last one announced, publishes it on the owner's
`user:{uid}:cards` channel. The entity the change is about, and every card whose state changed,
then has its growth written on its graph node and its state on its knowledge item
(`growth_mirror`). Every step is idempotent, so a redelivery changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from dotline import channels
from dotline.channels import Channel
from dotline.db import Database, jsonb
from dotline.growth_rules import GrowthConfig
from dotline.models.db_events import DbEvent
from dotline.ports.cache import Cache
from dotline.ports.graph import GraphStore
from dotline.ports.vectors import VectorStore
from dotline.services.cards import growth_cache
from dotline.services.cards.growth_mirror import mirror_growth
from dotline.services.graph.connections import neighbours, refresh_connection_stats

# Tables whose rows are graph nodes that cards present (profiles are nodes but have no card).
_CARD_NODES = {"memories": "memory", "concepts": "concept", "derived_artifacts": "artifact"}
_CARD_ENTITY_TYPES = frozenset({"memory", "concept", "artifact", "prompt"})

_CARDS_OF = """
select c.card_id, c.source_entity_type, c.source_entity_id, e.evolution_state
from public.cards c
cross join lateral api.card_evolution(%(rules)s, %(default)s, c.card_id) e
where c.user_id = %(user_id)s
  and (c.source_entity_type, c.source_entity_id) in (
    select * from unnest(%(types)s::text[], %(ids)s::uuid[]))
"""


@dataclass
class Touched:
    """The graph nodes next to a node before its change applied (they may lose an edge)."""

    user_id: UUID | None = None
    nodes: set[UUID] = field(default_factory=set)


def before_change(event: DbEvent, *, graph: GraphStore) -> Touched:
    """What the change may disconnect: call before the graph applies it."""
    if event.table not in _CARD_NODES:
        return Touched()
    user_id = UUID(str(event.row["user_id"]))
    return Touched(user_id, neighbours(user_id, UUID(event.row_key), graph=graph))


def follow_change(
    event: DbEvent,
    touched: Touched,
    *,
    db: Database,
    graph: GraphStore,
    vectors: VectorStore,
    cache: Cache,
    config: GrowthConfig,
) -> list[UUID]:
    """Keep the evolution of the cards the change touches current, and the growth their nodes
    and knowledge items carry; returns the cards announced."""
    entities = _entities_touched(event, touched, graph=graph, db=db)
    if not entities:
        return []
    user_id = UUID(str(event.row["user_id"]))
    states: dict[tuple[str, UUID], tuple[UUID, str]] = {}
    changed = refresh_cards(user_id, entities, db=db, cache=cache, config=config, states=states)
    own = _own_entity(event)
    mirrored: dict[tuple[str, UUID], str | None] = {
        key: state for key, (card_id, state) in states.items() if key == own or card_id in changed
    }
    if own is not None and own in entities:
        mirrored.setdefault(own, None)  # no card (yet): its dimensions still go on the node
    mirror_growth(user_id, mirrored, db=db, graph=graph, vectors=vectors, config=config)
    return changed


def refresh_cards(
    user_id: UUID,
    entities: list[tuple[str, UUID]],
    *,
    db: Database,
    cache: Cache,
    config: GrowthConfig,
    states: dict[tuple[str, UUID], tuple[UUID, str]] | None = None,
) -> list[UUID]:
    """Drop the cached growth of the entities' cards; announce those whose state changed.
    Each card (id, state) is noted in `states` by its entity, when given.

    The announcement goes out before the noted state commits: if the cache is down the delivery
    fails whole (ServiceUnavailable) and its retry announces again; at least once, never lost.
    """
    rules = {"rules": jsonb(config.evolution_rules_json()), "default": config.evolution.default}
    with db.as_service() as tx:
        tx.execute(
            _CARDS_OF,
            {
                **rules,
                "user_id": user_id,
                "types": [kind for kind, _ in entities],
                "ids": [entity_id for _, entity_id in entities],
            },
        )
        cards = tx.fetchall()
        if states is not None:
            states.update(
                {(c["source_entity_type"], c["source_entity_id"]): (c["card_id"],
                                                                     c["evolution_state"])
                 for c in cards}
            )  # fmt: skip
        growth_cache.forget(cache, [card["card_id"] for card in cards])
        changed = []
        for card in cards:
            tx.execute(
                "select private.announce_card_evolution(%(id)s, %(state)s, %(default)s) as changed",
                {**rules, "id": card["card_id"], "state": card["evolution_state"]},
            )
            if (tx.fetchone() or {}).get("changed"):
                channels.publish(cache, user_id, Channel.CARDS, _message(card))
                changed.append(card["card_id"])
    return changed


def _own_entity(event: DbEvent) -> tuple[str, UUID] | None:
    """The card entity the change is about: a growth event's entity, or the row's own."""
    row = event.row
    if event.table == "growth_events":
        return (str(row["entity_type"]), UUID(str(row["entity_id"])))
    kind = _CARD_NODES.get(event.table)
    return None if kind is None else (kind, UUID(event.row_key))


def _entities_touched(
    event: DbEvent, touched: Touched, *, graph: GraphStore, db: Database
) -> list[tuple[str, UUID]]:
    row = event.row
    if event.table == "growth_events":
        if row.get("entity_type") not in _CARD_ENTITY_TYPES:
            return []
        return [(str(row["entity_type"]), UUID(str(row["entity_id"])))]
    if event.table not in _CARD_NODES or touched.user_id is None:
        return []
    node_id = UUID(event.row_key)
    nodes = {node_id} | touched.nodes | neighbours(touched.user_id, node_id, graph=graph)
    # The person's own node (its id is theirs) has no card and links to every memory they
    # experienced or created: recounting it on each delivery would read their whole graph.
    nodes.discard(touched.user_id)
    kinds = refresh_connection_stats(touched.user_id, nodes, graph=graph, db=db)
    kinds.setdefault(node_id, _CARD_NODES[event.table])
    return [(kind, node) for node, kind in kinds.items() if kind in _CARD_ENTITY_TYPES]


def _message(card: dict[str, Any]) -> channels.Envelope:
    return channels.envelope(
        "card.evolved", card["card_id"], evolution_state=card["evolution_state"]
    )
