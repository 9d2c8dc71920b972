"""Conversation ingestion: ended conversations become memories, concepts and graph links.

A run claims one ended conversation at a time (private.claim_conversations_for_ingestion:
`for update skip locked`, status processing, a lease), reads its turns, asks the extractor (the
language model port) what they say (once: the answer is kept for every later run over the same
turns, so a retry or re-run neither pays for nor rewords it again), resolves the concepts against the person's own, writes
Postgres in one transaction, then the graph and the vectors, then records the growth event and
marks the conversation processed. Every step is idempotent, so a run that dies anywhere leaves
a conversation the next run (once the lease runs out) finishes to the same result. A step that
fails is recorded with its error and retried later with backoff, up to IngestionPolicy.max_attempts.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from dotline.db import Database, jsonb
from dotline.errors import ServiceUnavailable
from dotline.growth_rules import GrowthConfig
from dotline.models.ingestion import ConversationIngested, IngestionRun
from dotline.ports.embeddings import Embedder
from dotline.ports.graph import GraphStore
from dotline.ports.language_model import ExtractedMemory, Extraction, Extractor, Turn
from dotline.ports.vectors import VectorStore
from dotline.services.concepts.salience import refresh_salience
from dotline.services.graph.schema import record_graph_schema
from dotline.services.growth.ledger import GrowthAction, record_growth_events
from dotline.services.ingestion._concept_resolution import resolve_concepts
from dotline.services.ingestion._graph import INGESTION_VERSION, write_graph, write_vectors
from dotline.services.ingestion.writes import (
    Conversation,
    Written,
    write_conversation,
    write_memories,
)
from dotline.services.local_time import on_calendar, zone_in

logger = logging.getLogger(__name__)
T = TypeVar("T")

LEASE_S = 300.0  # longer than the function's timeout: a live run never loses its conversation
RETRY_BASE_S = 60.0  # first retry after a failure; doubles per attempt
RETRY_MAX_S = 3_600.0
MAX_ATTEMPTS = 5
MAX_CONVERSATIONS_PER_RUN = 50
MAX_TURNS = 2_000
GROWTH_ACTION = "conversation_processed"
SUMMARY_TITLES = 3
CLASH_ATTEMPTS = 3  # a graph or vector write undone by a concurrent mirror of the same rows
CLASH_PAUSE_S = 0.05

_CLAIM = """
select conversation_id, user_id, app_id, attempt
from private.claim_conversations_for_ingestion(
  1, %(lease)s, %(only)s, %(user_id)s, %(max_attempts)s, %(tried)s::uuid[])
"""
_TURNS = """
select message_id, role, content, created_at from public.messages
where conversation_id = %(conversation_id)s and user_id = %(user_id)s
order by created_at, message_id
limit %(limit)s
"""
_FINISH = """
select private.finish_conversation_ingestion(
  %(conversation_id)s, %(extractor)s, %(counts)s, %(importance)s, %(summary)s) as finished
"""
_KEPT_EXTRACTION = """
select extraction from private.conversation_ingestions
where conversation_id = %(conversation_id)s and turns_digest = %(digest)s
"""
_KEEP_EXTRACTION = """
update private.conversation_ingestions
set extraction = %(extraction)s, turns_digest = %(digest)s, updated_at = now()
where conversation_id = %(conversation_id)s
"""
_FAIL = """
select private.fail_conversation_ingestion(
  %(conversation_id)s, %(error)s, %(retry_after)s, %(max_attempts)s) as gave_up
