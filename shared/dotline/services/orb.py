"""The orb's live state, the active scene and the graph viewport: cache-first, with the orb's
history kept in Postgres (server-written, so it is stored in a service transaction scoped to the
caller after validation). Each change is announced on the person's channel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from dotline import cache_keys, channels
from dotline.auth import Principal
from dotline.channels import Channel
from dotline.db import Database, jsonb
from dotline.models.orb import OrbState, OrbUpdate, Scene, SceneChange, Viewport
from dotline.ports.broadcasts import Broadcasts
from dotline.ports.cache import Cache


def current_orb(db: Database, cache: Cache, user: Principal) -> OrbState | None:
    """The live orb state, else the latest recorded one, else None."""
    cached = cache.get_json(cache_keys.orb_state(user.user_id))
    if isinstance(cached, dict):
        return OrbState.model_validate(cached)
    with db.as_user(user) as tx:
        tx.execute(
            "select visual_state, emotional_tone, energy_level, is_speaking, position, effects,"
            " created_at as updated_at from public.orb_states where user_id = %(user_id)s"
            " order by created_at desc limit 1",
            {"user_id": user.user_id},
        )
        row = tx.fetchone()
    return OrbState.model_validate(row) if row else None


def set_orb(
    db: Database, cache: Cache, broadcasts: Broadcasts, user: Principal, update: OrbUpdate
) -> OrbState:
    """Record the state, make it the live one and announce it (Redis and the person's devices)."""
    with db.as_service() as tx:
        tx.execute(
            "insert into public.orb_states (user_id, visual_state, emotional_tone, energy_level,"
            " is_speaking, position, effects) values (%(user_id)s, %(visual_state)s,"
            " %(emotional_tone)s, %(energy_level)s, %(is_speaking)s, %(position)s, %(effects)s)"
            " returning created_at",
            {
                **update.model_dump(),
                "user_id": user.user_id,
                "position": jsonb(update.position) if update.position is not None else None,
                "effects": jsonb(update.effects),
            },
        )
        row = tx.fetchone()
        assert row is not None
        state = OrbState(**update.model_dump(), updated_at=row["created_at"])
        payload = state.model_dump(mode="json")
        # Inside the transaction: a cache that cannot take the state refuses the change, and
        # the history keeps no state that never went live.
        cache.set_json(cache_keys.orb_state(user.user_id), payload, cache_keys.ORB_STATE_TTL_S)
    message = channels.envelope(
        "orb.updated",
        version=channels.version_of(state.updated_at),
        **payload,
        timestamp=payload["updated_at"],
    )
    channels.announce(cache, broadcasts, user.user_id, Channel.ORB_STATE, message)
    return state


def current_scene(cache: Cache, user: Principal) -> Scene:
    """The active scene (scene None before any change)."""
    cached = cache.get_json(cache_keys.active_scene(user.user_id))
    return Scene.model_validate(cached) if isinstance(cached, dict) else Scene(scene=None)


def change_scene(
    cache: Cache, broadcasts: Broadcasts, user: Principal, change: SceneChange
) -> Scene:
    """Make `to` the active scene and announce the transition."""
    previous = current_scene(cache, user).scene
    now = datetime.now(UTC)
    scene = Scene(
        scene=change.to,
        previous=previous,
        transition_type=change.transition_type,
        focus_entity=change.focus_entity,
        updated_at=now,
    )
    cache.set_json(
        cache_keys.active_scene(user.user_id),
        scene.model_dump(mode="json"),
        cache_keys.ACTIVE_SCENE_TTL_S,
    )
    message = channels.Envelope(
        kind="scene.changed",
        version=channels.version_of(now),
        data={
            "from": previous,
            "to": change.to,
            "transition_type": change.transition_type,
            "focus_entity": change.focus_entity,
            "timestamp": scene.model_dump(mode="json")["updated_at"],
        },
    )
    channels.announce(cache, broadcasts, user.user_id, Channel.SCENE, message)
    return scene


def viewport_key(user_id: UUID | str) -> str:
    """Where the viewport is cached, for a caller dropping several stale views at once."""
    return cache_keys.graph_viewport(user_id)


def exported(cache: Cache, user_id: UUID) -> dict[str, Any]:
    """The live orb state, active scene and viewport as cached, by key (absent ones left out)."""
    keys = [
        cache_keys.orb_state(user_id),
        cache_keys.active_scene(user_id),
        cache_keys.graph_viewport(user_id),
    ]
    state = {key: cache.get_json(key) for key in keys}
    return {key: value for key, value in state.items() if value is not None}


def viewport(cache: Cache, user: Principal) -> Viewport | None:
    """The last viewport set within the hour, else None."""
    cached = cache.get_json(cache_keys.graph_viewport(user.user_id))
    return Viewport.model_validate(cached) if isinstance(cached, dict) else None


def set_viewport(cache: Cache, user: Principal, value: Viewport) -> Viewport:
    """Keep the viewport for an hour."""
    key = cache_keys.graph_viewport(user.user_id)
    cache.set_json(key, value.model_dump(mode="json"), cache_keys.GRAPH_VIEWPORT_TTL_S)
    return value
