"""Which of a person's concepts an extracted name means: the same name, a near-synonym, or a new one.

A name matches a stored concept of the same type when both normalise to the same text (case
folded, whitespace collapsed), or else when their names' embeddings are at least
CONCEPT_MATCH_MIN_COSINE apart: candidates come from the vector port (the person's concept
items), and the decision compares the normalised names themselves, embedded the same way, so a
description stored beside a name does not blur it. Names new in the same conversation are
matched against each other the same way. A merged concept resolves to the one it was merged into.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from dotline.db import Database
from dotline.ports.embeddings import Embedder
from dotline.ports.language_model import ExtractedConcept
from dotline.ports.vectors import VectorFilter, VectorStore

# Cosine similarity of two normalised names' embeddings (WordLlama, 256 dimensions) at or above
# which they are one concept: "night shift"/"night shifts", "mom"/"mother" and "swimming"/"swim"
# merge; "running"/"jogging", "lake bled"/"lake" and "nurse"/"head nurse role" stay apart
# (their cosines: docs/measurements.md).
CONCEPT_MATCH_MIN_COSINE = 0.75
CANDIDATES_PER_NAME = 5
MAX_MERGE_HOPS = 5
CONCEPT_NAMESPACE = UUID("0c7f2a1e-5b9d-4e63-8a40-3d1f6e2b9c58")

# The person's concepts by normalised name or by id, each with the concept it survives as
# (itself, or the end of its merged_into chain). Oldest last, so the oldest wins a tie.
_CONCEPTS = """
with recursive found as (
  select concept_id, name, type, created_at,
         lower(regexp_replace(btrim(name), '\\s+', ' ', 'g')) as normalised
  from public.concepts
  where user_id = %(user_id)s
    and (lower(regexp_replace(btrim(name), '\\s+', ' ', 'g')) = any(%(names)s::text[])
         or concept_id = any(%(ids)s::uuid[]))
),
chain as (
  select f.concept_id as origin, c.concept_id, c.merged_into_concept_id, 0 as hops
  from found f join public.concepts c on c.concept_id = f.concept_id
  union all
  select chain.origin, c.concept_id, c.merged_into_concept_id, chain.hops + 1
  from chain
  join public.concepts c on c.concept_id = chain.merged_into_concept_id and c.user_id = %(user_id)s
  where chain.hops < %(max_hops)s
)
select f.concept_id, f.name, f.type, f.normalised, coalesce(s.concept_id, f.concept_id) as survivor
from found f
left join chain s on s.origin = f.concept_id and s.merged_into_concept_id is null
order by f.created_at desc, f.concept_id desc
"""


def normalise(name: str) -> str:
    """The form two names share when they are written alike: case folded, spaces collapsed."""
    return " ".join(name.casefold().split())


def new_concept_id(user_id: UUID, name: str, type_: str) -> UUID:
    """The id a concept first created by ingestion gets: the same on every re-run."""
    return uuid.uuid5(CONCEPT_NAMESPACE, f"{user_id}:{type_}:{normalise(name)}")


@dataclass
class Resolution:
    """Each extracted (normalised name, type) and the concept it means; `new` ones to create."""

    concept_ids: dict[tuple[str, str], UUID] = field(default_factory=dict)
    new: dict[UUID, ExtractedConcept] = field(default_factory=dict)
    aliases: dict[UUID, set[str]] = field(default_factory=dict)  # other names said for one

    def of(self, concept: ExtractedConcept) -> UUID:
        """The concept an extracted one resolved to."""
        return self.concept_ids[(normalise(concept.name), concept.type)]


def resolve_concepts(
    concepts: Sequence[ExtractedConcept],
    *,
    user_id: UUID,
    db: Database,
    embedder: Embedder,
    vectors: VectorStore,
) -> Resolution:
    """Match every extracted concept to a stored one, by name then by embedding, or mint a new id."""
    wanted: dict[tuple[str, str], ExtractedConcept] = {}
    for c in concepts:  # the first mention names it; any mention may say how they are related
        key = (normalise(c.name), c.type)
        first = wanted.setdefault(key, c)
        if first.relationship is None and c.relationship is not None:
            wanted[key] = first.model_copy(update={"relationship": c.relationship})
    stored = _stored_by_name(db, user_id, sorted({name for name, _ in wanted}))
    result = Resolution()
    unmatched = [key for key in wanted if key not in stored]
    result.concept_ids.update({key: stored[key] for key in wanted if key in stored})
    if unmatched:
        _match_by_embedding(unmatched, wanted, result, user_id, db, embedder, vectors)
    return result


def _match_by_embedding(
    keys: list[tuple[str, str]],
    wanted: dict[tuple[str, str], ExtractedConcept],
    result: Resolution,
    user_id: UUID,
    db: Database,
    embedder: Embedder,
    vectors: VectorStore,
) -> None:
    """Resolve names no stored concept carries: a near-synonym stored or new this run, or new."""
    import numpy as np

    own = {
        key: np.asarray(v)
        for key, v in zip(keys, embedder.embed([k[0] for k in keys]), strict=True)
    }
    only_concepts = VectorFilter(source_entity_types=["concept"])
    hits = {
        key: vectors.search(user_id, own[key].tolist(), CANDIDATES_PER_NAME, only_concepts)
        for key in keys
    }
    rows = _stored_by_id(
        db, user_id, sorted({h.source_entity_id for f in hits.values() for h in f})
    )
    names = sorted({row["normalised"] for row in rows.values()})
    stored_vectors = dict(zip(names, map(np.asarray, embedder.embed(names)), strict=True))
    minted: dict[tuple[str, str], Any] = {}  # new this run -> its name's vector
    for key in keys:
        options = [
            (
                rows[h.source_entity_id]["survivor"],
                stored_vectors[rows[h.source_entity_id]["normalised"]],
            )
            for h in hits[key]
            if h.source_entity_id in rows and rows[h.source_entity_id]["type"] == key[1]
        ]
        options += [(result.concept_ids[k], v) for k, v in minted.items() if k[1] == key[1]]
        scored = [(float(own[key] @ vector), concept_id) for concept_id, vector in options]
        best = max((s for s in scored if s[0] >= CONCEPT_MATCH_MIN_COSINE), default=None)
        if best is not None:
            result.concept_ids[key] = best[1]
            result.aliases.setdefault(best[1], set()).add(wanted[key].name)
            continue
        concept_id = new_concept_id(user_id, key[0], key[1])
        result.concept_ids[key] = concept_id
        result.new[concept_id] = wanted[key]
        minted[key] = own[key]


def _stored_by_name(db: Database, user_id: UUID, names: list[str]) -> dict[tuple[str, str], UUID]:
    """(normalised name, type) -> the surviving concept, for the person's concepts named so."""
    rows = _rows(db, user_id, names, [])
    return {(row["normalised"], row["type"]): row["survivor"] for row in rows.values()}


def _stored_by_id(db: Database, user_id: UUID, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    return _rows(db, user_id, [], ids) if ids else {}


def _rows(
    db: Database, user_id: UUID, names: list[str], ids: list[UUID]
) -> dict[UUID, dict[str, Any]]:
    params = {"user_id": user_id, "names": names, "ids": ids, "max_hops": MAX_MERGE_HOPS}
    with db.as_service() as tx:
        return {row["concept_id"]: row for row in tx.execute(_CONCEPTS, params)}
