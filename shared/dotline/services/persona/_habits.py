"""Habits from persona statistics: lifestyle profile, learning style, interests' evolution and
cross-domain connections. Pure functions over private.persona_statistics().

Shares are rounded to three places and each section keeps, under `basis`, the counts it was
computed from, so a client (or a person asking "why?") can trace every figure.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from dotline.services.persona._skill_catalogue import domain_of, skill_name
from dotline.services.persona.skills import Skill

PARTS_OF_DAY = ("morning", "afternoon", "evening", "night")
TOP_INTERESTS = 10
# item_type -> learning format
FORMATS = {
    "video": "visual", "image": "visual", "card": "visual", "graph": "visual",
    "code": "hands-on", "exercise": "hands-on", "challenge": "hands-on", "project": "hands-on",
    "article": "text", "note": "text", "memory": "text", "document": "text", "book": "text",
    "reflection": "text", "audio": "auditory", "podcast": "auditory",
}  # fmt: skip
PRACTICE_ACTIONS = frozenset({"create", "edit", "complete", "practice", "submit", "build"})
CONSUME_ACTIONS = frozenset({"view", "read", "watch", "listen", "search", "open"})
SOCIAL_ACTIONS = frozenset({"share", "comment", "invite", "reply"})
MIN_FORMAT_SHARE = 0.1
MIN_CONNECTION_TOGETHER = 2


def shares(counts: dict[str, int]) -> dict[str, float]:
    """Each count's share of the total, rounded to 3 places (all 0.0 when there is nothing)."""
    total = sum(counts.values())
    return {key: round(value / total, 3) if total else 0.0 for key, value in counts.items()}


def lifestyle_profile(stats: dict[str, Any]) -> dict[str, Any]:
    """Interests, activity by part of day (the person's time zone), content preferences,
    interaction and social style."""
    part_counts = {part: stats["part_of_day"].get(part, 0) for part in PARTS_OF_DAY}
    content = {row["item_type"]: row["events"] for row in stats.get("content", [])}
    actions = {row["action_type"]: row["events"] for row in stats.get("actions", [])}
    interests = [row["tag"] for row in stats.get("tags", [])][:TOP_INTERESTS]
    social = sum(n for action, n in actions.items() if action in SOCIAL_ACTIONS)
    total_actions = sum(actions.values())
    return {
        "interests": interests,
        "activity_patterns": shares(part_counts),
        "content_preferences": shares(content),
        "interaction_style": _interaction_style(stats, actions),
        "social_patterns": ["collaborative"]
        if total_actions and social / total_actions >= 0.1
        else ["individual_work"],
        "basis": {
            "window": stats["window"],
            "events": stats["events"]["count"],
            "part_of_day_events": part_counts,
            "content_events": content,
            "action_events": actions,
            "sessions": stats.get("sessions", {}),
            "interest_evidence": {
                row["tag"]: row["memories"] + row["events"]
                for row in stats.get("tags", [])[:TOP_INTERESTS]
            },
            "parts_of_day": "morning 05-12, afternoon 12-17, evening 17-22, night 22-05 local",
        },
    }


def learning_style(stats: dict[str, Any], skills: list[Skill]) -> dict[str, Any]:
    """Preferred formats, attention span, complexity preference, practice/theory ratio."""
    formats: dict[str, int] = defaultdict(int)
    for row in stats.get("content", []):
        if row["item_type"] in FORMATS:
            formats[FORMATS[row["item_type"]]] += row["events"]
    format_shares = shares(dict(formats))
    actions = {row["action_type"]: row["events"] for row in stats.get("actions", [])}
    practice = sum(n for a, n in actions.items() if a in PRACTICE_ACTIONS)
    consume = sum(n for a, n in actions.items() if a in CONSUME_ACTIONS)
    median = stats["events"].get("median_duration_seconds")
    advanced = sum(1 for s in skills if s.level in ("advanced", "expert"))
    return {
        "preferred_formats": [
            f
            for f, share in sorted(format_shares.items(), key=lambda kv: -kv[1])
            if share >= MIN_FORMAT_SHARE
        ],
        "attention_span": None
        if median is None
        else "short"
        if median < 60
        else "medium"
        if median < 600
        else "long",
        "complexity_preference": _complexity(advanced, len(skills)),
        "practice_theory_ratio": round(practice / (practice + consume), 3)
        if practice + consume
        else None,
        "basis": {
            "format_events": dict(formats),
            "median_duration_seconds": median,
            "practice_events": practice,
            "consume_events": consume,
            "advanced_skills": advanced,
        },
    }


def interests_evolution(stats: dict[str, Any]) -> dict[str, Any]:
    """Top tags per month, and which interests are emerging or fading (last vs previous 28 days)."""
    months: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in stats.get("tag_months", []):
        months[row["month"]].append({"tag": row["tag"], "evidence": row["evidence"]})
    tags = stats.get("tags", [])
    return {
        "by_month": [{"month": m, "top": top} for m, top in sorted(months.items())],
        "emerging": [t["tag"] for t in tags if t["recent_28d"] >= 2 * (t["previous_28d"] + 1)],
        "fading": [t["tag"] for t in tags if t["previous_28d"] >= 2 * (t["recent_28d"] + 1)],
        "basis": {
            "window": stats["window"],
            "rule": "emerging: last 28 days >= 2 x (previous 28 + 1)",
        },
    }


def cross_domain_insights(stats: dict[str, Any]) -> dict[str, Any]:
    """Domains (or interests) that meet in the same memories, strongest first."""
    frequency = {row["tag"]: row["memories"] for row in stats.get("tags", [])}
    links: dict[tuple[str, str], int] = defaultdict(int)
    for pair in stats.get("tag_pairs", []):
        a, b = _area(pair["a"]), _area(pair["b"])
        if a != b:
            links[(min(a, b), max(a, b))] += pair["together"]
    connections = []
    for (a, b), together in sorted(links.items(), key=lambda kv: (-kv[1], kv[0])):
        if together < MIN_CONNECTION_TOGETHER:
            continue
        smaller = min(_area_frequency(a, frequency), _area_frequency(b, frequency)) or together
        connections.append(
            {
                "domain1": a,
                "domain2": b,
                "connection_type": "co_occurrence",
                "strength": round(min(1.0, together / smaller), 3),
                "memories_together": together,
            }
        )
    top = connections[:5]
    return {
        "connections": top,
        "project_potential": [
            f"A project combining {c['domain1']} and {c['domain2']}" for c in top
        ],
        "basis": {"rule": "strength = memories tagged with both / memories of the rarer side"},
    }


def _area(tag: str) -> str:
    return domain_of(tag) or skill_name(tag) or tag


def _area_frequency(area: str, frequency: dict[str, int]) -> int:
    return sum(n for tag, n in frequency.items() if _area(tag) == area)


def _interaction_style(stats: dict[str, Any], actions: dict[str, int]) -> str | None:
    total = sum(actions.values())
    if not total:
        return None
    median = stats["events"].get("median_duration_seconds")
    if actions.get("search", 0) / total >= 0.3:
        return "exploratory"
    if median is not None and median >= 120:
        return "focused_sessions"
    if median is not None and median < 30:
        return "quick_checks"
    return "balanced"


def _complexity(advanced: int, skills: int) -> str | None:
    if not skills:
        return None
    share = advanced / skills
    return "high" if share >= 0.5 else "moderate_to_high" if share >= 0.2 else "moderate"
