"""The operators' view: job runs from private.job_runs, behaviour-tracking coverage, backlog.

Read by admins at GET /v1/admin/health and published as metrics by the `health_metrics` job.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import Forbidden
from dotline.models.monitoring import (
    JobHealth,
    JobRun,
    OperationsHealth,
    OutboxBacklog,
    TrackingCoverage,
)
from dotline.observability import publish

# Jobs whose last run is older than this are left out (a job renamed or removed).
_JOBS = """
with runs as (
  select r.job_name, r.status, r.started_at, r.finished_at, r.counts, r.error,
         extract(epoch from (r.finished_at - r.started_at)) * 1000 as duration_ms,
         r.started_at > now() - interval '1 day' as last_day,
         row_number() over (partition by r.job_name order by r.started_at desc, r.job_run_id desc) as nth
  from private.job_runs r
  where r.started_at > now() - interval '7 days'
)
select job_name,
       count(*) filter (where last_day) as runs_last_day,
       count(*) filter (where last_day and status = 'failed') as failures_last_day,
       avg(duration_ms) filter (where last_day) as mean_duration_ms_last_day,
       max(duration_ms) filter (where last_day) as max_duration_ms_last_day,
       (array_agg(jsonb_build_object(
          'status', status, 'started_at', started_at, 'finished_at', finished_at,
          'duration_ms', duration_ms, 'counts', counts, 'error', error)) filter (where nth = 1))[1]
         as last_run
from runs
group by job_name
order by job_name
"""

# Active: an active account that made a request in the last day (profiles.last_active_at).
_COVERAGE = """
with active as (
  select p.user_id from public.profiles p
  where p.last_active_at > now() - interval '1 day' and p.account_status = 'active'
),
events as (
  select e.user_id, count(*) as n from public.behaviour_events e
  where e.created_at > now() - interval '1 day'
  group by e.user_id
)
select (select count(*) from active) as active_users,
       (select count(*) from active a join events e using (user_id)) as tracked_users,
       (select count(*) from events) as users_with_events,
       (select coalesce(sum(n), 0) from events) as events
"""

_OUTBOX = """
select count(*) filter (where o.status = 'pending') as pending,
       count(*) filter (where o.status = 'dead') as dead
from private.outbox o
where o.status <> 'delivered'
"""


def operations_health(db: Database, user: Principal) -> OperationsHealth:
    """The snapshot, for admins only (Forbidden otherwise)."""
    if not user.is_admin:
        raise Forbidden("Only admins may read the operations health.")
    return snapshot(db)


def snapshot(db: Database) -> OperationsHealth:
    """Job runs of the last day (and each job's last run), tracking coverage, outbox backlog."""
    jobs = [
        JobHealth.model_validate({**row, "last_run": JobRun.model_validate(row["last_run"])})
        for row in db.fetch_as_service(_JOBS, read_only=True)
    ]
    coverage = db.fetch_as_service(_COVERAGE, read_only=True)[0]
    active, tracked = int(coverage["active_users"]), int(coverage["tracked_users"])
    tracking = TrackingCoverage(
        active_users=active,
        tracked_users=tracked,
        coverage=tracked / active if active else None,
        users_with_events=int(coverage["users_with_events"]),
        events=int(coverage["events"]),
    )
    outbox = OutboxBacklog.model_validate(db.fetch_as_service(_OUTBOX, read_only=True)[0])
    return OperationsHealth(
        checked_at=datetime.now(UTC), jobs=jobs, tracking=tracking, outbox=outbox
    )


def publish_snapshot(db: Database) -> dict[str, int]:
    """Publish the snapshot as metrics (tracking coverage, outbox backlog, each job's failures
    and mean duration over the last day); returns the counts."""
    health = snapshot(db)
    counts = {
        "active_users": health.tracking.active_users,
        "tracked_users": health.tracking.tracked_users,
        "events": health.tracking.events,
        "outbox_pending": health.outbox.pending,
        "outbox_dead": health.outbox.dead,
        "jobs": len(health.jobs),
    }
    publish(
        {"check": "tracking"},
        {"ActiveUsers": counts["active_users"], "TrackedUsers": counts["tracked_users"],
         "OutboxPending": counts["outbox_pending"], "OutboxDeadTotal": counts["outbox_dead"]},
        percents={"TrackingCoverage": 100 * (health.tracking.coverage or 0.0)},
    )  # fmt: skip
    for job in health.jobs:
        publish(
            {"job": job.job_name},
            {"FailuresLastDay": job.failures_last_day},
            {"MeanDurationLastDay": job.mean_duration_ms_last_day or 0.0},
        )
    return counts
