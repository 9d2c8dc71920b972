"""People with data in every store, for the retention, decay, expiry and erasure tests.

Rows go into Postgres as the server writes them (backdated where a rule needs age); the outbox
changes they cause are then applied to the real graph, vectors and cache exactly as the webhook
does (`apply_db_event`), so each store holds what production would.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from dotline import cache_keys
from dotline.bootstrap import Deps
from dotline.models.db_events import DbEvent
from dotline.ports.cache import Tally
from dotline.services.mirroring.mirroring import apply_db_event

_PENDING_OF = """
select outbox_id, payload from private.outbox
where status = 'pending'
  and coalesce(payload -> 'record' ->> 'user_id', payload -> 'old_record' ->> 'user_id') = %(user)s
order by outbox_id
"""


def set_retention(pg: psycopg.Connection[Any], user_id: UUID, days: int) -> None:
    pg.execute(
        "update public.profiles set data_retention_days = %s where user_id = %s", (days, user_id)
    )


def add_memory(
    pg: psycopg.Connection[Any], user_id: UUID, title: str, *, age_days: float = 0, **columns: Any
) -> UUID:
    """A companion memory stored age_days ago (not accessed since, unless columns say so)."""
    values = {"memory_id": uuid.uuid4(), "content": f"{title}: what happened.", **columns}
    names = ", ".join(values)
    marks = ", ".join(f"%({name})s" for name in values)
    pg.execute(
        f"insert into public.memories (user_id, title, created_at, {names}) "  # noqa: S608
        f"values (%(user_id)s, %(title)s, now() - make_interval(secs => %(age)s), {marks})",
        {**values, "user_id": user_id, "title": title, "age": age_days * 86400},
    )
    return UUID(str(values["memory_id"]))


def add_conversation(
    pg: psycopg.Connection[Any], user_id: UUID, *, age_days: float, message_ages: list[float]
) -> tuple[UUID, list[UUID]]:
    """A conversation started age_days ago with a message at each of message_ages (days ago)."""
    row = pg.execute(
        "insert into public.conversations (user_id, title, created_at) "
        "values (%s, 'Chat', now() - make_interval(secs => %s)) returning conversation_id",
        (user_id, age_days * 86400),
    ).fetchone()
    assert row is not None
    messages = []
    for age in message_ages:
        message = pg.execute(
            "insert into public.messages (conversation_id, user_id, role, content, created_at) "
            "values (%s, %s, 'user', 'hello', now() - make_interval(secs => %s)) "
            "returning message_id",
            (row[0], user_id, age * 86400),
        ).fetchone()
        assert message is not None
        messages.append(UUID(str(message[0])))
    return UUID(str(row[0])), messages


def add_behaviour_event(pg: psycopg.Connection[Any], user_id: UUID, *, age_days: float) -> UUID:
    row = pg.execute(
        "insert into public.behaviour_events (user_id, event_type, created_at) "
        "values (%s, 'page_view', now() - make_interval(secs => %s)) returning event_id",
        (user_id, age_days * 86400),
    ).fetchone()
    assert row is not None
    return UUID(str(row[0]))


def cache_state(deps: Deps, user_id: UUID) -> dict[str, Any]:
    """Put the person's live state in Redis (orb, viewport, the day's counts); returns it by key."""
    state: dict[str, Any] = {
        cache_keys.orb_state(user_id): {"state": "calm"},
        cache_keys.graph_viewport(user_id): {"zoom": 2},
    }
    for key, value in state.items():
        deps.cache.set_json(key, value, ttl_s=600)
    day = cache_keys.daily_stats(user_id)
    deps.cache.tally(Tally(key=day, counts={"events.view": 3}, expire_at_s=int(time.time()) + 600))
    return {**state, day: {"events.view": 3}}


def mirror(pg: psycopg.Connection[Any], deps: Deps, user_id: UUID) -> int:
    """Apply the person's pending outbox changes to the stores, as the webhook would."""
    rows = pg.execute(_PENDING_OF, {"user": str(user_id)}).fetchall()
    for outbox_id, payload in rows:
        event = DbEvent.model_validate({**payload, "outbox_id": outbox_id})
        apply_db_event(
            event, db=deps.db, graph=deps.graph, vectors=deps.vectors,
            embedder=deps.embedder, cache=deps.cache,
        )  # fmt: skip
        pg.execute(
            "update private.outbox set status = 'delivered', delivered_at = now() "
            "where outbox_id = %s",
            (outbox_id,),
        )
    return len(rows)


def node_ids(pg: psycopg.Connection[Any], user_id: UUID) -> set[UUID]:
    rows = pg.execute("select node_id from graph.nodes where user_id = %s", (user_id,)).fetchall()
    return {UUID(str(row[0])) for row in rows}


def vector_sources(pg: psycopg.Connection[Any], user_id: UUID) -> dict[UUID, float | None]:
    """The person's vector items: source id -> importance."""
    rows = pg.execute(
        "select source_entity_id, importance from vectors.items where user_id = %s", (user_id,)
    ).fetchall()
    return {UUID(str(r[0])): (None if r[1] is None else float(r[1])) for r in rows}


def ids(pg: psycopg.Connection[Any], table: str, key: str, user_id: UUID) -> set[UUID]:
    rows = pg.execute(
        f"select {key} from public.{table} where user_id = %s",  # noqa: S608 - test constants
        (user_id,),
    ).fetchall()
    return {UUID(str(row[0])) for row in rows}


def jsonb(value: Any) -> Jsonb:
    return Jsonb(value)
