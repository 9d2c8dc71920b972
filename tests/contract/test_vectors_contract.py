"""The vector port's contract, run against every adapter: Postgres always, Weaviate when WEAVIATE_URL
is set."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from dotline.db import Database
from dotline.ports.vectors import KnowledgeItem, VectorFilter, VectorStore
from dotline.settings import Settings

DIMS = 32
MODEL = "test-model@1"
rng = np.random.default_rng(7)


@pytest.fixture(params=["postgres", "weaviate"])
def vectors(request: pytest.FixtureRequest, settings: Settings) -> Iterator[VectorStore]:
    if request.param == "postgres":
        from dotline.adapters.postgres_vectors import PostgresVectors

        db = Database(settings)
        yield PostgresVectors(db)
        db.close()
        return
    if not os.environ.get("WEAVIATE_URL"):
        pytest.skip("WEAVIATE_URL not set: the Weaviate adapter runs only against a real server")
    from dotline.adapters.weaviate_vectors import WeaviateVectors

    store = WeaviateVectors.from_settings(Settings())
    yield store
    store.close()


@pytest.fixture
def make_owner(
    make_user: Callable[..., Any], vectors: VectorStore
) -> Iterator[Callable[[], uuid.UUID]]:
    made: list[uuid.UUID] = []

    def make() -> uuid.UUID:
        user_id: uuid.UUID = make_user().user_id
        made.append(user_id)
        return user_id

    yield make
    for user_id in made:
        vectors.erase_user(user_id)


@pytest.fixture
def owner(make_owner: Callable[[], uuid.UUID]) -> uuid.UUID:
    return make_owner()


def random_unit() -> list[float]:
    v = rng.normal(size=DIMS)
    return [float(x) for x in v / np.linalg.norm(v)]


def near(vector: list[float], noise: float) -> list[float]:
    v = np.asarray(vector) + rng.normal(scale=noise, size=DIMS)
    return [float(x) for x in v / np.linalg.norm(v)]


def item(user_id: uuid.UUID, vector: list[float] | None = None, **fields: Any) -> KnowledgeItem:
    values: dict[str, Any] = {
        "item_id": uuid.uuid4(),
        "user_id": user_id,
        "source_entity_type": "memory_unit",
        "source_entity_id": uuid.uuid4(),
        "title": "a title",
        "text": "some text",
        "tags": ["a", "b"],
        "importance": 0.5,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "model_version": MODEL,
        "vector": vector or random_unit(),
        **fields,
    }
    return KnowledgeItem(**values)


def test_upserting_the_same_item_twice_stores_one(vectors: VectorStore, owner: uuid.UUID) -> None:
    stored = item(owner)

    vectors.upsert([stored])
    vectors.upsert([stored])

    hits = vectors.search(owner, stored.vector, limit=10)
    assert [h.item_id for h in hits] == [stored.item_id]
    assert hits[0].text == "some text" and hits[0].title == "a title"
    assert hits[0].source_entity_id == stored.source_entity_id
    assert hits[0].created_at == stored.created_at


def test_an_older_version_is_ignored_and_a_newer_one_replaces(
    vectors: VectorStore, owner: uuid.UUID
) -> None:
    v2 = item(owner, version=2, text="second")
    vectors.upsert([v2])

    vectors.upsert([v2.model_copy(update={"version": 1, "text": "first"})])
    vectors.upsert([v2.model_copy(update={"version": 3, "text": "third"})])

    assert [h.text for h in vectors.search(owner, v2.vector)] == ["third"]


def test_search_ranks_the_closer_vector_first_with_scores_in_unit_range(
    vectors: VectorStore, owner: uuid.UUID
) -> None:
    query = random_unit()
    close, farther, opposite = (
        item(owner, near(query, 0.05)),
        item(owner, near(query, 0.5)),
        item(owner, [-x for x in query]),
    )
    vectors.upsert([opposite, farther, close])

    hits = vectors.search(owner, query, limit=3)

    assert [h.item_id for h in hits] == [close.item_id, farther.item_id, opposite.item_id]
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert hits[0].score > 0.95 and hits[2].score < 0.05
    assert hits[0].score > hits[1].score > hits[2].score


def test_limit_caps_the_hits(vectors: VectorStore, owner: uuid.UUID) -> None:
    vectors.upsert([item(owner) for _ in range(5)])

    assert len(vectors.search(owner, random_unit(), limit=2)) == 2


def test_filters_restrict_by_type_date_and_importance(
    vectors: VectorStore, owner: uuid.UUID
) -> None:
    query = random_unit()
    day = datetime(2026, 3, 1, tzinfo=UTC)
    memory = item(owner, query, source_entity_type="memory_unit", created_at=day, importance=0.9)
    concept = item(owner, query, source_entity_type="concept", created_at=day, importance=0.9)
    old = item(owner, query, created_at=day - timedelta(days=30), importance=0.9)
    minor = item(owner, query, created_at=day, importance=0.1)
    unknown = item(owner, query, created_at=day, importance=None)
    vectors.upsert([memory, concept, old, minor, unknown])

    def found(where: VectorFilter) -> set[uuid.UUID]:
        return {h.item_id for h in vectors.search(owner, query, limit=10, where=where)}

    assert found(VectorFilter(source_entity_types=["concept"])) == {concept.item_id}
    assert found(VectorFilter(created_after=day - timedelta(days=1))) == {
        memory.item_id,
        concept.item_id,
        minor.item_id,
        unknown.item_id,
    }
    assert found(VectorFilter(created_before=day - timedelta(days=1))) == {old.item_id}
    assert found(VectorFilter(min_importance=0.5)) == {memory.item_id, concept.item_id, old.item_id}
    assert found(
        VectorFilter(
            source_entity_types=["memory_unit"],
            min_importance=0.5,
            created_after=day - timedelta(days=1),
        )
    ) == {memory.item_id}
    assert found(VectorFilter(source_entity_types=[])) == set()


MEMORY_FILTERS = {
    "memory_types": (["milestone"], {"memory_type": "milestone"}, {"memory_type": "memory"}),
    "tags_any": (["x", "lake"], {"tags": ["lake"]}, {"tags": ["work"]}),
    "tags_all": (["hike", "lake"], {"tags": ["hike", "lake", "z"]}, {"tags": ["hike"]}),
    "max_importance": (0.6, {"importance": 0.5}, {"importance": 0.9}),
    "app_id": (uuid.UUID(int=1), {"app_id": uuid.UUID(int=1)}, {"app_id": uuid.UUID(int=2)}),
    "source_conversation_id": (
        uuid.UUID(int=3), {"source_conversation_id": uuid.UUID(int=3)}, {},
    ),
    "occurred_after": (
        datetime(2026, 1, 1, tzinfo=UTC), {"occurred_at": datetime(2026, 2, 1, tzinfo=UTC)},
        {"occurred_at": datetime(2025, 2, 1, tzinfo=UTC)},
    ),
    "occurred_before": (
        datetime(2026, 1, 1, tzinfo=UTC), {"occurred_at": datetime(2025, 2, 1, tzinfo=UTC)}, {},
    ),
    "attribute_pairs": (
        ["project=alpha", "client.tier=2"],
        {"attribute_pairs": ["client.tier=2", "project=alpha", "x=y"]},
        {"attribute_pairs": ["project=alpha"]},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", MEMORY_FILTERS)
def test_a_memory_field_filter_keeps_the_memories_meeting_it_before_ranking(
    vectors: VectorStore, owner: uuid.UUID, name: str
) -> None:
    # given a far memory meeting the filter, a near one not meeting it, and a near concept
    # (which has none of a memory's fields)
    wanted, meets, misses = MEMORY_FILTERS[name]
    query = random_unit()
    far = item(owner, [-x for x in query], source_entity_type="memory", **meets)
    near_miss = item(owner, query, source_entity_type="memory", **misses)
    concept = item(owner, query, source_entity_type="concept", tags=[], importance=None)
    vectors.upsert([far, near_miss, concept])

    # when searched for one hit with the filter
    hits = vectors.search(owner, query, limit=1, where=VectorFilter(**{name: wanted}))

    # then only the memory meeting it comes back, however far
    assert [h.item_id for h in hits] == [far.item_id]


def test_filters_apply_before_ranking_so_far_matches_still_come_back(
    vectors: VectorStore, owner: uuid.UUID
) -> None:
    query = random_unit()
    vectors.upsert([item(owner, near(query, 0.01)) for _ in range(20)])
    far_concept = item(owner, [-x for x in query], source_entity_type="concept")
    vectors.upsert([far_concept])

    hits = vectors.search(
        owner, query, limit=3, where=VectorFilter(source_entity_types=["concept"])
    )

    assert [h.item_id for h in hits] == [far_concept.item_id]


def test_another_users_items_are_never_found(
    vectors: VectorStore, make_owner: Callable[[], uuid.UUID]
) -> None:
    alice, bob = make_owner(), make_owner()
    secret = item(alice)
    vectors.upsert([secret])

    assert vectors.search(bob, secret.vector) == []
    vectors.delete(bob, secret.source_entity_type, secret.source_entity_id)
    assert vectors.erase_user(bob) == 0
    assert [h.item_id for h in vectors.search(alice, secret.vector)] == [secret.item_id]


def test_an_item_id_cannot_be_taken_over_by_another_user(
    vectors: VectorStore, make_owner: Callable[[], uuid.UUID]
) -> None:
    alice, bob = make_owner(), make_owner()
    mine = item(alice, version=1)
    vectors.upsert([mine])

    with contextlib.suppress(Exception):  # refusing outright is as good as ignoring
        vectors.upsert([mine.model_copy(update={"user_id": bob, "version": 9, "text": "hijack"})])

    assert [h.text for h in vectors.search(alice, mine.vector)] == ["some text"]


def test_delete_removes_the_source_entitys_item_and_a_missing_one_is_fine(
    vectors: VectorStore, owner: uuid.UUID
) -> None:
    keep, gone = item(owner), item(owner)
    vectors.upsert([keep, gone])

    vectors.delete(owner, gone.source_entity_type, gone.source_entity_id)
    vectors.delete(owner, gone.source_entity_type, gone.source_entity_id)
    vectors.delete(owner, "memory_unit", uuid.uuid4())

    assert {h.item_id for h in vectors.search(owner, gone.vector)} == {keep.item_id}


def test_delete_many_removes_exactly_those_source_entities_items(
    vectors: VectorStore, make_owner: Callable[[], uuid.UUID]
) -> None:
    owner, other = make_owner(), make_owner()
    keep, first, second = item(owner), item(owner), item(owner)
    theirs = item(other, source_entity_id=first.source_entity_id)
    vectors.upsert([keep, first, second, theirs])

    gone = vectors.delete_many(
        owner, "memory_unit", [first.source_entity_id, second.source_entity_id, uuid.uuid4()]
    )

    assert gone == 2
    assert vectors.delete_many(owner, "memory_unit", [first.source_entity_id]) == 0
    assert {h.item_id for h in vectors.search(owner, keep.vector)} == {keep.item_id}
    assert {h.item_id for h in vectors.search(other, theirs.vector)} == {theirs.item_id}


def test_set_importance_changes_only_importance_of_those_items(
    vectors: VectorStore, owner: uuid.UUID
) -> None:
    decayed, untouched = item(owner, importance=0.5), item(owner, importance=0.5)
    vectors.upsert([decayed, untouched])

    changed = vectors.set_importance(
        owner, "memory_unit", {decayed.source_entity_id: 0.25, uuid.uuid4(): 0.1}
    )

    hits = {h.item_id: h for h in vectors.search(owner, decayed.vector)}
    assert changed == 1
    assert hits[decayed.item_id].importance == pytest.approx(0.25)
    assert hits[decayed.item_id].text == decayed.text
    assert hits[decayed.item_id].score == pytest.approx(1.0, abs=1e-5)
    assert hits[untouched.item_id].importance == pytest.approx(0.5)
    vectors.upsert([decayed.model_copy(update={"text": "older", "version": decayed.version - 1})])
    assert {h.text for h in vectors.search(owner, decayed.vector)} == {decayed.text, untouched.text}


def test_set_evolution_states_marks_those_items_and_the_filter_selects_by_them(
    vectors: VectorStore, owner: uuid.UUID
) -> None:
    bloom, seed, unset = item(owner), item(owner), item(owner)
    vectors.upsert([bloom, seed, unset])

    changed = vectors.set_evolution_states(
        owner, "memory_unit",
        {bloom.source_entity_id: "bloom", seed.source_entity_id: "seed", uuid.uuid4(): "seed"},
    )  # fmt: skip

    def found(*states: str) -> set[uuid.UUID]:
        where = VectorFilter(evolution_states=list(states))
        return {h.item_id for h in vectors.search(owner, bloom.vector, 10, where)}

    hits = {h.item_id: h for h in vectors.search(owner, bloom.vector)}
    assert changed == 2
    assert {i: h.evolution_state for i, h in hits.items()} == {
        bloom.item_id: "bloom", seed.item_id: "seed", unset.item_id: None,
    }  # fmt: skip
    assert hits[bloom.item_id].text == bloom.text
    assert found("bloom") == {bloom.item_id}
    assert found("seed", "bloom") == {bloom.item_id, seed.item_id}
    assert found("supernova") == set()
    vectors.upsert([seed.model_copy(update={"evolution_state": "sprout", "version": 1})])
    assert found("sprout") == {seed.item_id}


def test_erase_user_removes_every_item_and_counts_them(
    vectors: VectorStore, make_owner: Callable[[], uuid.UUID]
) -> None:
    leaving, staying = make_owner(), make_owner()
    vectors.upsert([item(leaving) for _ in range(3)] + [item(staying)])

    assert vectors.erase_user(leaving) == 3

    assert vectors.search(leaving, random_unit()) == []
    assert vectors.erase_user(leaving) == 0
    assert len(vectors.search(staying, random_unit())) == 1


def test_a_user_can_write_again_after_erasure(vectors: VectorStore, owner: uuid.UUID) -> None:
    vectors.upsert([item(owner)])
    vectors.search(owner, random_unit())  # warms any cache
    vectors.erase_user(owner)
    again = item(owner)

    vectors.upsert([again])

    assert [h.item_id for h in vectors.search(owner, again.vector)] == [again.item_id]


def test_stale_lists_items_of_other_model_versions_across_users(
    vectors: VectorStore, make_owner: Callable[[], uuid.UUID]
) -> None:
    # given two people's items of an old model version, and one of the current version; the
    # store may hold any number of other people's items (benchmarks load tens of thousands)
    alice, bob = make_owner(), make_owner()
    old_a, old_b = item(alice, model_version="old-model@1"), item(bob, model_version="old-model@1")
    current = item(alice, model_version="new-model@2")
    vectors.upsert([old_a, old_b, current])

    # when the stale items of these two people are listed
    stale = vectors.stale("new-model@2", limit=10, user_ids=[alice, bob])

    # then both old items come back whole, across the two users, and the current one does not
    assert {i.item_id for i in stale} == {old_a.item_id, old_b.item_id}
    by_id = {i.item_id: i for i in stale}
    assert by_id[old_a.item_id].user_id == alice
    assert by_id[old_b.item_id].user_id == bob
    assert by_id[old_a.item_id].model_version == "old-model@1"
    assert by_id[old_a.item_id].tags == ["a", "b"]
    assert np.allclose(by_id[old_a.item_id].vector, old_a.vector, atol=1e-6)
    assert [i.item_id for i in vectors.stale("new-model@2", limit=1, user_ids=[bob])] == [
        old_b.item_id
    ]
    assert vectors.stale("old-model@1", limit=10, user_ids=[bob]) == []
    # and unfiltered, the listing is bounded by limit and never holds a current item
    assert len(vectors.stale("new-model@2", limit=1)) == 1
    everyone = vectors.stale("new-model@2", limit=500)
    assert current.item_id not in {i.item_id for i in everyone}
    assert all(i.model_version != "new-model@2" for i in everyone)
