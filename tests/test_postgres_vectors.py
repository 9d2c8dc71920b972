"""The embedded vector store beyond the port's contract: its per-container cache and its rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
import pytest

from dotline.adapters.postgres_vectors import PostgresVectors
from dotline.adapters.vector_matrix import MatrixCache, VectorMatrix
from dotline.db import Database
from dotline.errors import InvalidRequest
from dotline.ports.vectors import KnowledgeItem, VectorFilter
from dotline.settings import Settings

rng = np.random.default_rng(11)


def unit(dims: int = 16) -> list[float]:
    v = rng.normal(size=dims)
    return [float(x) for x in v / np.linalg.norm(v)]


def item(user_id: uuid.UUID, vector: list[float] | None = None, **fields: Any) -> KnowledgeItem:
    return KnowledgeItem(
        item_id=fields.pop("item_id", uuid.uuid4()),
        user_id=user_id,
        source_entity_type="memory_unit",
        source_entity_id=uuid.uuid4(),
        text=fields.pop("text", "text"),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        model_version="m@1",
        vector=vector or unit(),
        **fields,
    )


@pytest.fixture
def containers(settings: Settings) -> Iterator[tuple[PostgresVectors, PostgresVectors]]:
    """Two adapters with their own connections and caches, as two Lambda containers have."""
    db_a, db_b = Database(settings), Database(settings)
    yield PostgresVectors(db_a), PostgresVectors(db_b)
    db_a.close()
    db_b.close()


@pytest.fixture
def owner(
    make_user: Callable[..., Any], containers: tuple[PostgresVectors, ...]
) -> Iterator[uuid.UUID]:
    user_id: uuid.UUID = make_user().user_id
    yield user_id
    containers[0].erase_user(user_id)


def test_a_write_in_one_container_is_seen_by_the_next_search_in_another(
    containers: tuple[PostgresVectors, PostgresVectors], owner: uuid.UUID
) -> None:
    a, b = containers
    first = item(owner)
    a.upsert([first])
    assert len(b.search(owner, first.vector)) == 1  # b caches the user's matrix

    second = item(owner)
    a.upsert([second])
    a.delete(owner, first.source_entity_type, first.source_entity_id)

    assert [h.item_id for h in b.search(owner, second.vector)] == [second.item_id]


def test_an_erasure_elsewhere_empties_the_cached_matrix(
    containers: tuple[PostgresVectors, PostgresVectors], owner: uuid.UUID
) -> None:
    a, b = containers
    a.upsert([item(owner)])
    assert b.search(owner, unit()) != []

    a.erase_user(owner)

    assert b.search(owner, unit()) == []


def test_vectors_of_another_length_are_kept_apart_until_re_embedded(
    containers: tuple[PostgresVectors, PostgresVectors], owner: uuid.UUID
) -> None:
    a, _ = containers
    short, long = item(owner, unit(8)), item(owner, unit(16))
    a.upsert([short, long])

    assert [h.item_id for h in a.search(owner, long.vector)] == [long.item_id]
    assert [h.item_id for h in a.search(owner, short.vector)] == [short.item_id]
    assert a.search(owner, unit(4)) == []


def test_vectors_are_stored_as_float32_bytes_in_the_unexposed_schema(
    containers: tuple[PostgresVectors, PostgresVectors],
    owner: uuid.UUID,
    pg: psycopg.Connection[Any],
) -> None:
    stored = item(owner, [3.0, 4.0])
    containers[0].upsert([stored])

    row = pg.execute(
        "select vector, octet_length(vector) from vectors.items where item_id = %s",
        [stored.item_id],
    ).fetchone()
    assert row is not None
    assert row[1] == 8
    assert np.frombuffer(row[0], dtype="<f4").tolist() == [3.0, 4.0]
    granted = pg.execute(
        "select has_schema_privilege('authenticated', 'vectors', 'usage'),"
        " has_schema_privilege('anon', 'vectors', 'usage')"
    ).fetchone()
    assert granted == (False, False)


def test_an_empty_or_non_finite_vector_is_refused(
    containers: tuple[PostgresVectors, PostgresVectors], owner: uuid.UUID
) -> None:
    with pytest.raises(InvalidRequest):
        containers[0].upsert([item(owner, [float("nan"), 1.0])])
    with pytest.raises(InvalidRequest):
        containers[0].upsert([item(owner).model_copy(update={"vector": []})])


def record(importance: float | None = None) -> dict[str, Any]:
    return {
        "item_id": uuid.uuid4(),
        "source_entity_type": "memory_unit",
        "source_entity_id": uuid.uuid4(),
        "title": None,
        "text": "t",
        "importance": importance,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "vector": np.asarray([1.0, 0.0], dtype="<f4").tobytes(),
    }


def test_unknown_importance_never_passes_a_minimum() -> None:
    matrix = VectorMatrix.build(1, [record(None), record(0.5)])

    assert [
        h.importance for h in matrix.search([1.0, 0.0], 5, VectorFilter(min_importance=0.0))
    ] == [0.5]
    assert len(matrix.search([1.0, 0.0], 5, None)) == 2


def test_the_cache_evicts_the_least_recently_used_past_its_budget() -> None:
    def matrix(version: int) -> VectorMatrix:
        return VectorMatrix.build(version, [record()])

    cache = MatrixCache(max_bytes=1)
    first, second = uuid.uuid4(), uuid.uuid4()
    cache.put(first, matrix(1))
    cache.put(second, matrix(2))

    assert cache.get(first, 1) is None  # the newest entry is always kept, older ones go
    assert cache.get(second, 2) is not None
    assert cache.get(second, 3) is None
