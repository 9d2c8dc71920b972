"""What GET /v1/admin/health answers: job runs, behaviour-tracking coverage, delivery backlog."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, JsonValue


class JobRun(BaseModel):
    """One run of a job, as private.job_runs holds it."""

    status: Literal["running", "succeeded", "failed"]
    started_at: datetime
    finished_at: datetime | None
    duration_ms: float | None = Field(description="null while running")
    counts: dict[str, JsonValue] = Field(description="what the run did, as it counted it")
    error: str | None


class JobHealth(BaseModel):
    """A job's runs over the last day, and its latest run (of the last 7 days)."""

    job_name: str
    runs_last_day: int
    failures_last_day: int
    mean_duration_ms_last_day: float | None
    max_duration_ms_last_day: float | None
    last_run: JobRun


class TrackingCoverage(BaseModel):
    """How much of the last day's activity behaviour tracking saw."""

    active_users: int = Field(description="active accounts with a request in the last day")
    tracked_users: int = Field(description="of those, how many sent behaviour events that day")
    coverage: float | None = Field(description="tracked / active in [0, 1]; null without activity")
    users_with_events: int = Field(description="every person with events in the last day")
    events: int = Field(description="behaviour events stored in the last day")


class OutboxBacklog(BaseModel):
    """Database changes waiting for (or given up by) the mirrors."""

    pending: int
    dead: int


class OperationsHealth(BaseModel):
    """The operators' view of the pipelines."""

    checked_at: datetime
    jobs: list[JobHealth]
    tracking: TrackingCoverage
    outbox: OutboxBacklog
