"""Skills from persona statistics: evidence per skill area, level, velocity and trend, milestones,
the technical profile and the life phase. Pure functions over private.persona_statistics().

Every figure is counted from the person's own tags (memories carrying them, events about them)
and concepts, and each result keeps the counts it was computed from.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from dotline.services.persona._skill_catalogue import (
    LANGUAGES,
    SKILL_CONCEPT_TYPES,
    TOOLS,
    normalise,
    skill_name,
)

# Evidence (memories + events) a skill area needs to reach each level.
LEVEL_THRESHOLDS = (("beginner", 1), ("intermediate", 10), ("advanced", 30), ("expert", 75))
LEVEL_RANK = {name: rank for rank, (name, _) in enumerate(LEVEL_THRESHOLDS, start=1)}
# Evidence per 28 days that counts as full learning speed (velocity 1.0).
FULL_VELOCITY_PER_28D = 20
TREND_RATIO = 1.25  # recent vs previous 28 days (each +1) beyond this is a trend
CONCEPT_EVIDENCE = 3  # a skill concept counts as this much evidence
MAX_SKILLS = 30


@dataclass
class Skill:
    """One skill area and the evidence behind it."""

    name: str
    kind: str  # language, tool or domain
    memories: int = 0
    events: int = 0
    concepts: int = 0
    recent_28d: int = 0
    previous_28d: int = 0
    last_at: str | None = None
    tags: set[str] = field(default_factory=set)

    @property
    def evidence(self) -> int:
        return self.memories + self.events + CONCEPT_EVIDENCE * self.concepts

    @property
    def level(self) -> str:
        return level_for(self.evidence)

    @property
    def velocity(self) -> float:
        return round(min(1.0, self.recent_28d / FULL_VELOCITY_PER_28D), 3)

    @property
    def trend(self) -> str:
        ratio = (self.recent_28d + 1) / (self.previous_28d + 1)
        if ratio >= TREND_RATIO:
            return "increasing"
        if ratio <= 1 / TREND_RATIO:
            return "decreasing"
        return "stable"

    def basis(self) -> dict[str, Any]:
        return {
            "memories": self.memories,
            "events": self.events,
            "concepts": self.concepts,
            "recent_28d": self.recent_28d,
            "previous_28d": self.previous_28d,
            "tags": sorted(self.tags),
        }


def level_for(evidence: int) -> str:
    """The highest level whose threshold the evidence reaches (beginner from the first piece)."""
    reached = "beginner"
    for name, threshold in LEVEL_THRESHOLDS:
        if evidence >= threshold:
            reached = name
    return reached


def skills_from(stats: dict[str, Any]) -> list[Skill]:
    """Skill areas named by the person's tags and skill concepts, most evidenced first."""
    skills: dict[str, Skill] = {}
    for row in stats.get("tags", []):
        name = skill_name(row["tag"])
        if name is None:
            continue
        skill = skills.setdefault(name, Skill(name, _kind(row["tag"])))
        skill.memories += row["memories"]
        skill.events += row["events"]
        skill.recent_28d += row["recent_28d"]
        skill.previous_28d += row["previous_28d"]
        skill.last_at = max(filter(None, [skill.last_at, row["last_at"]]), default=None)
        skill.tags.add(row["tag"])
    for concept in stats.get("concepts", []):
        if concept["type"].lower() not in SKILL_CONCEPT_TYPES:
            continue
        name = skill_name(concept["name"]) or concept["name"].strip()[:100]
        skills.setdefault(name, Skill(name, _kind(concept["name"]))).concepts += 1
    ranked = sorted(skills.values(), key=lambda s: (-s.evidence, s.name))
    return ranked[:MAX_SKILLS]


def milestones(skill: Skill, stats: dict[str, Any]) -> list[dict[str, Any]]:
    """The day the skill's running evidence first reached each level (from tag_days)."""
    per_day: dict[str, int] = defaultdict(int)
    for row in stats.get("tag_days", []):
        if row["tag"] in skill.tags:
            per_day[row["day"]] += row["evidence"]
    reached, total = [], 0
    pending = list(LEVEL_THRESHOLDS)
    for day in sorted(per_day):
        total += per_day[day]
        while pending and total >= pending[0][1]:
            level, threshold = pending.pop(0)
            reached.append(
                {"date": day, "level": level, "achievement": f"evidence reached {threshold}"}
            )
    return reached


def technical_profile(skills: list[Skill], window: dict[str, Any]) -> dict[str, Any]:
    """The seed's technical_profile: languages, levels, domains, tools, velocity with trend."""
    return {
        "primary_languages": [s.name for s in skills if s.kind == "language"][:5],
        "skill_levels": {s.name: s.level for s in skills},
        "domains": [s.name for s in skills if s.kind == "domain"],
        "tools": [s.name for s in skills if s.kind == "tool"],
        "learning_velocity": [
            {"domain": s.name, "velocity": s.velocity, "trend": s.trend} for s in skills
        ],
        "basis": {
            "window": window,
            "evidence": {s.name: s.basis() for s in skills},
            "rule": "level by evidence (memories + events + 3 per skill concept): "
            + ", ".join(f"{name} >= {n}" for name, n in LEVEL_THRESHOLDS)
            + f"; velocity = evidence in the last 28 days / {FULL_VELOCITY_PER_28D}",
        },
    }


def life_phase(skills: list[Skill]) -> tuple[str | None, float | None, dict[str, Any]]:
    """early_career, mid_career or experienced from the mean level of the skills, with a
    confidence that grows with the number of skills and the evidence behind them."""
    if not skills:
        return None, None, {"skills": 0}
    mean_rank = sum(LEVEL_RANK[s.level] for s in skills) / len(skills)
    phase = (
        "early_career" if mean_rank < 1.8 else "mid_career" if mean_rank < 2.8 else "experienced"
    )
    evidence = sum(s.evidence for s in skills)
    confidence = round(min(0.95, 0.2 + 0.15 * len(skills)) * min(1.0, evidence / 50), 2)
    return (
        phase,
        confidence,
        {"skills": len(skills), "mean_level_rank": round(mean_rank, 2), "evidence": evidence},
    )


def _kind(tag: str) -> str:
    key = normalise(tag)
    if key in LANGUAGES:
        return "language"
    if key in TOOLS:
        return "tool"
    return "domain"
