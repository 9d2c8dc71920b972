"""Challenges as the API shows them: templates, a person's runs, progress, completion and trophy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dotline.models.growth import GrowthEvent
from dotline.models.instants import Instant

ChallengeStatus = Literal["active", "completed", "expired", "abandoned"]

MAX_PROGRESS_KEYS = 100


class ChallengeTemplate(BaseModel):
    """A challenge one may start: its dimensions, difficulty and task parameters."""

    challenge_template_id: UUID
    name: str
    description: str | None
    dim_keys: list[str]
    difficulty: str
    payload: dict[str, Any]


class ChallengeStart(BaseModel):
    """Start a challenge from a template; without due_at, the template's duration_days decides."""

    model_config = ConfigDict(extra="forbid")

    challenge_template_id: UUID
    due_at: Instant | None = Field(default=None, description="When it must be done by")

    @field_validator("due_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value


class ProgressUpdate(BaseModel):
    """Keys to merge into a challenge's progress (top level; a key sent replaces its value)."""

    model_config = ConfigDict(extra="forbid")

    progress: dict[str, Any] = Field(min_length=1, max_length=MAX_PROGRESS_KEYS)


class Challenge(BaseModel):
    """A person's run at a challenge."""

    user_challenge_id: UUID
    challenge_template_id: UUID
    name: str | None = Field(description="The template's name (null once it is retired)")
    dim_keys: list[str]
    status: ChallengeStatus
    started_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    progress: dict[str, Any]


class Trophy(BaseModel):
    """The reward for a completed challenge (a derived artifact of type trophy)."""

    artifact_id: UUID
    title: str
    description: str | None
    source_entities: list[dict[str, Any]]
    attributes: dict[str, Any]
    created_at: datetime


class ChallengeCompletion(BaseModel):
    """A completed challenge, its trophy and the growth it earned (the same on every call)."""

    challenge: Challenge
    trophy: Trophy
    growth: list[GrowthEvent]