"""


@dataclass(frozen=True)
class IngestionPolicy:
    """How long a claim holds, how patiently a failure is retried, how much one run takes on."""

    lease_s: float = LEASE_S
    retry_base_s: float = RETRY_BASE_S
    max_attempts: int = MAX_ATTEMPTS
    max_conversations: int = MAX_CONVERSATIONS_PER_RUN

    def retry_after_s(self, attempt: int) -> float:
        """The wait before the next try after `attempt` failed (exponential, capped)."""
        return min(RETRY_MAX_S, self.retry_base_s * 2.0 ** max(0, attempt - 1))


@dataclass(frozen=True)
class IngestionStores:
    """What ingestion reads and writes."""

    db: Database
    extractor: Extractor
    embedder: Embedder
    graph: GraphStore
    vectors: VectorStore


def ingest_conversations(
    stores: IngestionStores,
    growth: GrowthConfig,
    *,
    policy: IngestionPolicy = IngestionPolicy(),  # frozen: safe as a default
    budget_s: float | None = None,
    conversation_id: UUID | None = None,
    user_id: UUID | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> IngestionRun:
    """Ingest due conversations until none is left, the run's cap, or `budget_s` is spent.

    With `user_id`, only that person's. With `conversation_id`, only that one, even when already
    processed or given up (a by-hand re-run).
    """
    run = IngestionRun()
    started = clock()
    while run.claimed < policy.max_conversations:
        if budget_s is not None and clock() - started >= budget_s:
            break
        tried = [c.conversation_id for c in run.conversations]  # a run retries nothing itself
        claim = _claim(stores.db, policy, conversation_id, user_id, tried)
        if claim is None:
            break
        conversation, attempt = claim
        run.claimed += 1
        result = _ingest_claimed(stores, growth, policy, conversation, attempt)
        run.conversations.append(result)
        run.processed += result.outcome == "processed"
        run.failed += result.outcome != "processed"
        if conversation_id is not None:
            break
    return run


def ingest_conversation(
    stores: IngestionStores, growth: GrowthConfig, conversation: Conversation, attempt: int
) -> ConversationIngested:
    """Ingest one claimed (processing) conversation and mark it processed."""
    turns = _turns(stores.db, conversation)
    extraction = _extraction(stores, conversation, turns)
    said_at = {t.message_id: t.created_at for t in turns}
    extraction.memories = _one_per_turn(extraction, said_at)
    # Memories first: once the model has answered, nothing else (no embedding call, no concept
    # resolution, no graph write) delays them. They are committed here, searchable by text; their
    # concepts, links, graph edges and vectors follow below, or on the retry if that part fails.
    with stores.db.as_service() as tx:
        _, merged = write_memories(tx, conversation, extraction, said_at)
    # A statement made before is one more source of that memory: nothing of it to enrich.
    extraction.memories = [m for m in extraction.memories if m.message_id not in merged]
    concepts = [c for m in extraction.memories for c in m.concepts]
    resolution = resolve_concepts(
        concepts, user_id=conversation.user_id, db=stores.db,
        embedder=stores.embedder, vectors=stores.vectors,
    )  # fmt: skip
    with stores.db.as_service() as tx:  # the enrichment, counted as if written at once
        written = write_conversation(tx, conversation, extraction, said_at, resolution)
    # The memories are searchable by text from here; the graph and the vectors follow. The webhook
    # mirrors the same rows meanwhile (their outbox changes), and a clash is tried again at once.
    nodes, edges = _again_on_clash(lambda: write_graph(conversation.user_id, written, stores.graph))
    _again_on_clash(lambda: refresh_salience(
        stores.db, stores.graph, conversation.user_id, list(written.concepts),
        version=INGESTION_VERSION,
    ))  # fmt: skip
    record_graph_schema(
        stores.db,
        conversation.user_id,
        (x for n in nodes for x in n.labels),
        (e.type for e in edges),
    )
    items = _again_on_clash(lambda: write_vectors(written, stores.vectors, stores.embedder))
    result = ConversationIngested(
        conversation_id=conversation.conversation_id, attempt=attempt, outcome="processed",
        extractor=extraction.model, memories=len(written.memories),
        memories_created=written.memories_created, concepts=len(written.concepts),
        concepts_created=len(written.new_concept_ids),
        memories_invalidated=written.memories_invalidated, memories_merged=len(merged),
        nodes=len(nodes), edges=len(edges),
        vector_items=items,
    )  # fmt: skip
    _finish(stores.db, growth, conversation, written, result)
    logger.info(
        "ingested conversation %s: %s", conversation.conversation_id, result.model_dump(mode="json")
    )
    return result


_COUNTS = {"memories", "memories_created", "concepts", "concepts_created", "memories_invalidated",
           "memories_merged", "nodes", "edges", "vector_items", "growth_events"}  # fmt: skip


def _finish(
    db: Database,
    growth: GrowthConfig,
    conversation: Conversation,
    written: Written,
    result: ConversationIngested,
) -> None:
    """Record the growth a conversation earned and mark it processed, in one transaction."""
    importances = sorted((float(r["importance"]), r["title"] or "") for r in written.memories)
    summary = "; ".join(title for _, title in reversed(importances[-SUMMARY_TITLES:])) or None
    with db.as_service() as tx:
        if written.memories:  # a conversation that said nothing worth keeping earns nothing
            events = record_growth_events(tx, growth, GrowthAction(
                user_id=conversation.user_id, action=GROWTH_ACTION,
                entity_type="conversation", entity_id=conversation.conversation_id,
                source="ingestion",
            ))  # fmt: skip
            result.growth_events = len(events)
        tx.execute(_FINISH, {
            "conversation_id": conversation.conversation_id, "extractor": result.extractor,
            "counts": jsonb(result.model_dump(mode="json", include=_COUNTS)),
            "importance": importances[-1][0] if importances else None, "summary": summary,
        })  # fmt: skip


def _again_on_clash(write: Callable[[], T], attempts: int = CLASH_ATTEMPTS) -> T:
    """An idempotent write, tried again when a concurrent writer of the same rows made Postgres
    undo it (a deadlock, a serialisation failure: ServiceUnavailable); other failures go up."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except ServiceUnavailable:
            if attempt == attempts:
                raise
            time.sleep(CLASH_PAUSE_S * attempt)
    raise AssertionError("unreachable")


