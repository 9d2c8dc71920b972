"""Hybrid search over the caller's memories, concepts, derived artifacts and app knowledge.

One read-only call to Postgres (`api.search_candidates`) finds the full-text candidates and the
knowledge of the caller's apps; the vector index then finds the nearest items (to the query
without the names the text channel resolved to concepts, see `_channels`); the graph adds
the depth-1 neighbours of the top hits (`_graph`, one batched call) while `api.search_context`
reads the top memories' speakers, how much each says and the next memory of its source, which
joins the candidates (`_context`; how they weigh: `_turns`). A second call
(`api.search_rows`) re-reads every candidate only the vector index or the graph found, so only
the caller's live rows survive: an expired memory or another user's id never comes back,
whatever a mirror still holds. Beside the text call, the catalogue entries nearest to the query
that are knowledge of the caller's apps join the vector channel (`_knowledge`); a growth filter
(evolution state, dimensions) checks every candidate against its card in one more call
(`_growth`). The ranking is in `_ranking` (the time the query names: `_when`, on the
caller's calendar); the language model port's reranker then reorders its head (`_rerank`).
Knowledge the page shows is counted as accessed (one write, only when the page has knowledge).
A failing vector or graph backend degrades the search to the other channels, a failing
reranker to the ranked order (logged, and named in `unavailable_channels`) rather than failing
it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import InvalidRequest
from dotline.growth_rules import GrowthConfig
from dotline.models.search import (
    MatchReasons,
    SearchFilters,
    SearchHit,
    SearchResults,
)
from dotline.pagination import decode_cursor, encode_cursor
from dotline.services.local_time import UTC_ZONE, on_calendar, zone_of
from dotline.services.search import _filters as search_filters
from dotline.services.search import _growth as growth
from dotline.services.search import _ranking as ranking
from dotline.services.search import _turns as turns
from dotline.services.search import _when as when
from dotline.services.search._channels import channel_scores, vector_channel, without_entity_names
from dotline.services.search._context import TurnContext, join_followers, read_context
from dotline.services.search._embedding import OncePerText
from dotline.services.search._graph import INDEXED_TYPES, Candidate, Key, expand_through_graph
from dotline.services.search._knowledge import join_knowledge, nearest_and_knowledge
from dotline.services.search._rerank import reranked

if TYPE_CHECKING:
    from dotline.bootstrap import SearchStores

logger = logging.getLogger(__name__)

# The vector channel's thread beside the text channel's query (one per search in flight; a
# Lambda container serves one at a time, the local gateway several).
_WORKERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="search-vectors")

TEXT_CANDIDATES = 50
MAX_DEPTH = 100  # hits a search pages through in all (offset + limit)
_BLANK = "must not be blank"

_CANDIDATES = """
select entity_type, entity_id, title, body, app_id, importance, created_at, updated_at,
       text_rank, text_strength, matched_terms, superseded_by, invalid_at
from api.search_candidates(%(query)s, %(types)s::text[], %(app_id)s::uuid,
                           %(created_after)s::timestamptz, %(created_before)s::timestamptz,
                           %(max_text)s, %(memory_filter)s::jsonb)
"""


_ROWS = """
select entity_type, entity_id, title, body, app_id, importance, created_at, updated_at,
       null::real as text_rank, null::real as text_strength, null::text[] as matched_terms,
       superseded_by, invalid_at
from api.search_rows(%(ids)s::uuid[], %(types)s::text[], %(app_id)s::uuid,
                     %(created_after)s::timestamptz, %(created_before)s::timestamptz,
                     %(memory_filter)s::jsonb)
"""

_COUNT_KNOWLEDGE = "select api.record_search_knowledge_access(%(ids)s::uuid[]) as counted"


def search(
    stores: SearchStores,
    user: Principal,
    query: str,
    filters: SearchFilters,
    *,
    limit: int,
    cursor: str | None = None,
) -> SearchResults:
    """The caller's best matches for `query`, best first, a page of `limit` at a time."""
    query = query.strip()
    if not query:
        raise InvalidRequest("query.q: must not be blank", errors=[_error("query.q", _BLANK)])
    search_filters.check(stores.db, user, filters)
    config = stores.growth_config() if growth.restricts(filters) else None
    if config is not None:
        growth.check(filters, config)
    fingerprint = _fingerprint(query, filters)
    offset = _offset(cursor, fingerprint)
    unavailable: list[Any] = []
    pool, relevance, context = _gather(stores, user, query, filters, unavailable, config)
    weights = _turn_weights(query, pool, context, _calendar(stores.db, user, query))
    scored = _ranked(pool, relevance, weights, include_superseded=filters.include_superseded)
    if stores.reranker is not None:
        scored = reranked(stores.reranker, query, scored, pool, unavailable)
    page = [_hit(candidate, score) for score, candidate in scored[offset : offset + limit]]
    _count_shown_knowledge(stores.db, user, page)
    more = offset + limit < len(scored)
    next_cursor = encode_cursor("search", fingerprint, offset + limit) if more else None
    logger.debug(
        "search",
        extra={"candidates": len(pool), "hits": len(scored), "unavailable": unavailable},
    )
    return SearchResults(
        query=query, items=page, next_cursor=next_cursor, unavailable_channels=unavailable
    )


