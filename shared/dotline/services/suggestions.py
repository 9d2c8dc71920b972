"""Suggestions: generated from a persona and its tag clusters, listed, dismissed, acted upon.

Generation is idempotent: each suggestion has a key (type:subject) unique per person, so a
re-run refreshes an open suggestion in place and never revives a dismissed or acted-upon one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, Transaction, jsonb
from dotline.errors import NotFound
from dotline.models.suggestions import Suggestion, SuggestionPage
from dotline.services.persona.skills import LEVEL_THRESHOLDS, Skill
from dotline.tables import Keyset

LIFETIME = timedelta(days=14)
MIN_CLUSTER_SIZE_FOR_PATH = 3
_NEXT_LEVEL = {a[0]: b[0] for a, b in pairwise(LEVEL_THRESHOLDS)}

_COLUMNS = (
    "suggestion_id, suggestion_type, title, content, metadata,"
    " priority_score::float8 as priority_score, is_dismissed, is_acted_upon, expires_at,"
    " created_at, updated_at"
)
_UPSERT = """
insert into public.suggestions (user_id, suggestion_key, suggestion_type, title, content, metadata,
                                priority_score, expires_at)
values (%(user_id)s, %(key)s, %(type)s, %(title)s, %(content)s, %(metadata)s, %(priority)s,
        %(expires_at)s)
on conflict on constraint suggestions_user_key_unique do update
  set title = excluded.title, content = excluded.content, metadata = excluded.metadata,
      priority_score = excluded.priority_score, expires_at = excluded.expires_at
  where not suggestions.is_dismissed and not suggestions.is_acted_upon
"""
_ACTIVE = "not is_dismissed and (expires_at is null or expires_at > now())"
_BY_PRIORITY = Keyset(
    "suggestions.priority", Suggestion, "suggestion_id", _COLUMNS, "public.suggestions",
    sort_key="coalesce(priority_score, -1)", sort_type="numeric",
)  # fmt: skip
# Generated, still open, and not proposed by this run: the persona moved on, so they end now.
_RETIRE = """
update public.suggestions set expires_at = now()
where user_id = %(user_id)s and suggestion_key is not null and not is_dismissed
  and not is_acted_upon and (expires_at is null or expires_at > now())
  and not (suggestion_key = any(%(keys)s))
"""
# {column} is is_dismissed or is_acted_upon, never input.
_MARK = (
    f"update public.suggestions set {{column}} = true where suggestion_id = %(id)s and {_ACTIVE}"  # noqa: S608
    f" returning {_COLUMNS}"
)


def propose(
    skills: list[Skill], insights: dict[str, Any], clusters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The suggestions a persona warrants, before they are stored (key, type, text, priority)."""
    proposals = []
    for skill in skills:
        if skill.trend == "decreasing":
            proposals.append(_proposal(
                f"skill_development:{skill.name.lower()}", "skill_development",
                f"Pick {skill.name} back up",
                f"You worked on {skill.name} less in the last four weeks than before "
                f"({skill.recent_28d} vs {skill.previous_28d}); a short session keeps it fresh.",
                0.3 + 0.4 * min(1.0, skill.previous_28d / 20),
                {"skill_areas": [skill.name], "basis": skill.basis()},
            ))  # fmt: skip
        elif skill.level in _NEXT_LEVEL and skill.velocity > 0:
            proposals.append(_proposal(
                f"learning_path:{skill.name.lower()}", "learning_path",
                f"Take {skill.name} from {skill.level} to {_NEXT_LEVEL[skill.level]}",
                f"{skill.name} is {skill.trend} for you ({skill.recent_28d} in the last four "
                f"weeks); keep the momentum with a focused path.",
                0.4 + 0.5 * skill.velocity,
                {"skill_areas": [skill.name], "current_level": skill.level,
                 "next_level": _NEXT_LEVEL[skill.level], "basis": skill.basis()},
            ))  # fmt: skip
    for link in insights.get("connections", []):
        a, b = link["domain1"], link["domain2"]
        related = [c["name"] for c in clusters if {a.lower(), b.lower()} & set(c["members"])]
        proposals.append(_proposal(
            f"project_idea:{a.lower()}+{b.lower()}", "project_idea",
            f"Build something that joins {a} and {b}",
            f"{link['memories_together']} of your memories touch both {a} and {b}: a small "
            "project could bring them together.",
            0.3 + 0.6 * link["strength"],
            {"skill_areas": [a, b], "related_clusters": related, "basis": link},
        ))  # fmt: skip
    for cluster in clusters:
        if cluster["size"] >= MIN_CLUSTER_SIZE_FOR_PATH:
            proposals.append(_proposal(
                f"learning_path:cluster:{cluster['name']}", "learning_path",
                f"Go deeper into {cluster['name']}",
                f"{cluster['size']} of your tags form a theme around {cluster['name']}: "
                + ", ".join(cluster["members"][:5]) + ".",
                0.2 + 0.5 * cluster["cohesion"],
                {"related_clusters": [cluster["name"]], "basis": cluster},
            ))  # fmt: skip
    return proposals


def store(
    tx: Transaction, user_id: UUID, proposals: list[dict[str, Any]], now: datetime, run_id: UUID
) -> int:
    """Upsert the proposals by key (dismissed and acted-upon ones stay as they are) and retire
    open generated suggestions this run no longer warrants."""
    for proposal in proposals:
        proposal["metadata"]["run_id"] = str(run_id)
        tx.execute(
            _UPSERT,
            {
                **proposal,
                "user_id": user_id,
                "metadata": jsonb(proposal["metadata"]),
                "expires_at": now + LIFETIME,
            },
        )
    tx.execute(_RETIRE, {"user_id": user_id, "keys": [p["key"] for p in proposals]})
    return len(proposals)


def list_active(db: Database, user: Principal, *, limit: int, cursor: str | None) -> SuggestionPage:
    """The caller's undismissed, unexpired suggestions by priority, then newest."""
    with db.as_user(user) as tx:
        items, next_cursor = _BY_PRIORITY.page(tx, [_ACTIVE], {}, limit=limit, cursor=cursor)
    return SuggestionPage(items=items, next_cursor=next_cursor)


def dismiss(db: Database, user: Principal, suggestion_id: UUID) -> Suggestion:
    """Dismiss an active suggestion of the caller's (again: no change); NotFound otherwise."""
    return _mark(db, user, suggestion_id, "is_dismissed")


def act_upon(db: Database, user: Principal, suggestion_id: UUID) -> Suggestion:
    """Record that the caller acted on an active suggestion (repeatable); NotFound otherwise."""
    return _mark(db, user, suggestion_id, "is_acted_upon")


def _mark(db: Database, user: Principal, suggestion_id: UUID, column: str) -> Suggestion:
    with db.as_user(user) as tx:
        row = tx.execute(_MARK.format(column=column), {"id": suggestion_id}).fetchone()
        if row is None and column == "is_dismissed":
            row = tx.execute(
                f"select {_COLUMNS} from public.suggestions"  # noqa: S608 - constant columns
                " where suggestion_id = %(id)s and is_dismissed",
                {"id": suggestion_id},
            ).fetchone()
    if row is None:
        raise NotFound("No such active suggestion.")
    return Suggestion.model_validate(row)


def _proposal(
    key: str, kind: str, title: str, content: str, priority: float, metadata: dict[str, Any]
) -> dict[str, Any]:
    return {
        "key": key[:200],
        "type": kind,
        "title": title[:200],
        "content": content,
        "priority": round(min(1.0, max(0.0, priority)), 3),
        "metadata": metadata,
    }
