"""Tag clusters from real embeddings (WordLlama) and networkx communities, through the gateway:
related tags group together, and a second run records what changed."""

from __future__ import annotations

from typing import Any

import httpx

from persona_world import analyse, make_user, remember

__all__ = ["make_user"]

TECH = ("python", "django", "pandas", "numpy")
KITCHEN = ("cooking", "baking", "recipes", "bread")
SPORT = ("running", "marathon", "fitness")


def clusters(api: httpx.Client, user: Any) -> list[dict[str, Any]]:
    response = api.get("/v1/tag-clusters", headers=user.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def members(cluster: dict[str, Any]) -> set[str]:
    return {t["tag"] for t in cluster["tags"]}


def cluster_of(found: list[dict[str, Any]], tag: str) -> dict[str, Any]:
    return next(c for c in found if tag in members(c))


def test_related_tags_are_clustered_together(api: httpx.Client, make_user: Any) -> None:
    # given
    user = make_user()
    for tag in TECH + KITCHEN + SPORT:
        remember(api, user, tag)
    # when
    analyse(user)
    found = clusters(api, user)
    # then
    groups = [members(c) for c in found]
    assert set(TECH) in groups
    assert set(KITCHEN) in groups
    assert set(SPORT) in groups
    kitchen = cluster_of(found, "baking")
    assert kitchen["cluster_size"] == 4
    assert 0 < kitchen["cohesion_score"] <= 1
    assert kitchen["cluster_name"] in KITCHEN
    assert kitchen["evolution_data"]["size_history"][-1]["size"] == 4


def test_a_second_run_tracks_added_and_removed_tags(api: httpx.Client, make_user: Any) -> None:
    # given: a first run over tech and kitchen tags
    user = make_user()
    ids = {tag: remember(api, user, tag) for tag in TECH + KITCHEN}
    analyse(user)
    first = cluster_of(clusters(api, user), "python")
    # when: pandas goes, flask and jupyter arrive, and the analysis runs again
    assert api.delete(f"/v1/memories/{ids['pandas']}", headers=user.headers).status_code == 204
    remember(api, user, "flask")
    remember(api, user, "jupyter")
    analyse(user)
    # then: the same cluster continues, with its changes recorded
    second = cluster_of(clusters(api, user), "python")
    assert second["tag_cluster_id"] == first["tag_cluster_id"]
    evolution = second["evolution_data"]
    assert "pandas" in evolution["tags_removed"]
    assert {"flask", "jupyter"} & set(evolution["new_tags_added"])
    assert evolution["runs"] == 2
    assert evolution["size_history"][-1]["size"] == second["cluster_size"]
    assert second["cluster_size"] == len(members(second))


def test_a_cluster_whose_tags_are_gone_is_removed(api: httpx.Client, make_user: Any) -> None:
    # given
    user = make_user()
    ids = {tag: remember(api, user, tag) for tag in TECH + KITCHEN}
    analyse(user)
    # when
    for tag in KITCHEN:
        api.delete(f"/v1/memories/{ids[tag]}", headers=user.headers)
    analyse(user)
    # then
    remaining = clusters(api, user)
    assert all(not (members(c) & set(KITCHEN)) for c in remaining)


def test_clusters_are_never_anyone_elses(api: httpx.Client, make_user: Any) -> None:
    # given
    owner, other = make_user(), make_user()
    for tag in KITCHEN:
        remember(api, owner, tag)
    analyse(owner)
    # when
    seen = clusters(api, other)
    # then
    assert seen == []
    assert clusters(api, owner) != []
