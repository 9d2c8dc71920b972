"""The retention run against real Postgres, the embedded graph and vectors, and Redis.

Every run here is scoped to the test's own people (`user_id=`), since other tests share the
database; the global walk is the same batch functions without the user filter (bench_retention).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any
from uuid import UUID

import psycopg
import pytest

from dotline import cache_keys
from dotline.bootstrap import Deps
from dotline.services.lifecycle import retention
from dotline.settings import Settings
from lifecycle_data import (
    add_behaviour_event,
    add_conversation,
    add_memory,
    cache_state,
    ids,
    mirror,
    node_ids,
    set_retention,
    vector_sources,
)

OLD_DAYS = 40
RECENT_DAYS = 5


class Interrupted(Exception):
    """Stands in for a run killed half-way."""


@pytest.fixture
def deps(settings: Settings) -> Deps:
    return Deps(settings=settings)


def run(deps: Deps, user_id: UUID, **options: Any) -> retention.RetentionReport:
    return retention.run_retention(
        deps.db, graph=deps.graph, vectors=deps.vectors, cache=deps.cache, user_id=user_id,
        **options,
    )  # fmt: skip


def person_with_history(pg: psycopg.Connection[Any], deps: Deps, user_id: UUID) -> dict[str, Any]:
    """Old and recent memories, conversations, messages and events, mirrored everywhere."""
    made = {
        "old_memories": {add_memory(pg, user_id, f"old {n}", age_days=OLD_DAYS) for n in range(3)},
        "new_memories": {add_memory(pg, user_id, f"new {n}", age_days=RECENT_DAYS) for n in range(2)},
        "old_events": {add_behaviour_event(pg, user_id, age_days=OLD_DAYS)},
        "new_events": {add_behaviour_event(pg, user_id, age_days=RECENT_DAYS)},
    }  # fmt: skip
    stale_chat, stale_messages = add_conversation(
        pg, user_id, age_days=OLD_DAYS, message_ages=[OLD_DAYS]
    )
    live_chat, (old_message, new_message) = add_conversation(
        pg, user_id, age_days=OLD_DAYS, message_ages=[OLD_DAYS, 0]
    )
    made |= {
        "old_conversations": {stale_chat}, "new_conversations": {live_chat},
        "old_messages": {*stale_messages, old_message}, "new_messages": {new_message},
    }  # fmt: skip
    mirror(pg, deps, user_id)
    made["cache"] = cache_state(deps, user_id)
    return made


def end_state(pg: psycopg.Connection[Any], user_id: UUID) -> dict[str, Any]:
    return {
        "memories": ids(pg, "memories", "memory_id", user_id),
        "conversations": ids(pg, "conversations", "conversation_id", user_id),
        "messages": ids(pg, "messages", "message_id", user_id),
        "events": ids(pg, "behaviour_events", "event_id", user_id),
        "nodes": node_ids(pg, user_id) - {user_id},
        "vectors": set(vector_sources(pg, user_id)),
        "queued": pg.execute(
            "select count(*) from private.lifecycle_removals where user_id = %s", (user_id,)
        ).fetchone(),
    }


def test_a_30_day_person_loses_exactly_the_older_items_in_every_store(
    pg: psycopg.Connection[Any], deps: Deps, make_user: Any
) -> None:
    # given a person keeping 30 days, with items 40 and 5 days old in every store
    user = make_user()
    set_retention(pg, user.user_id, 30)
    made = person_with_history(pg, deps, user.user_id)
    assert made["old_memories"] <= node_ids(pg, user.user_id)
    assert made["old_memories"] <= set(vector_sources(pg, user.user_id))

    # when retention runs for them
    report = run(deps, user.user_id, batch_size=2)

    # then exactly the items past 30 days are gone, from Postgres, the graph and the vectors
    state = end_state(pg, user.user_id)
    assert state["memories"] == made["new_memories"]
    assert state["conversations"] == made["new_conversations"]
    assert state["messages"] == made["new_messages"]
    assert state["events"] == made["new_events"]
    assert state["nodes"] == made["new_memories"]
    assert state["vectors"] == made["new_memories"]
    assert state["queued"] == (0,)
    # the cache keys the removals made stale are gone; live state and the day's counts are kept
    assert deps.cache.tallies(cache_keys.daily_stats(user.user_id)) == {"events.view": 3}
    assert deps.cache.get_json(cache_keys.graph_viewport(user.user_id)) is None
    assert deps.cache.get_json(cache_keys.orb_state(user.user_id)) == {"state": "calm"}
    assert report.counts["memories_past_retention"] == 3
    assert report.counts["conversations_past_retention"] == 1
    assert report.counts["messages_past_retention"] == 1  # the other went with its conversation
    assert report.counts["behaviour_events_past_retention"] == 1
    recorded = pg.execute(
        "select status, counts from private.job_runs where job_run_id = %s", (report.job_run_id,)
    ).fetchone()
    assert recorded == ("succeeded", report.counts)


def test_a_person_keeping_a_year_keeps_items_40_days_old(
    pg: psycopg.Connection[Any], deps: Deps, make_user: Any
) -> None:
    # given a person on the default 365 days, and a 30-day person beside them
    keeper, leaver = make_user(), make_user()
    set_retention(pg, leaver.user_id, 30)
    kept = person_with_history(pg, deps, keeper.user_id)
    person_with_history(pg, deps, leaver.user_id)
    before = end_state(pg, keeper.user_id)

    # when retention runs for both
    run(deps, leaver.user_id)
    report = run(deps, keeper.user_id)

    # then the keeper's items are all there, in every store
    assert end_state(pg, keeper.user_id) == before
    assert kept["old_memories"] <= before["nodes"]
    per_person = [f"{t}_past_retention" for t in retention.PER_PERSON_TABLES]
    assert {k: report.counts[k] for k in per_person} == dict.fromkeys(per_person, 0)


def test_a_run_killed_half_way_and_rerun_ends_where_one_clean_run_does(
    pg: psycopg.Connection[Any], deps: Deps, make_user: Any
) -> None:
    # given two people with the same history, both keeping 30 days
    interrupted, clean = make_user(), make_user()
    made = {}
    for user in (interrupted, clean):
        set_retention(pg, user.user_id, 30)
        made[user.user_id] = person_with_history(pg, deps, user.user_id)
    batches = 0

    def die_after_two_batches(step: str, rows: int) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise Interrupted(step)

    # when one person's run dies after two batches and is run again, and the other's runs once
    with pytest.raises(Interrupted):
        run(deps, interrupted.user_id, batch_size=1, progress=die_after_two_batches)
    half_way = end_state(pg, interrupted.user_id)
    rerun = run(deps, interrupted.user_id, batch_size=1)
    once = run(deps, clean.user_id, batch_size=1)

    # then the interrupted run left work behind, recorded as failed, and the rerun finished it
    assert half_way["conversations"] == made[interrupted.user_id]["new_conversations"]
    assert half_way["memories"] >= made[interrupted.user_id]["old_memories"]  # not reached yet
    assert half_way["queued"] != (0,)  # deleted in Postgres, not yet removed from the stores
    failed = pg.execute(
        "select status, error from private.job_runs where job_name = 'retention' "
        "and job_run_id < %s order by job_run_id desc limit 1",
        (rerun.job_run_id,),
    ).fetchone()
    assert failed is not None and failed[0] == "failed" and "Interrupted" in failed[1]

    def shape(user_id: UUID) -> dict[str, Any]:
        state, mine = end_state(pg, user_id), made[user_id]
        return {name: _named(mine, found) for name, found in state.items() if name != "queued"}

    assert shape(interrupted.user_id) == shape(clean.user_id)
    assert end_state(pg, interrupted.user_id)["queued"] == (0,)
    per_person = [f"{t}_past_retention" for t in retention.PER_PERSON_TABLES]
    assert sum(rerun.counts[k] for k in per_person) < sum(once.counts[k] for k in per_person)


def _named(made: dict[str, Any], found: set[UUID]) -> set[str]:
    """Which of the person's groups of items (old_memories, new_messages, ...) are left."""
    return {name for name, items in made.items() if name != "cache" and items & found}


