"""The embedded vector store's approximate search (a matrix past its exact-scan size scores a
projection of its rows, then its best candidates exactly), against an exact scan of the same
matrix. Sizes are scaled down with the thresholds: 5,000 rows, exact below 1,000."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from dotline.adapters import vector_matrix
from dotline.adapters.vector_matrix import VectorMatrix
from dotline.ports.vectors import VectorFilter

ROWS, DIMS, LATENT = 5000, 128, 24


@pytest.fixture(autouse=True)
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vector_matrix, "EXACT_BELOW", 1000)
    monkeypatch.setattr(vector_matrix, "CANDIDATES", 250)


def vectors(rows: int, seed: int = 1) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Rows near a low-dimensional subspace, as embeddings are (plus a little noise)."""
    rng = np.random.default_rng(seed)
    mixing = np.random.default_rng(0).normal(size=(LATENT, DIMS))
    latent = rng.normal(size=(rows, LATENT))
    return (latent @ mixing + 0.1 * rng.normal(size=(rows, DIMS))).astype(np.float32)


def records(matrix: np.ndarray[Any, np.dtype[np.float32]]) -> list[dict[str, Any]]:
    return [
        {
            "item_id": uuid.uuid4(),
            "source_entity_type": "memory_unit",
            "source_entity_id": uuid.uuid4(),
            "title": None,
            "text": str(i),
            "importance": (i % 500) / 500,
            "created_at": datetime(2026, 1, 1, tzinfo=UTC),
            "vector": row.astype("<f4").tobytes(),
        }
        for i, row in enumerate(matrix)
    ]


def test_a_big_matrix_is_searched_through_its_projection_with_the_exact_scans_recall() -> None:
    matrix = VectorMatrix.build(1, records(vectors(ROWS)))
    queries = vectors(20, seed=2)

    assert DIMS in matrix.reduced  # past the exact-scan size
    assert matrix.reduced[DIMS].rows.shape[1] < DIMS
    found = []
    for query in queries:
        exact = matrix.search(list(query), 50, None, exact=True)
        approximate = matrix.search(list(query), 50, None)
        assert len(approximate) == 50
        found.append(sum(h.score >= exact[-1].score - 1e-6 for h in approximate) / 50)
    assert np.mean(found) >= 0.95


def test_a_small_matrix_is_scanned_exactly() -> None:
    matrix = VectorMatrix.build(1, records(vectors(999)))

    assert matrix.reduced == {}


def test_a_narrow_filter_finds_every_passing_row_as_the_exact_scan_does() -> None:
    matrix = VectorMatrix.build(1, records(vectors(ROWS)))
    where = VectorFilter(min_importance=0.995)  # 20 rows of 5,000 pass
    query = list(vectors(1, seed=3)[0])

    found = matrix.search(query, 50, where)

    assert [h.text for h in found] == [h.text for h in matrix.search(query, 50, where, exact=True)]
    assert len(found) == 20


def test_a_rebuilt_matrix_keeps_its_projection_until_the_rows_double() -> None:
    first = VectorMatrix.build(1, records(vectors(ROWS)))
    grown = VectorMatrix.build(2, records(vectors(ROWS + 100)), previous=first)
    doubled = VectorMatrix.build(3, records(vectors(2 * ROWS + 1)), previous=first)

    assert grown.projection(DIMS) is first.projection(DIMS)
    assert doubled.projection(DIMS) is not first.projection(DIMS)


def test_a_filter_naming_every_type_searches_as_none_and_one_type_keeps_only_it() -> None:
    rows = records(vectors(ROWS))
    for i, row in enumerate(rows):
        row["source_entity_type"] = "concept" if i % 10 == 0 else "memory"
    matrix = VectorMatrix.build(1, rows)
    query = list(vectors(1, seed=4)[0])

    every = matrix.search(query, 50, VectorFilter(source_entity_types=["memory", "concept"]))
    concepts = matrix.search(query, 50, VectorFilter(source_entity_types=["concept"]))

    assert [h.text for h in every] == [h.text for h in matrix.search(query, 50, None)]
    assert {h.source_entity_type for h in concepts} == {"concept"}
    assert len(concepts) == 50


@pytest.mark.parametrize("rows", [3000, 100_100])
def test_the_candidates_are_the_highest_coarse_scores_as_a_full_partition_finds_them(
    rows: int,
) -> None:
    scores = np.random.default_rng(rows).normal(size=rows).astype(np.float32)
    count = 2050

    picked = vector_matrix._highest(scores, count)

    assert sorted(picked) == sorted(np.argsort(-scores)[:count])


def test_a_sample_that_misleads_the_threshold_falls_back_to_every_score() -> None:
    # Every sampled score high, every other one low: the sample's threshold keeps only the
    # sampled rows, fewer than wanted, so every score is partitioned.
    scores = np.zeros(100_000, dtype=np.float32)
    scores[:: vector_matrix.SAMPLE_STRIDE] = 1.0
    scores[1::7] += np.linspace(0.1, 0.9, scores[1::7].size, dtype=np.float32)
    count = 6500  # more than the 6,250 sampled rows

    picked = vector_matrix._highest(scores, count)

    assert sorted(picked) == sorted(np.argsort(-scores, kind="stable")[:count])
