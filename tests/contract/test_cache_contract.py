"""The cache port's contract, run against UpstashCache through the real Upstash REST face."""

from __future__ import annotations

import fnmatch
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from dotline import cache_keys, channels
from dotline.adapters.upstash_cache import UpstashCache
from dotline.adapters.upstash_redis import redis_from_settings
from dotline.channels import Channel
from dotline.ports.cache import Cache, Tally
from dotline.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"
DEADLINE_S = 5.0


@pytest.fixture(params=["upstash"])
def cache(request: pytest.FixtureRequest, redis_rest: str, settings: Settings) -> Cache:
    client = redis_from_settings(settings.model_copy(update={"upstash_redis_rest_url": redis_rest}))
    return UpstashCache(client)


@pytest.fixture
def raw_redis() -> Iterator[redis.Redis]:
    """A direct connection to the Redis behind the REST face, for what REST cannot do."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    client.close()


def key(name: str) -> str:
    return f"test:{uuid.uuid4().hex}:{name}"


def test_json_values_round_trip_with_their_ttl(cache: Cache, raw_redis: redis.Redis) -> None:
    k = key("profile")
    value = {"name": "Ada ✓", "scores": [1, 2.5], "nested": {"ok": True, "none": None}}

    cache.set_json(k, value, ttl_s=cache_keys.CARD_GROWTH_TTL_S)

    assert cache.get_json(k) == value
    assert 0 < raw_redis.ttl(k) <= cache_keys.CARD_GROWTH_TTL_S


def test_many_values_are_stored_at_once_each_with_the_ttl(
    cache: Cache, raw_redis: redis.Redis
) -> None:
    values = {key(f"card{n}"): {"evolution_state": "sprout", "n": n} for n in range(3)}

    cache.set_many_json(values, ttl_s=cache_keys.CARD_GROWTH_TTL_S)
    cache.set_many_json({}, ttl_s=None)

    assert {k: cache.get_json(k) for k in values} == values
    assert all(0 < raw_redis.ttl(k) <= cache_keys.CARD_GROWTH_TTL_S for k in values)
    cache.delete(list(values))


def test_no_ttl_means_the_value_stays(cache: Cache, raw_redis: redis.Redis) -> None:
    k = key("orb")

    cache.set_json(k, "speaking", ttl_s=None)

    assert cache.get_json(k) == "speaking"
    assert raw_redis.ttl(k) == -1
    cache.delete([k])


def test_a_value_is_gone_once_its_ttl_passes(cache: Cache) -> None:
    k = key("short")
    cache.set_json(k, {"v": 1}, ttl_s=1)

    deadline = time.monotonic() + DEADLINE_S
    while cache.get_json(k) is not None and time.monotonic() < deadline:
        time.sleep(0.1)

    assert cache.get_json(k) is None


def test_absent_key_reads_as_none(cache: Cache) -> None:
    assert cache.get_json(key("never-set")) is None


def test_delete_counts_only_keys_that_existed(cache: Cache) -> None:
    a, b, missing = key("a"), key("b"), key("missing")
    cache.set_json(a, 1, ttl_s=60)
    cache.set_json(b, 2, ttl_s=60)

    removed = cache.delete([a, b, missing])

    assert removed == 2
    assert cache.get_json(a) is None and cache.get_json(b) is None
    assert cache.delete([]) == 0


def test_incr_starts_from_zero_and_adds(cache: Cache) -> None:
    k = key("unread")

    first = cache.incr(k)
    second = cache.incr(k, by=5)

    assert (first, second) == (1, 6)
    cache.delete([k])


def test_publish_reaches_a_subscriber(cache: Cache, raw_redis: redis.Redis) -> None:
    channel = channels.channel_name(uuid.uuid4(), Channel.ORB_STATE)
    message = {"visual_state": "thinking", "emotional_tone": "curious"}
    subscriber = raw_redis.pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe(channel)
    received: dict[str, Any] | None = None
    try:
        deadline = time.monotonic() + DEADLINE_S
        while received is None and time.monotonic() < deadline:
            cache.publish(channel, message)  # again until the subscription is live
            got = subscriber.get_message(timeout=0.2)
            if got is not None:
                received = got
    finally:
        subscriber.close()

    assert received is not None
    assert received["channel"] == channel
    assert json.loads(received["data"]) == message


def test_a_recent_list_puts_the_latest_first_once_trims_and_renews_its_ttl(
    cache: Cache, raw_redis: redis.Redis
) -> None:
    k = key("recent")

    for member in ("a", "b", "c", "a", "d"):
        cache.push_recent(k, member, keep=3, ttl_s=cache_keys.RECENT_CARDS_TTL_S)

    assert cache.recent(k, 10) == ["d", "a", "c"]  # "a" moved up, "b" trimmed away
    assert cache.recent(k, 2) == ["d", "a"]
    assert 0 < raw_redis.ttl(k) <= cache_keys.RECENT_CARDS_TTL_S
    assert cache.recent(key("absent"), 5) == []
    cache.delete([k])


def test_a_recent_list_is_gone_once_its_ttl_passes(cache: Cache) -> None:
    k = key("recent-short")
    cache.push_recent(k, "a", keep=3, ttl_s=1)
    deadline = time.monotonic() + DEADLINE_S
    while cache.recent(k, 3) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cache.recent(k, 3) == []


def test_a_tally_adds_per_field_and_expires_when_told(cache: Cache, raw_redis: redis.Redis) -> None:
    k = key("tally")
    ends_at_s = int(time.time()) + cache_keys.DAILY_STATS_TTL_S

    cache.tally(Tally(key=k, counts={"requests": 1, "events.view": 2}, expire_at_s=ends_at_s))
    cache.tally(Tally(key=k, counts={"requests": 1}, expire_at_s=ends_at_s))

    assert cache.tallies(k) == {"requests": 2, "events.view": 2}
    assert cache_keys.DAILY_STATS_TTL_S - 5 < raw_redis.ttl(k) <= cache_keys.DAILY_STATS_TTL_S
    assert cache.tallies(key("absent")) == {}
    past = Tally(key=k, counts={"requests": 1}, expire_at_s=int(time.time()) - 1)
    cache.tally(past)
    assert cache.tallies(k) == {}  # an end already passed drops it at once
    cache.delete([k])


def test_erasure_patterns_remove_a_persons_recent_cards_and_day(cache: Cache) -> None:
    user = uuid.uuid4()
    cache.push_recent(cache_keys.recent_cards(user), "c1", keep=20, ttl_s=60)
    day = cache_keys.daily_stats(user)
    cache.tally(Tally(key=day, counts={"requests": 1}, expire_at_s=int(time.time()) + 60))

    removed = sum(cache.delete_matching(p) for p in cache_keys.user_key_patterns(user))

    assert removed == 2
    assert cache.recent(cache_keys.recent_cards(user), 20) == []
    assert cache.tallies(day) == {}


def test_delete_matching_removes_only_that_users_keys(cache: Cache) -> None:
    user, other = uuid.uuid4(), uuid.uuid4()
    for uid in (user, other):
        cache.set_json(cache_keys.session(uid, "s1"), {"device": "phone"}, ttl_s=60)
        cache.set_json(cache_keys.orb_state(uid), {"visual_state": "idle"}, ttl_s=None)
        cache.set_json(cache_keys.recent_cards(uid), ["c1"], ttl_s=60)
        cache.incr(cache_keys.unread_insights(uid))
    kept = [cache_keys.session(other, "s1"), cache_keys.orb_state(other)]

    removed = sum(cache.delete_matching(p) for p in cache_keys.user_key_patterns(user))

    assert removed == 4
    assert cache.get_json(cache_keys.orb_state(user)) is None
    assert cache.get_json(cache_keys.session(user, "s1")) is None
    assert all(cache.get_json(k) is not None for k in kept)
    cache.delete([*kept, cache_keys.recent_cards(other), cache_keys.unread_insights(other)])


def test_ttls_are_the_seeds() -> None:
    assert cache_keys.SESSION_TTL_S == 3 * 24 * 3600
    assert cache_keys.CARD_GROWTH_TTL_S == 3600
    assert cache_keys.RECENT_CARDS_TTL_S == 24 * 3600
    assert cache_keys.GRAPH_VIEWPORT_TTL_S == 3600
    assert cache_keys.CHALLENGE_STATE_TTL_S == 15 * 60
    assert cache_keys.DAILY_STATS_TTL_S == 24 * 3600
    assert cache_keys.ORB_STATE_TTL_S is None
    assert cache_keys.ACTIVE_SCENE_TTL_S == 24 * 3600  # the seed says N/A: a day, not forever
    assert cache_keys.UNREAD_INSIGHTS_TTL_S is None


def test_key_and_channel_patterns_are_the_seeds() -> None:
    uid = "123"
    assert cache_keys.session(uid, "abc") == "user:123:session:abc"
    assert cache_keys.orb_state(uid) == "user:123:orb:state"
    assert cache_keys.active_scene(uid) == "user:123:scene:active"
    assert cache_keys.card_growth("456") == "card:456:growth"
    assert cache_keys.recent_cards(uid) == "user:123:cards:recent"
    assert cache_keys.graph_viewport(uid) == "user:123:graph:viewport"
    assert cache_keys.challenge_state("789") == "challenge:789:state"
    assert cache_keys.daily_stats(uid) == "user:123:stats:daily"
    assert cache_keys.unread_insights(uid) == "user:123:insights:unread"
    assert channels.channel_name(uid, Channel.ORB_STATE) == "user:123:orb_state"
    assert channels.channel_name(uid, Channel.CARDS) == "user:123:cards"
    assert channels.channel_name(uid, Channel.CHALLENGES) == "user:123:challenges"
    assert channels.channel_name(uid, Channel.INSIGHTS) == "user:123:insights"
    assert channels.channel_name(uid, Channel.SCENE) == "user:123:scene"


def test_publish_wraps_the_message_in_the_envelope_and_refuses_a_foreign_kind() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.published: list[tuple[str, dict[str, Any]]] = []

        def publish(self, channel: str, message: dict[str, Any]) -> None:
            self.published.append((channel, message))

    cache = Recorder()
    card_id = uuid.uuid4()

    channels.publish(
        cache,  # type: ignore[arg-type]
        "123",
        Channel.CARDS,
        channels.envelope("card.evolved", card_id, evolution_state="sprout"),
    )
    with pytest.raises(ValueError, match="not a kind of the insights channel"):
        channels.publish(cache, "123", Channel.INSIGHTS, channels.envelope("card.evolved"))  # type: ignore[arg-type]

    assert cache.published == [
        (
            "user:123:cards",
            {"kind": "card.evolved", "id": str(card_id), "version": None,
             "data": {"evolution_state": "sprout"}},
        )
    ]  # fmt: skip


def test_erasure_patterns_cover_every_per_user_key_and_no_one_elses() -> None:
    user, other = uuid.uuid4(), uuid.uuid4()
    per_user = [
        cache_keys.session(user, "abc"),
        cache_keys.orb_state(user),
        cache_keys.active_scene(user),
        cache_keys.recent_cards(user),
        cache_keys.graph_viewport(user),
        cache_keys.daily_stats(user),
        cache_keys.unread_insights(user),
        f"{cache_keys.rate_limit_prefix('user')}:{user}:29000000",
    ]
    patterns = cache_keys.user_key_patterns(user)

    def covered(k: str) -> bool:
        return any(fnmatch.fnmatchcase(k, p) for p in patterns)

    assert all(covered(k) for k in per_user)
    assert not covered(cache_keys.orb_state(other))
    assert not covered(cache_keys.session(other, "abc"))
