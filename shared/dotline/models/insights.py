"""Insights as the API shows them: derived artifacts, proactive prompts, the unread counter, and
what an insight cycle run did."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

ArtifactType = Literal["insight_summary", "cycle_report", "trophy", "poster"]
PromptStatus = Literal["pending", "shown", "acted", "dismissed"]
ACTIVE_PROMPT_STATUSES = ("pending", "shown")


class Artifact(BaseModel):
    """Something the system made from the person's material (insight, report, trophy, poster)."""

    artifact_id: UUID
    artifact_type: ArtifactType
    title: str
    description: str | None
    content_narrative: str | None
    content_data: dict[str, Any] | None
    source_entities: list[dict[str, Any]]
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ArtifactPage(BaseModel):
    """One page of artifacts, newest first; pass next_cursor back for the next page."""

    items: list[Artifact]
    next_cursor: str | None


class Prompt(BaseModel):
    """A question or nudge an agent prepared; pending or shown until acted on or dismissed."""

    prompt_id: UUID
    prompt_text: str
    source_agent: str
    status: PromptStatus
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class PromptPage(BaseModel):
    """One page of active prompts, newest first."""

    items: list[Prompt]
    next_cursor: str | None


class UnreadInsights(BaseModel):
    """How many insights arrived since the person last marked them read."""

    unread: int


class CycleRun(BaseModel):
    """One person's insight cycle: what it wrote, or why it wrote nothing."""

    user_id: UUID
    status: Literal["completed", "not_due", "already_ran"]
    cycle_started_at: datetime | None = None
    artifact_ids: list[UUID] = []
    prompt_ids: list[UUID] = []


class CycleSweep(BaseModel):
    """A scheduled run over the people whose cycle is due."""

    runs: list[CycleRun]
    failed: int = 0
