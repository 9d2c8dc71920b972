"""Recording a scheduled function's run in `private.job_runs`, as pg_cron's jobs do."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dotline.db import Database

_START = "insert into private.job_runs (job_name) values (%(name)s) returning job_run_id"

# A run killed outright (SIGKILL, a Lambda timeout) never records its end; once a run of the
# same job starts this long after it, it is recorded as interrupted.
INTERRUPTED_AFTER = "6 hours"
_INTERRUPTED = """
update private.job_runs
set status = 'failed', finished_at = clock_timestamp(), error = 'interrupted: the run never finished'
where job_name = %(name)s and status = 'running' and started_at < now() - %(after)s::interval
"""

_SUCCEED = """
update private.job_runs
set status = 'succeeded', finished_at = clock_timestamp(), counts = %(counts)s::jsonb
where job_run_id = %(id)s
"""

_FAIL = """
update private.job_runs
set status = 'failed', finished_at = clock_timestamp(), counts = %(counts)s::jsonb,
    error = %(error)s
where job_run_id = %(id)s
"""


_FINISHED = """
insert into private.job_runs (job_name, status, started_at, finished_at, counts, error)
values (%(name)s, %(status)s, %(started_at)s, clock_timestamp(), %(counts)s::jsonb, %(error)s)
"""


def counts_of(summary: Mapping[str, Any]) -> dict[str, int]:
    """A run summary's counts: its integers, and the length of each list it holds."""
    counts: dict[str, int] = {}
    for key, value in summary.items():
        if isinstance(value, int) and not isinstance(value, bool):
            counts[key] = value
        elif isinstance(value, list):
            counts[key] = len(value)
    return counts


def record_finished(
    db: Database, job_name: str, started_at: datetime, counts: dict[str, int], error: str | None
) -> None:
    """Record a run that has ended (failed when `error` is given), in one statement."""
    params = {
        "name": job_name,
        "status": "failed" if error is not None else "succeeded",
        "started_at": started_at,
        "counts": json.dumps(counts),
        "error": error[:2000] if error is not None else None,
    }
    with db.as_service() as tx:
        tx.execute(_FINISHED, params)


def start_run(db: Database, job_name: str) -> int:
    """Record a run as started (committed at once, so a killed run stays visible), and earlier
    runs of the job that never finished as interrupted."""
    with db.as_service() as tx:
        tx.execute(_INTERRUPTED, {"name": job_name, "after": INTERRUPTED_AFTER})
        row = tx.execute(_START, {"name": job_name}).fetchone()
    assert row is not None
    return int(row["job_run_id"])


def finish_run(db: Database, job_run_id: int, counts: dict[str, int]) -> None:
    """Record the run as succeeded with what it changed."""
    with db.as_service() as tx:
        tx.execute(_SUCCEED, {"id": job_run_id, "counts": json.dumps(counts)})


def fail_run(db: Database, job_run_id: int, counts: dict[str, int], error: str) -> None:
    """Record the run as failed, with what it changed before it stopped."""
    with db.as_service() as tx:
        tx.execute(_FAIL, {"id": job_run_id, "counts": json.dumps(counts), "error": error[:2000]})
