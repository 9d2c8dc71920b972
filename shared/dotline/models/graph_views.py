"""The caller's graph as the API shows it: a neighbourhood around one node, and the 3D cosmos."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

MAX_NEIGHBOURHOOD_DEPTH = (
    3  # hops; the port goes deeper, but a client view would be the whole graph
)
DEFAULT_NEIGHBOURHOOD_DEPTH = 1
MAX_NEIGHBOURHOOD_NODES = 500
DEFAULT_NEIGHBOURHOOD_NODES = 100


class GraphNodeView(BaseModel):
    """A node of the caller's graph: the entity it stands for and what the graph keeps of it."""

    node_id: UUID = Field(description="The entity's own id (memory_id, concept_id, ...)")
    type: str = Field(
        description="memory, concept, artifact, community, tag, person, location, user"
    )
    label: str | None = Field(description="What to show: a concept's name, a memory's title, ...")
    labels: list[str] = Field(
        description="The graph's labels of the node, its own first (a person: Concept, Person)"
    )
    properties: dict[str, Any]


class GraphEdgeView(BaseModel):
    """A directed, typed, weighted link between two nodes of the caller's graph."""

    source_id: UUID
    target_id: UUID
    type: str
    weight: float


class Neighbourhood(BaseModel):
    """A node and what lies within `depth` hops of it (links walked either way), nearest first."""

    center_id: UUID = Field(description="The node walked from (a merged concept's survivor)")
    depth: int
    nodes: list[GraphNodeView]
    edges: list[GraphEdgeView] = Field(description="Every link among the nodes returned")
    truncated: bool = Field(description="True when `limit` cut the walk short")


# The projection's nodes and edges are TypedDicts, not models: a 5,000-node layout validates
# several times faster, and it is our own stored output being read back.
class ProjectedNode(TypedDict):
    """A node placed in the cosmos: position in [-100, 100] on each axis, and a display size."""

    node_id: UUID
    type: str
    label: str | None
    x: float
    y: float
    z: float
    size: Annotated[float, Field(description="1 for a lone node, growing with its links (log)")]


class ProjectedEdge(TypedDict):
    """A link drawn between two projected nodes."""

    source_id: UUID
    target_id: UUID
    type: str
    weight: float


class GraphProjection(BaseModel):
    """The 3D layout of the caller's graph, computed server-side and kept until the graph changes."""

    projection_id: UUID
    computed_at: datetime = Field(description="When this layout was computed (not when served)")
    fingerprint: str = Field(description="Digest of the graph laid out; changes when it does")
    algorithm: str
    node_count: int = Field(description="Nodes placed")
    total_nodes: int = Field(description="Nodes in the graph; more than node_count if truncated")
    truncated: bool = Field(description="True when only the best-linked nodes were placed")
    nodes: list[ProjectedNode]
    edges: list[ProjectedEdge]


class GraphPath(BaseModel):
    """A shortest chain of links between two nodes of the caller's graph (walked either way)."""

    from_id: UUID
    to_id: UUID
    max_depth: int
    hops: int | None = Field(description="Links on the path; null when none within max_depth")
    nodes: list[GraphNodeView] = Field(description="From `from` to `to` in order; empty: no path")
