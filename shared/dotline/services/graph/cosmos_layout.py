"""The 3D layout of a person's graph for the cosmos view: deterministic, and bounded in time.

A force-directed layout (networkx's Fruchterman-Reingold, `spring_layout(dim=3)`) costs O(n^2)
per iteration, so only the core, the best-linked CORE_NODES nodes, is laid out by force. Every
other node is then placed breadth-first from the core, at the centre of its already-placed
neighbours plus a small offset fixed by its id, and moved to the centre of all its neighbours a
few times; a part of the graph the core does not reach starts from a point on an outer shell. At
most MAX_NODES nodes are placed (the best-linked), so a huge graph stays a bounded request.

The same graph always gives the same layout: nodes are taken in id order and the force layout is
seeded. The caller decides when a graph is "the same" (see `projection.fingerprint`).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict, deque
from dataclasses import dataclass
from uuid import UUID

from dotline.ports.graph import GraphEdge, GraphNode

ALGORITHM = "spring3d-core300+barycentric-v1"
CORE_NODES = 300  # the force layout's size (its cost: docs/measurements.md)
MAX_NODES = 5_000
LAYOUT_SEED = 20261202
EXTENT = 100.0  # positions are scaled into [-EXTENT, EXTENT] on each axis
PERIPHERY_SPREAD = 0.12  # a placed node's offset from its neighbours' centre (core units)
SHELL_RADIUS = 1.6  # where a part of the graph the core does not reach starts (core units)
RELAX_PASSES = 3
MIN_WEIGHT = 0.05  # the force layout needs positive weights

Point = tuple[float, float, float]


@dataclass(frozen=True)
class Layout:
    """Where each placed node goes, how big it is drawn, and what was left out."""

    positions: dict[UUID, Point]
    sizes: dict[UUID, float]
    edges: list[GraphEdge]
    total_nodes: int

    @property
    def truncated(self) -> bool:
        """True when some nodes were not placed (only the best-linked MAX_NODES were)."""
        return len(self.positions) < self.total_nodes


def lay_out(nodes: list[GraphNode], edges: list[GraphEdge]) -> Layout:
    """Place the nodes in 3D; edges whose ends are not both placed are left out."""
    links = _links(edges)
    degree = {node.node_id: len(links[node.node_id]) for node in nodes}
    ranked = sorted(degree, key=lambda n: (-degree[n], n))
    placed_ids = set(ranked[:MAX_NODES])
    core = ranked[:CORE_NODES]
    core_ids = set(core)
    positions = _core_positions(core, [e for e in edges if _within(e, core_ids)])
    periphery = _place_periphery(positions, placed_ids, links)
    _relax(positions, periphery, links)
    scaled = _scaled(positions)
    return Layout(
        positions=scaled,
        sizes={n: round(1.0 + math.log2(1 + degree[n]), 3) for n in scaled},
        edges=[e for e in edges if _within(e, placed_ids)],
        total_nodes=len(nodes),
    )


def _links(edges: list[GraphEdge]) -> defaultdict[UUID, set[UUID]]:
    links: defaultdict[UUID, set[UUID]] = defaultdict(set)
    for edge in edges:
        links[edge.source_id].add(edge.target_id)
        links[edge.target_id].add(edge.source_id)
    return links


def _within(edge: GraphEdge, ids: set[UUID]) -> bool:
    return edge.source_id in ids and edge.target_id in ids


def _core_positions(core: list[UUID], edges: list[GraphEdge]) -> dict[UUID, Point]:
    """The force-directed layout of the core (in about [-1, 1])."""
    if len(core) <= 1:
        return {n: (0.0, 0.0, 0.0) for n in core}
    import networkx as nx  # only the projection needs it; a cold start elsewhere skips it

    g = nx.Graph()
    g.add_nodes_from(sorted(core))
    for edge in sorted(edges, key=lambda e: (e.source_id, e.target_id, e.type)):
        weight = max(edge.weight, MIN_WEIGHT)
        if g.has_edge(edge.source_id, edge.target_id):
            g[edge.source_id][edge.target_id]["weight"] += weight
        else:
            g.add_edge(edge.source_id, edge.target_id, weight=weight)
    laid = nx.spring_layout(g, dim=3, seed=LAYOUT_SEED, weight="weight")
    return {n: (float(p[0]), float(p[1]), float(p[2])) for n, p in laid.items()}


def _place_periphery(
    positions: dict[UUID, Point], wanted: set[UUID], links: defaultdict[UUID, set[UUID]]
) -> list[UUID]:
    """Place every wanted node not yet placed, breadth-first from what is; returns them in order."""
    order: list[UUID] = []
    pending = sorted(wanted - positions.keys(), key=lambda n: (-len(links[n]), n))
    next_start = shell = 0
    queue = deque(sorted(n for n in positions if links[n]))
    while True:
        while queue:
            current = queue.popleft()
            for neighbour in sorted(links[current]):
                if neighbour in wanted and neighbour not in positions:
                    positions[neighbour] = _near(positions, links[neighbour], neighbour)
                    order.append(neighbour)
                    queue.append(neighbour)
        while next_start < len(pending) and pending[next_start] in positions:
            next_start += 1
        if next_start == len(pending):
            return order
        # A part of the graph nothing placed reaches: it starts on the shell, best-linked first.
        start = pending[next_start]
        positions[start] = _shell_point(shell)
        shell += 1
        order.append(start)
        queue.append(start)


def _relax(
    positions: dict[UUID, Point], movable: list[UUID], links: defaultdict[UUID, set[UUID]]
) -> None:
    """Move each periphery node to the centre of all its placed neighbours (plus its offset)."""
    for _ in range(RELAX_PASSES):
        for node in movable:
            positions[node] = _near(positions, links[node], node)


def _near(positions: dict[UUID, Point], neighbours: set[UUID], node: UUID) -> Point:
    around = [positions[n] for n in neighbours if n in positions]
    if not around:
        return positions.get(node, (0.0, 0.0, 0.0))
    centre = [sum(p[axis] for p in around) / len(around) for axis in range(3)]
    offset = _offset(node)
    return (
        centre[0] + offset[0] * PERIPHERY_SPREAD,
        centre[1] + offset[1] * PERIPHERY_SPREAD,
        centre[2] + offset[2] * PERIPHERY_SPREAD,
    )


def _offset(node: UUID) -> Point:
    """A unit vector fixed by the node's id (so a node keeps its place between layouts)."""
    raw = hashlib.blake2b(node.bytes, digest_size=12).digest()  # ids may share their bytes
    x, y, z = (int.from_bytes(raw[i : i + 4], "big") / 2**31 - 1.0 for i in (0, 4, 8))
    norm = math.sqrt(x * x + y * y + z * z) or 1.0
    return (x / norm, y / norm, z / norm)


