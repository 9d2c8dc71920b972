"""The insight cycle (V11's InsightEngine): compile → synthesize → persist → publish, per person.

A cycle is due one period after the last (or after sign-up) when something happened since
(private.users_due_for_insights). Persisting is one transaction that first moves the profile's
last_cycle_started_at by compare-and-set: a rerun, or a second runner of the same cycle, finds it
moved and writes nothing. Ids are derived from the cycle, so even a replayed insert is a no-op.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from dotline.db import Database
from dotline.errors import DotlineError, NotFound
from dotline.models.insights import CycleRun, CycleSweep
from dotline.services.concepts.salience import refresh_salience
from dotline.services.graph.schema import record_graph_schema
from dotline.services.insights import _records
from dotline.services.insights._communities import persist_communities
from dotline.services.insights._compiler import GraphShape, compile_brief

if TYPE_CHECKING:
    from dotline.bootstrap import InsightStores

logger = logging.getLogger(__name__)


def run_due_cycles(
    stores: InsightStores, *, period: timedelta, batch: int, budget_s: float
) -> CycleSweep:
    """Run the cycle of each due person, oldest first, until the batch or the time budget ends."""
    deadline = time.monotonic() + budget_s
    sweep = CycleSweep(runs=[])
    for due in _due(stores.db, period, batch, None):
        if time.monotonic() >= deadline:
            break
        try:
            sweep.runs.append(_run(due, stores))
        except DotlineError:
            # One person's failure (model down, a bad row) must not stop everyone else's cycle;
            # their cycle stays due and the next run tries again.
            logger.exception("insight cycle failed for user %s", due["user_id"])
            sweep.failed += 1
    return sweep


def run_cycle(
    user_id: UUID, stores: InsightStores, *, period: timedelta, force: bool = False
) -> CycleRun:
    """Run one person's cycle if due (or, with force, start a new one now regardless)."""
    due = _due(stores.db, period, 1, user_id)
    if not due and not force:
        return CycleRun(user_id=user_id, status="not_due")
    target = due[0] if due else _profile_cycle(stores.db, user_id)
    return _run(target, stores)


def _run(due: dict[str, Any], stores: InsightStores) -> CycleRun:
    db, graph, model, cache, config = (
        stores.db,
        stores.graph,
        stores.model,
        stores.cache,
        stores.config,
    )
    user_id: UUID = due["user_id"]
    started = time.perf_counter()
    brief, shape = compile_brief(user_id, due["since"], db=db, graph=graph, config=config)
    synthesis = model.synthesize_insights(brief)
    run = _records.persist_cycle(db, user_id, due["last_cycle_started_at"], brief, synthesis)
    if run.status == "completed":
        _reshape_graph(stores, user_id, shape, run.cycle_started_at or datetime.now(UTC))
        _records.publish_cycle(cache, run)
    logger.info(
        "insight cycle %s for user %s: %d artifact(s), %d prompt(s) in %.0f ms",
        run.status, user_id, len(run.artifact_ids), len(run.prompt_ids),
        (time.perf_counter() - started) * 1000,
    )  # fmt: skip
    return run


def _reshape_graph(stores: InsightStores, user_id: UUID, shape: GraphShape, at: datetime) -> None:
    """Persist the communities found and refresh every concept's salience."""
    persist_communities(stores.db, stores.graph, user_id, shape.groups, at)
    if shape.groups:
        record_graph_schema(stores.db, user_id, ["Community"], ["OWNS", "PART_OF"])
    refresh_salience(stores.db, stores.graph, user_id, shape.concept_ids, version=0)


def _due(db: Database, period: timedelta, limit: int, user_id: UUID | None) -> list[dict[str, Any]]:
    with db.as_service() as tx:
        tx.execute(
            "select * from private.users_due_for_insights(%(period)s, %(limit)s, now(), %(user)s)",
            {"period": period, "limit": limit, "user": user_id},
        )
        return list(tx.fetchall())


def _profile_cycle(db: Database, user_id: UUID) -> dict[str, Any]:
    with db.as_service() as tx:
        tx.execute(
            "select user_id, last_cycle_started_at,"
            " coalesce(last_cycle_started_at, created_at) as since"
            " from public.profiles where user_id = %(user_id)s",
            {"user_id": user_id},
        )
        row = tx.fetchone()
    if row is None:
        raise NotFound(f"No such user: {user_id}.")
    return dict(row)