def _gather(
    stores: SearchStores,
    user: Principal,
    query: str,
    filters: SearchFilters,
    unavailable: list[Any],
    config: GrowthConfig | None,
) -> tuple[dict[Key, Candidate], dict[Key, float], dict[UUID, TurnContext]]:
    """Every channel's candidates (re-read where needed), their relevance (fused and graph
    credit) and the top memories' context (read beside the graph expansion; their next turns
    joined the candidates).

    The vector channel starts on the whole query in a worker thread while Postgres finds the text
    candidates (both mostly wait: on the server, on numpy); only when the text channel named one
    of the caller's concepts does the vector channel run again, on the rest of the question."""
    db, vectors, graph = stores.db, stores.vectors, stores.graph
    embedder = OncePerText(stores.embedder)  # the vector channel's, kept for the knowledge
    speculative: list[Any] = []
    knowledge_down: list[Any] = []
    ahead = _WORKERS.submit(
        nearest_and_knowledge, db, user, query, filters, embedder, vectors,
        (speculative, knowledge_down),
    )  # fmt: skip
    try:
        rows = db.fetch_as_user(user, _CANDIDATES, _params(query, [], filters), read_only=True)
    finally:
        whole_query, by_meaning = ahead.result()
    pool = {(r["entity_type"], r["entity_id"]): Candidate(r) for r in rows}
    join_knowledge(pool, by_meaning)
    vector_query = without_entity_names(query, rows)
    if vector_query == query:
        nearest = whole_query
        unavailable.extend(speculative)
    else:
        nearest = vector_channel(
            user.user_id, vector_query, filters, embedder, vectors, unavailable
        )
    unavailable.extend(c for c in knowledge_down if c not in unavailable)
    for key, score in nearest.items():
        pool.setdefault(key, Candidate(row={})).vector_similarity = score
    channels = channel_scores(pool)
    fused = ranking.fuse(channels)
    seeds = ranking.graph_seeds(fused, channels, INDEXED_TYPES)
    turns_ahead = _WORKERS.submit(read_context, db, user, fused)
    try:
        expand_through_graph(user.user_id, pool, fused, seeds, graph, unavailable)
    finally:
        context, followers = turns_ahead.result()
    join_followers(pool, followers)
    _reread(db, user, pool, filters)
    search_filters.drop_non_memories(pool, filters)
    if config is not None:
        growth.keep_grown(db, user, pool, filters, config)
    relevance = {key: fused.get(key, 0.0) + c.graph_score for key, c in pool.items()}
    return pool, relevance, context


def _calendar(db: Database, user: Principal, query: str) -> ZoneInfo:
    """The calendar the query's days are on: the caller's (`local_time`), read only when the
    query names a time; any zone serves one that does not."""
    if when.query_window(query, datetime.now(UTC).date()) is None:
        return UTC_ZONE
    return zone_of(db, user)


def _turn_weights(
    query: str, pool: dict[Key, Candidate], context: dict[UUID, TurnContext], zone: ZoneInfo
) -> dict[Key, float]:
    """Each memory with context: the share of its score it keeps for how much it says, whether
    it is the turn of someone else than the person the query names, whether it only asks what
    the turn after it answers, and when it happened
    against the time the query names (`_when`), both days on the caller's calendar."""
    named = turns.named_people(query, {s for c in context.values() for s in c.speakers})
    window = when.query_window(query, datetime.now(zone).date())
    asks = when.asks_when(query)
    return {
        key: turns.informativeness(c.said)
        * turns.speaker_weight(c.speakers, named)
        * turns.asking_weight(candidate.row.get("body") or "", replied=c.next_id is not None)
        * when.time_weight(
            window,
            asks,
            None if c.occurred_at is None else on_calendar(c.occurred_at, zone),
            candidate.row.get("body") or "",
        )
        for key, candidate in pool.items()
        if key[0] == "memory" and (c := context.get(key[1])) is not None
    }


