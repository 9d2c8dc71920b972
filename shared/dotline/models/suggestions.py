"""Suggestions as the API shows them: the active ones, best first, one cursor page at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field


class Suggestion(BaseModel):
    """A recommendation from persona analysis (learning_path, project_idea, skill_development)."""

    suggestion_id: UUID
    suggestion_type: str
    title: str | None
    content: str | None
    metadata: dict[str, Any] = Field(description="skill areas, related clusters, the basis")
    priority_score: float | None = Field(description="0-1, higher first")
    is_dismissed: bool
    is_acted_upon: bool
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SuggestionPage(BaseModel):
    """Active suggestions (not dismissed, not expired) by priority; pass next_cursor for more."""

    items: list[Suggestion]
    next_cursor: str | None
