"""The Auth admin port through supabase-py: `create_client(...).auth.admin`, GoTrue's admin API.

supabase-py is imported when the port is first used (erasure), never on a function's cold path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from uuid import UUID

import httpx

from dotline.errors import ServiceUnavailable
from dotline.settings import Settings

if TYPE_CHECKING:
    from supabase_auth import SyncGoTrueAdminAPI

NOT_FOUND = 404


class SupabaseAuthAdmin:
    """Deletes and looks up Auth users with the project's service-role (secret) key."""

    def __init__(self, admin: SyncGoTrueAdminAPI) -> None:
        self._admin = admin

    @classmethod
    def from_settings(cls, settings: Settings) -> SupabaseAuthAdmin:
        from supabase import ClientOptions, create_client

        options = ClientOptions(
            auto_refresh_token=False,  # a server holds no session, only its key
            persist_session=False,
            httpx_client=httpx.Client(timeout=settings.http_timeout_s),
        )
        key = settings.supabase_service_role_key.get_secret_value()
        return cls(create_client(settings.supabase_url, key, options).auth.admin)

    def delete_user(self, user_id: UUID) -> bool:
        """Delete the Auth user (their Postgres rows go by cascade); False when none existed."""
        return self._found(lambda: self._admin.delete_user(str(user_id)))

    def user_exists(self, user_id: UUID) -> bool:
        """Whether Auth still has the user."""
        return self._found(lambda: self._admin.get_user_by_id(str(user_id)))

    def _found(self, call: Callable[[], object]) -> bool:
        from supabase_auth.errors import AuthApiError, AuthError

        try:
            call()
        except AuthApiError as exc:
            if exc.status == NOT_FOUND:
                return False
            raise ServiceUnavailable(f"Supabase Auth answered {exc.status}.") from exc
        except (AuthError, httpx.HTTPError) as exc:
            raise ServiceUnavailable("Supabase Auth is unreachable.") from exc
        return True
