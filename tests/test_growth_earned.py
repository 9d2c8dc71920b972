"""Growth earned by actions, through the real gateway, outbox delivery and ledger: a memory and a
journal reflection each move the configured dimensions by the configured deltas, exactly once,
also when every change is delivered again."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg

from dotline.growth_rules import packaged_config
from dotline.settings import Settings
from user_outbox import deliver_outbox


def growth_of(pg: psycopg.Connection[Any], entity_id: str) -> list[tuple[str, str, float]]:
    rows = pg.execute(
        "select details ->> 'action', dim_key, delta from public.growth_events"
        " where entity_id = %s order by 1, 2",
        (entity_id,),
    ).fetchall()
    return [(action, dim, delta) for action, dim, delta in rows]


def test_a_memory_and_a_reflection_on_it_earn_their_configured_growth_once(
    client: httpx.Client, stack_url: str, make_user: Any, pg: psycopg.Connection[Any],
    settings: Settings,
) -> None:  # fmt: skip
    # given a memory, and a reflection about it and about someone else's memory
    user, stranger = make_user(), make_user()
    mine = client.post(
        "/v1/memories", json={"title": "Lake", "content": "Swam across"}, headers=user.headers
    ).json()["memory_id"]
    theirs = client.post(
        "/v1/memories", json={"title": "Theirs", "content": "Not yours"}, headers=stranger.headers
    ).json()["memory_id"]
    reflection = client.post(
        "/v1/reflections",
        json={"content": "I was braver than I thought", "reflection_type": "daily",
              "related_entities": [{"entity_type": "memory", "entity_id": mine},
                                   {"entity_type": "memory", "entity_id": theirs}]},
        headers=user.headers,
    )  # fmt: skip
    # when every change is delivered, and then delivered all over again
    deliver_outbox(pg, stack_url, settings, user.user_id)
    deliver_outbox(pg, stack_url, settings, user.user_id, again=True)
    summary = client.get("/v1/growth", headers=user.headers).json()["dimensions"]
    # then
    config = packaged_config()
    expected = sorted(
        [("memory_created", dim, delta) for dim, delta in config.deltas("memory_created").items()]
        + [("journal_reflection", d, v) for d, v in config.deltas("journal_reflection").items()]
    )
    assert reflection.status_code == 201, reflection.text
    assert growth_of(pg, mine) == expected
    assert [e for e in growth_of(pg, theirs) if e[0] == "journal_reflection"] == []
    totals = {d["dim_key"]: round(d["total_score"], 6) for d in summary if d["total_score"]}
    assert totals == {"self_know": 0.15, "self_show": 0.05}
