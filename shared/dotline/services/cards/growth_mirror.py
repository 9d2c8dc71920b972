"""An entity's growth on its graph node and its knowledge item (seed 000, Growth Model
Integration 5-6): the node carries the six dimension scores (`growth_<dim_key>`, summed from
growth_events, 0 where none) and its card's `evolution_state`; the knowledge item carries the
evolution state, so the vector index filters by it (VectorFilter.evolution_states).

The card pipeline calls this after a delivery, for the entity the change is about (its growth
moved, or its node was just rewritten without these properties) and for every card whose state
changed. The node keeps its version (these are not the row's columns), so a later change of the
row, which rewrites the node, wins, and its own delivery puts the growth back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from dotline.db import Database
from dotline.growth_rules import GrowthConfig
from dotline.ports.graph import GraphStore
from dotline.ports.vectors import VectorStore

PROPERTY_PREFIX = "growth_"
STATE_PROPERTY = "evolution_state"
# Card entity types that have a knowledge item (prompts have none).
_ITEM_TYPES = frozenset({"memory", "concept", "artifact"})

_SCORES = """
select entity_type, entity_id, dim_key, sum(delta)::float8 as score
from public.growth_events
where user_id = %(user_id)s
  and (entity_type, entity_id) in (select * from unnest(%(types)s::text[], %(ids)s::uuid[]))
group by entity_type, entity_id, dim_key
"""

Entity = tuple[str, UUID]


def growth_properties(
    config: GrowthConfig, scores: dict[str, float], state: str | None
) -> dict[str, Any]:
    """The node properties of an entity's growth: every configured dimension, then any other
    dimension it has events in, and its card's state (None: it has no card)."""
    properties: dict[str, Any] = {f"{PROPERTY_PREFIX}{d.key}": 0.0 for d in config.dimensions}
    properties.update({f"{PROPERTY_PREFIX}{k}": round(v, 6) for k, v in sorted(scores.items())})
    properties[STATE_PROPERTY] = state
    return properties


def mirror_growth(
    user_id: UUID,
    states: dict[Entity, str | None],
    *,
    db: Database,
    graph: GraphStore,
    vectors: VectorStore,
    config: GrowthConfig,
) -> None:
    """Write the entities' growth on their nodes and their states on their knowledge items."""
    if not states:
        return
    scores = _scores(db, user_id, states)
    for (kind, entity_id), state in states.items():
        found = graph.neighbourhood(user_id, entity_id, depth=0, limit=1).nodes
        node = next((n for n in found if n.node_id == entity_id), None)
        if node is None:
            continue  # not mirrored yet: its own delivery comes back here
        grown = growth_properties(config, scores.get((kind, entity_id), {}), state)
        if any(node.properties.get(k) != v for k, v in grown.items()):
            properties = {**node.properties, **grown}
            graph.upsert_nodes([node.model_copy(update={"properties": properties})])
    for kind in _ITEM_TYPES:
        items = {entity_id: state for (k, entity_id), state in states.items() if k == kind}
        if items:
            vectors.set_evolution_states(user_id, kind, items)


def _scores(
    db: Database, user_id: UUID, entities: Iterable[Entity]
) -> dict[Entity, dict[str, float]]:
    keys = list(entities)
    rows = db.fetch_as_service(
        _SCORES,
        {"user_id": user_id, "types": [k for k, _ in keys], "ids": [i for _, i in keys]},
        read_only=True,
    )
    scores: dict[Entity, dict[str, float]] = {}
    for row in rows:
        entity = (str(row["entity_type"]), UUID(str(row["entity_id"])))
        scores.setdefault(entity, {})[str(row["dim_key"])] = float(row["score"])
    return scores
