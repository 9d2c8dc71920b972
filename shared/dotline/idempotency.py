"""Idempotent creates: an `Idempotency-Key` replays the first response instead of creating twice.

The key is claimed, the create runs and its response is stored in ONE transaction, so a crash
cannot leave a create without its key (or a key without its create). The caller's create runs as
the user (row-level security); only the bookkeeping on `private.idempotency_keys`, which the
`authenticated` role may not touch, runs as `service_role` inside that same transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dotline.auth import Principal
from dotline.db import Database, Transaction
from dotline.errors import Conflict, InvalidRequest

KEY_HEADER_FIELD = "header.idempotency-key"

_CLAIM = """
insert into private.idempotency_keys (user_id, idempotency_key, request_hash)
values (%(user_id)s, %(key)s, %(hash)s)
on conflict (user_id, idempotency_key) do update
  set request_hash = excluded.request_hash, response_status = null, response_body = null,
      created_at = now(), expires_at = now() + interval '24 hours'
  where private.idempotency_keys.expires_at <= now()
returning true as claimed
"""

_FIRST = """
select request_hash, response_status, response_body from private.idempotency_keys
where user_id = %(user_id)s and idempotency_key = %(key)s
"""

_STORE = """
update private.idempotency_keys set response_status = %(status)s, response_body = %(body)s
where user_id = %(user_id)s and idempotency_key = %(key)s
"""


@dataclass(frozen=True)
class Outcome:
    """What a create answered: its HTTP status and its body as JSON-ready data."""

    status: int
    body: dict[str, Any]


def create_once(
    db: Database,
    user: Principal,
    key: str | None,
    request: dict[str, Any],
    create: Callable[[Transaction], Outcome],
) -> Outcome:
    """Run `create` as the user once per key: a replay with the same request gets the first
    outcome; the same key with a different request is refused (422). No key: just create."""
    with db.as_user(user) as tx:
        if key is None:
            return create(tx)
        digest = request_hash(request)
        params = {"user_id": user.user_id, "key": key, "hash": digest}
        with _as_service(tx):
            tx.execute(_CLAIM, params)
            claimed = tx.fetchone() is not None
            first = None if claimed else tx.execute(_FIRST, params).fetchone()
        if not claimed:
            return _replay(first, digest)
        outcome = create(tx)
        with _as_service(tx):
            tx.execute(_STORE, {**params, "status": outcome.status, "body": _jsonb(outcome.body)})
        return outcome


def request_hash(request: dict[str, Any]) -> str:
    """A stable digest of a request (its route scope and body): key order does not matter."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(first: dict[str, Any] | None, hash_now: str) -> Outcome:
    if first is None:  # purged between our claim and our read: rare, and safe to retry
        raise Conflict("This Idempotency-Key just expired; send the request again.")
    if first["request_hash"] != hash_now:
        message = "was already used for a different request"
        raise InvalidRequest(
            f"{KEY_HEADER_FIELD}: {message}",
            errors=[{"field": KEY_HEADER_FIELD, "message": message}],
        )
    if first["response_status"] is None:  # only visible if a writer stored no response
        raise Conflict("A request with this Idempotency-Key is still in progress.")
    return Outcome(int(first["response_status"]), dict(first["response_body"]))


@contextmanager
def _as_service(tx: Transaction) -> Iterator[None]:
    """Act as service_role for the bookkeeping, then return to the caller's role (same
    transaction; both settings are transaction-local, as db.as_user set them)."""
    tx.execute("select set_config('role', 'service_role', true)")
    yield  # on an error the transaction is rolled back anyway: nothing to restore
    tx.execute("select set_config('role', 'authenticated', true)")


def _jsonb(value: object) -> object:
    from psycopg.types.json import Jsonb

    return Jsonb(value)
