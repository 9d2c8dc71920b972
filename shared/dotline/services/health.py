"""Whether this deployment can serve: one round trip to each store every request needs."""

from __future__ import annotations

from dotline.db import Database
from dotline.models.health import Health
from dotline.ports.cache import Cache

PROBE_KEY = "health:probe"


def check(db: Database, cache: Cache) -> Health:
    """Ok once Postgres and Redis each answered; ServiceUnavailable from the one that did not."""
    db.fetch_as_service("select 1", read_only=True)
    cache.get_json(PROBE_KEY)
    return Health(status="ok", checked=["settings", "postgres", "redis"])
