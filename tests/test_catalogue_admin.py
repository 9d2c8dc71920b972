"""Admins editing the catalogue through the real gateway: challenge templates versioned,
knowledge bases and entries changed, deactivated and versioned, and knowledge found by meaning."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest

from coaching_catalogue import add_app, add_knowledge_base, slug
from dotline.services import outbox
from dotline.settings import Settings
from dotline.webhooks import WebhookEndpoint
from user_outbox import WEBHOOK_PATH

ADMIN = {"role": "admin"}
TEMPLATE = {"name": "Walk daily", "dim_keys": ["self_act"], "difficulty": "easy"}


def deliver_entry_changes(
    pg: psycopg.Connection[Any], gateway: str, settings: Settings, entry_id: str
) -> int:
    """Post the entry's pending outbox rows to the gateway's webhook, oldest first."""
    rows = pg.execute(
        "select outbox_id, payload from private.outbox where table_name = 'knowledge_entries' "
        "and row_key = %s and status = 'pending' order by outbox_id",
        (entry_id,),
    ).fetchall()
    endpoint = WebhookEndpoint(
        gateway + WEBHOOK_PATH, settings.webhook_secret.get_secret_value(), 10.0
    )
    try:
        for outbox_id, payload in rows:
            attempt = outbox.deliver({"outbox_id": outbox_id, "payload": payload}, endpoint.post)
            assert attempt.delivered, attempt.error
    finally:
        endpoint.close()
    return len(rows)


def test_a_template_change_is_a_new_version_and_started_challenges_keep_theirs(
    api: httpx.Client, make_user: Any
) -> None:
    # given a template a member has started
    admin, member = make_user(app_metadata=ADMIN), make_user()
    created = api.post("/v1/admin/challenge-templates", json=TEMPLATE, headers=admin.headers)
    assert created.status_code == 201, created.text
    first = created.json()
    started = api.post(
        "/v1/challenges",
        json={"challenge_template_id": first["challenge_template_id"]},
        headers=member.headers,
    )
    assert started.status_code == 201, started.text
    # when an admin changes it
    changed = api.patch(
        f"/v1/admin/challenge-templates/{first['challenge_template_id']}",
        json={"name": "Walk every day", "difficulty": "medium"},
        headers=admin.headers,
    )
    stale = api.patch(
        f"/v1/admin/challenge-templates/{first['challenge_template_id']}",
        json={"name": "Again"},
        headers=admin.headers,
    )
    # then
    assert (first["version"], first["is_active"], first["previous_version_id"]) == (1, True, None)
    assert changed.status_code == 200, changed.text
    second = changed.json()
    assert second["challenge_template_id"] != first["challenge_template_id"]
    assert (second["version"], second["previous_version_id"]) == (
        2,
        first["challenge_template_id"],
    )
    assert (second["name"], second["difficulty"], second["dim_keys"]) == (
        "Walk every day",
        "medium",
        ["self_act"],
    )
    assert stale.status_code == 409, stale.text
    run = api.get(
        f"/v1/challenges/{started.json()['user_challenge_id']}", headers=member.headers
    ).json()
    assert (run["challenge_template_id"], run["name"]) == (
        first["challenge_template_id"],
        "Walk daily",
    )
    listed = api.get("/v1/challenge-templates", headers=member.headers).json()
    ids = {t["challenge_template_id"] for t in listed}
    assert second["challenge_template_id"] in ids
    assert first["challenge_template_id"] not in ids


def test_a_retired_template_cannot_be_started(api: httpx.Client, make_user: Any) -> None:
    admin, member = make_user(app_metadata=ADMIN), make_user()
    template = api.post("/v1/admin/challenge-templates", json=TEMPLATE, headers=admin.headers)
    template_id = template.json()["challenge_template_id"]

    retired = api.patch(
        f"/v1/admin/challenge-templates/{template_id}",
        json={"is_active": False},
        headers=admin.headers,
    )
    start = api.post(
        "/v1/challenges", json={"challenge_template_id": template_id}, headers=member.headers
    )

    assert retired.status_code == 200, retired.text
    assert (retired.json()["is_active"], retired.json()["version"]) == (False, 1)
    assert start.status_code == 422, start.text


def test_admin_changes_deactivates_and_versions_knowledge(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given
    admin, member = make_user(app_metadata=ADMIN), make_user()
    app_id, app_slug = add_app(pg)
    (entry_id,) = add_knowledge_base(pg, app_id, [("Pacing", "Start slow on long runs.")])
    base_id = pg.execute(
        "select knowledge_base_id::text from knowledge_entries where knowledge_entry_id = %s",
        (entry_id,),
    ).fetchone()[0]

    def found(q: str) -> list[str]:
        response = api.get(
            f"/v1/apps/{app_slug}/knowledge", params={"q": q}, headers=member.headers
        )
        assert response.status_code == 200, response.text
        return [hit["knowledge_entry_id"] for hit in response.json()["items"]]

    # when the entry is rewritten, then deactivated
    rewritten = api.patch(
        f"/v1/admin/knowledge-entries/{entry_id}",
        json={"content": "Negative splits: the second half faster.", "tags": ["race"]},
        headers=admin.headers,
    )
    after_rewrite = (found("splits"), found("slow"))
    retired = api.patch(
        f"/v1/admin/knowledge-entries/{entry_id}", json={"is_active": False}, headers=admin.headers
    )
    after_retire = found("splits")
    base = api.patch(
        f"/v1/admin/knowledge-bases/{base_id}",
        json={"version": "1.1.0", "title": "Pacing notes", "is_active": False},
        headers=admin.headers,
    )
    # then
    assert rewritten.status_code == 200, rewritten.text
    assert (rewritten.json()["version"], rewritten.json()["tags"]) == (2, ["race"])
    assert after_rewrite == ([entry_id], [])
    assert retired.status_code == 200, retired.text
    assert (retired.json()["is_active"], retired.json()["version"]) == (False, 2)
    assert after_retire == []
    assert base.status_code == 200, base.text
    assert (base.json()["version"], base.json()["is_active"], base.json()["app_ids"]) == (
        "1.1.0",
        False,
        [app_id],
    )


def test_knowledge_is_found_by_meaning_with_no_word_in_common(
    api: httpx.Client,
    make_user: Any,
    pg: psycopg.Connection[Any],
    gateway: str,
    settings: Settings,
) -> None:
    # given entries written by an admin and mirrored into the vector index
    admin, member = make_user(app_metadata=ADMIN), make_user()
    app_id, app_slug = add_app(pg)
    base = api.post(
        "/v1/admin/knowledge-bases",
        json={"slug": slug("kb"), "title": "Running", "app_ids": [app_id]},
        headers=admin.headers,
    ).json()
    ids = []
    for title, content in [
        ("Hydration", "Drink water and electrolytes before a marathon."),
        ("Budgeting", "Track monthly expenses in a spreadsheet."),
    ]:
        entry = api.post(
            f"/v1/admin/knowledge-bases/{base['knowledge_base_id']}/entries",
            json={"title": title, "content": content},
            headers=admin.headers,
        )
        assert entry.status_code == 201, entry.text
        ids.append(entry.json()["knowledge_entry_id"])
        assert entry.json()["vector_store_id"] is None
        assert deliver_entry_changes(pg, gateway, settings, ids[-1]) == 1
    indexed = pg.execute(
        "select count(*) from knowledge_entries where knowledge_entry_id = any(%s::uuid[]) "
        "and vector_store_id is not null",
        (ids,),
    ).fetchone()[0]
    # when a query shares no word with the entry
    response = api.get(
        f"/v1/apps/{app_slug}/knowledge", params={"q": "thirsty"}, headers=member.headers
    )
    # then
    assert indexed == 2
    assert response.status_code == 200, response.text
    first = response.json()["items"][0]
    assert (first["knowledge_entry_id"], first["channels"]) == (ids[0], ["vector"])
    changes = pg.execute(
        "select count(*) from private.outbox where table_name = 'knowledge_entries' "
        "and row_key = any(%s)",
        (ids,),
    ).fetchone()[0]
    assert changes == 2  # the inserts; marking them indexed queued no echo


def admin_routes(ids: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("POST", "/v1/admin/challenge-templates", TEMPLATE),
        ("PATCH", f"/v1/admin/challenge-templates/{ids['template']}", {"name": "Hacked"}),
        ("PATCH", f"/v1/admin/knowledge-bases/{ids['base']}", {"is_active": False}),
        ("PATCH", f"/v1/admin/knowledge-entries/{ids['entry']}", {"content": "Hacked"}),
    ]


def test_members_get_403_and_strangers_401_changing_nothing(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    admin, member = make_user(app_metadata=ADMIN), make_user(app_metadata={"role": "member"})
    template = api.post("/v1/admin/challenge-templates", json=TEMPLATE, headers=admin.headers)
    app_id, _ = add_app(pg)
    (entry,) = add_knowledge_base(pg, app_id, [("T", "C")])
    base = pg.execute(
        "select knowledge_base_id::text from knowledge_entries where knowledge_entry_id = %s",
        (entry,),
    ).fetchone()[0]
    ids = {"template": template.json()["challenge_template_id"], "base": base, "entry": entry}
    before = _catalogue(pg)

    for method, path, body in admin_routes(ids):
        as_member = api.request(method, path, json=body, headers=member.headers)
        anonymous = api.request(method, path, json=body)
        assert (as_member.status_code, anonymous.status_code) == (403, 401), (method, path)

    assert _catalogue(pg) == before


def _catalogue(pg: psycopg.Connection[Any]) -> tuple[Any, ...]:
    row = pg.execute(
        "select (select count(*) from challenge_templates), "
        "(select md5(string_agg(name || is_active::text, ',' order by challenge_template_id)) "
        " from challenge_templates), "
        "(select md5(string_agg(content || is_active::text, ',' order by knowledge_entry_id)) "
        " from knowledge_entries), "
        "(select md5(string_agg(title || is_active::text, ',' order by knowledge_base_id)) "
        " from knowledge_bases)"
    ).fetchone()
    assert row is not None
    return tuple(row)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/admin/challenge-templates", {**TEMPLATE, "difficulty": "extreme"}, "difficulty"),
        ("/v1/admin/challenge-templates", {**TEMPLATE, "dim_keys": ["luck"]}, "dim_keys"),
        ("/v1/admin/challenge-templates", {"name": " "}, "name"),
        ("/v1/admin/challenge-templates/{id}", {"colour": "red"}, "colour"),
        ("/v1/admin/challenge-templates/{id}", {}, "body"),
        ("/v1/admin/knowledge-entries/{id}", {"tags": ["x" * 65]}, "tags"),
        ("/v1/admin/knowledge-bases/{id}", {"version": "2"}, "version"),
    ],
)
def test_bad_catalogue_changes_are_422_naming_the_field(
    api: httpx.Client, make_user: Any, path: str, body: dict[str, Any], field: str
) -> None:
    admin = make_user(app_metadata=ADMIN)
    method = "PATCH" if "{id}" in path else "POST"

    response = api.request(method, path.format(id=uuid.uuid4()), json=body, headers=admin.headers)

    assert response.status_code == 422, response.text
    assert field in response.text