def _ranked(
    pool: dict[Key, Candidate],
    relevance: dict[Key, float],
    weights: dict[Key, float],
    *,
    include_superseded: bool,
) -> list[tuple[float, Candidate]]:
    """The live candidates by final score, best first, at most MAX_DEPTH; a memory a newer one
    replaced ranks below it (or is left out)."""
    now = datetime.now(UTC)
    live = {key: c for key, c in pool.items() if c.row}
    successors = {
        key: ("memory", c.row["superseded_by"])
        for key, c in live.items()
        if c.row.get("invalid_at") is not None and c.row["invalid_at"] <= now
    }
    if not include_superseded:
        live = {key: c for key, c in live.items() if key not in successors}
    scores = {
        key: _score(c, _relevance(key, c, relevance, live), now) * weights.get(key, 1.0)
        for key, c in live.items()
    }
    scores = ranking.below_successors(scores, successors)
    scored = [(round(scores[key], 6), c) for key, c in live.items()]
    scored.sort(key=lambda pair: (-pair[0], pair[1].row["entity_id"]))
    return scored[:MAX_DEPTH]


def _relevance(
    key: Key, candidate: Candidate, relevance: dict[Key, float], live: dict[Key, Candidate]
) -> float:
    """A candidate's relevance, with the share it earns from the hit it follows."""
    own = relevance.get(key, 0.0)
    follows = candidate.follows
    hit = live.get(follows) if follows is not None else None
    if follows is None or hit is None:
        return own
    return own + turns.follow_credit(relevance.get(follows, 0.0), hit.row["body"])


def _reread(
    db: Database, user: Principal, pool: dict[Key, Candidate], filters: SearchFilters
) -> None:
    """Fill in the rows of candidates only the vector index or the graph found; those that do
    not come back (not the caller's, not live, filtered out) stay empty and are dropped."""
    missing = [key[1] for key, candidate in pool.items() if not candidate.row]
    if not missing:
        return
    for row in db.fetch_as_user(user, _ROWS, _params("", missing, filters), read_only=True):
        candidate = pool.get((row["entity_type"], row["entity_id"]))
        if candidate is not None:  # None: indexed under another type than its row's
            candidate.row = row


def _count_shown_knowledge(db: Database, user: Principal, page: list[SearchHit]) -> None:
    """One access for each knowledge entry the page shows (as the knowledge route counts what
    it returns); the candidates the ranking left off the page are not counted."""
    shown = sorted({hit.entity_id for hit in page if hit.entity_type == "knowledge"})
    if shown:
        db.fetch_as_user(user, _COUNT_KNOWLEDGE, {"ids": shown})


def _score(candidate: Candidate, relevance: float, now: datetime) -> float:
    """The fused relevance re-ranked by the row's recency and importance."""
    row = candidate.row
    fresh = None if row["entity_type"] == "knowledge" else ranking.recency(row["created_at"], now)
    return ranking.rerank(relevance, fresh=fresh, importance=row["importance"])


def _hit(candidate: Candidate, score: float) -> SearchHit:
    """The hit as the page shows it (built only for the page's candidates)."""
    row = candidate.row
    channels: list[Any] = []
    if candidate.vector_similarity is not None:
        channels.append("vector")
    if row["text_rank"] is not None:
        channels.append("text")
    if candidate.graph_links:
        channels.append("graph")
    terms = list(row["matched_terms"] or [])
    superseded = row["invalid_at"] is not None and row["invalid_at"] <= datetime.now(UTC)
    return SearchHit(
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        title=row["title"],
        snippet=ranking.snippet(row["body"], terms),
        app_id=row["app_id"],
        importance=row["importance"],
        score=score,
        why=MatchReasons(
            channels=channels,
            vector_similarity=candidate.vector_similarity,
            text_rank=row["text_rank"],
            matched_terms=terms,
            graph_links=candidate.graph_links,
            superseded_by=row["superseded_by"] if superseded else None,
            superseded_at=row["invalid_at"] if superseded else None,
        ),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _params(query: str, ids: Sequence[UUID], filters: SearchFilters) -> dict[str, Any]:
    types = [t.value for t in filters.types] if filters.types else None
    return {
        "query": query,
        "ids": list(ids),
        "types": types,
        "app_id": filters.app_id,
        "created_after": filters.created_after,
        "created_before": filters.created_before,
        "max_text": growth.TEXT_CANDIDATES if growth.restricts(filters) else TEXT_CANDIDATES,
        "memory_filter": search_filters.sql_restrictions(filters),
    }


def _fingerprint(query: str, filters: SearchFilters) -> str:
    """Names the search a cursor belongs to (a cursor is refused by any other search)."""
    raw = json.dumps([query, filters.model_dump(mode="json")], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _offset(cursor: str | None, fingerprint: str) -> int:
    if cursor is None:
        return 0
    key, offset = decode_cursor(cursor, "search")
    if key != fingerprint or not offset.isdigit() or int(offset) >= MAX_DEPTH:
        message = "belongs to another search (query and filters must stay the same)"
        raise InvalidRequest(f"query.cursor: {message}", errors=[_error("query.cursor", message)])
    return int(offset)


def _error(field_name: str, message: str) -> dict[str, str]:
    return {"field": field_name, "message": message}
