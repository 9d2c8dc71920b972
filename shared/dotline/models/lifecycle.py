"""What the data-lifecycle jobs and a person's erasure report."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from dotline.ports.graph import Subgraph


class RetentionReport(BaseModel):
    """One retention run: rows each rule removed (or, in a dry run, would remove)."""

    job_run_id: int | None = Field(description="the run's row in private.job_runs; null: dry run")
    dry_run: bool
    user_id: UUID | None = None
    counts: dict[str, int]


class ErasureReport(BaseModel):
    """Where a person's erasure stands: what each store removed and what is still there."""

    user_id: UUID
    status: Literal["pending", "verified"]
    attempts: int
    removed: dict[str, int] = Field(description="per store, items removed over every attempt")
    remaining: dict[str, int] = Field(description="per store, what verification still found")
    failed_steps: list[str] = Field(default_factory=list, description="stores the last try missed")
    requested_at: datetime
    verified_at: datetime | None = None


class UserExport(BaseModel):
    """Everything dotline holds of a person, store by store (GET /v1/me/export)."""

    user_id: UUID
    exported_at: datetime
    postgres: dict[str, list[dict[str, Any]]] = Field(
        description="per owned table (schema.table, found in the catalogue), the person's rows; "
        "vectors.items is the embedded vector store, exported without its vectors"
    )
    graph: Subgraph = Field(description="the person's whole graph: nodes and edges")
    cache: dict[str, Any] = Field(description="live state held in Redis, by key")


class ExportDownload(BaseModel):
    """An export too large to answer inline: a short-lived link to the document, stored in S3."""

    export_id: UUID
    download_url: str = Field(description="a presigned GET URL for the JSON document")
    expires_at: datetime = Field(description="when download_url stops working")
    size_bytes: int = Field(description="the document's size")
    exported_at: datetime
