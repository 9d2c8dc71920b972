"""Erasing a person everywhere (DELETE /v1/me), verifying it, and retrying until it is clean.

Each attempt runs every step, each idempotent: cache keys, media objects, stored exports
(`exports/{user_id}/`), the graph, the vector tenant, then the Auth user through GoTrue's admin
API, whose delete cascades through Postgres. The Auth step waits until the others succeed: the Postgres rows are what names the media
objects and cards to remove, and the account lives until nothing else is left. Then every store
is swept and counted; the request (`private.erasures`) stays pending with what was found until a retry by
the retention run verifies it clean.

Erasure starts by leaving the person's tombstone (`dotline.erasure_tombstones`): from then on
their tokens are refused, so nothing new is written under their id. A request already in flight
may still write a cache key late; the retention run removes the keys of everyone verified erased
in the last `LATE_KEYS_WINDOW` again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from dotline import cache_keys, erasure_tombstones
from dotline.db import Database
from dotline.models.lifecycle import ErasureReport
from dotline.services.cards import growth_cache
from dotline.services.lifecycle.export import export_prefix

if TYPE_CHECKING:
    from dotline.ports.auth_admin import AuthAdmin
    from dotline.ports.cache import Cache
    from dotline.ports.graph import GraphStore
    from dotline.ports.objects import ObjectStore
    from dotline.ports.vectors import VectorStore

logger = logging.getLogger(__name__)


class ErasureStores(Protocol):
    """Every store a person's data lives in, as an erasure reaches them. Each is read when its
    step runs (bootstrap's `Deps` builds them then), so a store that cannot even be built fails
    its own step, not the erasure."""

    @property
    def db(self) -> Database: ...
    @property
    def cache(self) -> Cache: ...
    @property
    def graph(self) -> GraphStore: ...
    @property
    def vectors(self) -> VectorStore: ...
    @property
    def objects(self) -> ObjectStore: ...
    @property
    def auth_admin(self) -> AuthAdmin: ...


RETRY_BATCH = 50
LATE_KEYS_WINDOW = "2 days"  # longer than the retention run's period
LATE_KEYS_BATCH = 500

_BEGIN = """
insert into private.erasures as e (user_id, attempts, last_attempt_at)
values (%(user_id)s, 1, now())
on conflict (user_id) do update set attempts = e.attempts + 1, last_attempt_at = now()
"""
# Deleted in batches before Auth's cascade: the tables that grow with a person's history.
BULK_TABLES = ("memories", "messages")
BULK_BATCH = 5000
_ERASE_BATCH = "select private.erase_rows_batch(%(user_id)s, %(table)s, %(batch)s) as erased"
_MARK_DELETED = "update public.profiles set account_status = 'deleted' where user_id = %(user_id)s"
_OWNED_KEYS = """
select (select coalesce(array_agg(card_id::text), '{}') from public.cards where user_id = %(user_id)s) as cards,
       (select coalesce(array_agg(storage_url), '{}') from public.media_items where user_id = %(user_id)s) as media
"""
_RECORD = """
update private.erasures as e
set status = %(status)s, verified_at = case when %(status)s = 'verified' then now() end,
    removed = (select coalesce(jsonb_object_agg(k, coalesce((e.removed ->> k)::bigint, 0)
                                                  + coalesce((%(removed)s::jsonb ->> k)::bigint, 0)), '{}')
               from (select jsonb_object_keys(e.removed || %(removed)s::jsonb) as k) as keys),
    remaining = %(remaining)s::jsonb, last_error = %(error)s
where e.user_id = %(user_id)s
returning e.user_id, e.status, e.attempts, e.removed, e.remaining, e.requested_at, e.verified_at
"""
_PENDING = """
select user_id from private.erasures where status = 'pending'
order by last_attempt_at nulls first limit %(limit)s
"""
_RECENTLY_VERIFIED = """
select user_id from private.erasures
where status = 'verified' and verified_at > now() - %(window)s::interval
order by verified_at desc limit %(limit)s
"""


def erase_user(stores: ErasureStores, user_id: UUID) -> ErasureReport:
    """One erasure attempt: every store, then a sweep of every store; the request as it stands."""
    db = stores.db
    with db.as_service() as tx:
        tx.execute(_BEGIN, {"user_id": user_id})
        tx.execute(_MARK_DELETED, {"user_id": user_id})
        owned = tx.execute(_OWNED_KEYS, {"user_id": user_id}).fetchone() or {}
    steps: dict[str, Callable[[], int]] = {
        "cache": lambda: _erase_cache(stores, user_id, owned.get("cards") or []),
        "media": lambda: _erase_media(stores, owned.get("media") or []),
        "exports": lambda: _erase_exports(stores, user_id),
        "graph": lambda: stores.graph.erase_user(user_id),
        "vectors": lambda: stores.vectors.erase_user(user_id),
    }
    removed, failed = _run_steps(steps, user_id)
    if not failed:
        before = sum(_count_rows(db, user_id).values())
        # Auth waits for the bulk rows: its cascade is one transaction.
        _, failed = _run_steps({"postgres": lambda: _erase_bulk_rows(db, user_id)}, user_id)
        if not failed:
            auth, failed = _run_steps(
                {"auth": lambda: int(stores.auth_admin.delete_user(user_id))}, user_id
            )
            removed |= auth
        removed["postgres"] = before - sum(_count_rows(db, user_id).values())
    remaining = sweep_remaining(stores, user_id)
    status = "verified" if not remaining and not failed else "pending"
    error = ", ".join(failed) or None
    return _record(db, user_id, status, removed, remaining, error, failed)


def _erase_bulk_rows(db: Database, user_id: UUID) -> int:
    """The person's memories and messages in batches of BULK_BATCH, each committed on its own,
    before Auth's delete cascades through what is left in one transaction (for 100k memories
    that cascade was 18 s; docs/measurements.md). Returns how many went; a batch that fails
    keeps what the earlier ones did, and the next attempt goes on from there."""
    erased = 0
    for table in BULK_TABLES:
        while True:
            params = {"user_id": user_id, "table": table, "batch": BULK_BATCH}
            done = int(db.fetch_as_service(_ERASE_BATCH, params)[0]["erased"])
            erased += done
            if done < BULK_BATCH:
                break
    return erased


def retry_pending(stores: ErasureStores, limit: int = RETRY_BATCH) -> tuple[int, int]:
    """Attempt each pending erasure again, and remove any key written since under the id of a
    person verified erased lately; returns (attempted, now verified)."""
    with stores.db.as_service() as tx:
        users = [row["user_id"] for row in tx.execute(_PENDING, {"limit": limit}).fetchall()]
        params = {"window": LATE_KEYS_WINDOW, "limit": LATE_KEYS_BATCH}
        erased = [row["user_id"] for row in tx.execute(_RECENTLY_VERIFIED, params).fetchall()]
    verified = sum(erase_user(stores, user_id).status == "verified" for user_id in users)
    for user_id in erased:
        _run_steps({"late keys": partial(_erase_cache, stores, user_id, [])}, user_id)
    return len(users), verified


def sweep_remaining(stores: ErasureStores, user_id: UUID) -> dict[str, int]:
    """Delete what a race left of the person in the vector tenant and the cache, and count what
    each store still holds of them (-1: the store could not be reached); only non-zero counts."""
    graph = stores.graph
    probes: dict[str, Callable[[], int]] = {
        "postgres": lambda: sum(_count_rows(stores.db, user_id).values()),
        "auth": lambda: int(stores.auth_admin.user_exists(user_id)),
        "graph": lambda: len((g := graph.subgraph(user_id)).nodes) + len(g.edges),
        # A second erase sweeps the vector tenant: it removes (and counts) whatever a race left.
        "vectors": lambda: stores.vectors.erase_user(user_id),
        "cache": lambda: sum(
            stores.cache.delete_matching(p) for p in cache_keys.user_key_patterns(user_id)
        ),
        "exports": lambda: len(stores.objects.keys_under(export_prefix(user_id))),
    }
    found, unreachable = _run_steps(probes, user_id)
    found |= dict.fromkeys(unreachable, -1)
    return {store: n for store, n in found.items() if n}


def _run_steps(
    steps: dict[str, Callable[[], int]], user_id: UUID
) -> tuple[dict[str, int], list[str]]:
    removed: dict[str, int] = {}
    failed: list[str] = []
    for name, step in steps.items():
        try:
            removed[name] = step()
        except Exception:
            logger.exception("erasure of %s: the %s step failed; it will be retried", user_id, name)
            failed.append(name)
    return removed, failed


def _erase_cache(stores: ErasureStores, user_id: UUID, card_ids: list[str]) -> int:
    erasure_tombstones.mark(stores.cache, user_id)  # renewed by every attempt
    patterns = cache_keys.user_key_patterns(user_id)
    erased = sum(stores.cache.delete_matching(pattern) for pattern in patterns)
    return erased + growth_cache.forget(stores.cache, card_ids)


def _erase_media(stores: ErasureStores, storage_urls: list[str]) -> int:
    keys = [key for key in map(stores.objects.key_of, storage_urls) if key is not None]
    for key in keys:
        stores.objects.delete(key)
    return len(keys)


def _erase_exports(stores: ErasureStores, user_id: UUID) -> int:
    keys = stores.objects.keys_under(export_prefix(user_id))
    for key in keys:
        stores.objects.delete(key)
    return len(keys)


def _count_rows(db: Database, user_id: UUID) -> dict[str, int]:
    with db.as_service() as tx:
        row = tx.execute("select private.count_user_rows(%(u)s) as n", {"u": user_id}).fetchone()
    return {table: int(n) for table, n in (row["n"] if row else {}).items()}


def _record(
    db: Database,
    user_id: UUID,
    status: str,
    removed: dict[str, int],
    remaining: dict[str, int],
    error: str | None,
    failed: list[str],
) -> ErasureReport:
    params = {
        "user_id": user_id, "status": status, "error": error,
        "removed": json.dumps(removed), "remaining": json.dumps(remaining),
    }  # fmt: skip
    with db.as_service() as tx:
        row = tx.execute(_RECORD, params).fetchone()
    if status == "pending":
        logger.warning("erasure of %s pending: failed %s, remaining %s", user_id, failed, remaining)
    return ErasureReport.model_validate({**(row or {}), "failed_steps": failed})
