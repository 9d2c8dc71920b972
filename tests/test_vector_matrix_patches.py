"""A container's cached matrix is patched with the items changed since it was loaded, not loaded
whole again after every write (issue 20: at 100k memories the first search after a write read and
rebuilt every row, 2 s). Each test compares the patched matrix's answers with those of a matrix
loaded whole from the same rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
import pytest

from dotline.adapters.postgres_vectors import PostgresVectors
from dotline.adapters.vector_matrix import VectorMatrix
from dotline.adapters.vector_projection import EXACT_BELOW
from dotline.db import Database
from dotline.ports.vectors import KnowledgeItem, VectorFilter, VectorHit
from dotline.settings import Settings

rng = np.random.default_rng(7)
TYPE = "memory_unit"


def unit(dims: int = 16) -> list[float]:
    v = rng.normal(size=dims)
    return [float(x) for x in v / np.linalg.norm(v)]


def item(user_id: uuid.UUID, **fields: Any) -> KnowledgeItem:
    return KnowledgeItem(
        item_id=uuid.uuid4(),
        user_id=user_id,
        source_entity_type=TYPE,
        source_entity_id=uuid.uuid4(),
        text="text",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        model_version="m@1",
        vector=unit(),
        **fields,
    )


def answers(hits: list[VectorHit]) -> list[tuple[Any, ...]]:
    return [(h.item_id, round(h.score, 6), h.importance, h.evolution_state) for h in hits]


@pytest.fixture
def containers(settings: Settings) -> Iterator[Callable[[], PostgresVectors]]:
    """Adapters with their own connections and caches, as Lambda containers have."""
    opened: list[Database] = []

    def container() -> PostgresVectors:
        opened.append(Database(settings))
        return PostgresVectors(opened[-1])

    yield container
    for db in opened:
        db.close()


@pytest.fixture
def owner(make_user: Callable[..., Any], settings: Settings) -> Iterator[uuid.UUID]:
    user_id: uuid.UUID = make_user().user_id
    yield user_id
    db = Database(settings)
    PostgresVectors(db).erase_user(user_id)
    db.close()


def every_kind_of_write(
    writer: PostgresVectors, owner: uuid.UUID, held: list[KnowledgeItem]
) -> None:
    """A new item, a re-embedded one, a deleted one, new importance, a new evolution state."""
    writer.upsert([item(owner, importance=0.2)])
    writer.upsert([held[0].model_copy(update={"vector": unit(), "text": "again"})])
    writer.delete(owner, TYPE, held[1].source_entity_id)
    writer.set_importance(owner, TYPE, {held[2].source_entity_id: 0.9})
    writer.set_evolution_states(owner, TYPE, {held[3].source_entity_id: "flourishing"})


FILTERS = [
    None,
    VectorFilter(min_importance=0.8),
    VectorFilter(evolution_states=["flourishing"]),
    VectorFilter(max_importance=0.3),
]


def test_a_search_after_writes_elsewhere_patches_the_held_matrix(
    containers: Callable[[], PostgresVectors], owner: uuid.UUID
) -> None:
    writer, reader = containers(), containers()
    held = [item(owner, importance=0.5) for _ in range(40)]
    writer.upsert(held)
    before = reader.matrix(owner)
    assert before is not None and before.live is None  # loaded whole
    reader.search(owner, unit(), 5, VectorFilter(max_importance=0.3))  # its facets built

    every_kind_of_write(writer, owner, held)

    patched = reader.matrix(owner)
    assert patched is not None and patched.live is not None  # patched, not loaded whole
    assert int(np.count_nonzero(~patched.live)) == 4  # four old rows replaced or gone
    whole = containers()
    for query in [held[0].vector, held[1].vector, held[2].vector, unit(), unit()]:
        for where in FILTERS:
            assert answers(reader.search(owner, query, 50, where)) == answers(
                whole.search(owner, query, 50, where)
            ), where


def test_a_matrix_older_than_the_change_log_is_loaded_whole(
    containers: Callable[[], PostgresVectors], owner: uuid.UUID, pg: psycopg.Connection[Any]
) -> None:
    writer, reader = containers(), containers()
    held = [item(owner) for _ in range(10)]
    writer.upsert(held)
    reader.matrix(owner)
    writer.delete(owner, TYPE, held[0].source_entity_id)
    # The log's hour has passed: the purge forgets the delete, and says so. Batches run until
    # none is left, as the cron job's would: others' older changes go first.
    purge = "select private.purge_vector_item_changes_batch(100000, interval '0 seconds')"
    while pg.execute(purge).fetchone() != (0,):
        pass
    logged = pg.execute(
        "select count(*) from vectors.item_changes where user_id = %s", (owner,)
    ).fetchone()
    assert logged == (0,)

    matrix = reader.matrix(owner)

    assert matrix is not None and matrix.live is None  # loaded whole, not patched from a gap
    assert held[0].item_id not in {h.item_id for h in reader.search(owner, held[0].vector, 50)}
    writer.upsert([item(owner)])  # the log goes on from the purge
    patched = reader.matrix(owner)
    assert patched is not None and patched.live is not None and len(patched.rows) == 10


def test_the_change_log_goes_with_the_person(
    containers: Callable[[], PostgresVectors],
    make_user: Callable[..., Any],
    pg: psycopg.Connection[Any],
) -> None:
    writer = containers()
    erased, deleted = make_user().user_id, make_user().user_id
    for person in (erased, deleted):
        writer.upsert([item(person), item(person)])
    count = "select count(*) from vectors.item_changes where user_id = %s"
    assert pg.execute(count, (erased,)).fetchone() == (2,)

    writer.erase_user(erased)
    pg.execute("delete from auth.users where id = %s", (deleted,))

    assert pg.execute(count, (erased,)).fetchone() == (0,)
    assert pg.execute(count, (deleted,)).fetchone() == (0,)


def record(dims: int = 16) -> dict[str, Any]:
    return {
        "item_id": uuid.uuid4(),
        "source_entity_type": TYPE,
        "source_entity_id": uuid.uuid4(),
        "title": None,
        "text": "t",
        "importance": float(rng.random()),
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "vector": np.asarray(unit(dims), dtype="<f4").tobytes(),
    }


def copies(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(r) for r in records]  # build and patch take the vectors out of their records


def test_a_matrix_past_the_exact_scan_size_is_patched_in_its_projection_too() -> None:
    rows = [record() for _ in range(EXACT_BELOW + 500)]
    built = VectorMatrix.build(1, copies(rows))
    assert built.reduced  # searched through its projection
    gone = {rows[i]["item_id"] for i in (0, 7, 900)}
    added = [record() for _ in range(30)]

    patched = built.patched(2, gone, copies(added))

    assert patched is not None and patched.reduced
    survivors = [r for r in rows if r["item_id"] not in gone] + added
    whole = VectorMatrix.build(2, copies(survivors), previous=built)  # the same projection
    for _ in range(5):
        query = unit()
        for exact in (True, False):
            assert answers(patched.search(query, 50, None, exact=exact)) == answers(
                whole.search(query, 50, None, exact=exact)
            )
        where = VectorFilter(min_importance=0.5)
        assert answers(patched.search(query, 50, where)) == answers(whole.search(query, 50, where))


def test_two_patches_of_one_matrix_keep_their_own_rows() -> None:
    """Two searches may patch the same held matrix at once: the second must not write its rows
    where the first's matrix reads them."""
    base = [record() for _ in range(20)]
    held = VectorMatrix.build(1, copies(base))
    first, second = [record()], [record()]
    one = held.patched(2, set(), copies(first))
    assert one is not None
    grown = one.patched(3, set(), copies([record()]))  # grows the first patch's buffer in place
    other = held.patched(2, set(), copies(second))
    assert grown is not None and other is not None

    for matrix, own in ((one, first[0]), (other, second[0])):
        own_vector = np.frombuffer(own["vector"], dtype="<f4").tolist()
        assert matrix.search(own_vector, 1, None)[0].item_id == own["item_id"]
    assert len(one.rows) == 21 and len(other.rows) == 21 and len(grown.rows) == 22


def test_a_matrix_held_from_before_an_erasure_is_not_patched_into_the_new_items(
    containers: Callable[[], PostgresVectors], owner: uuid.UUID
) -> None:
    writer, reader = containers(), containers()
    old = item(owner)
    writer.upsert([old])
    assert reader.matrix(owner) is not None  # held: the old item
    writer.erase_user(owner)
    new = item(owner)
    writer.upsert([new])  # written again: a new version row and a new log

    matrix = reader.matrix(owner)

    assert matrix is not None and matrix.live is None  # loaded whole, not patched
    assert [h.item_id for h in reader.search(owner, old.vector, 5)] == [new.item_id]
