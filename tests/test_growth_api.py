"""Growth through the real gateway: summary, event stream, card dimensions, backfill, overrides."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
import redis
from psycopg.types.json import Jsonb

from dotline.growth_rules import OVERRIDE_KEY, cohort_bucket, packaged_config

REDIS_URL = "redis://127.0.0.1:6379/0"
DIMS = ["self_know", "self_act", "self_show", "world_know", "world_act", "world_show"]
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def rest_url(redis_rest: str) -> str:
    return redis_rest


@pytest.fixture(scope="module")
def stack_url(start_gateway: Callable[..., str], rest_url: str) -> str:
    return start_gateway({"UPSTASH_REDIS_REST_URL": rest_url})


@pytest.fixture
def client(stack_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack_url, timeout=10) as http:
        yield http


def add_event(
    pg: psycopg.Connection[Any],
    user_id: uuid.UUID,
    *,
    dim_key: str = "self_know",
    entity_type: str = "memory",
    entity_id: uuid.UUID | None = None,
    source: str = "journal_entry",
    delta: float = 0.1,
    at: datetime = BASE_TIME,
) -> None:
    pg.execute(
        "insert into public.growth_events"
        " (user_id, entity_type, entity_id, dim_key, delta, source, created_at)"
        " values (%s, %s, %s, %s, %s, %s, %s)",
        (user_id, entity_type, entity_id or uuid.uuid4(), dim_key, delta, source, at),
    )


def read_all(client: httpx.Client, user: Any, limit: int, **filters: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit, **filters}
    while True:
        page = client.get("/v1/growth/events", params=params, headers=user.headers)
        assert page.status_code == 200, page.text
        items.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items
        params["cursor"] = cursor


def test_summary_lists_every_dimension_with_totals_and_last_activity(
    client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given
    user, other = make_user(), make_user()
    add_event(pg, user.user_id, dim_key="self_know", delta=0.25, at=BASE_TIME)
    add_event(pg, user.user_id, dim_key="self_know", delta=0.5, at=BASE_TIME + timedelta(days=1))
    add_event(pg, other.user_id, dim_key="self_know", delta=9.0)
    # when
    response = client.get("/v1/growth", headers=user.headers)
    # then
    assert response.status_code == 200, response.text
    dims = {d["dim_key"]: d for d in response.json()["dimensions"]}
    assert list(dims) == DIMS
    assert dims["self_know"]["total_score"] == pytest.approx(0.75)
    assert dims["self_know"]["entity_count"] == 2
    assert datetime.fromisoformat(dims["self_know"]["last_activity"]) == BASE_TIME + timedelta(
        days=1
    )
    assert dims["world_act"]["total_score"] == 0 and dims["world_act"]["last_activity"] is None
    assert dims["self_know"]["color"].startswith("#") and dims["self_know"]["label"]


def test_event_stream_pages_without_gaps_or_duplicates(
    client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    for i in range(23):  # several events share a timestamp, so the cursor must break ties
        add_event(pg, user.user_id, dim_key=DIMS[i % 6], at=BASE_TIME + timedelta(hours=i // 3))

    items = read_all(client, user, limit=4)

    ids = [e["event_id"] for e in items]
    assert len(ids) == 23 and len(set(ids)) == 23
    expected = pg.execute(
        "select event_id::text from public.growth_events where user_id = %s"
        " order by created_at desc, event_id desc",
        (user.user_id,),
    ).fetchall()
    assert ids == [row[0] for row in expected]


def test_event_stream_filters(
    client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    add_event(pg, user.user_id, dim_key="world_show", at=BASE_TIME)
    add_event(pg, user.user_id, entity_type="concept", at=BASE_TIME + timedelta(days=1))
    add_event(pg, user.user_id, source="challenge_complete", at=BASE_TIME + timedelta(days=2))
    add_event(pg, user.user_id, at=BASE_TIME + timedelta(days=3))

    assert len(read_all(client, user, 2, dim_key="world_show")) == 1
    assert len(read_all(client, user, 2, entity_type="concept")) == 1
    assert len(read_all(client, user, 2, source="challenge_complete")) == 1
    window = read_all(
        client,
        user,
        2,
        created_from=(BASE_TIME + timedelta(days=1)).isoformat(),
        created_to=(BASE_TIME + timedelta(days=3)).isoformat(),
    )
    assert len(window) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"dim_key": "self_feel"}, "dim_key"),
        ({"entity_type": "planet"}, "entity_type"),
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"created_from": "yesterday"}, "created_from"),
        (
            {"created_from": "2026-02-01T00:00:00Z", "created_to": "2026-01-01T00:00:00Z"},
            "created_from",
        ),
    ],
)
def test_bad_stream_query_is_422_naming_the_field(
    client: httpx.Client, make_user: Any, params: dict[str, Any], field: str
) -> None:
    response = client.get("/v1/growth/events", params=params, headers=make_user().headers)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == f"query.{field}"


def make_card(pg: psycopg.Connection[Any], user_id: uuid.UUID, concept_id: uuid.UUID) -> uuid.UUID:
    row = pg.execute(
        "insert into public.cards (user_id, card_type, source_entity_id, source_entity_type)"
        " values (%s, 'concept', %s, 'concept') returning card_id",
        (user_id, concept_id),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def test_card_dimensions_show_scores_last_source_and_evolution(
    client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user, stranger = make_user(), make_user()
    concept = uuid.uuid4()
    card = make_card(pg, user.user_id, concept)
    add_event(pg, user.user_id, entity_type="concept", entity_id=concept, source="journal_entry")
    add_event(
        pg,
        user.user_id,
        entity_type="concept",
        entity_id=concept,
        source="conversation",
        at=BASE_TIME + timedelta(days=1),
    )

    sprout = client.get(f"/v1/cards/{card}/dimensions", headers=user.headers)
    for dim in DIMS:
        add_event(pg, user.user_id, entity_type="concept", entity_id=concept, dim_key=dim)
    pg.execute(
        "insert into public.graph_connection_stats (user_id, entity_type, entity_id, connection_count)"
        " values (%s, 'concept', %s, 12)",
        (user.user_id, concept),
    )
    supernova = client.get(f"/v1/cards/{card}/dimensions", headers=user.headers)
    hidden = client.get(f"/v1/cards/{card}/dimensions", headers=stranger.headers)

    assert sprout.status_code == 200, sprout.text
    body = sprout.json()
    assert body["evolution_state"] == "sprout"
    assert [(d["dim_key"], d["last_source"]) for d in body["dimensions"]] == [
        ("self_know", "conversation")
    ]
    assert body["dimensions"][0]["score"] == pytest.approx(0.2)
    assert supernova.json()["evolution_state"] == "supernova"
    assert supernova.json()["dimension_count"] == 6
    assert hidden.status_code == 404


def run_backfill(user_id: uuid.UUID, rest_url: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "dotline_local.cli", "growth", "backfill", "--user", str(user_id)],
        env={**os.environ, "UPSTASH_REDIS_REST_URL": rest_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_backfill_is_idempotent(make_user: Any, pg: psycopg.Connection[Any], rest_url: str) -> None:
    # given a connected concept, an unconnected one and a memory
    user = make_user()
    connected, lonely = uuid.uuid4(), uuid.uuid4()
    for concept_id, name in ((connected, "hiking"), (lonely, "chess")):
        pg.execute(
            "insert into public.concepts (concept_id, user_id, name, type) values (%s, %s, %s, 'theme')",
            (concept_id, user.user_id, name),
        )
    pg.execute(
        "insert into public.graph_connection_stats (user_id, entity_type, entity_id, connection_count)"
        " values (%s, 'concept', %s, 2)",
        (user.user_id, connected),
    )
    pg.execute(
        "insert into public.memories (user_id, title, content) values (%s, 'A walk', 'We walked.')",
        (user.user_id,),
    )
    config = packaged_config()
    expected_count = len(config.deltas("concept_backfill")) + len(config.deltas("memory_created"))

    # when run twice
    first = run_backfill(user.user_id, rest_url)
    after_first = pg.execute(
        "select count(*), sum(delta) from public.growth_events where user_id = %s", (user.user_id,)
    ).fetchone()
    second = run_backfill(user.user_id, rest_url)
    after_second = pg.execute(
        "select count(*), sum(delta) from public.growth_events where user_id = %s", (user.user_id,)
    ).fetchone()

    # then
    assert f"{expected_count} event(s) added" in first
    assert "0 event(s) added" in second
    assert after_first == after_second
    assert after_first is not None and after_first[0] == expected_count
    sources = pg.execute(
        "select distinct entity_id, source from public.growth_events where user_id = %s",
        (user.user_id,),
    ).fetchall()
    assert {row[1] for row in sources} == {"migration"}
    assert lonely not in {row[0] for row in sources}
    profile = pg.execute(
        "select growth_profile from public.profiles where user_id = %s", (user.user_id,)
    ).fetchone()
    assert profile is not None
    assert sum(profile[0].values()) == pytest.approx(after_first[1])


@pytest.fixture
def growth_override() -> Iterator[Callable[[dict[str, Any]], None]]:
    conn = redis.Redis.from_url(REDIS_URL)

    def publish(config: dict[str, Any]) -> None:
        conn.set(OVERRIDE_KEY, json.dumps(config))

    yield publish
    conn.delete(OVERRIDE_KEY)
    conn.close()


def complete_new_challenge(
    client: httpx.Client, pg: psycopg.Connection[Any], user: Any
) -> dict[str, float]:
    template_id = uuid.uuid4()
    pg.execute(
        "insert into public.challenge_templates (challenge_template_id, name, dim_keys, payload)"
        " values (%s, %s, %s, %s)",
        (template_id, f"override {template_id.hex[:8]}", ["self_act"], Jsonb({})),
    )
    try:
        started = client.post(
            "/v1/challenges", json={"challenge_template_id": str(template_id)}, headers=user.headers
        ).json()
        done = client.post(
            f"/v1/challenges/{started['user_challenge_id']}/complete", headers=user.headers
        )
        assert done.status_code == 200, done.text
        return {e["dim_key"]: e["delta"] for e in done.json()["growth"]}
    finally:
        pg.execute(
            "delete from public.user_challenges where challenge_template_id = %s", (template_id,)
        )
        pg.execute(
            "delete from public.challenge_templates where challenge_template_id = %s",
            (template_id,),
        )


def completed_growth(
    client: httpx.Client, pg: psycopg.Connection[Any], user: Any
) -> list[dict[str, Any]]:
    """The growth events of completing a new self_act challenge, through the API."""
    template_id = uuid.uuid4()
    pg.execute(
        "insert into public.challenge_templates (challenge_template_id, name, dim_keys)"
        " values (%s, %s, %s)",
        (template_id, f"variant {template_id.hex[:8]}", ["self_act"]),
    )
    started = client.post(
        "/v1/challenges", json={"challenge_template_id": str(template_id)}, headers=user.headers
    ).json()
    done = client.post(
        f"/v1/challenges/{started['user_challenge_id']}/complete", headers=user.headers
    )
    assert done.status_code == 200, done.text
    return list(done.json()["growth"])


def test_each_cohort_earns_by_its_variants_rules_and_the_event_names_it(
    client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], growth_override: Any
) -> None:
    # given an experiment giving half the people a bolder challenge rule
    packaged = json.loads(packaged_config().model_dump_json())
    experiment = {**packaged, "version": packaged["version"] + 1}
    experiment["variants"] = [
        {"name": "bold", "share_percent": 50, "rules": {"challenge_completed": {"self_act": 0.5}}}
    ]
    growth_override(experiment)
    base = packaged_config().deltas("challenge_completed", ["self_act"])
    seen: dict[str, int] = {}
    for _ in range(40):
        # when people of either cohort complete a challenge
        user = make_user()
        cohort = "bold" if cohort_bucket(uuid.UUID(str(user.user_id))) < 50 else "control"
        if seen.get(cohort, 0) >= 2:
            continue
        seen[cohort] = seen.get(cohort, 0) + 1
        growth = completed_growth(client, pg, user)
        # then each earns by its cohort's rule, and every event says which cohort that was
        expected = {"self_act": 0.5} if cohort == "bold" else base
        assert {e["dim_key"]: e["delta"] for e in growth} == expected
        assert {e["details"]["variant"] for e in growth} == {cohort}
        if seen == {"bold": 2, "control": 2}:
            break
    assert seen == {"bold": 2, "control": 2}


def test_a_higher_version_in_redis_changes_the_deltas_without_a_migration(
    client: httpx.Client, make_user: Any, pg: psycopg.Connection[Any], growth_override: Any
) -> None:
    packaged = json.loads(packaged_config().model_dump_json())
    newer = {**packaged, "version": packaged["version"] + 1}
    newer["rules"] = {**packaged["rules"], "challenge_completed": {"self_act": 0.75}}
    older = {**newer, "version": packaged["version"]}
    older["rules"] = {**packaged["rules"], "challenge_completed": {"self_act": 9.0}}

    growth_override(older)
    ignored = complete_new_challenge(client, pg, make_user())
    growth_override(newer)
    applied = complete_new_challenge(client, pg, make_user())
    growth_override({"version": 99, "rules": "garbage"})
    invalid = complete_new_challenge(client, pg, make_user())

    assert ignored == packaged_config().deltas("challenge_completed", ["self_act"])
    assert applied == {"self_act": 0.75}
    assert invalid == ignored


def test_packaged_configuration_serves_when_redis_is_down(settings: Any) -> None:
    from dotline.adapters.upstash_cache import UpstashCache
    from dotline.adapters.upstash_redis import redis_from_settings
    from dotline.growth_rules import current_config

    unreachable = settings.model_copy(
        update={"upstash_redis_rest_url": "http://127.0.0.1:9", "redis_timeout_s": 0.3}
    )

    config = current_config(UpstashCache(redis_from_settings(unreachable)))

    assert config == packaged_config()
