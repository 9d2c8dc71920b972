"""A search's growth filters (seed 000, Growth Model Integration 6): the evolution state of the
hit's card and the growth dimensions its entity has grown in.

The vector index carries each item's evolution state, so its filter takes the states (see
`_filters.vector_filter`); the text channel is asked for more candidates; every candidate,
whichever channel found it, is then checked in one read (`api.search_growth_matches`) against
its card as GET /v1/cards computes it, with the configured rules. Knowledge has no card, so it
never passes a growth filter.
"""

from __future__ import annotations

from dotline.auth import Principal
from dotline.db import Database, jsonb
from dotline.growth_rules import GrowthConfig
from dotline.models.search import SearchFilters
from dotline.services.search._filters import refuse
from dotline.services.search._graph import Candidate, Key

CARD_TYPES = ("memory", "concept", "artifact")  # the searchable entities that have cards
# The text channel's candidates under a growth filter: its SQL cannot take the filter (it caps
# before the check drops the other states), so it is asked for its most (its own cap).
TEXT_CANDIDATES = 200

_MATCHES = """
select entity_type, entity_id
from api.search_growth_matches(%(types)s::text[], %(ids)s::uuid[], %(rules)s::jsonb,
                               %(default)s, %(states)s::text[], %(dimensions)s::text[])
"""


def restricts(filters: SearchFilters) -> bool:
    """Whether the search has a growth filter."""
    return filters.evolution_states is not None or filters.growth_dimensions is not None


def check(filters: SearchFilters, config: GrowthConfig) -> None:
    """Refuse evolution states and dimensions the configuration in force does not know."""
    known_states = {rule.state for rule in config.evolution.rules} | {config.evolution.default}
    known_dims = {dim.key for dim in config.dimensions}
    for name, given, known in (
        ("evolution_state", filters.evolution_states, known_states),
        ("growth_dimension", filters.growth_dimensions, known_dims),
    ):
        unknown = sorted(set(given or ()) - known)
        if unknown:
            refuse(name, f"unknown: {', '.join(unknown)} (one of {', '.join(sorted(known))})")


def keep_grown(
    db: Database,
    user: Principal,
    pool: dict[Key, Candidate],
    filters: SearchFilters,
    config: GrowthConfig,
) -> None:
    """Empty the row of every candidate whose card is not in a wanted state or whose entity has
    not grown in every wanted dimension (the ranking then drops it)."""
    live = [key for key, candidate in pool.items() if candidate.row and key[0] in CARD_TYPES]
    kept: set[Key] = set()
    if live:
        params = {
            "types": [kind for kind, _ in live],
            "ids": [entity_id for _, entity_id in live],
            "rules": jsonb(config.evolution_rules_json()),
            "default": config.evolution.default,
            "states": filters.evolution_states,
            "dimensions": filters.growth_dimensions,
        }
        rows = db.fetch_as_user(user, _MATCHES, params, read_only=True)
        kept = {(row["entity_type"], row["entity_id"]) for row in rows}
    for key, candidate in pool.items():
        if key not in kept:
            candidate.row = {}