def _shell_point(index: int) -> Point:
    """The index-th point of a golden-angle spiral on the outer shell (evenly spread for any
    count, without knowing the count)."""
    golden = math.pi * (3.0 - math.sqrt(5.0))
    y = 1.0 - 2.0 * ((index * 0.6180339887498949 + 0.5) % 1.0)
    radius = math.sqrt(max(0.0, 1.0 - y * y))
    theta = golden * index
    return (
        SHELL_RADIUS * radius * math.cos(theta),
        SHELL_RADIUS * y,
        SHELL_RADIUS * radius * math.sin(theta),
    )


def _scaled(positions: dict[UUID, Point]) -> dict[UUID, Point]:
    """Positions centred on the origin and scaled into [-EXTENT, EXTENT], rounded to 0.001."""
    if not positions:
        return {}
    centre = [sum(p[axis] for p in positions.values()) / len(positions) for axis in range(3)]
    reach = max(abs(p[axis] - centre[axis]) for p in positions.values() for axis in range(3))
    factor = EXTENT / reach if reach > 0 else 0.0
    return {
        n: (
            round((p[0] - centre[0]) * factor, 3),
            round((p[1] - centre[1]) * factor, 3),
            round((p[2] - centre[2]) * factor, 3),
        )
        for n, p in positions.items()
    }
