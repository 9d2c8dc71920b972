"""Editing the coaching catalogue (apps, personality schemas, knowledge): admins only.

Each use case checks the admin claim up front for a clear 403, and runs as the caller so the
tables' policies (private.has_admin_claim) refuse a non-admin too.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, Transaction, jsonb
from dotline.errors import Conflict, Forbidden, InvalidRequest, NotFound
from dotline.models.coaching_apps import (
    App,
    AppCreate,
    AppUpdate,
    KnowledgeBase,
    KnowledgeBaseCreate,
    KnowledgeBaseUpdate,
    KnowledgeEntry,
    KnowledgeEntryCreate,
    KnowledgeEntryUpdate,
    PersonalitySchema,
    PersonalitySchemaCreate,
    PersonalitySchemaUpdate,
)

# Seed 004 lifecycle: each status may only step to the next one.
NEXT_STATUS = {"draft": "testing", "testing": "active", "active": "archived"}

_SCHEMA_COLUMNS = (
    "personality_schema_id, schema_key, version, layer, parent_schema_id, "
    "schema as definition, status, rollout_percentage, ab_test_group, created_at, "
    "activated_at, archived_at"
)


def create_app(db: Database, user: Principal, body: AppCreate) -> App:
    """A new app."""
    with _as_admin(db, user) as tx:
        return App.model_validate(_insert(tx, "apps", body.model_dump(), "*"))


def update_app(db: Database, user: Principal, app_id: UUID, body: AppUpdate) -> App:
    """The app with the given fields changed; NotFound for an unknown id."""
    changes = _changes(body.model_dump(exclude_unset=True))
    with _as_admin(db, user) as tx:
        row = _update(tx, "apps", "app_id", app_id, changes, "*")
    return App.model_validate(row)


def create_personality_schema(
    db: Database, user: Principal, body: PersonalitySchemaCreate
) -> PersonalitySchema:
    """A new personality schema version, as a draft."""
    values = body.model_dump()
    values["schema"] = values.pop("definition")
    with _as_admin(db, user) as tx:
        row = _insert(tx, "personality_schemas", values, _SCHEMA_COLUMNS)
    return PersonalitySchema.model_validate(row)


def update_personality_schema(
    db: Database, user: Principal, schema_id: UUID, body: PersonalitySchemaUpdate
) -> PersonalitySchema:
    """The schema with its status stepped forward and/or rollout changed; Conflict for a status
    step out of order (draft → testing → active → archived)."""
    changes = _changes(body.model_dump(exclude_unset=True))
    if "definition" in changes:
        changes["schema"] = changes.pop("definition")
    with _as_admin(db, user) as tx:
        current = tx.execute(
            "select status from public.personality_schemas "
            "where personality_schema_id = %(id)s for update",
            {"id": schema_id},
        ).fetchone()
        if current is None:
            raise NotFound("No such personality schema.")
        _check_step(current["status"], changes.get("status"))
        row = _update(
            tx, "personality_schemas", "personality_schema_id", schema_id, changes, _SCHEMA_COLUMNS
        )
    return PersonalitySchema.model_validate(row)


def create_knowledge_base(
    db: Database, user: Principal, body: KnowledgeBaseCreate
) -> KnowledgeBase:
    """A new knowledge base, read by the given apps."""
    values = body.model_dump(exclude={"app_ids"})
    with _as_admin(db, user) as tx:
        row = _insert(tx, "knowledge_bases", values, "*")
        for app_id in body.app_ids:
            tx.execute(
                "insert into public.app_knowledge_bases (app_id, knowledge_base_id) "
                "values (%(app)s, %(base)s)",
                {"app": app_id, "base": row["knowledge_base_id"]},
            )
    return KnowledgeBase.model_validate({**row, "app_ids": body.app_ids})


def add_knowledge_entry(
    db: Database, user: Principal, base_id: UUID, body: KnowledgeEntryCreate
) -> KnowledgeEntry:
    """A new entry in a knowledge base; NotFound for an unknown base."""
    with _as_admin(db, user) as tx:
        base = tx.execute(
            "select 1 from public.knowledge_bases where knowledge_base_id = %(id)s", {"id": base_id}
        ).fetchone()
        if base is None:
            raise NotFound("No such knowledge base.")
        row = _insert(
            tx,
            "knowledge_entries",
            {**body.model_dump(), "knowledge_base_id": base_id},
            "*",
        )
    return KnowledgeEntry.model_validate(row)


def update_knowledge_base(
    db: Database, user: Principal, base_id: UUID, body: KnowledgeBaseUpdate
) -> KnowledgeBase:
    """The knowledge base with the given fields changed; NotFound for an unknown id."""
    changes = _changes(body.model_dump(exclude_unset=True))
    with _as_admin(db, user) as tx:
        row = _update(tx, "knowledge_bases", "knowledge_base_id", base_id, changes, "*")
        links = tx.execute(
            "select app_id from public.app_knowledge_bases where knowledge_base_id = %(id)s "
            "order by app_id",
            {"id": base_id},
        ).fetchall()
    return KnowledgeBase.model_validate({**row, "app_ids": [link["app_id"] for link in links]})


def update_knowledge_entry(
    db: Database, user: Principal, entry_id: UUID, body: KnowledgeEntryUpdate
) -> KnowledgeEntry:
    """The entry with the given fields changed (a new version when what it says changed);
    NotFound for an unknown id."""
    changes = _changes(body.model_dump(exclude_unset=True))
    with _as_admin(db, user) as tx:
        row = _update(tx, "knowledge_entries", "knowledge_entry_id", entry_id, changes, "*")
    return KnowledgeEntry.model_validate(row)


def _as_admin(db: Database, user: Principal) -> Any:
    if not user.is_admin:
        raise Forbidden("Only catalogue admins may change apps, personalities and knowledge.")
    return db.as_user(user)


def _check_step(current: str, wanted: str | None) -> None:
    if wanted is None or wanted == current or NEXT_STATUS.get(current) == wanted:
        return
    raise Conflict(
        f"A personality schema moves draft → testing → active → archived; "
        f"{current} cannot become {wanted}.",
        field="body.status",
    )


def _changes(values: dict[str, Any]) -> dict[str, Any]:
    if not values:
        error = {"field": "body", "message": "name at least one field to change"}
        raise InvalidRequest("body: name at least one field to change", errors=[error])
    return values


def _insert(tx: Transaction, table: str, values: dict[str, Any], returning: str) -> dict[str, Any]:
    from psycopg import sql

    query = sql.SQL("insert into public.{} ({}) values ({}) returning {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(map(sql.Placeholder, values)),
        sql.SQL(returning),
    )
    row = tx.execute(query, _adapted(values)).fetchone()
    assert row is not None  # insert ... returning always yields the row
    return row


def _update(
    tx: Transaction,
    table: str,
    key: str,
    key_value: UUID,
    values: dict[str, Any],
    returning: str,
) -> dict[str, Any]:
    from psycopg import sql

    query = sql.SQL("update public.{} set {} where {} = %(_key)s returning {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in values
        ),
        sql.Identifier(key),
        sql.SQL(returning),
    )
    row = tx.execute(query, {**_adapted(values), "_key": key_value}).fetchone()
    if row is None:
        raise NotFound("No such item.")
    return row


def _adapted(values: dict[str, Any]) -> dict[str, Any]:
    return {k: jsonb(v) if isinstance(v, dict) else v for k, v in values.items()}