def test_the_dry_run_counts_what_would_go_and_changes_nothing(
    pg: psycopg.Connection[Any], deps: Deps, make_user: Any, settings: Settings
) -> None:
    # given a 30-day person with history
    user = make_user()
    set_retention(pg, user.user_id, 30)
    person_with_history(pg, deps, user.user_id)
    before = end_state(pg, user.user_id)

    # when the CLI runs a dry run for them
    result = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "dotline_local.cli", "retention", "run", "--dry-run",
         "--user", str(user.user_id), "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    # then it prints the counts a run would remove, and nothing changed
    assert result.returncode == 0, result.stderr
    assert "dry run: nothing changed" in result.stdout
    counts = json.loads(result.stdout.strip().splitlines()[-1])["counts"]
    assert counts["memories_past_retention"] == 3
    assert counts["conversations_past_retention"] == 1
    assert counts["messages_past_retention"] == 2
    assert end_state(pg, user.user_id) == before


def test_the_cli_run_shows_progress_and_records_the_run(
    pg: psycopg.Connection[Any], deps: Deps, make_user: Any
) -> None:
    # given a 30-day person with history
    user = make_user()
    set_retention(pg, user.user_id, 30)
    made = person_with_history(pg, deps, user.user_id)

    # when the CLI runs retention for them
    result = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "dotline_local.cli", "retention", "run", "--user", str(user.user_id),
         "--batch", "2", "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    # then progress went to stderr, the report to stdout, and the old items are gone
    assert result.returncode == 0, result.stderr
    assert "memories past retention: 3 rows" in result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["counts"]["memories_past_retention"] == 3
    assert ids(pg, "memories", "memory_id", user.user_id) == made["new_memories"]


