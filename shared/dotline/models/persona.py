"""A person's persona, learning profiles and tag clusters as the API shows them, and what one
analysis run did."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field


class Persona(BaseModel):
    """The seed's persona; each section keeps the counts it was computed from under `basis`."""

    user_id: UUID
    technical_profile: dict[str, Any]
    lifestyle_profile: dict[str, Any]
    learning_style: dict[str, Any]
    life_phase: str | None = Field(description="early_career, mid_career or experienced")
    phase_confidence: float | None = Field(description="0-1")
    interests_evolution: dict[str, Any]
    cross_domain_insights: dict[str, Any]
    last_analyzed_at: datetime | None
    anonymised_at: datetime | None = Field(description="Set once the personal JSON was blanked")
    updated_at: datetime


class LearningProfile(BaseModel):
    """One skill area: level, velocity (0-1) and progression (milestones, evidence)."""

    learning_profile_id: UUID
    skill_area: str
    current_level: str | None
    learning_velocity: float | None
    progression_data: dict[str, Any]
    last_activity_at: datetime | None
    updated_at: datetime


class LearningProfiles(BaseModel):
    """Every skill area of the last analysis, fastest learning first (at most 30)."""

    items: list[LearningProfile]


class ClusterTag(BaseModel):
    """A member tag: its similarity to the centre (weight) and how often it was used."""

    tag: str
    weight: float
    frequency: int


class TagCluster(BaseModel):
    """A theme among the caller's tags, and how it changed between analysis runs."""

    tag_cluster_id: UUID
    cluster_name: str | None
    tags: list[ClusterTag]
    cohesion_score: float | None = Field(description="Mean pairwise similarity of members, 0-1")
    cluster_size: int | None
    evolution_data: dict[str, Any] = Field(
        description="size_history, new_tags_added, tags_removed, cohesion_trend, runs"
    )
    created_at: datetime
    updated_at: datetime


class TagClusters(BaseModel):
    """The caller's tag clusters, most cohesive first."""

    items: list[TagCluster]


class AnalysisReport(BaseModel):
    """What one persona analysis did for one person."""

    user_id: UUID
    status: str = Field(description="analysed, or skipped (opted out, deleted, unknown)")
    events: int = 0
    skills: int = 0
    clusters: int = 0
    suggestions: int = 0
    run_id: UUID | None = None
