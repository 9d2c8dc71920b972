"""Concepts as the API shows them, what a person may change in one, and how a merge is asked for."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

ConceptName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
ConceptType = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5_000)]


class ConceptStatus(StrEnum):
    """Where a concept stands; `merged` is reached only through a merge."""

    active = "active"
    archived = "archived"
    merged = "merged"


class ConceptSort(StrEnum):
    """Orderings a concept list offers."""

    recent = "recent"  # newest first
    name = "name"  # A to Z, case-insensitively
    salience = "salience"  # most salient first; unscored last


class Concept(BaseModel):
    """One of the caller's concepts."""

    concept_id: UUID
    user_id: UUID
    name: str
    type: str
    description: str | None
    status: ConceptStatus
    salience: float | None
    source: str
    attributes: dict[str, Any]
    community_id: UUID | None
    merged_into_concept_id: UUID | None = Field(description="The survivor, once merged")
    created_at: datetime
    updated_at: datetime


class ConceptPage(BaseModel):
    """A page of concepts; pass next_cursor back as `cursor` for the next (null: no more)."""

    items: list[Concept]
    next_cursor: str | None


class ConceptUpdate(BaseModel):
    """Fields to change; send only those. Merging is its own route, so status is active or archived."""

    model_config = ConfigDict(extra="forbid")

    name: ConceptName | None = None
    type: ConceptType | None = None
    description: Description | None = Field(default=None, description="null clears it")
    status: Literal["active", "archived"] | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> ConceptUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for name in self.model_fields_set - {"description"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class ConceptMergeRequest(BaseModel):
    """Merge the concept in the path into `into`, which survives."""

    model_config = ConfigDict(extra="forbid")

    into: UUID = Field(description="The concept that survives the merge")


class GraphRepoint(BaseModel):
    """What re-pointing the merged concept's edges in the graph store did."""

    edges_moved: int = Field(description="Edges now attached to the survivor")
    edges_collapsed: int = Field(description="Edges the survivor already had (kept once)")
    edges_dropped: int = Field(description="Edges between the two concepts (would be loops)")


class ConceptMerge(BaseModel):
    """The outcome of a merge; repeating the same merge answers again and finishes the graph."""

    merged: Concept
    into: Concept
    already_merged: bool = Field(description="True when this merge had been done before")
    references: dict[str, int] = Field(description="Rows re-pointed per kind (this call)")
    graph: GraphRepoint
