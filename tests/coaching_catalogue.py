"""Seeding the coaching catalogue (apps, personalities, knowledge) as the superuser, for tests."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def slug(prefix: str) -> str:
    """A slug no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def add_app(
    pg: psycopg.Connection[Any],
    *,
    personality: dict[str, Any] | None = None,
    is_active: bool = True,
    display_name: str = "Coach Kit",
) -> tuple[str, str]:
    """An app (with a fully rolled-out base personality when given): (app_id, slug)."""
    schema_id = None
    if personality is not None:
        row = pg.execute(
            "insert into personality_schemas (schema_key, version, layer, schema, status, "
            "rollout_percentage) values (%s, '1.0.0', 'base', %s, 'active', 100) "
            "returning personality_schema_id",
            (slug("ps"), Jsonb(personality)),
        ).fetchone()
        assert row is not None
        schema_id = row[0]
    app_slug = slug("app")
    row = pg.execute(
        "insert into apps (slug, display_name, domain, personality_schema_id, is_active) "
        "values (%s, %s, 'health', %s, %s) returning app_id",
        (app_slug, display_name, schema_id, is_active),
    ).fetchone()
    assert row is not None
    return str(row[0]), app_slug


def add_knowledge_base(
    pg: psycopg.Connection[Any],
    app_id: str,
    entries: list[tuple[str, str]],
    *,
    is_active: bool = True,
) -> list[str]:
    """A knowledge base the app reads, with (title, content) entries: their ids, in order."""
    row = pg.execute(
        "insert into knowledge_bases (slug, title, is_active) values (%s, 'Training notes', %s) "
        "returning knowledge_base_id",
        (slug("kb"), is_active),
    ).fetchone()
    assert row is not None
    base_id = row[0]
    pg.execute(
        "insert into app_knowledge_bases (app_id, knowledge_base_id) values (%s, %s)",
        (app_id, base_id),
    )
    ids = []
    for title, content in entries:
        entry = pg.execute(
            "insert into knowledge_entries (knowledge_base_id, title, content) values (%s, %s, %s) "
            "returning knowledge_entry_id",
            (base_id, title, content),
        ).fetchone()
        assert entry is not None
        ids.append(str(entry[0]))
    return ids


def access_counts(pg: psycopg.Connection[Any], entry_ids: list[str]) -> list[int]:
    """Each entry's access_count, in the order given."""
    rows = dict(
        pg.execute(
            "select knowledge_entry_id::text, access_count from knowledge_entries "
            "where knowledge_entry_id = any(%s::uuid[])",
            (entry_ids,),
        ).fetchall()
    )
    return [int(rows[i]) for i in entry_ids]
