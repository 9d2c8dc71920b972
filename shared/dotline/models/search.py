"""Search as GET /v1/search asks for it and answers: ranked hits, each saying why it matched."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class SearchType(StrEnum):
    """What a search looks through."""

    memory = "memory"
    concept = "concept"
    artifact = "artifact"
    knowledge = "knowledge"


class TagsMatch(StrEnum):
    """Whether a hit needs any or all of the tags asked for."""

    any = "any"
    all = "all"


class SearchFilters(BaseModel):
    """Restrictions every hit must meet (None: not restricted). The memory fields (tags,
    memory types, importance, conversation, occurred_at, metadata) restrict hits to memories;
    the growth fields (evolution states, growth dimensions) to entities with a card (memories,
    concepts, artifacts)."""

    types: list[SearchType] | None = None
    app_id: UUID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    include_superseded: bool = True
    tags: list[str] | None = None
    tags_match: TagsMatch = TagsMatch.any
    memory_types: list[str] | None = None
    importance_min: float | None = None
    importance_max: float | None = None
    conversation_id: UUID | None = None
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None
    metadata: list[str] | None = Field(
        default=None, description="`path:value` pairs the memory's attributes must all have"
    )
    evolution_states: list[str] | None = Field(
        default=None, description="evolution states, one of which the hit's card must be in"
    )
    growth_dimensions: list[str] | None = Field(
        default=None, description="growth dimensions the hit's entity must have grown in, all"
    )


class GraphLink(BaseModel):
    """A hit reached through the graph: an edge from (or to) another top hit."""

    from_entity_type: SearchType
    from_entity_id: UUID
    relationship: str = Field(description="the edge's type, e.g. INVOLVES or RELATED_TO")


class MatchReasons(BaseModel):
    """Which channels found the hit, and what each saw."""

    channels: list[Literal["vector", "text", "graph"]]
    vector_similarity: float | None = Field(
        None,
        description="cosine similarity mapped to [0, 1], when the meaning matched (of the "
        "query without the words that named a concept of yours, when it named one)",
    )
    text_rank: float | None = Field(None, description="Postgres full-text rank, when words matched")
    matched_terms: list[str] = Field(
        default_factory=list, description="query words found in the hit"
    )
    graph_links: list[GraphLink] = Field(
        default_factory=list, description="top hits this one is linked to"
    )
    superseded_by: UUID | None = Field(
        None,
        description="the newer memory that replaced what this one says; it ranks below that one",
    )
    superseded_at: datetime | None = Field(None, description="since when it no longer holds")


class SearchHit(BaseModel):
    """One result: what it is, a snippet of it, its score and why it matched."""

    entity_type: SearchType
    entity_id: UUID
    title: str
    snippet: str
    app_id: UUID | None
    importance: float | None = Field(description="the memory's (decayed) importance, 0-1")
    score: float = Field(description="fused relevance after recency and importance; higher first")
    why: MatchReasons
    created_at: datetime
    updated_at: datetime


class SearchResults(BaseModel):
    """A page of hits, best first; `next_cursor` fetches the next page of the same search."""

    query: str
    items: list[SearchHit]
    next_cursor: str | None = None
    unavailable_channels: list[Literal["vector", "graph", "rerank"]] = Field(
        default_factory=list,
        description="channels or stages whose backend failed; the hits come from the others "
        "(rerank: the ranking is the fused one, not reordered by the language model)",
    )
