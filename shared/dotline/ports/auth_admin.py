"""The Auth admin port: what only Supabase Auth (GoTrue) does to a user, such as deleting them."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class AuthAdmin(Protocol):
    """GoTrue's admin API, authorised by the service-role key."""

    def delete_user(self, user_id: UUID) -> bool:
        """Delete the Auth user (their Postgres rows go by cascade); False when none existed."""

    def user_exists(self, user_id: UUID) -> bool:
        """Whether Auth still has the user."""
