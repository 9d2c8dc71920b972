"""The orb, the active scene and the graph viewport as the API shows and accepts them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Label = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")


class OrbUpdate(BaseModel):
    """The orb's new state, as a device or Dot sets it."""

    model_config = ConfigDict(extra="forbid")

    visual_state: str = Label
    emotional_tone: str = Label
    energy_level: float = Field(ge=0, le=1, allow_inf_nan=False)
    is_speaking: bool = False
    position: dict[str, float] | None = None
    effects: list[dict[str, Any]] = Field(default_factory=list, max_length=20)


class OrbState(OrbUpdate):
    """The orb's current state and when it was set."""

    model_config = ConfigDict(extra="ignore")

    updated_at: datetime


class SceneChange(BaseModel):
    """Move to another scene."""

    model_config = ConfigDict(extra="forbid")

    to: str = Label
    transition_type: str = Label
    focus_entity: dict[str, str] | None = None


class Scene(BaseModel):
    """The active scene and how it was reached."""

    scene: str | None
    previous: str | None = None
    transition_type: str | None = None
    focus_entity: dict[str, str] | None = None
    updated_at: datetime | None = None


class Viewport(BaseModel):
    """Where the graph visualisation is looking."""

    model_config = ConfigDict(extra="forbid")

    x: float = Field(allow_inf_nan=False)
    y: float = Field(allow_inf_nan=False)
    zoom: float = Field(gt=0, le=100)
    focus_node_id: str | None = Field(default=None, max_length=128)
