"""A person's profile as the API shows it and the changes a person may make to it."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

MIN_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 1825
MAX_PREFERENCES_KEYS = 100

LanguageTag = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35)
]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
USERNAME_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{1,28}[A-Za-z0-9])$"
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
MAX_PICTURE_URL_CHARS = 2048


_NULLABLE = frozenset({"display_name", "username", "profile_picture_url"})


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


class Profile(BaseModel):
    """The caller's profile."""

    user_id: UUID
    email: str | None
    username: str | None
    display_name: str | None
    profile_picture_url: str | None
    timezone: str
    language: str
    preferences: dict[str, Any]
    data_retention_days: int
    region: str
    subscription_tier: str
    account_status: str
    growth_profile: dict[str, Any]
    persona_analysis: bool = Field(description="False: opted out of persona analysis")
    knowledge_graph_schema: dict[str, list[str]] | None = Field(
        description="The node labels and relationship types your graph uses (kept by ingestion "
        "and the insight cycle); null until your first conversation is ingested"
    )
    concepts_created_in_cycle: int = Field(
        description="Concepts you gained during the last insight cycle (counted when it ends)"
    )
    created_at: datetime
    updated_at: datetime
    last_active_at: datetime | None = Field(
        description="When you last made an authenticated request (kept to the minute)"
    )
    last_login_at: datetime | None = Field(
        description="When you last signed in (Supabase Auth's last sign-in; not a token refresh)"
    )


class DailyStats(BaseModel):
    """Your counts so far today (UTC): requests made and behaviour events recorded."""

    day: date = Field(description="The UTC day counted; the counts start from zero at midnight")
    requests: int = Field(description="Authenticated requests you made today")
    events: dict[str, int] = Field(description="Behaviour events recorded today, by action type")


class ProfileUpdate(BaseModel):
    """Fields a person may change; send only those to change (display_name null clears it)."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    username: Username | None = Field(
        default=None,
        description="3-30 letters, digits, '.', '_' or '-', starting and ending with a letter or "
        "digit; unique (409 when taken); null clears it",
    )
    profile_picture_url: str | None = Field(
        default=None,
        max_length=MAX_PICTURE_URL_CHARS,
        description="An https URL of at most 2,048 characters; null clears it",
    )
    timezone: str | None = Field(default=None, description="An IANA time zone, e.g. Europe/Paris")
    language: LanguageTag | None = Field(default=None, description="A BCP 47 tag, e.g. en or pt-BR")
    preferences: dict[str, Any] | None = Field(default=None, max_length=MAX_PREFERENCES_KEYS)
    data_retention_days: int | None = Field(
        default=None, ge=MIN_RETENTION_DAYS, le=MAX_RETENTION_DAYS, strict=True
    )
    persona_analysis: bool | None = Field(
        default=None, strict=True, description="false opts out of persona analysis (and blanks it)"
    )

    @field_validator("timezone")
    @classmethod
    def _known_time_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in _time_zones():
            raise ValueError("must be an IANA time zone such as 'Europe/Paris'")
        return value

    @field_validator("profile_picture_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname or any(ch.isspace() for ch in value):
            raise ValueError("must be an https URL")
        return value

    @model_validator(mode="after")
    def _something_to_change(self) -> ProfileUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for name in self.model_fields_set - _NULLABLE:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self
