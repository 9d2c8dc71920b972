"""The graph port: a user's knowledge graph of memories, concepts and what links them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol
from uuid import UUID

from pydantic import BaseModel, Field, field_validator, model_validator

from dotline.errors import InvalidRequest

NodeLabel = Literal[
    "User", "MemoryUnit", "Concept", "DerivedArtifact", "Community", "Tag", "Person", "Location"
]
# Labels a node may carry besides its own (a person or a place is a Concept that is also one).
SecondaryLabel = Literal["Person", "Location"]
RelationshipType = Literal[
    "RELATED_TO", "PART_OF", "CREATED", "EXPERIENCED", "REFERENCES", "EVOLVED_FROM",
    "HAPPENED_AT", "INVOLVES", "TAGGED_WITH", "INSPIRED_BY", "CONTRADICTS", "SUPPORTS",
    "HIGHLIGHTS", "OWNS",
]  # fmt: skip

# Keys a store keeps beside the caller's properties (Neo4j holds everything flat on the node).
RESERVED_PROPERTY_KEYS = frozenset({"id", "userId", "version", "weight", "jsonKeys"})
MAX_TRAVERSAL_DEPTH = 6  # hops; deeper walks touch most of a personal graph anyway
MAX_NEIGHBOURHOOD_LIMIT = 5_000  # nodes
MAX_NEIGHBOUR_SEEDS = 100  # nodes whose neighbours one `neighbours` call reads


def _no_reserved_keys(properties: dict[str, Any]) -> dict[str, Any]:
    clash = RESERVED_PROPERTY_KEYS.intersection(properties)
    if clash:
        raise ValueError(f"properties may not use the store's own keys: {sorted(clash)}")
    return properties


class GraphNode(BaseModel):
    """A node; `version` orders writes (an upsert older than what is stored changes nothing).

    `label` is the one every reader addresses it by (a person is a Concept); `extra_labels` are
    the seeds' secondary labels it also carries (Person, Location), replaced on every upsert.
    """

    node_id: UUID
    user_id: UUID
    label: NodeLabel
    extra_labels: list[SecondaryLabel] = Field(default_factory=list)
    properties: dict[str, Any] = Field(default_factory=dict)
    version: int = 0

    _properties = field_validator("properties")(_no_reserved_keys)

    @field_validator("extra_labels")
    @classmethod
    def _sorted_once(cls, labels: list[SecondaryLabel]) -> list[SecondaryLabel]:
        return sorted(set(labels))

    @model_validator(mode="after")
    def _not_its_own_label(self) -> GraphNode:
        if self.label in self.extra_labels:
            raise ValueError("extra_labels repeat the node's label")
        return self

    @property
    def labels(self) -> list[str]:
        """Every label the node carries, its own first."""
        return [self.label, *self.extra_labels]


class GraphEdge(BaseModel):
    """A directed, typed, weighted relationship between two distinct nodes of the same user."""

    user_id: UUID
    source_id: UUID
    target_id: UUID
    type: RelationshipType
    weight: float = 1.0
    properties: dict[str, Any] = Field(default_factory=dict)
    version: int = 0

    _properties = field_validator("properties")(_no_reserved_keys)

    @model_validator(mode="after")
    def _not_a_loop(self) -> GraphEdge:
        if self.source_id == self.target_id:
            raise ValueError("an edge joins two different nodes")
        return self


class Subgraph(BaseModel):
    """Nodes and the edges among them (the one result shape of graph reads)."""

    nodes: list[GraphNode] = Field(default_factory=list)
    edges: list[GraphEdge] = Field(default_factory=list)


class GraphStore(Protocol):
    """Stores and traverses each user's graph; every call is scoped to one user."""

    def upsert_nodes(self, nodes: Sequence[GraphNode]) -> None:
        """Create or update nodes by node_id; a lower version than stored is ignored."""

    def upsert_edges(self, edges: Sequence[GraphEdge]) -> None:
        """Create or update edges keyed by (source, target, type); lower versions ignored.

        An edge whose endpoints are not both stored nodes of its user is skipped.
        """

    def delete_node(self, user_id: UUID, node_id: UUID) -> None:
        """Remove a node and every edge touching it; a missing node is not an error."""

    def delete_nodes(self, user_id: UUID, node_ids: Sequence[UUID]) -> int:
        """Remove the nodes and every edge touching them (bulk retention); missing ones are fine.

        Returns how many nodes went.
        """

    def delete_edge(
        self, user_id: UUID, source_id: UUID, target_id: UUID, type: RelationshipType
    ) -> None:
        """Remove one edge; a missing edge is not an error."""

    def neighbourhood(self, user_id: UUID, node_id: UUID, depth: int, limit: int = 200) -> Subgraph:
        """The node and everything within `depth` hops (either direction), at most `limit` nodes.

        Nearer nodes are kept first; an unknown node gives an empty subgraph.
        """

    def neighbours(self, user_id: UUID, node_ids: Sequence[UUID], limit_per_node: int) -> Subgraph:
        """Each given node's direct neighbours (either direction), at most `limit_per_node` each,
        heaviest edge first, in one round trip: the neighbour nodes and one edge to each.

        The given nodes are not included unless one neighbours another; unknown ids add nothing.
        """

    def shortest_path(
        self, user_id: UUID, source_id: UUID, target_id: UUID, max_depth: int = 6
    ) -> list[GraphNode] | None:
        """The nodes of a shortest path from source to target, or None when unreachable.

        Edges are walked in either direction; at most `max_depth` hops.
        """

    def connection_counts(self, user_id: UUID, node_ids: Sequence[UUID]) -> dict[UUID, int]:
        """How many edges touch each given node (absent nodes count 0)."""

    def subgraph(self, user_id: UUID) -> Subgraph:
        """The user's whole graph, for analytics."""

    def erase_user(self, user_id: UUID) -> int:
        """Remove every node and edge of the user; returns how many nodes went."""

    def graph_version(self, user_id: UUID) -> int | None:
        """A number that differs whenever the user's graph differs (any committed write changes
        it), or None when this store keeps none and the caller must read the graph to tell."""


def check_neighbourhood(depth: int, limit: int) -> None:
    """Refuse walks the port does not offer (every adapter calls this)."""
    if not 0 <= depth <= MAX_TRAVERSAL_DEPTH:
        raise InvalidRequest(f"depth must be between 0 and {MAX_TRAVERSAL_DEPTH}.", field="depth")
    if not 1 <= limit <= MAX_NEIGHBOURHOOD_LIMIT:
        raise InvalidRequest(
            f"limit must be between 1 and {MAX_NEIGHBOURHOOD_LIMIT}.", field="limit"
        )


def check_neighbours(node_ids: Sequence[UUID], limit_per_node: int) -> None:
    """Refuse batched neighbour reads the port does not offer (every adapter calls this)."""
    if len(node_ids) > MAX_NEIGHBOUR_SEEDS:
        raise InvalidRequest(f"at most {MAX_NEIGHBOUR_SEEDS} nodes at once.", field="node_ids")
    if not 1 <= limit_per_node <= MAX_NEIGHBOURHOOD_LIMIT:
        raise InvalidRequest(
            f"limit_per_node must be between 1 and {MAX_NEIGHBOURHOOD_LIMIT}.",
            field="limit_per_node",
        )


def check_path_depth(max_depth: int) -> None:
    """Refuse path searches deeper than the port offers (every adapter calls this)."""
    if not 1 <= max_depth <= MAX_TRAVERSAL_DEPTH:
        raise InvalidRequest(
            f"max_depth must be between 1 and {MAX_TRAVERSAL_DEPTH}.", field="max_depth"
        )
