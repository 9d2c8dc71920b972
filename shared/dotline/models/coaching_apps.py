"""Coaching apps, their personality schemas and knowledge, as the catalogue API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$", max_length=64)]
SemVer = Annotated[str, Field(pattern=r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")]
Percent = Annotated[int, Field(ge=0, le=100)]
Domain = Literal["dating", "career", "health", "finance", "relationships", "general"]
Status = Literal["draft", "testing", "active", "archived"]
HttpsUrl = Annotated[str, Field(pattern=r"^https://", max_length=2048)]
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
LongText = Annotated[str, Field(min_length=1, max_length=20_000, pattern=r"\S")]


class App(BaseModel):
    """A coaching app as stored."""

    app_id: UUID
    slug: str
    display_name: str
    domain: str
    personality_schema_id: UUID | None
    is_active: bool
    requires_subscription: bool
    description: str | None
    icon_url: str | None
    app_store_url: str | None


class CatalogueApp(App):
    """An app in the catalogue, with whether the caller's subscription tier opens it."""

    available: bool = Field(description="False when the app needs a paid tier the caller lacks")


class CatalogueApps(BaseModel):
    """The active apps, by display name."""

    items: list[CatalogueApp]


class Personality(BaseModel):
    """The personality version one person gets; an overlay comes merged on its base."""

    personality_schema_id: UUID
    schema_key: str
    version: str
    layer: str
    status: str
    rollout_percentage: int
    ab_test_group: str | None
    parent_schema_id: UUID | None
    definition: dict[str, Any] = Field(description="The schema JSON (overlay merged on its base)")


class AppDetail(CatalogueApp):
    """One app with the personality variant the caller gets (null when it has none)."""

    personality: Personality | None


class Progress(BaseModel):
    """The caller's progress in one app."""

    user_progress_id: UUID
    app_id: UUID
    progress_data: dict[str, Any]
    milestones_reached: list[str]
    current_focus_area: str | None
    total_conversations: int
    total_messages: int
    started_at: datetime
    updated_at: datetime


class ProgressChange(BaseModel):
    """What a person sets in their own progress: the focus area their coach works on."""

    model_config = ConfigDict(extra="forbid")

    current_focus_area: Text | None = Field(
        description="what to work on now, e.g. 'pacing long runs' (null clears it)"
    )


class AppCreate(BaseModel):
    """A new coaching app (admins only)."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    display_name: Text
    domain: Domain
    personality_schema_id: UUID | None = None
    is_active: bool = True
    requires_subscription: bool = False
    description: LongText | None = None
    icon_url: HttpsUrl | None = None
    app_store_url: HttpsUrl | None = None


class AppUpdate(BaseModel):
    """Changes to an app (admins only); fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    display_name: Text | None = None
    domain: Domain | None = None
    personality_schema_id: UUID | None = None
    is_active: bool | None = None
    requires_subscription: bool | None = None
    description: LongText | None = None
    icon_url: HttpsUrl | None = None
    app_store_url: HttpsUrl | None = None


class PersonalitySchema(BaseModel):
    """A personality schema version as stored (its own JSON, not merged)."""

    personality_schema_id: UUID
    schema_key: str
    version: str
    layer: str
    parent_schema_id: UUID | None
    definition: dict[str, Any]
    status: Status
    rollout_percentage: int
    ab_test_group: str | None
    created_at: datetime
    activated_at: datetime | None
    archived_at: datetime | None


class PersonalitySchemaCreate(BaseModel):
    """A new personality schema version; it starts as a draft."""

    model_config = ConfigDict(extra="forbid")

    schema_key: Slug
    version: SemVer
    layer: Literal["base", "overlay"]
    parent_schema_id: UUID | None = Field(default=None, validate_default=True)
    definition: dict[str, Any]
    rollout_percentage: Percent = 0
    ab_test_group: Annotated[str, Field(min_length=1, max_length=64)] | None = None

    @field_validator("parent_schema_id")
    @classmethod
    def _overlay_has_parent(cls, value: UUID | None, info: ValidationInfo) -> UUID | None:
        if (info.data.get("layer") == "overlay") != (value is not None):
            raise ValueError("an overlay needs a parent_schema_id and a base must not have one")
        return value


class PersonalitySchemaUpdate(BaseModel):
    """A status step (draft → testing → active → archived) and/or rollout changes."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    rollout_percentage: Percent | None = None
    ab_test_group: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    definition: dict[str, Any] | None = None


class KnowledgeBase(BaseModel):
    """A knowledge base as stored, with the apps that read it."""

    knowledge_base_id: UUID
    slug: str
    title: str
    description: str | None
    owner_org: str
    version: str
    is_active: bool
    entry_count: int
    app_ids: list[UUID]


class KnowledgeBaseCreate(BaseModel):
    """A new knowledge base (admins only), optionally linked to apps."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    title: Text
    description: LongText | None = None
    owner_org: Text = "oriva"
    version: SemVer = "1.0.0"
    is_active: bool = True
    app_ids: Annotated[list[UUID], Field(max_length=50)] = []


class KnowledgeBaseUpdate(BaseModel):
    """Changes to a knowledge base (admins only): a new version string, or deactivation
    (`is_active: false` leaves every search); fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: Text | None = None
    description: LongText | None = None
    version: SemVer | None = None
    is_active: bool | None = None


class KnowledgeEntry(BaseModel):
    """One knowledge entry as stored."""

    knowledge_entry_id: UUID
    knowledge_base_id: UUID
    title: str
    content: str
    category: str | None
    tags: list[str]
    section_number: int | None
    metadata: dict[str, Any]
    is_active: bool = True
    version: int = Field(
        default=1, description="Moves by one with each change of what the entry says"
    )
    vector_store_id: str | None = Field(
        default=None, description="Its item in the vector index, once embedded"
    )


class KnowledgeEntryCreate(BaseModel):
    """A new entry in a knowledge base (admins only)."""

    model_config = ConfigDict(extra="forbid")

    title: Text
    content: LongText
    category: Text | None = None
    tags: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=50)
    ] = []
    section_number: Annotated[int, Field(ge=0)] | None = None
    metadata: dict[str, Any] = {}


class KnowledgeEntryUpdate(BaseModel):
    """Changes to an entry (admins only): a change of what it says is a new version;
    `is_active: false` deactivates it. Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: Text | None = None
    content: LongText | None = None
    category: Text | None = None
    tags: (
        Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=50)]
        | None
    ) = None
    section_number: Annotated[int, Field(ge=0)] | None = None
    metadata: dict[str, Any] | None = None
    is_active: bool | None = None
