"""Loading a search corpus (search_corpus.py) for one user into the real stores, and removing it.

Rows go into Postgres in one transaction (the search-document triggers index them); the outbox
rows that transaction's triggers wrote are deleted inside it, so no dispatcher ever sees them:
the benchmark writes the vector index and the graph itself, through the ports, with the same
node and item the mirror would build (`entity_node`, `entity_item`), instead of leaving
thousands of deliveries queued for whichever test next runs a dispatcher.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from dotline.bootstrap import Deps
from dotline.ports.graph import GraphEdge
from dotline.services.mirroring.entities import entity_item, entity_node, entity_text
from dotline_local.search_corpus import Corpus

EMBED_BATCH = 1000
MIRRORED = ["memories", "concepts", "profiles"]
ANALYZED = (
    "public.memories", "public.concepts", "public.search_documents",
    "graph.nodes", "graph.edges", "vectors.items",
)  # fmt: skip
# Cards are made by trigger for each memory and concept (their row_key is the card's id): they are
# forgotten by their owner, whose id is among the keys.
_FORGET_OUTBOX = (
    "delete from private.outbox where table_name = any(%(tables)s) and row_key = any(%(keys)s)"
    " or (table_name = 'cards' and coalesce(payload -> 'record' ->> 'user_id',"
    " payload -> 'old_record' ->> 'user_id') = any(%(keys)s))"
)


@dataclass(frozen=True)
class Loaded:
    """What was stored: memory ids by corpus key, concept ids by person index."""

    user_id: UUID
    memory_ids: dict[int, UUID]
    person_ids: list[UUID]

    def keys(self) -> list[str]:
        """Every stored row's key, for forgetting their outbox rows."""
        ids = [*self.memory_ids.values(), *self.person_ids, self.user_id]
        return [str(i) for i in ids]


@contextmanager
def timed_phase(timings: dict[str, float] | None, name: str) -> Iterator[None]:
    """Adds the block's seconds to timings[name] (when timings are kept)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started


def load(
    conn: psycopg.Connection[Any],
    deps: Deps,
    user_id: UUID,
    corpus: Corpus,
    timings: dict[str, float] | None = None,
) -> Loaded:
    """Store the corpus as the user's, with vectors and graph links (INVOLVES); each phase's
    seconds into `timings` when given (rows, embedding, vectors, graph, statistics)."""
    loaded = Loaded(
        user_id,
        {spec.key: uuid.uuid4() for spec in corpus.memories},
        [uuid.uuid4() for _ in corpus.people],
    )
    with timed_phase(timings, "rows"), conn.transaction(), conn.cursor() as cur:
        with cur.copy(
            "copy public.memories (memory_id, user_id, title, content, importance, created_at,"
            " creation_ts) from stdin"
        ) as copy:
            for spec in corpus.memories:
                copy.write_row(
                    (loaded.memory_ids[spec.key], user_id, spec.title, spec.content,
                     spec.importance, spec.created_at, spec.created_at)
                )  # fmt: skip
        with cur.copy(
            "copy public.concepts (concept_id, user_id, name, type, description) from stdin"
        ) as copy:
            for person_id, person in zip(loaded.person_ids, corpus.people, strict=True):
                copy.write_row((person_id, user_id, person.name, "person", f"my {person.relation}"))
        forget_outbox(cur, loaded.keys())
    mirror_rows(conn, deps, loaded.user_id, timings)
    with timed_phase(timings, "graph"):
        _link(deps, loaded, corpus)
    with timed_phase(timings, "statistics"):
        refresh_statistics(conn)
    return loaded


def forget_outbox(conn: psycopg.Connection[Any] | psycopg.Cursor[Any], keys: list[str]) -> None:
    """Delete the outbox rows of these rows (and of the cards of the owners among the keys)."""
    conn.execute(_FORGET_OUTBOX, {"tables": MIRRORED, "keys": keys})


def refresh_statistics(conn: psycopg.Connection[Any]) -> None:
    """Vacuum and analyze every table a bulk load wrote.

    A bulk load leaves the planner's statistics and the visibility map behind until autovacuum
    comes by; refresh them now, as a deployment's autovacuum would have long before a search.
    Every table the load wrote: with the graph's statistics still those of an empty table, the
    planner walks a user's whole edge list per graph seed (docs/measurements.md)."""
    for table in ANALYZED:
        conn.execute(f"vacuum (analyze) {table}")


def mirror_rows(
    conn: psycopg.Connection[Any],
    deps: Deps,
    user_id: UUID,
    timings: dict[str, float] | None = None,
) -> None:
    """The user's memories' and concepts' vector items and graph nodes, exactly as the outbox
    delivery builds them (embedded in batches rather than one delivery at a time)."""
    for table in ("memories", "concepts"):
        with timed_phase(timings, "rows"):
            rows = [
                row[0]
                for row in conn.execute(
                    f"select to_jsonb(t) from public.{table} t where user_id = %s",  # noqa: S608
                    (user_id,),
                )
            ]
        with timed_phase(timings, "graph"):
            deps.graph.upsert_nodes([entity_node(table, row, 1) for row in rows])
        for start in range(0, len(rows), EMBED_BATCH):
            batch = rows[start : start + EMBED_BATCH]
            with timed_phase(timings, "embedding"):
                texts = [entity_text(table, row)[0] for row in batch]
                vectors = deps.embedder.embed(texts)
            model = deps.embedder.model_version
            with timed_phase(timings, "vectors"):
                deps.vectors.upsert(
                    [
                        entity_item(table, r, v, model, 1)
                        for r, v in zip(batch, vectors, strict=True)
                    ]
                )


def _link(deps: Deps, loaded: Loaded, corpus: Corpus) -> None:
    """Each memory to the person it involves, as ingestion links them."""
    deps.graph.upsert_edges(
        [
            GraphEdge(user_id=loaded.user_id, source_id=loaded.memory_ids[spec.key],
                      target_id=loaded.person_ids[spec.person], type="INVOLVES", version=1)
            for spec in corpus.memories
            if spec.person is not None
        ]
    )  # fmt: skip


def unload(conn: psycopg.Connection[Any], deps: Deps, loaded: Loaded) -> None:
    """Remove the user and everything stored for them (their outbox rows too)."""
    remove_user(conn, deps, loaded.user_id, loaded.keys())


def remove_user(conn: psycopg.Connection[Any], deps: Deps, user_id: UUID, keys: list[str]) -> None:
    """Delete the user (their rows cascade), the outbox rows of `keys`, their vectors and graph."""
    with conn.transaction():
        conn.execute("select set_config('dotline.skip_memory_history', 'on', true)")
        conn.execute("delete from auth.users where id = %s", (user_id,))
        forget_outbox(conn, keys)
    deps.vectors.erase_user(user_id)
    deps.graph.erase_user(user_id)
