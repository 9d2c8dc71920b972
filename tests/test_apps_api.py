"""The coaching app catalogue and its admin routes through the real gateway."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.types.json import Jsonb

from coaching_catalogue import add_app, slug

ADMIN = {"role": "admin"}


def add_schema(
    pg: psycopg.Connection[Any],
    key: str,
    version: str,
    schema: dict[str, Any],
    *,
    rollout: int = 100,
    parent: str | None = None,
) -> str:
    """An active personality schema version (an overlay when parent is given): its id."""
    row = pg.execute(
        "insert into personality_schemas (schema_key, version, layer, parent_schema_id, schema, "
        "status, rollout_percentage) values (%s, %s, %s, %s, %s, 'active', %s) "
        "returning personality_schema_id::text",
        (key, version, "overlay" if parent else "base", parent, Jsonb(schema), rollout),
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_catalogue_lists_active_apps_and_honours_the_subscription_tier(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    free, premium = make_user(), make_user()
    pg.execute(
        "update profiles set subscription_tier = 'premium' where user_id = %s", (premium.user_id,)
    )
    open_id, _ = add_app(pg)
    paid_id, _ = add_app(pg)
    pg.execute("update apps set requires_subscription = true where app_id = %s", (paid_id,))
    retired_id, _ = add_app(pg, is_active=False)

    def availability(user: Any) -> dict[str, bool]:
        response = api.get("/v1/apps", headers=user.headers)
        assert response.status_code == 200, response.text
        return {a["app_id"]: a["available"] for a in response.json()["items"]}

    free_view, premium_view = availability(free), availability(premium)
    assert (free_view[open_id], free_view[paid_id]) == (True, False)
    assert (premium_view[open_id], premium_view[paid_id]) == (True, True)
    assert retired_id not in free_view


def test_app_detail_returns_an_overlay_merged_on_its_base_and_progress_is_the_callers(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    key = slug("ps")
    base = add_schema(pg, key, "1.0.0", {"tone": "warm", "rules": ["listen"]}, rollout=0)
    overlay = add_schema(pg, key, "1.1.0", {"tone": "playful"}, parent=base)
    app_id, app_slug = add_app(pg)
    pg.execute("update apps set personality_schema_id = %s where app_id = %s", (overlay, app_id))
    pg.execute(
        "insert into user_progress (user_id, app_id, total_messages) values (%s, %s, 7)",
        (user.user_id, app_id),
    )

    detail = api.get(f"/v1/apps/{app_slug}", headers=user.headers)
    progress = api.get(f"/v1/apps/{app_id}/progress", headers=user.headers)
    stranger = api.get(f"/v1/apps/{app_slug}/progress", headers=make_user().headers)

    assert detail.status_code == 200, detail.text
    personality = detail.json()["personality"]
    assert personality["personality_schema_id"] == overlay
    assert personality["definition"] == {"tone": "playful", "rules": ["listen"]}
    assert progress.status_code == 200, progress.text
    assert progress.json()["total_messages"] == 7
    assert stranger.status_code == 404


def admin_requests(ids: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("POST", "/v1/admin/apps", {"slug": slug("app"), "display_name": "X", "domain": "health"}),
        ("PATCH", f"/v1/admin/apps/{ids['app']}", {"display_name": "Hacked"}),
        (
            "POST",
            "/v1/admin/personality-schemas",
            {"schema_key": slug("ps"), "version": "1.0.0", "layer": "base", "definition": {}},
        ),
        ("PATCH", f"/v1/admin/personality-schemas/{ids['schema']}", {"status": "archived"}),
        ("POST", "/v1/admin/knowledge-bases", {"slug": slug("kb"), "title": "Kb"}),
        (
            "POST",
            f"/v1/admin/knowledge-bases/{ids['base']}/entries",
            {"title": "T", "content": "C"},
        ),
    ]


def test_non_admin_gets_403_on_every_admin_route_and_changes_nothing(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user(app_metadata={"role": "member"})
    key = slug("ps")
    schema_id = add_schema(pg, key, "1.0.0", {"tone": "calm"})
    app_id, _ = add_app(pg)
    base = pg.execute(
        "insert into knowledge_bases (slug, title) values (%s, 'K') returning knowledge_base_id::text",
        (slug("kb"),),
    ).fetchone()
    assert base is not None
    before = snapshot(pg)

    for method, path, body in admin_requests({"app": app_id, "schema": schema_id, "base": base[0]}):
        response = api.request(method, path, json=body, headers=user.headers)
        assert response.status_code == 403, (method, path, response.text)

    assert snapshot(pg) == before


def snapshot(pg: psycopg.Connection[Any]) -> tuple[Any, ...]:
    row = pg.execute(
        "select (select count(*) from apps), (select md5(string_agg(display_name, ',' order by app_id)) from apps), "
        "(select count(*) from personality_schemas), "
        "(select string_agg(status, ',' order by personality_schema_id) from personality_schemas), "
        "(select count(*) from knowledge_bases), (select count(*) from knowledge_entries)"
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_database_policies_refuse_a_non_admin_even_without_the_api(
    make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    claims = f'{{"sub": "{user.user_id}", "role": "authenticated", "app_metadata": {{}}}}'

    with pytest.raises(psycopg.errors.InsufficientPrivilege), pg.transaction():
        pg.execute("select set_config('request.jwt.claims', %s, true)", (claims,))
        pg.execute("set local role authenticated")
        pg.execute(
            "insert into apps (slug, display_name, domain) values (%s, 'X', 'health')",
            (slug("app"),),
        )


def test_admin_creates_an_app_and_steps_a_schema_through_its_lifecycle(
    api: httpx.Client, make_user: Any
) -> None:
    admin = make_user(app_metadata=ADMIN)
    key = slug("ps")

    schema = api.post(
        "/v1/admin/personality-schemas",
        json={
            "schema_key": key,
            "version": "1.0.0",
            "layer": "base",
            "definition": {"tone": "warm"},
            "rollout_percentage": 100,
        },
        headers=admin.headers,
    )
    assert schema.status_code == 201, schema.text
    schema_id = schema.json()["personality_schema_id"]
    assert schema.json()["status"] == "draft"
    created = api.post(
        "/v1/admin/apps",
        json={
            "slug": slug("app"),
            "display_name": "Hugo Run",
            "domain": "health",
            "personality_schema_id": schema_id,
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text

    skip = api.patch(
        f"/v1/admin/personality-schemas/{schema_id}",
        json={"status": "active"},
        headers=admin.headers,
    )
    assert skip.status_code == 409, skip.text
    for status in ("testing", "active"):
        step = api.patch(
            f"/v1/admin/personality-schemas/{schema_id}",
            json={"status": status},
            headers=admin.headers,
        )
        assert step.status_code == 200, step.text
        assert step.json()["status"] == status
    backwards = api.patch(
        f"/v1/admin/personality-schemas/{schema_id}",
        json={"status": "draft"},
        headers=admin.headers,
    )
    assert backwards.status_code == 409, backwards.text

    detail = api.get(f"/v1/apps/{created.json()['slug']}", headers=make_user().headers)
    assert detail.json()["personality"]["definition"] == {"tone": "warm"}


def test_admin_changes_an_app_and_the_catalogue_shows_it(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given
    admin, member = make_user(app_metadata=ADMIN), make_user()
    app_id, app_slug = add_app(pg, display_name="Before")
    # when
    changed = api.patch(
        f"/v1/admin/apps/{app_id}",
        json={"display_name": "After", "requires_subscription": True},
        headers=admin.headers,
    )
    empty = api.patch(f"/v1/admin/apps/{app_id}", json={}, headers=admin.headers)
    missing = api.patch(
        f"/v1/admin/apps/{uuid.uuid4()}", json={"display_name": "X"}, headers=admin.headers
    )
    # then
    assert changed.status_code == 200, changed.text
    assert changed.json()["display_name"] == "After"
    assert changed.json()["requires_subscription"] is True
    assert empty.status_code == 422
    assert missing.status_code == 404
    detail = api.get(f"/v1/apps/{app_slug}", headers=member.headers)
    assert detail.json()["display_name"] == "After"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": "1.0"}, "version"),
        ({"rollout_percentage": 101}, "rollout_percentage"),
        ({"layer": "overlay"}, "parent_schema_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_personality_schema_is_422_naming_the_field(
    api: httpx.Client, make_user: Any, body: dict[str, Any], field: str
) -> None:
    admin = make_user(app_metadata=ADMIN)
    valid = {"schema_key": slug("ps"), "version": "1.0.0", "layer": "base", "definition": {}}

    response = api.post(
        "/v1/admin/personality-schemas", json={**valid, **body}, headers=admin.headers
    )

    assert response.status_code == 422, response.text
    assert field in response.text


def test_admin_creates_a_knowledge_base_with_an_entry(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    admin = make_user(app_metadata=ADMIN)
    app_id, _ = add_app(pg)

    base = api.post(
        "/v1/admin/knowledge-bases",
        json={"slug": slug("kb"), "title": "Run", "app_ids": [app_id]},
        headers=admin.headers,
    )
    assert base.status_code == 201, base.text
    entry = api.post(
        f"/v1/admin/knowledge-bases/{base.json()['knowledge_base_id']}/entries",
        json={"title": "Pacing", "content": "Start slow.", "tags": ["race"]},
        headers=admin.headers,
    )
    missing = api.post(
        f"/v1/admin/knowledge-bases/{uuid.uuid4()}/entries",
        json={"title": "T", "content": "C"},
        headers=admin.headers,
    )

    assert entry.status_code == 201, entry.text
    assert missing.status_code == 404


def test_rollout_assigns_the_configured_share_stably(pg: psycopg.Connection[Any]) -> None:
    key = slug("ps")
    full = add_schema(pg, key, "1.0.0", {"tone": "warm"})
    canary = add_schema(pg, key, "2.0.0", {"tone": "bold"}, rollout=30)
    share_query = (
        "with users as (select gen_random_uuid() as id from generate_series(1, 10000)), "
        "picks as (select id, private.personality_for(%(full)s, id) ->> 'personality_schema_id' as p1, "
        "private.personality_for(%(full)s, id) ->> 'personality_schema_id' as p2 from users) "
        "select avg((p1 = %(canary)s)::int)::float, count(*) filter (where p1 <> p2) from picks"
    )

    row = pg.execute(share_query, {"full": full, "canary": canary}).fetchone()

    assert row is not None
    share, flips = row
    assert abs(share - 0.30) <= 0.02
    assert flips == 0
