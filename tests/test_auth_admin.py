"""The Auth admin port through supabase-py's `auth.admin`, against the local emulation of
GoTrue's admin API (a real server over the real `auth.users`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr

from conftest import User
from dotline.adapters.supabase_auth_admin import SupabaseAuthAdmin
from dotline.errors import ServiceUnavailable
from dotline.settings import Settings


@pytest.fixture
def admin(settings: Settings, auth_url: str) -> SupabaseAuthAdmin:
    return SupabaseAuthAdmin.from_settings(settings.model_copy(update={"supabase_url": auth_url}))


def test_a_user_is_found_then_deleted_with_their_rows_then_gone(
    admin: SupabaseAuthAdmin, make_user: Callable[..., User], pg: psycopg.Connection[Any]
) -> None:
    user = make_user()

    assert admin.user_exists(user.user_id) is True
    assert admin.delete_user(user.user_id) is True

    assert admin.user_exists(user.user_id) is False
    assert admin.delete_user(user.user_id) is False  # again: nothing to delete
    assert (
        pg.execute("select 1 from profiles where user_id = %s", (user.user_id,)).fetchone() is None
    )


def test_the_emulation_answers_what_gotrue_answers(
    auth_url: str, settings: Settings, make_user: Callable[..., User]
) -> None:
    user = make_user({"role": "admin"})
    key = settings.supabase_service_role_key.get_secret_value()
    headers = {
        "apikey": key,
        "Authorization": f"Bearer {key}",
        "X-Supabase-Api-Version": "2024-01-01",
    }

    found = httpx.get(f"{auth_url}/auth/v1/admin/users/{user.user_id}", headers=headers)
    missing = httpx.get(f"{auth_url}/auth/v1/admin/users/{uuid.uuid4()}", headers=headers)

    assert found.status_code == 200
    assert found.json()["app_metadata"]["role"] == "admin"
    assert (found.json()["email"], found.json()["aud"]) == (user.email, "authenticated")
    assert missing.status_code == 404
    assert missing.json() == {"code": "user_not_found", "message": "User not found"}
    assert missing.headers["X-Supabase-Api-Version"] == "2024-01-01"


def test_a_key_auth_refuses_is_service_unavailable(
    settings: Settings, auth_url: str, make_user: Callable[..., User]
) -> None:
    wrong = settings.model_copy(
        update={"supabase_url": auth_url, "supabase_service_role_key": SecretStr("not-the-key")}
    )
    user = make_user()

    with pytest.raises(ServiceUnavailable, match="answered 401"):
        SupabaseAuthAdmin.from_settings(wrong).delete_user(user.user_id)


def test_an_unreachable_auth_is_service_unavailable(settings: Settings) -> None:
    down = SupabaseAuthAdmin.from_settings(
        settings.model_copy(update={"supabase_url": "http://127.0.0.1:9", "http_timeout_s": 1.0})
    )

    with pytest.raises(ServiceUnavailable, match="unreachable"):
        down.user_exists(uuid.uuid4())
