"""Trophies: the derived artifact a completed challenge earns, one per challenge run."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from dotline.db import Transaction, jsonb
from dotline.models.challenges import Trophy

_RETURNING_TROPHY = (
    " returning artifact_id, title, description, source_entities, attributes, created_at"
)
_TROPHY_SELECT = (
    "select artifact_id, title, description, source_entities, attributes, created_at"
    " from public.derived_artifacts"
)


def award_trophy(
    tx: Transaction, user_id: UUID, challenge_id: UUID, template: dict[str, Any]
) -> Trophy:
    """Create the trophy for a challenge run (service transaction; call once per completion).

    A template's payload may carry {"trophy": {"title", "description", "display_type",
    "icon_path"}}; otherwise the template's name titles it.
    """
    spec = dict(template["payload"].get("trophy") or {})
    title = str(spec.pop("title", None) or template["name"])[:255]
    description = spec.pop("description", None) or f"Completed the challenge {template['name']}."
    attributes = {"display_type": "gold", **spec}
    attributes["challenge_template_id"] = str(template["challenge_template_id"])
    tx.execute(
        "insert into public.derived_artifacts"
        " (user_id, artifact_type, title, description, source_entities, attributes)"
        " values (%(user_id)s, 'trophy', %(title)s, %(description)s, %(sources)s, %(attributes)s)"
        " returning artifact_id, title, description, source_entities, attributes, created_at",
        {
            "user_id": user_id,
            "title": title,
            "description": str(description),
            "sources": jsonb(_challenge_source(challenge_id)),
            "attributes": jsonb(attributes),
        },
    )
    row = tx.fetchone()
    assert row is not None  # an insert returns its row
    return Trophy.model_validate(row)


def find_trophy(tx: Transaction, user_id: UUID, challenge_id: UUID) -> Trophy | None:
    """The trophy a challenge run earned, if any."""
    tx.execute(
        _TROPHY_SELECT + " where user_id = %(user_id)s and artifact_type = 'trophy'"
        " and source_entities @> %(sources)s order by created_at limit 1",
        {"user_id": user_id, "sources": jsonb(_challenge_source(challenge_id))},
    )
    row = tx.fetchone()
    return None if row is None else Trophy.model_validate(row)


def _challenge_source(challenge_id: UUID) -> list[dict[str, str]]:
    return [{"type": "challenge", "id": str(challenge_id)}]