def _ingest_claimed(
    stores: IngestionStores,
    growth: GrowthConfig,
    policy: IngestionPolicy,
    conversation: Conversation,
    attempt: int,
) -> ConversationIngested:
    try:
        return ingest_conversation(stores, growth, conversation, attempt)
    except Exception as exc:  # any failure of one conversation must not stop the others
        error = f"{type(exc).__name__}: {exc}"[:2000]
        retry_after = policy.retry_after_s(attempt)
        with stores.db.as_service() as tx:
            row = tx.execute(_FAIL, {
                "conversation_id": conversation.conversation_id, "error": error,
                "retry_after": timedelta(seconds=retry_after), "max_attempts": policy.max_attempts,
            }).fetchone()  # fmt: skip
        gave_up = bool(row and row["gave_up"])
        logger.exception(
            "ingestion of conversation %s failed (attempt %d); %s",
            conversation.conversation_id, attempt,
            "giving up: re-run it with `dotline ingest --conversation`" if gave_up
            else f"retrying in {retry_after:.0f} s",
        )  # fmt: skip
        return ConversationIngested(
            conversation_id=conversation.conversation_id, attempt=attempt,
            outcome="gave_up" if gave_up else "failed", error=error,
        )  # fmt: skip


def _claim(
    db: Database,
    policy: IngestionPolicy,
    only: UUID | None,
    user_id: UUID | None,
    tried: list[UUID],
) -> tuple[Conversation, int] | None:
    params = {
        "lease": timedelta(seconds=policy.lease_s),
        "only": only,
        "user_id": user_id,
        "max_attempts": policy.max_attempts,
        "tried": tried,
    }
    with db.as_service() as tx:
        row = tx.execute(_CLAIM, params).fetchone()
    if row is None:
        return None
    return Conversation(row["conversation_id"], row["user_id"], row["app_id"]), int(row["attempt"])


def _extraction(
    stores: IngestionStores, conversation: Conversation, turns: list[Turn]
) -> Extraction:
    """The extraction an earlier run kept for these very turns, else a new one, kept."""
    digest = turns_digest(turns)
    params = {"conversation_id": conversation.conversation_id, "digest": digest}
    with stores.db.as_service() as tx:
        row = tx.execute(_KEPT_EXTRACTION, params).fetchone()
    if row is not None:
        return Extraction.model_validate(row["extraction"])
    extraction = stores.extractor.extract(turns)
    with stores.db.as_service() as tx:
        tx.execute(
            _KEEP_EXTRACTION, {**params, "extraction": jsonb(extraction.model_dump(mode="json"))}
        )
    return extraction


def _one_per_turn(extraction: Extraction, said_at: dict[UUID, datetime]) -> list[ExtractedMemory]:
    """The first memory of each known turn (a memory's id is its turn's, so one per turn)."""
    kept: dict[UUID, ExtractedMemory] = {}
    for memory in extraction.memories:
        if memory.message_id in said_at and memory.message_id not in kept:
            kept[memory.message_id] = memory
        else:
            logger.warning(
                "dropped an extracted memory of turn %s: unknown or repeated", memory.message_id
            )
    return list(kept.values())


def turns_digest(turns: list[Turn]) -> str:
    """A fingerprint of what was said: ids, roles and words of every turn, in order."""
    digest = hashlib.sha256()
    for turn in turns:
        digest.update(f"{turn.message_id}\x1f{turn.role}\x1f{turn.content}\x1e".encode())
    return digest.hexdigest()


def _turns(db: Database, conversation: Conversation) -> list[Turn]:
    """The conversation's turns, each sent at a moment on the person's calendar (`local_time`):
    the dates they state are days where the person lives."""
    params = {
        "conversation_id": conversation.conversation_id,
        "user_id": conversation.user_id,
        "limit": MAX_TURNS,
    }
    with db.as_service() as tx:
        zone = zone_in(tx, conversation.user_id)
        return [
            Turn.model_validate({**row, "created_at": on_calendar(row["created_at"], zone)})
            for row in tx.execute(_TURNS, params)
        ]
