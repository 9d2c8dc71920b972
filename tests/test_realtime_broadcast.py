"""Live updates through Supabase Realtime Broadcast, with Supabase's own realtime client against
the local stack: a real gateway, the real Postgres (policies on `realtime.messages`, sends in the
transaction of the change) and the local Realtime face on the Auth emulation's server."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import psycopg
import pytest
from realtime import AsyncRealtimeChannel, AsyncRealtimeClient, RealtimeSubscribeStates

from conftest import User, free_port
from dotline.adapters.supabase_realtime import SupabaseRealtimeBroadcasts
from dotline.settings import Settings
from dotline_local.tokens import LOCAL_ANON_KEY
from user_outbox import deliver_outbox

WAIT_S = 5.0


@pytest.fixture(scope="module")
def live_gateway(
    start_gateway: Callable[..., str], redis_rest: str, auth_url: str, settings: Settings
) -> str:
    """A gateway whose SUPABASE_URL is the tests' own Auth + Realtime emulation (tokens keep the
    stack's issuer)."""
    return start_gateway(
        {
            "UPSTASH_REDIS_REST_URL": redis_rest,
            "SUPABASE_URL": auth_url,
            "SUPABASE_JWT_ISSUER": settings.jwt_issuer,
        }
    )


@pytest.fixture
def live(live_gateway: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_gateway, timeout=10) as http:
        yield http


