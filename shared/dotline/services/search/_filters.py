"""A search's filters: checked once (problems name the query parameter), then as each channel
takes them: the JSON `private.memory_passes` reads in SQL, and the vector index's filter.

A filter on a memory field (tags, memory types, importance, source conversation, occurred_at,
metadata) keeps memories only: concepts, artifacts and knowledge have none of those fields. The
text channel still finds concepts and artifacts, as seeds of the graph channel, whose memory
neighbours the re-read filters like any other; they are dropped before the ranking.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NoReturn
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, jsonb
from dotline.errors import InvalidRequest
from dotline.models.memories import COACHING_MEMORY_TYPES
from dotline.models.search import SearchFilters, TagsMatch
from dotline.ports.vectors import VectorFilter, attribute_pair
from dotline.services.search._graph import Candidate, Key

MAX_METADATA_PAIRS = 10
MAX_FILTER_VALUES = 20
# A dotted path of up to three keys (ports/vectors.py mirrors attributes that deep).
METADATA_PATH = re.compile(r"[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,2}")
BUILT_IN_MEMORY_TYPES = frozenset({"memory"}) | COACHING_MEMORY_TYPES
_USED_TYPES = (
    "select coalesce(array_agg(distinct memory_type), '{}') as used from public.memories "
    "where memory_type = any(%(types)s::text[])"
)


def check(db: Database, user: Principal, filters: SearchFilters) -> None:
    """Refuse reversed ranges, malformed metadata and memory types the caller has never used
    (outside the built-in ones), naming the query parameter."""
    for low, high in (("created_after", "created_before"), ("importance_min", "importance_max"),
                      ("occurred_after", "occurred_before")):  # fmt: skip
        first, second = getattr(filters, low), getattr(filters, high)
        if first is not None and second is not None and first >= second:
            refuse(high, f"must be greater than {low}")
    for name in ("tags", "memory_types", "metadata"):
        if len(getattr(filters, name) or ()) > MAX_FILTER_VALUES:
            refuse(name, f"at most {MAX_FILTER_VALUES} values")
    metadata(filters)
    wanted = set(filters.memory_types or ()) - BUILT_IN_MEMORY_TYPES
    if wanted:
        rows = db.fetch_as_user(user, _USED_TYPES, {"types": sorted(wanted)}, read_only=True)
        unknown = sorted(wanted - set(rows[0]["used"]))
        if unknown:
            refuse("memory_type", f"unknown memory type: {', '.join(unknown)}")


def metadata(filters: SearchFilters) -> dict[str, str] | None:
    """The `path:value` pairs as path -> value (each path once)."""
    if filters.metadata is None:
        return None
    pairs: dict[str, str] = {}
    for given in filters.metadata:
        path, colon, value = given.partition(":")
        if not colon or not METADATA_PATH.fullmatch(path):
            refuse("metadata", "each must be path:value, a path of up to three dotted keys of "
                    "letters, digits, _ or -")  # fmt: skip
        if path in pairs and pairs[path] != value:
            refuse("metadata", f"{path} is given two values")
        pairs[path] = value
    if len(pairs) > MAX_METADATA_PAIRS:
        refuse("metadata", f"at most {MAX_METADATA_PAIRS} paths")
    return pairs


def memory_restrictions(filters: SearchFilters) -> dict[str, Any] | None:
    """The memory-field restrictions given, as `private.memory_passes` reads them (None: none)."""
    tags = "tags_all" if filters.tags_match == TagsMatch.all else "tags_any"
    fields = {
        tags: filters.tags,
        "memory_types": filters.memory_types,
        "importance_min": filters.importance_min,
        "importance_max": filters.importance_max,
        "conversation_id": filters.conversation_id,
        "occurred_after": filters.occurred_after,
        "occurred_before": filters.occurred_before,
        "metadata": metadata(filters),
    }
    given = {name: value for name, value in fields.items() if value is not None}
    return given or None


def sql_restrictions(filters: SearchFilters) -> Any:
    """The restrictions as the jsonb parameter of the search SQL functions."""
    restrictions = memory_restrictions(filters)
    if restrictions is None:
        return None
    return jsonb({name: _as_json(value) for name, value in restrictions.items()})


def vector_filter(filters: SearchFilters, types: list[str]) -> VectorFilter:
    """The vector index's filter: the same restrictions, on the mirrored item fields (and
    the evolution state the card pipeline keeps on each item)."""
    tags = filters.tags
    pairs = metadata(filters)
    return VectorFilter(
        source_entity_types=types,
        created_after=filters.created_after,
        created_before=filters.created_before,
        min_importance=filters.importance_min,
        max_importance=filters.importance_max,
        memory_types=filters.memory_types,
        tags_any=tags if filters.tags_match == TagsMatch.any else None,
        tags_all=tags if filters.tags_match == TagsMatch.all else None,
        app_id=filters.app_id,
        source_conversation_id=filters.conversation_id,
        occurred_after=filters.occurred_after,
        occurred_before=filters.occurred_before,
        attribute_pairs=None if pairs is None else [attribute_pair(*p) for p in pairs.items()],
        evolution_states=filters.evolution_states,
    )


def drop_non_memories(pool: dict[Key, Candidate], filters: SearchFilters) -> None:
    """Under a memory-field filter, concepts and artifacts found by words only seeded the
    graph (which reaches the memories linked to them); they are no hits themselves."""
    if memory_restrictions(filters) is None:
        return
    for (kind, _), candidate in pool.items():
        if kind != "memory":
            candidate.row = {}


def _as_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, UUID) else value


def refuse(name: str, message: str) -> NoReturn:
    """A 422 naming the query parameter."""
    raise InvalidRequest(
        f"query.{name}: {message}", errors=[{"field": f"query.{name}", "message": message}]
    )
