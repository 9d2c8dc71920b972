"""What the growth backfill function takes and answers (`aws lambda invoke` payloads)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class BackfillRequest(BaseModel):
    """One invocation: every user (or one), from the start or after a user a run finished."""

    model_config = ConfigDict(extra="forbid")

    user_id: UUID | None = Field(default=None, description="only this user")
    after_user_id: UUID | None = Field(
        default=None, description="resume: the `resume_after` of a run that did not complete"
    )


class BackfillReport(BaseModel):
    """What one invocation did; invoke again with `after_user_id = resume_after` until complete."""

    users: int
    events_added: int
    profiles_recomputed: int
    remaining: int
    complete: bool
    resume_after: UUID | None