class Listener:
    """One person's realtime client: joins private channels and keeps what they receive."""

    def __init__(self, auth_url: str, user: User) -> None:
        self.client = AsyncRealtimeClient(
            f"{auth_url}/realtime/v1", token=LOCAL_ANON_KEY, auto_reconnect=False
        )
        self.user = user
        self.received: dict[str, list[dict[str, Any]]] = {}
        self.states: dict[str, list[RealtimeSubscribeStates]] = {}

    async def join(self, topic: str) -> AsyncRealtimeChannel:
        await self.client.set_auth(self.user.token)
        channel = self.client.channel(topic, {"config": {"private": True}})
        self.received[topic], self.states[topic] = [], []
        channel.on_broadcast("*", lambda message: self.received[topic].append(dict(message)))
        await channel.subscribe(lambda state, _error: self.states[topic].append(state))
        return channel

    async def until(self, done: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + WAIT_S
        while not done() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return done()


def card_of(pg: psycopg.Connection[Any], entity_id: str) -> str:
    row = pg.execute(
        "select card_id from public.cards where source_entity_id = %s", (entity_id,)
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_a_person_receives_their_card_evolution_and_orb_change_and_nobody_else_may_join(
    live: httpx.Client,
    live_gateway: str,
    auth_url: str,
    make_user: Callable[..., User],
    pg: psycopg.Connection[Any],
    settings: Settings,
) -> None:
    # given A's new memory (its card still a seed), A listening on A's cards and orb_state
    # channels, and B trying to join A's cards channel
    a, b = make_user(), make_user()
    memory = live.post(
        "/v1/memories", json={"title": "Swim", "content": "Across the lake"}, headers=a.headers
    ).json()
    card_id = card_of(pg, memory["memory_id"])
    cards, orb_state = f"user:{a.user_id}:cards", f"user:{a.user_id}:orb_state"

    async def scenario() -> tuple[Listener, Listener, bool]:
        listener, intruder = Listener(auth_url, a), Listener(auth_url, b)
        await listener.join(cards)
        await listener.join(orb_state)
        await intruder.join(cards)
        try:
            # when A's card evolves (the outbox delivered through the webhook) and A's orb changes
            await asyncio.to_thread(deliver_outbox, pg, live_gateway, settings, a.user_id)
            orb = {"visual_state": "listening", "emotional_tone": "calm", "energy_level": 0.4}
            answer = await asyncio.to_thread(live.put, "/v1/orb", json=orb, headers=a.headers)
            assert answer.status_code == 200, answer.text
            arrived = await listener.until(
                lambda: (
                    any(m["event"] == "card.evolved" for m in listener.received[cards])
                    and bool(listener.received[orb_state])
                )
            )
        finally:
            await listener.client.close()
            await intruder.client.close()
        return listener, intruder, arrived

    listener, intruder, arrived = asyncio.run(scenario())

    # then A was let in and got both, in the one envelope; B was refused and got nothing
    assert listener.states[cards][:1] == [RealtimeSubscribeStates.SUBSCRIBED]
    assert listener.states[orb_state][:1] == [RealtimeSubscribeStates.SUBSCRIBED]
    assert arrived, listener.received
    evolved = next(m for m in listener.received[cards] if m["event"] == "card.evolved")
    assert evolved["payload"] == {
        "kind": "card.evolved",
        "id": card_id,
        "version": evolved["payload"]["version"],
        "data": {"evolution_state": "sprout"},
    }
    assert isinstance(evolved["payload"]["version"], int)
    (changed,) = listener.received[orb_state]
    assert changed["event"] == "orb.updated"
    assert changed["payload"]["kind"] == "orb.updated"
    assert changed["payload"]["data"]["emotional_tone"] == "calm"
    assert intruder.states[cards][:1] == [RealtimeSubscribeStates.CHANNEL_ERROR]
    assert intruder.received[cards] == []


def test_a_join_without_a_valid_token_is_refused(auth_url: str, settings: Settings) -> None:
    # given a token signed with another secret, for a real-looking user
    forged = jwt.encode(
        {"sub": str(uuid.uuid4()), "role": "authenticated", "exp": int(time.time()) + 60},
        "not-the-project-secret-but-long-enough-to-sign",
        algorithm="HS256",
    )
    claims = jwt.decode(forged, options={"verify_signature": False})
    user = User(uuid.UUID(claims["sub"]), "x@example.com", forged)

    async def scenario() -> list[RealtimeSubscribeStates]:
        listener = Listener(auth_url, user)
        try:
            await listener.join(f"user:{user.user_id}:cards")
        finally:
            await listener.client.close()
        return listener.states[f"user:{user.user_id}:cards"]

    # when it joins its "own" topic, then it is refused
    assert asyncio.run(scenario())[:1] == [RealtimeSubscribeStates.CHANNEL_ERROR]


def test_a_socket_without_the_projects_key_is_refused(auth_url: str) -> None:
    # given a client whose apikey is no key of the project
    client = AsyncRealtimeClient(
        f"{auth_url}/realtime/v1", token="not-a-key", auto_reconnect=False, max_retries=1
    )

    async def scenario() -> None:
        await client.connect()

    # when it connects, then the upgrade is refused
    with pytest.raises(Exception, match="403"):
        asyncio.run(scenario())


def test_the_broadcast_adapter_reports_a_refusal_or_an_outage_and_never_raises(
    auth_url: str, settings: Settings, make_user: Callable[..., User]
) -> None:
    # given the adapter with the service-role key, with a wrong key, and towards nothing at all
    user = make_user()
    topic = f"user:{user.user_id}:scene"
    envelope = {"kind": "scene.changed", "id": None, "version": 1, "data": {"scene": "cosmos"}}
    key = settings.supabase_service_role_key.get_secret_value()
    right = SupabaseRealtimeBroadcasts(auth_url, key, timeout_s=2)
    wrong = SupabaseRealtimeBroadcasts(auth_url, "not-the-key", timeout_s=2)
    nowhere = SupabaseRealtimeBroadcasts(f"http://127.0.0.1:{free_port()}", key, timeout_s=0.5)

    async def scenario() -> list[dict[str, Any]]:
        listener = Listener(auth_url, user)
        try:
            await listener.join(topic)
            # when each sends the scene change
            sent = await asyncio.to_thread(
                lambda: [a.send(topic, envelope) for a in (wrong, nowhere, right)]
            )
            assert sent == [False, False, True]
            await listener.until(lambda: bool(listener.received[topic]))
        finally:
            await listener.client.close()
        return listener.received[topic]

    # then only the service-role key's broadcast arrived, once, as sent
    try:
        received = asyncio.run(scenario())
    finally:
        for adapter in (right, wrong, nowhere):
            adapter.close()
    assert received == [{"event": "scene.changed", "payload": envelope}]
