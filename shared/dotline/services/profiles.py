"""Reading and changing the caller's own profile (row-level security scopes every query)."""

from __future__ import annotations

from dotline.auth import Principal
from dotline.db import Database, jsonb
from dotline.errors import NotFound
from dotline.models.profiles import Profile, ProfileUpdate

# API field -> profiles column, for the fields a person may change.
_UPDATABLE_COLUMNS = {
    "display_name": "display_name",
    "username": "username",
    "profile_picture_url": "profile_picture_url",
    "timezone": "timezone",
    "language": "language_preference",
    "preferences": "preferences",
    "data_retention_days": "data_retention_days",
    "persona_analysis": "persona_analysis_enabled",
}

_PROFILE_COLUMNS = (
    "user_id, email, username, display_name, profile_picture_url, timezone, language_preference as language, preferences, "
    "data_retention_days, region, subscription_tier, account_status, growth_profile, "
    "persona_analysis_enabled as persona_analysis, "
    "knowledge_graph_schema, concepts_created_in_cycle, "
    "created_at, updated_at, last_active_at, last_login_at"
)


def get_profile(db: Database, user: Principal) -> Profile:
    """The caller's profile; NotFound if Auth has no profile for them."""
    from psycopg import sql

    rows = db.fetch_as_user(
        user,
        sql.SQL("select {} from public.profiles where user_id = %(user_id)s").format(
            sql.SQL(_PROFILE_COLUMNS)
        ),
        {"user_id": user.user_id},
        read_only=True,
    )
    if not rows:
        raise NotFound("No profile exists for this user.")
    return Profile.model_validate(rows[0])


def update_profile(db: Database, user: Principal, change: ProfileUpdate) -> Profile:
    """Apply the fields the caller sent and return the profile as stored."""
    from psycopg import sql  # only a change composes its statement

    values = change.model_dump(include=change.model_fields_set)
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(_UPDATABLE_COLUMNS[name]), sql.Placeholder(name))
        for name in sorted(values)
    )
    if "preferences" in values:
        values["preferences"] = jsonb(values["preferences"])
    query = sql.SQL(
        "update public.profiles set {} where user_id = %(user_id)s returning {}"
    ).format(assignments, sql.SQL(_PROFILE_COLUMNS))
    with db.as_user(user) as tx:
        tx.execute(query, {**values, "user_id": user.user_id})
        row = tx.fetchone()
    if row is None:
        raise NotFound("No profile exists for this user.")
    return Profile.model_validate(row)
