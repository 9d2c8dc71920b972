"""The caller's proactive prompts: the active ones (pending or shown), acting on one, dismissing one.

Settling a prompt also settles its card (acted → completed, dismissed → archive), in the same
transaction under row-level security; the card change reaches the cards channel through the
outbox. Repeating the same action is a no-op; the other action on a settled prompt is a conflict.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import Conflict, NotFound
from dotline.models.insights import ACTIVE_PROMPT_STATUSES, Prompt, PromptPage
from dotline.tables import Keyset

CURSOR_KIND = "prompts_recent"
_COLUMNS = "prompt_id, prompt_text, source_agent, status, metadata, created_at, updated_at"
_CARD_STATUS = {"acted": "completed", "dismissed": "active_archive"}
_NEWEST = Keyset(CURSOR_KIND, Prompt, "prompt_id", _COLUMNS, "public.proactive_prompts")


def list_active_prompts(
    db: Database, user: Principal, cursor: str | None, limit: int
) -> PromptPage:
    """The caller's pending and shown prompts, newest first, keyset-paged."""
    params = {"user_id": user.user_id, "active": list(ACTIVE_PROMPT_STATUSES)}
    with db.as_user(user) as tx:
        items, next_cursor = _NEWEST.page(
            tx,
            ["user_id = %(user_id)s", "status = any(%(active)s)"],
            params,
            limit=limit,
            cursor=cursor,
        )
    return PromptPage(items=items, next_cursor=next_cursor)


def settle_prompt(
    db: Database, user: Principal, prompt_id: UUID, outcome: Literal["acted", "dismissed"]
) -> Prompt:
    """Act on or dismiss one of the caller's active prompts (and settle its card)."""
    from psycopg import sql

    with db.as_user(user) as tx:
        tx.execute(
            sql.SQL(
                "select {} from public.proactive_prompts where prompt_id = %(id)s for update"
            ).format(sql.SQL(_COLUMNS)),
            {"id": prompt_id},
        )
        row = tx.fetchone()
        if row is None:
            raise NotFound("No such prompt.")
        if row["status"] == outcome:
            return Prompt.model_validate(row)
        if row["status"] not in ACTIVE_PROMPT_STATUSES:
            raise Conflict(f"This prompt was already {row['status']}.", prompt_status=row["status"])
        tx.execute(
            sql.SQL(
                "update public.proactive_prompts set status = %(status)s"
                " where prompt_id = %(id)s returning {}"
            ).format(sql.SQL(_COLUMNS)),
            {"id": prompt_id, "status": outcome},
        )
        settled = tx.fetchone()
        tx.execute(
            "update public.cards set status = %(card_status)s"
            " where source_entity_type = 'prompt' and source_entity_id = %(id)s",
            {"id": prompt_id, "card_status": _CARD_STATUS[outcome]},
        )
    return Prompt.model_validate(settled)
