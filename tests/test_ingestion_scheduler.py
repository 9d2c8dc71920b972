"""The local scheduler (`--run-schedules`) that fires the template's scheduled functions, such as
ingestion: its schedule expressions, and a real gateway firing a fixture template's schedules
(time compressed sixty-fold, so a minute passes in a second)."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, start_server
from dotline_local.sam_template import read_template
from dotline_local.schedule_expressions import UnsupportedSchedule, parse
from dotline_local.scheduler import plan

FIXTURE = ROOT / "tests" / "fixtures" / "scheduler" / "template.yaml"
DEADLINE_S = 20.0
START = datetime(2026, 12, 2, 15, 7, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("rate(1 minute)", START, START + timedelta(minutes=1)),
        ("rate(5 minutes)", START + timedelta(minutes=7), START + timedelta(minutes=10)),
        ("rate(1 hour)", START, START + timedelta(hours=1)),
        ("rate(2 days)", START, START + timedelta(days=2)),
        ("cron(* * * * ? *)", START, datetime(2026, 12, 2, 15, 8, tzinfo=UTC)),
        ("cron(*/15 * * * ? *)", START, datetime(2026, 12, 2, 15, 15, tzinfo=UTC)),
        ("cron(0 3 * * ? *)", START, datetime(2026, 12, 3, 3, 0, tzinfo=UTC)),
        ("cron(30 9 ? * MON-FRI *)", START, datetime(2026, 12, 3, 9, 30, tzinfo=UTC)),
        ("cron(0 12 ? * 1 *)", START, datetime(2026, 12, 6, 12, 0, tzinfo=UTC)),  # SUN=1
        ("cron(0 0 1 JAN ? *)", START, datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
        ("cron(0 8 1,15 * ? 2027)", START, datetime(2027, 1, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_a_schedule_fires_next_when_eventbridge_would(
    expression: str, after: datetime, expected: datetime
) -> None:
    assert parse(expression).next_after(after, START) == expected


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("cron(0 0 L * ? *)", "L, W or #"),
        ("cron(0 0 ? * 6#3 *)", "L, W or #"),
        ("cron(0 0 * *)", "6 fields"),
        ("cron(61 * * * ? *)", "out of range"),
        ("rate(0 minutes)", "at least 1"),
        ("every day", "neither"),
    ],
)
def test_an_expression_that_cannot_be_fired_locally_says_why(expression: str, reason: str) -> None:
    with pytest.raises(UnsupportedSchedule, match=reason):
        parse(expression)


def test_the_plan_skips_disabled_unsupported_and_otherwise_driven_schedules(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    functions = read_template(FIXTURE).scheduled_functions

    planned = plan(functions, skip={"CronFunction"})

    assert [p.label for p in planned] == ["EveryMinuteFunction.Tick"]
    logged = caplog.text
    assert "CronFunction.EveryMinute not scheduled (another background task runs it)" in logged
    assert "DisabledFunction.Paused is disabled" in logged
    assert "LastDayFunction.MonthEnd not scheduled" in logged and "L, W or #" in logged


def read_ticks(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def test_a_gateway_with_run_schedules_fires_each_enabled_schedule_with_its_event(
    tmp_path: Path,
) -> None:
    # given a gateway over a template of scheduled functions, running its schedules 60x faster
    ticks = tmp_path / "ticks.jsonl"
    log = tmp_path / "gateway.log"
    server = start_server(
        "dotline_local.gateway",
        ["--template", str(FIXTURE), "--run-schedules", "--schedule-speedup", "60"],
        {"SCHEDULER_TICKS": str(ticks)},
        log,
    )
    try:
        # when a few (compressed) minutes pass
        deadline = time.monotonic() + DEADLINE_S
        fired: dict[str, list[dict[str, Any]]] = {}
        while time.monotonic() < deadline:
            fired = {}
            for tick in read_ticks(ticks):
                fired.setdefault(tick["function"], []).append(tick["event"])
            if all(len(fired.get(f, [])) >= 2 for f in ("EveryMinuteFunction", "CronFunction")):
                break
            time.sleep(0.2)
    finally:
        server.stop()

    # then each enabled schedule fired repeatedly, and the others never did
    assert set(fired) == {"EveryMinuteFunction", "CronFunction"}, log.read_text()[-2000:]
    assert len(fired["EveryMinuteFunction"]) >= 2 and len(fired["CronFunction"]) >= 2
    # and a rate schedule gets EventBridge's scheduled event, a schedule with Input its input
    event = fired["EveryMinuteFunction"][0]
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "aws.events",
        "Scheduled Event",
        {},
    )
    assert event["resources"][0].endswith(":rule/EveryMinuteFunction.Tick")
    assert fired["CronFunction"][0] == {"job": "cron"}
    assert "LastDayFunction.MonthEnd not scheduled" in log.read_text()
