"""The Auth admin port over GoTrue's REST admin API (`<SUPABASE_URL>/auth/v1/admin/users/{id}`)."""

from __future__ import annotations

from uuid import UUID

import httpx

from dotline.errors import ServiceUnavailable
from dotline.settings import Settings


class GoTrueAdmin:
    """Deletes and looks up Auth users with the project's service-role key."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> GoTrueAdmin:
        key = settings.supabase_service_role_key.get_secret_value()
        client = httpx.Client(
            base_url=f"{settings.supabase_url.rstrip('/')}/auth/v1/admin",
            headers={"apikey": key, "Authorization": f"Bearer {key}"},
            timeout=settings.http_timeout_s,
        )
        return cls(client)

    def delete_user(self, user_id: UUID) -> bool:
        """Delete the Auth user (their Postgres rows go by cascade); False when none existed."""
        response = self._send("DELETE", user_id)
        return response.status_code != 404

    def user_exists(self, user_id: UUID) -> bool:
        """Whether Auth still has the user."""
        return self._send("GET", user_id).status_code != 404

    def _send(self, method: str, user_id: UUID) -> httpx.Response:
        try:
            response = self._client.request(method, f"/users/{user_id}")
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("Supabase Auth is unreachable.") from exc
        if response.status_code != 404 and response.is_error:
            raise ServiceUnavailable(f"Supabase Auth answered {response.status_code}.")
        return response
