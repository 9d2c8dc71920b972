"""Challenges as the API shows them: templates, a person's runs, progress, completion and trophy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
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


DimKey = Literal["self_know", "self_act", "self_show", "world_know", "world_act", "world_show"]
Difficulty = Literal["easy", "medium", "hard"]
TemplateName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"\S")]
TemplateDescription = Annotated[str, Field(min_length=1, max_length=20_000, pattern=r"\S")]
DimKeys = Annotated[list[DimKey], Field(max_length=6)]


class ChallengeTemplateVersion(ChallengeTemplate):
    """A template version as admins see it: active or retired, and the version it replaced."""

    is_active: bool
    version: int = Field(description="1 for a new template, one more for each change")
    previous_version_id: UUID | None = Field(description="The version this one replaced")


class ChallengeTemplateCreate(BaseModel):
    """A new challenge template (admins only), active at once as version 1."""

    model_config = ConfigDict(extra="forbid")

    name: TemplateName
    description: TemplateDescription | None = None
    dim_keys: DimKeys = []
    difficulty: Difficulty = "medium"
    payload: dict[str, Any] = {}


class ChallengeTemplateUpdate(BaseModel):
    """A change to a template (admins only): any of name, description, dim_keys, difficulty or
    payload writes a new version that replaces this one; `is_active` alone retires or restores
    this version in place. Fields left out are carried over."""

    model_config = ConfigDict(extra="forbid")

    name: TemplateName | None = None
    description: TemplateDescription | None = None
    dim_keys: DimKeys | None = None
    difficulty: Difficulty | None = None
    payload: dict[str, Any] | None = None
    is_active: bool | None = None
