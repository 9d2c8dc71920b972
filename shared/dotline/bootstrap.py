"""The composition root: builds what the settings choose, lazily and once per container."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from dotline.auth import TokenVerifier
from dotline.db import Database
from dotline.settings import Settings, get_settings

if TYPE_CHECKING:
    from upstash_redis import Redis


@dataclass
class Deps:
    """Everything a service may be handed; each piece is built on first use and then reused."""

    settings: Settings

    @cached_property
    def db(self) -> Database:
        """The system of record (no connection is opened until the first transaction)."""
        return Database(self.settings)

    @cached_property
    def tokens(self) -> TokenVerifier:
        """Verifies callers' access tokens."""
        return TokenVerifier(self.settings)

    @cached_property
    def redis(self) -> Redis:
        """Cache, realtime state and rate limits (Upstash's REST protocol; imported on first use)."""
        from dotline.adapters.upstash_redis import redis_from_settings

        return redis_from_settings(self.settings)


_deps: Deps | None = None


def deps() -> Deps:
    """This container's dependencies, built once."""
    global _deps  # the one process-wide cache; tests replace it through use()
    if _deps is None:
        _deps = Deps(settings=get_settings())
    return _deps


def use(replacement: Deps | None) -> None:
    """Swap the container's dependencies (tests; None to rebuild from settings next time)."""
    global _deps
    _deps = replacement
