"""Clustering a person's tags and following clusters from one run to the next (pure functions).

Tags are embedded (unit vectors), joined to their K nearest neighbours in a similarity graph
weighted by cosine similarity, and split into communities by greedy modularity maximisation
(Clauset-Newman-Moore, networkx), which is deterministic for the same input. A cluster of a
later run continues an earlier one when their members overlap most (Jaccard >= MIN_JACCARD).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

NEIGHBOURS = 3
MIN_SIMILARITY = 0.05  # weaker links than this are noise for static word embeddings
MIN_CLUSTER_SIZE = 2
MIN_JACCARD = 0.3


@dataclass(frozen=True)
class Cluster:
    """Tags that belong together: members (by weight), centre, cohesion."""

    name: str
    members: tuple[str, ...]
    weights: tuple[float, ...]  # each member's similarity to the centre, in [0, 1]
    centre: tuple[float, ...]
    cohesion: float  # mean pairwise cosine similarity of the members, in [0, 1]


def cluster_tags(tags: Sequence[str], vectors: Sequence[Sequence[float]]) -> list[Cluster]:
    """Communities of at least MIN_CLUSTER_SIZE tags, largest first."""
    import networkx as nx  # both only where clusters are made: reading them needs neither
    import numpy as np

    if len(tags) < MIN_CLUSTER_SIZE:
        return []
    matrix = np.asarray(vectors, dtype=np.float64)
    similarity = matrix @ matrix.T
    graph = nx.Graph()
    graph.add_nodes_from(range(len(tags)))
    for i in range(len(tags)):
        nearest = [j for j in np.argsort(-similarity[i], kind="stable") if j != i][:NEIGHBOURS]
        for j in nearest:
            if similarity[i, j] > MIN_SIMILARITY:
                graph.add_edge(i, int(j), weight=float(similarity[i, j]))
    communities = nx.community.greedy_modularity_communities(graph, weight="weight")
    clusters = [
        _describe([tags[i] for i in sorted(c)], matrix[sorted(c)])
        for c in communities
        if len(c) >= MIN_CLUSTER_SIZE
    ]
    return sorted(clusters, key=lambda c: (-len(c.members), c.name))


def _describe(members: list[str], vectors: np.ndarray) -> Cluster:
    import numpy as np

    centre = vectors.mean(axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    weights = np.clip(vectors @ centre, 0.0, 1.0)
    pairwise = vectors @ vectors.T
    n = len(members)
    cohesion = float((pairwise.sum() - n) / (n * (n - 1)))
    order = np.argsort(-weights, kind="stable")
    return Cluster(
        name=members[int(order[0])][:100],  # the member nearest the centre names the theme
        members=tuple(members[i] for i in order),
        weights=tuple(round(float(weights[i]), 3) for i in order),
        centre=tuple(round(float(x), 6) for x in centre),
        cohesion=round(min(1.0, max(0.0, cohesion)), 3),
    )


def jaccard(a: set[str], b: set[str]) -> float:
    """Shared members over all members (0 for two empty sets)."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def match_clusters(previous: dict[str, set[str]], current: Sequence[Cluster]) -> dict[int, str]:
    """Which earlier cluster (by id) each current one (by index) continues: best overlaps first,
    each earlier cluster continued at most once."""
    pairs = sorted(
        (
            (jaccard(set(cluster.members), members), index, cluster_id)
            for index, cluster in enumerate(current)
            for cluster_id, members in previous.items()
        ),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    matched: dict[int, str] = {}
    taken: set[str] = set()
    for score, index, cluster_id in pairs:
        if score < MIN_JACCARD or index in matched or cluster_id in taken:
            continue
        matched[index] = cluster_id
        taken.add(cluster_id)
    return matched
