"""The insight cycle for a seeded person, run by hand (the CLI) and on schedule (the function's
handler), then read through the real gateway: artifacts, prompts, unread counter, channel."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
import redis
from psycopg.types.json import Jsonb

from conftest import ROOT, User
from dotline import bootstrap
from dotline.adapters.local_language_model import LocalLanguageModel
from dotline.db import Database
from dotline.errors import ServiceUnavailable
from dotline.growth_rules import packaged_config
from dotline.ports.insight_synthesis import InsightBrief, InsightSynthesis
from dotline.services.insights import cycle as insight_cycle
from dotline.services.insights._records import persist_cycle
from dotline.settings import Settings
from user_outbox import Channel, deliver_outbox


def seed_person(
    client: httpx.Client, stack_url: str, pg: psycopg.Connection[Any], settings: Settings,
    user: User,
) -> None:  # fmt: skip
    """A person who signed up eight days ago and since talked, remembered and linked concepts."""
    pg.execute(
        "update public.profiles set created_at = now() - interval '8 days' where user_id = %s",
        (user.user_id,),
    )
    conversation = client.post(
        "/v1/conversations", json={"title": "Swimming"}, headers=user.headers
    )
    client.post(
        f"/v1/conversations/{conversation.json()['conversation_id']}/messages",
        json={"content": "I swam across Lake Bled with Mira"},
        headers=user.headers,
    )
    for title in ("Lake Bled", "Night shift", "Mira's birthday"):
        client.post("/v1/memories", json={"title": title, "content": title}, headers=user.headers)
    hub = pg.execute(
        "insert into public.concepts (user_id, name, type) values (%s, 'Swimming', 'activity')"
        " returning concept_id",
        (user.user_id,),
    ).fetchone()
    assert hub is not None
    for name in ("Lake Bled", "Mira", "Training"):
        pg.execute(
            "insert into public.concepts (user_id, name, type, attributes) values (%s, %s, 'topic', %s)",
            (user.user_id, name, Jsonb({"related_concept_ids": [str(hub[0])]})),
        )
    deliver_outbox(pg, stack_url, settings, user.user_id)  # the graph now holds the concepts


def run_cli(redis_rest: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "dotline_local.cli", "insights", "run", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
        env={**os.environ, "UPSTASH_REDIS_REST_URL": redis_rest},
    )  # fmt: skip
    return dict(json.loads(done.stdout))


def count(pg: psycopg.Connection[Any], table: str, user_id: uuid.UUID) -> int:
    row = pg.execute(
        f"select count(*) from public.{table} where user_id = %s",  # noqa: S608 - fixed names
        (user_id,),
    ).fetchone()
    return int(row[0]) if row else 0


def test_a_seeded_persons_cycle_writes_a_summary_and_prompts_exactly_once(
    client: httpx.Client, stack_url: str, redis_rest: str, make_user: Any,
    pg: psycopg.Connection[Any], rds: redis.Redis, settings: Settings,
) -> None:  # fmt: skip
    # given a seeded person listening on their insights channel
    user = make_user()
    seed_person(client, stack_url, pg, settings, user)
    channel = Channel(rds, f"user:{user.user_id}:insights")
    # when their cycle runs by hand, then runs again
    first = run_cli(redis_rest, "--user", str(user.user_id))
    written = (
        count(pg, "derived_artifacts", user.user_id),
        count(pg, "proactive_prompts", user.user_id),
    )
    again = run_cli(redis_rest, "--user", str(user.user_id))
    heard = channel.drain()
    channel.close()
    # then
    assert first["status"] == "completed"
    assert again["status"] == "not_due"
    assert written == (2, len(first["prompt_ids"]))
    assert (count(pg, "derived_artifacts", user.user_id),
            count(pg, "proactive_prompts", user.user_id)) == written  # fmt: skip
    summaries = client.get(
        "/v1/artifacts", params={"type": "insight_summary"}, headers=user.headers
    ).json()["items"]
    assert len(summaries) == 1
    assert "Swimming" in summaries[0]["content_narrative"]
    prompts = client.get("/v1/prompts", headers=user.headers).json()["items"]
    assert sorted(p["prompt_id"] for p in prompts) == sorted(first["prompt_ids"])
    assert any("Swimming" in p["prompt_text"] for p in prompts)
    assert {m["kind"] for m in heard} == {"insight.created"}
    assert sorted(m["id"] for m in heard) == sorted(first["artifact_ids"])
    profile = pg.execute(
        "select memory_profile, next_conversation_context_package, last_cycle_started_at"
        " from public.profiles where user_id = %s",
        (user.user_id,),
    ).fetchone()
    assert profile is not None
    assert profile[0]["central_concepts"][0]["name"] == "Swimming"
    assert profile[1]["insight_id"] == summaries[0]["artifact_id"]
    assert profile[2] is not None


def test_a_second_runner_of_the_same_cycle_writes_nothing(
    client: httpx.Client, stack_url: str, make_user: Any, pg: psycopg.Connection[Any],
    settings: Settings,
) -> None:  # fmt: skip
    # given a person whose cycle one runner has just persisted
    user = make_user()
    seed_person(client, stack_url, pg, settings, user)
    brief = InsightBrief(conversations=1, messages=1)
    synthesis = InsightSynthesis(title="Week", summary="You swam.", prompts=["How was it?"])
    winner = persist_cycle(Database(settings), user.user_id, None, brief, synthesis)
    # when a concurrent runner that read the same (first) cycle persists too
    loser = persist_cycle(Database(settings), user.user_id, None, brief, synthesis)
    # then
    assert (winner.status, loser.status) == ("completed", "already_ran")
    assert (count(pg, "derived_artifacts", user.user_id),
            count(pg, "proactive_prompts", user.user_id)) == (2, 1)  # fmt: skip


def test_the_scheduled_function_runs_due_people_and_counts_their_unread_insights(
    client: httpx.Client, stack_url: str, redis_rest: str, make_user: Any,
    pg: psycopg.Connection[Any], settings: Settings,
) -> None:  # fmt: skip
    # given a due person and a person who signed up today
    due, fresh = make_user(), make_user()
    seed_person(client, stack_url, pg, settings, due)
    client.post("/v1/memories", json={"title": "x", "content": "y"}, headers=fresh.headers)
    # when the schedule fires
    handler = scheduled_handler()
    bootstrap.use(
        bootstrap.Deps(settings.model_copy(update={"upstash_redis_rest_url": redis_rest}))
    )
    try:
        result = handler({}, FakeContext())
    finally:
        bootstrap.use(None)
    unread = client.get("/v1/insights/unread", headers=due.headers).json()
    reset = client.post("/v1/insights/read", headers=due.headers).json()
    after = client.get("/v1/insights/unread", headers=due.headers).json()
    # then
    users = {run["user_id"]: run["status"] for run in result["runs"]}
    assert users[str(due.user_id)] == "completed"
    assert str(fresh.user_id) not in users
    assert (unread, reset, after) == ({"unread": 2}, {"unread": 0}, {"unread": 0})


def scheduled_handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    spec = importlib.util.spec_from_file_location(
        "insights_app", ROOT / "functions/insights/app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler  # type: ignore[no-any-return]


class FakeContext:
    """The part of a Lambda context the scheduled function reads."""

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


class DownModel:
    """A language model endpoint that is down."""

    def synthesize_insights(self, brief: InsightBrief) -> InsightSynthesis:
        raise ServiceUnavailable("The language model is unreachable.")


def test_a_person_whose_synthesis_fails_stays_due_and_the_others_go_on(
    client: httpx.Client, stack_url: str, make_user: Any, pg: psycopg.Connection[Any],
    settings: Settings, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    # given a due person and a model that is down
    user = make_user()
    seed_person(client, stack_url, pg, settings, user)
    deps = bootstrap.Deps(settings)
    stores = bootstrap.InsightStores(
        deps.db, deps.graph, DownModel(), deps.cache, packaged_config()
    )
    week = timedelta(days=7)
    # when the schedule runs everyone due, then runs again with the model back
    sweep = insight_cycle.run_due_cycles(stores, period=week, batch=1_000, budget_s=60.0)
    back = replace(stores, model=LocalLanguageModel())
    later = insight_cycle.run_cycle(user.user_id, back, period=week)
    # then
    assert sweep.failed >= 1
    assert str(user.user_id) not in {str(r.user_id) for r in sweep.runs}
    assert "insight cycle failed for user " + str(user.user_id) in caplog.text
    assert later.status == "completed"
