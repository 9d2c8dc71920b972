"""The retention run: every person's data_retention_days, expiry and archive, then the stores.

Each rule is a keyset walk of batch functions in Postgres (the retention purge and memory
jobs migrations), one short transaction per batch, so no lock outlives a batch.
What Postgres deleted is queued, not sent through the outbox, and the drain
(`_removals`) removes it from the graph, the vectors and the cache; importance that
pg_cron's decay lowered is carried to them (`_importance_sync`). Pending erasures are retried
last. A run killed anywhere and started again re-walks from the start, finds done work gone,
and ends where one clean run would have; each run is a row in private.job_runs.
The fixed rules that touch Postgres only (behaviour events after 2 years, closed suggestions
after 1 year) stay pg_cron jobs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from uuid import UUID

from dotline.db import Database
from dotline.models.lifecycle import RetentionReport
from dotline.ports.cache import Cache
from dotline.ports.graph import GraphStore
from dotline.ports.vectors import VectorStore
from dotline.services import job_runs
from dotline.services.dialogue import session as dialogue_session
from dotline.services.lifecycle._importance_sync import sync_importance
from dotline.services.lifecycle._removals import drain_removals

logger = logging.getLogger(__name__)

JOB_NAME = "retention"
BATCH_SIZE = 1000
PER_PERSON_TABLES = ("conversations", "messages", "memories", "behaviour_events")

# Counts after which a dialogue session may hold messages Postgres no longer has.
_MESSAGES_REMOVED = (
    "conversations_past_retention", "messages_past_retention", "archived_conversations"
)  # fmt: skip

# step name, rows in the batch just done
Progress = Callable[[str, int], None]
# what a run retries once the rules have run: (user_ids attempted, verified)
ErasureRetry = Callable[[], tuple[int, int]]

_PURGE_BATCH = """
select processed, last_key
from private.purge_past_retention_batch(%(table)s, %(size)s, %(after)s, %(user_id)s)
"""
_EXPIRE_BATCH = "select private.expire_memories_batch(%(size)s) as processed"
_ARCHIVE_BATCH = """
select processed, last_conversation_id as last_key
from private.archive_old_conversations_batch(%(size)s, %(after)s)
"""
_PREVIEW = "select private.preview_retention(%(user_id)s) as counts"


def run_retention(
    db: Database,
    *,
    graph: GraphStore,
    vectors: VectorStore,
    cache: Cache,
    user_id: UUID | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    retry_erasures: ErasureRetry | None = None,
) -> RetentionReport:
    """Apply every retention rule (to one person with user_id) and mirror it in the stores."""
    report: Progress = progress or _quiet
    run_id = job_runs.start_run(db, JOB_NAME)
    counts: dict[str, int] = {}
    try:
        for table in PER_PERSON_TABLES:
            counts[f"{table}_past_retention"] = _walk(
                db, _PURGE_BATCH, {"table": table, "user_id": user_id}, batch_size,
                partial(report, f"{table} past retention"),
            )  # fmt: skip
        if user_id is None:  # expiry and archive are everyone's at once
            counts["expired_memories"] = _expire(db, batch_size, report)
            counts["archived_conversations"] = _walk(
                db, _ARCHIVE_BATCH, {}, batch_size // 5 or 1,
                partial(report, "closed conversations archived"),
            )  # fmt: skip
        if any(counts.get(k) for k in _MESSAGES_REMOVED):
            # Sessions hold recent messages: none may outlive the rows retention removed.
            counts["dialogue_sessions_dropped"] = dialogue_session.forget_all(cache, user_id)
        counts["store_removals"] = drain_removals(
            db, graph=graph, vectors=vectors, cache=cache,
            progress=partial(report, "removed from graph, vectors and cache"),
        )  # fmt: skip
        counts["importance_synced"] = sync_importance(
            db, graph=graph, vectors=vectors,
            progress=partial(report, "decayed importance synced to graph and vectors"),
        )  # fmt: skip
        if retry_erasures is not None and user_id is None:
            counts["erasures_retried"], counts["erasures_verified"] = retry_erasures()
    except BaseException as exc:
        logger.exception("retention run %s stopped after %s", run_id, counts)
        job_runs.fail_run(db, run_id, counts, f"{type(exc).__name__}: {exc}")
        raise
    job_runs.finish_run(db, run_id, counts)
    logger.info("retention run %s done: %s", run_id, counts)
    return RetentionReport(job_run_id=run_id, dry_run=False, user_id=user_id, counts=counts)


def preview_retention(db: Database, user_id: UUID | None = None) -> RetentionReport:
    """What a run would remove, counted; nothing changes and no run is recorded."""
    with db.as_service() as tx:
        row = tx.execute(_PREVIEW, {"user_id": user_id}).fetchone()
    counts = {key: int(value) for key, value in (row["counts"] if row else {}).items()}
    return RetentionReport(job_run_id=None, dry_run=True, user_id=user_id, counts=counts)


def _quiet(step: str, rows: int) -> None:
    """No progress reporting."""


def _walk(
    db: Database,
    query: str,
    params: dict[str, object],
    batch_size: int,
    on_batch: Callable[[int], None],
) -> int:
    """Run a keyset batch function from the first key to the last; returns rows changed."""
    after: UUID | None = None
    changed = 0
    while True:
        with db.as_service() as tx:
            row = tx.execute(query, {**params, "size": batch_size, "after": after}).fetchone()
        if row is None or row["last_key"] is None:
            return changed
        changed += int(row["processed"])
        after = row["last_key"]
        on_batch(int(row["processed"]))


def _expire(db: Database, batch_size: int, report: Progress) -> int:
    """Delete expired memories, oldest expiry first, until none is left."""
    expired = 0
    while True:
        with db.as_service() as tx:
            row = tx.execute(_EXPIRE_BATCH, {"size": batch_size}).fetchone()
        done = int(row["processed"]) if row else 0
        if done == 0:
            return expired
        expired += done
        report("expired memories", done)
