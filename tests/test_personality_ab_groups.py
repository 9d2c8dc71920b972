"""A/B groups in personality rollout: arms of one experiment split the people its percentage
covers evenly and for good; people outside any experiment keep the variant they had."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
from psycopg.types.json import Jsonb

from coaching_catalogue import slug

PEOPLE = 10_000
# Each synthetic person's pick, twice (a flip between the two calls would be a bug).
_PICKS = """
with people as (select id from unnest(%(people)s::uuid[]) as id)
select id::text, private.personality_for(%(app_schema)s, id) ->> 'personality_schema_id',
       private.personality_for(%(app_schema)s, id) ->> 'personality_schema_id'
from people
"""


def add_version(
    pg: psycopg.Connection[Any], key: str, version: str, rollout: int, group: str | None = None
) -> str:
    row = pg.execute(
        "insert into personality_schemas (schema_key, version, layer, schema, status,"
        " rollout_percentage, ab_test_group) values (%s, %s, 'base', %s, 'active', %s, %s)"
        " returning personality_schema_id::text",
        (key, version, Jsonb({"tone": version}), rollout, group),
    ).fetchone()
    assert row is not None
    return str(row[0])


def people(pg: psycopg.Connection[Any], count: int = PEOPLE) -> list[str]:
    rows = pg.execute("select gen_random_uuid()::text from generate_series(1, %s)", (count,))
    return [r[0] for r in rows]


def picks(pg: psycopg.Connection[Any], app_schema: str, who: list[str]) -> dict[str, str]:
    rows = pg.execute(_PICKS, {"people": who, "app_schema": app_schema}).fetchall()
    assert all(first == second for _, first, second in rows), "a pick changed between calls"
    return {person: first for person, first, _ in rows}


def share(assigned: dict[str, str], version: str) -> float:
    return sum(1 for v in assigned.values() if v == version) / len(assigned)


def test_arms_split_the_covered_share_evenly(pg: psycopg.Connection[Any]) -> None:
    # given: the base for everyone, and an experiment over 40% with arms A and B
    key = slug("ab")
    base = add_version(pg, key, "1.0.0", 100)
    arm_a = add_version(pg, key, "2.0.0", 40, "A")
    arm_b = add_version(pg, key, "2.1.0", 40, "B")
    # when
    assigned = picks(pg, base, people(pg))
    # then
    assert abs(share(assigned, base) - 0.60) <= 0.02
    assert abs(share(assigned, arm_a) - 0.20) <= 0.02
    assert abs(share(assigned, arm_b) - 0.20) <= 0.02


def test_adding_an_arm_moves_people_only_into_it(pg: psycopg.Connection[Any]) -> None:
    # given
    key = slug("ab")
    base = add_version(pg, key, "1.0.0", 100)
    arm_a = add_version(pg, key, "2.0.0", 50, "A")
    arm_b = add_version(pg, key, "2.1.0", 50, "B")
    who = people(pg, 5_000)
    before = picks(pg, base, who)
    # when
    arm_c = add_version(pg, key, "2.2.0", 50, "C")
    after = picks(pg, base, who)
    # then
    moved = {p for p in who if before[p] != after[p]}
    assert all(after[p] == arm_c for p in moved)
    assert all(before[p] in (arm_a, arm_b) for p in moved)
    assert abs(share(after, arm_c) - 0.50 / 3) <= 0.02


def test_people_outside_any_experiment_keep_their_variant(pg: psycopg.Connection[Any]) -> None:
    # given: a family rolled out by percentage only, as before A/B groups chose anything
    key = slug("ab")
    base = add_version(pg, key, "1.0.0", 100)
    canary = add_version(pg, key, "2.0.0", 30)
    who = people(pg, 2_000)
    # when
    assigned = picks(pg, base, who)
    # then: exactly the bucket rule of the original selector
    buckets = dict(
        pg.execute(
            "select id::text, private.rollout_bucket(id, %s) from unnest(%s::uuid[]) id", (key, who)
        ).fetchall()
    )
    assert all(assigned[p] == (canary if buckets[p] < 30 else base) for p in who)


def test_the_app_shows_the_callers_arm_through_the_gateway(
    api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given
    key = slug("ab")
    base = add_version(pg, key, "1.0.0", 100)
    groups = {
        add_version(pg, key, "2.0.0", 99, "A"): "A",
        add_version(pg, key, "2.1.0", 99, "B"): "B",
    }
    app_slug = slug("app")
    pg.execute(
        "insert into apps (slug, display_name, domain, personality_schema_id)"
        " values (%s, 'AB', 'health', %s)",
        (app_slug, base),
    )
    user = make_user()
    expected = picks(pg, base, [str(user.user_id)])[str(user.user_id)]
    # when
    seen = [api.get(f"/v1/apps/{app_slug}", headers=user.headers) for _ in range(3)]
    # then
    assert all(r.status_code == 200 for r in seen), seen[0].text
    ids = {r.json()["personality"]["personality_schema_id"] for r in seen}
    assert ids == {expected}
    assert seen[0].json()["personality"]["ab_test_group"] == groups.get(expected)
