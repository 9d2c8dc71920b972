"""The dialogue session key (`user:{uid}:session:{sid}`) through its owner module, against the
real Redis behind the Upstash REST face: what is written is what the next turn reads, for three
days; anything else reads as "rebuild"."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import redis

from dotline import cache_keys
from dotline.adapters.upstash_cache import UpstashCache
from dotline.adapters.upstash_redis import redis_from_settings
from dotline.ports.cache import Cache
from dotline.services.dialogue import session as dialogue_session
from dotline.services.dialogue.session import DialogueSession
from dotline.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def cache(redis_rest: str, settings: Settings) -> Cache:
    client = redis_from_settings(settings.model_copy(update={"upstash_redis_rest_url": redis_rest}))
    return UpstashCache(client)


@pytest.fixture
def raw_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    client.close()


def turn(n: int) -> dict[str, str]:
    return {"message_id": str(uuid.UUID(int=n)), "role": ("user", "assistant")[n % 2],
            "content": f"turn {n}", "created_at": "2026-12-07T10:00:00+00:00"}  # fmt: skip


def test_a_saved_session_is_read_back_whole_for_three_days(
    cache: Cache, raw_redis: redis.Redis
) -> None:
    user, conversation = uuid.uuid4(), uuid.uuid4()
    session = DialogueSession(
        message_count=2,
        recent_messages=[turn(0), turn(1)],
        recalled_memory_ids=[str(uuid.uuid4())],
        context_package={"insight_id": "i-1", "summary": "s"},
    )

    dialogue_session.save(cache, user, conversation, session)

    assert dialogue_session.load(cache, user, conversation) == session
    key = cache_keys.session(user, str(conversation))
    assert cache_keys.SESSION_TTL_S - 60 < raw_redis.ttl(key) <= cache_keys.SESSION_TTL_S


def test_a_turn_keeps_the_last_ten_messages_and_every_recalled_memory_once() -> None:
    session = DialogueSession(message_count=10, recent_messages=[turn(n) for n in range(10)])
    memory = uuid.uuid4()

    after = session.after_turn([turn(10), turn(11)], [memory, memory], 12)
    again = after.after_turn([turn(12), turn(13)], [memory], 14)

    assert [m["content"] for m in again.recent_messages] == [f"turn {n}" for n in range(4, 14)]
    assert again.recalled_memory_ids == [str(memory)]
    assert again.current_at(14) and not again.current_at(13)


@pytest.mark.parametrize(
    "stored",
    ["not json at all", json.dumps([1, 2]), json.dumps({"format": 999, "message_count": 1}),
     json.dumps({"format": dialogue_session.FORMAT, "unknown": True})],
    ids=["garbage", "a-list", "another-format", "another-shape"],
)  # fmt: skip
def test_anything_but_a_session_reads_as_none_so_the_turn_rebuilds(
    cache: Cache, raw_redis: redis.Redis, stored: str
) -> None:
    user, conversation = uuid.uuid4(), uuid.uuid4()
    raw_redis.set(cache_keys.session(user, str(conversation)), stored, ex=60)

    try:
        loaded = dialogue_session.load(cache, user, conversation)
    except json.JSONDecodeError:
        pytest.fail("an unreadable session must read as none")

    assert loaded is None


def test_redis_unreachable_reads_as_none_and_a_lost_write_does_not_fail_the_turn(
    settings: Settings,
) -> None:
    dead = UpstashCache(
        redis_from_settings(
            settings.model_copy(
                update={"upstash_redis_rest_url": "http://127.0.0.1:9", "redis_timeout_s": 0.5}
            )
        )
    )
    user, conversation = uuid.uuid4(), uuid.uuid4()

    assert dialogue_session.load(dead, user, conversation) is None
    dialogue_session.save(dead, user, conversation, DialogueSession(0, []))


def test_forget_all_drops_one_persons_sessions_only(cache: Cache, raw_redis: redis.Redis) -> None:
    user, other = uuid.uuid4(), uuid.uuid4()
    for person in (user, other):
        for _ in range(2):
            dialogue_session.save(cache, person, uuid.uuid4(), DialogueSession(0, []))

    assert dialogue_session.forget_all(cache, user) == 2

    assert raw_redis.keys(cache_keys.session(user, "*")) == []
    assert len(raw_redis.keys(cache_keys.session(other, "*"))) == 2
    dialogue_session.forget_all(cache, other)
