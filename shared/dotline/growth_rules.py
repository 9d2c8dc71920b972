"""The growth model as configuration: dimensions, deltas per action, card evolution thresholds.

The packaged `growth_config.json` is read once per container. A configuration may carry A/B
variants of the rules (seed 000, Design Principles 1): each person falls in one cohort by a hash
of their id, stable across versions, and a variant's cohort earns by the variant's rules. Redis may hold a newer version under
`config:growth` (V7: dimensions live in a seed file or Redis, never in a migration); the higher
version wins, and when Redis is down or holds something invalid the packaged file serves.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from dotline.errors import ServiceUnavailable
from dotline.ports.cache import Cache

logger = logging.getLogger(__name__)

OVERRIDE_KEY = "config:growth"
GREY = "#808080"
CONTROL = "control"  # the cohort no variant takes: the base rules
COHORT_BUCKETS = 100
_COHORT_SALT = b"dotline-growth-cohort:"

DimKey = Annotated[str, StringConstraints(pattern=r"^(self|world)_(know|act|show)$")]
Action = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Delta = Annotated[float, Field(allow_inf_nan=False)]  # the ledger refuses NaN and infinities


class Dimension(BaseModel):
    """One of the six growth dimensions as the UI shows it."""

    model_config = ConfigDict(frozen=True)

    key: DimKey
    label: str
    description: str
    color: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")


class EvolutionRule(BaseModel):
    """A card reaches `state` when it has at least these connections and positive dimensions."""

    model_config = ConfigDict(frozen=True)

    state: str = Field(pattern=r"^[a-z][a-z_]{0,31}$")
    min_connections: int = Field(default=0, ge=0)
    min_dimensions: int = Field(default=0, ge=0)


class Evolution(BaseModel):
    """Ordered evolution rules (the first a card meets wins) and the state of a card meeting none."""

    model_config = ConfigDict(frozen=True)

    rules: list[EvolutionRule]
    default: str = "seed"


class RuleVariant(BaseModel):
    """An A/B variant of the rules: its share of people earn by its rules (an action it names
    replaces the base rule for that action; the others keep the base)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    share_percent: int = Field(ge=0, le=100)
    rules: dict[Action, dict[DimKey, Delta]] = Field(default_factory=dict)


def cohort_bucket(user_id: UUID) -> int:
    """A person's bucket in [0, 100): a hash of their id alone, so it never moves."""
    digest = hashlib.sha256(_COHORT_SALT + user_id.bytes).digest()
    return int.from_bytes(digest[:8], "big") % COHORT_BUCKETS


class GrowthConfig(BaseModel):
    """A versioned growth configuration; a higher version supersedes a lower one."""

    model_config = ConfigDict(frozen=True)

    version: int = Field(ge=1)
    dimensions: list[Dimension] = Field(min_length=1)
    rules: dict[Action, dict[DimKey, Delta]]
    evolution: Evolution
    variants: list[RuleVariant] = Field(
        default_factory=list, description="Cohorts in order, each taking its share of buckets"
    )

    @model_validator(mode="after")
    def _variants_fit(self) -> GrowthConfig:
        names = [v.name for v in self.variants]
        if sum(v.share_percent for v in self.variants) > COHORT_BUCKETS:
            raise ValueError("variants: shares add up to more than 100 percent")
        if len(set(names)) != len(names) or CONTROL in names:
            raise ValueError(f"variants: names must be unique and not {CONTROL!r}")
        return self

    def variant_for(self, user_id: UUID) -> RuleVariant | None:
        """The variant whose share holds the person's bucket; None: the base rules (control)."""
        bucket, start = cohort_bucket(user_id), 0
        for variant in self.variants:
            if start <= bucket < start + variant.share_percent:
                return variant
            start += variant.share_percent
        return None

    def deltas(
        self, action: str, dim_keys: list[str] | None = None, variant: RuleVariant | None = None
    ) -> dict[str, float]:
        """The delta per dimension an action earns (only `dim_keys` when given; by the variant's
        rule when it has one for the action); {} if unknown."""
        if variant is not None and action in variant.rules:
            rule = variant.rules[action]
        else:
            rule = self.rules.get(action, {})
        if dim_keys is not None:
            return {dim: rule[dim] for dim in dim_keys if dim in rule}
        return dict(rule)

    def describe(self, dim_key: str) -> Dimension:
        """How to show a dimension (V7's grey placeholder for a key the configuration lacks)."""
        for dim in self.dimensions:
            if dim.key == dim_key:
                return dim
        return Dimension(
            key=dim_key, label=dim_key, description="Dimension description", color=GREY
        )

    def evolution_rules_json(self) -> list[dict[str, Any]]:
        """The evolution rules in the shape api.card_evolution() takes."""
        return [rule.model_dump() for rule in self.evolution.rules]


@lru_cache(maxsize=1)
def packaged_config() -> GrowthConfig:
    """The configuration shipped with the package (read once per container)."""
    text = resources.files("dotline").joinpath("growth_config.json").read_text(encoding="utf-8")
    return GrowthConfig.model_validate_json(text)


def current_config(cache: Cache) -> GrowthConfig:
    """The packaged configuration, or Redis's when it carries a higher version."""
    packaged = packaged_config()
    try:
        raw = cache.get_json(OVERRIDE_KEY)
        override = None if raw is None else GrowthConfig.model_validate(raw)
    except ServiceUnavailable:
        logger.warning("growth config override unreachable; using version %d", packaged.version)
        return packaged
    except ValueError:  # not JSON, or not a valid configuration (ValidationError)
        logger.warning("growth config override in %s is invalid; ignored", OVERRIDE_KEY)
        return packaged
    if override is None:
        return packaged
    return override if override.version > packaged.version else packaged


def publish_override(cache: Cache, config: GrowthConfig) -> None:
    """Store a configuration as the Redis override (no expiry); it wins if its version is higher."""
    cache.set_json(OVERRIDE_KEY, json.loads(config.model_dump_json()), ttl_s=None)
