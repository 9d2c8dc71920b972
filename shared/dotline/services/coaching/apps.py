"""The coaching app catalogue as a person sees it: active apps, their personality, their progress."""

from __future__ import annotations

from typing import Any

from dotline.auth import Principal
from dotline.db import Database, Transaction
from dotline.errors import NotFound
from dotline.models.coaching_apps import AppDetail, CatalogueApps, Progress, ProgressChange

# Paid tiers open every app; a free profile (or none) opens only apps without the requirement.
_LIST = """
select a.*, (not a.requires_subscription or coalesce(p.subscription_tier, 'free') <> 'free') as available
from public.apps a
left join public.profiles p on p.user_id = (select auth.uid())
where a.is_active
order by a.display_name, a.slug
"""

# The personality comes from private.personality_for: stable bucket, rollout, overlay merged.
_DETAIL = """
select a.*, (not a.requires_subscription or coalesce(p.subscription_tier, 'free') <> 'free') as available,
       (select (pf - 'schema') || jsonb_build_object('definition', pf -> 'schema')
        from private.personality_for(a.personality_schema_id, (select auth.uid())) as pf
        where pf is not null) as personality
from public.apps a
left join public.profiles p on p.user_id = (select auth.uid())
where (a.slug = %(app)s or a.app_id::text = lower(%(app)s)) and a.is_active
"""

_PROGRESS = """
select up.*
from public.apps a
left join public.user_progress up on up.app_id = a.app_id and up.user_id = (select auth.uid())
where (a.slug = %(app)s or a.app_id::text = lower(%(app)s)) and a.is_active
"""


def list_apps(db: Database, user: Principal) -> CatalogueApps:
    """Every active app, each saying whether the caller's subscription tier opens it."""
    with db.as_user(user) as tx:
        rows = tx.execute(_LIST).fetchall()
    return CatalogueApps.model_validate({"items": rows})


def get_app(db: Database, user: Principal, app: str) -> AppDetail:
    """One active app (by slug or id) with the caller's personality variant."""
    with db.as_user(user) as tx:
        row = _one_app_row(tx, _DETAIL, app)
    return AppDetail.model_validate(row)


def get_progress(db: Database, user: Principal, app: str) -> Progress:
    """The caller's progress in an active app; NotFound when the app or the progress is missing."""
    with db.as_user(user) as tx:
        row = _one_app_row(tx, _PROGRESS, app)
    if row["user_progress_id"] is None:
        raise NotFound("No progress in this app yet.")
    return Progress.model_validate(row)


# A person may start tracking an app by picking a focus; the pipeline keeps the rest.
_FOCUS = """
insert into public.user_progress as up (user_id, app_id, current_focus_area)
select (select auth.uid()), a.app_id, %(focus)s
from public.apps a
where (a.slug = %(app)s or a.app_id::text = lower(%(app)s)) and a.is_active
on conflict (user_id, app_id) do update set current_focus_area = excluded.current_focus_area
returning up.*
"""


def change_progress(db: Database, user: Principal, app: str, change: ProgressChange) -> Progress:
    """Set the caller's focus area in an active app (starting their progress there if need be)."""
    with db.as_user(user) as tx:
        row = tx.execute(_FOCUS, {"app": app, "focus": change.current_focus_area}).fetchone()
    if row is None:
        raise NotFound("No such app.")
    return Progress.model_validate(row)


def _one_app_row(tx: Transaction, query: str, app: str) -> dict[str, Any]:
    row = tx.execute(query, {"app": app}).fetchone()
    if row is None:
        raise NotFound("No such app.")
    return row
