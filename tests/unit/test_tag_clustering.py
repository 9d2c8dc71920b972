"""Clustering a person's tags and following clusters from one run to the next (pure functions)."""

from __future__ import annotations

import math

from dotline.services.persona._tag_clustering import (
    Cluster,
    cluster_tags,
    jaccard,
    match_clusters,
)


def unit(*xs: float) -> list[float]:
    norm = math.sqrt(sum(x * x for x in xs))
    return [x / norm for x in xs]


TAGS = ["python", "rust", "golang", "yoga", "running", "swimming"]
VECTORS = [
    unit(1, 0.1, 0), unit(0.9, 0.2, 0), unit(1, 0, 0.1),  # code
    unit(0, 1, 0.1), unit(0.1, 0.9, 0), unit(0, 1, 0.2),  # sport
]  # fmt: skip


def test_tags_close_in_meaning_form_one_cluster_each() -> None:
    clusters = cluster_tags(TAGS, VECTORS)

    assert sorted(sorted(c.members) for c in clusters) == [
        ["golang", "python", "rust"], ["running", "swimming", "yoga"],
    ]  # fmt: skip
    for cluster in clusters:
        assert cluster.name in cluster.members
        assert all(0 <= w <= 1 for w in cluster.weights)
        assert list(cluster.weights) == sorted(cluster.weights, reverse=True)
        assert 0 < cluster.cohesion <= 1


def test_the_same_tags_in_another_order_give_the_same_clusters() -> None:
    order = [5, 2, 0, 4, 1, 3]

    again = cluster_tags([TAGS[i] for i in order], [VECTORS[i] for i in order])

    assert {c.members for c in again} == {c.members for c in cluster_tags(TAGS, VECTORS)}


def test_fewer_tags_than_a_cluster_needs_give_none() -> None:
    assert cluster_tags(["python"], [unit(1, 0, 0)]) == []


def test_jaccard_is_shared_over_all_and_zero_for_nothing() -> None:
    assert jaccard({"a", "b"}, {"b", "c"}) == 1 / 3
    assert jaccard(set(), set()) == 0.0


def cluster(*members: str) -> Cluster:
    return Cluster(members[0], members, (1.0,) * len(members), (1.0,), 1.0)


def test_each_earlier_cluster_is_continued_once_by_its_best_overlap() -> None:
    previous = {"c1": {"python", "rust"}, "c2": {"yoga", "running"}, "c3": {"chess"}}
    current = [cluster("python", "rust", "golang"), cluster("yoga", "swimming"), cluster("rust")]

    matched = match_clusters(previous, current)

    assert matched == {0: "c1", 1: "c2"}  # "rust" alone overlaps c1 less; c3 continues nowhere