def test_a_run_that_never_finished_is_recorded_as_interrupted_by_the_next(
    pg: psycopg.Connection[Any], deps: Deps, make_user: Any
) -> None:
    # given a retention run killed outright seven hours ago, and one started an hour ago
    killed = pg.execute(
        "insert into private.job_runs (job_name, started_at) "
        "values ('retention', now() - interval '7 hours') returning job_run_id"
    ).fetchone()
    recent = pg.execute(
        "insert into private.job_runs (job_name, started_at) "
        "values ('retention', now() - interval '1 hour') returning job_run_id"
    ).fetchone()
    assert killed and recent

    # when the next run starts
    run(deps, make_user().user_id)

    # then the old one is recorded as interrupted and the recent one is left alone
    rows = dict(
        pg.execute(
            "select job_run_id, status from private.job_runs where job_run_id = any(%s)",
            ([killed[0], recent[0]],),
        ).fetchall()
    )
    assert rows == {killed[0]: "failed", recent[0]: "running"}
    pg.execute("delete from private.job_runs where job_run_id = %s", (recent[0],))


def test_a_cli_run_killed_with_sigkill_is_finished_by_the_next_run(
    pg: psycopg.Connection[Any], deps: Deps, make_user: Any
) -> None:
    # given a 30-day person with many old memories, in every store
    user = make_user()
    set_retention(pg, user.user_id, 30)
    old = {add_memory(pg, user.user_id, f"old {n}", age_days=OLD_DAYS) for n in range(150)}
    new = {add_memory(pg, user.user_id, "new", age_days=RECENT_DAYS)}
    mirror(pg, deps, user.user_id)
    command = [sys.executable, "-m", "dotline_local.cli", "retention", "run",
               "--user", str(user.user_id), "--batch", "1"]  # fmt: skip

    # when a run is killed outright once it is deleting memories
    killed = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    assert killed.stderr is not None
    seen = b""
    while b"memories past retention" not in seen and killed.poll() is None:
        seen += killed.stderr.read(1)
    killed.kill()
    killed.wait(timeout=30)
    started = pg.execute(
        "select status from private.job_runs where job_name = 'retention' order by job_run_id desc limit 1"
    ).fetchone()

    # and the next run starts
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603

    # then the killed run never recorded an end, and the next one left what one clean run leaves
    assert started == ("running",)
    assert rerun.returncode == 0, rerun.stderr
    state = end_state(pg, user.user_id)
    assert state["memories"] == state["nodes"] == state["vectors"] == new
    assert state["queued"] == (0,)
    assert not old & state["memories"]


def test_a_run_that_removed_messages_drops_the_dialogue_sessions_that_could_hold_them(
    pg: psycopg.Connection[Any], deps: Deps, make_user: Any
) -> None:
    # given a person keeping 30 days whose live conversation has a session holding an old message
    user, other = make_user(), make_user()
    set_retention(pg, user.user_id, 30)
    chat, _ = add_conversation(pg, user.user_id, age_days=OLD_DAYS, message_ages=[OLD_DAYS, 0])
    theirs = cache_keys.session(user.user_id, str(chat))
    kept = cache_keys.session(other.user_id, str(chat))
    for key in (theirs, kept):
        deps.cache.set_json(key, {"recent_messages": ["old"]}, cache_keys.SESSION_TTL_S)

    # when retention removes that message
    report = run(deps, user.user_id)

    # then the person's sessions are gone (the next turn rebuilds from Postgres), no one else's
    assert report.counts["messages_past_retention"] == 1
    assert report.counts["dialogue_sessions_dropped"] == 1
    assert deps.cache.get_json(theirs) is None
    assert deps.cache.get_json(kept) == {"recent_messages": ["old"]}
    deps.cache.delete([kept])
