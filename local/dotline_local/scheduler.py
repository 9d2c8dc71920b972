"""The local EventBridge: fires each scheduled function of template.yaml on its schedule.

A gateway background task (`--run-schedules`). Every enabled `Schedule`/`ScheduleV2` event is
parsed once (schedule_expressions); one that cannot be fired locally (a cron using L, W or #,
a malformed expression) or that is disabled is logged and skipped. A rate fires one period after
the scheduler starts, and every period after, as a new rule does in AWS; a cron fires at its
matching UTC minutes. The function gets the event EventBridge would send: the schedule's
`Input` when it has one, else a "Scheduled Event". A function still busy with its previous
run is not invoked again (logged), so a slow job never piles up. `speedup` compresses time for
demos and tests: at 60 a minute passes in a second.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dotline_local.function_host import FunctionHost
from dotline_local.request_log import logger
from dotline_local.sam_template import FunctionSpec, Schedule
from dotline_local.schedule_expressions import Cron, Rate, UnsupportedSchedule, parse

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


@dataclass(frozen=True)
class Planned:
    """One schedule the scheduler fires."""

    function: FunctionSpec
    schedule: Schedule
    when: Rate | Cron

    @property
    def label(self) -> str:
        return f"{self.function.logical_id}.{self.schedule.name}"


def plan(functions: Collection[FunctionSpec], skip: Collection[str] = ()) -> list[Planned]:
    """The schedules to fire; the others are logged with the reason they are not."""
    planned = []
    for function in functions:
        for schedule in function.schedules:
            label = f"{function.logical_id}.{schedule.name}"
            if function.logical_id in skip:
                logger.info("scheduler: %s not scheduled (another background task runs it)", label)
            elif not schedule.enabled:
                logger.info("scheduler: %s is disabled in the template; not scheduled", label)
            else:
                try:
                    planned.append(Planned(function, schedule, parse(schedule.expression)))
                except UnsupportedSchedule as exc:
                    logger.warning("scheduler: %s not scheduled: %s", label, exc)
    return planned


def scheduled_event(planned: Planned, at: datetime) -> dict[str, Any]:
    """What EventBridge hands the function: the schedule's Input, or a Scheduled Event."""
    if planned.schedule.input is not None:
        parsed: dict[str, Any] = json.loads(planned.schedule.input)
        return parsed
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{planned.label}"],
        "detail": {},
    }


def run_schedules(
    *, skip: Collection[str] = (), speedup: float = 1.0, now: Callable[[], datetime] | None = None
) -> Callable[[FunctionHost], Any]:
    """The background task: `skip` names functions another task already drives."""
    clock = now or (lambda: datetime.now(UTC))

    async def task(host: FunctionHost) -> None:
        planned = plan(host.template.scheduled_functions, skip)
        if not planned:
            logger.info("scheduler: no schedules to fire")
            return
        started = clock()
        logger.info(
            "scheduler firing %s (speedup %g)", ", ".join(p.label for p in planned), speedup
        )
        await asyncio.gather(*(_fire_forever(host, p, started, speedup, clock) for p in planned))

    return task


async def _fire_forever(
    host: FunctionHost,
    planned: Planned,
    started: datetime,
    speedup: float,
    clock: Callable[[], datetime],
) -> None:
    """Sleep until the schedule's next time (on the compressed clock), fire, repeat."""
    running: asyncio.Task[None] | None = None
    virtual = started
    while True:
        base = clock() if speedup == 1 else virtual  # real time: no drift; compressed: exact steps
        due = planned.when.next_after(base, started)
        await asyncio.sleep(max(0.0, (due - base).total_seconds() / speedup))
        virtual = due
        if running is not None and not running.done():
            logger.warning("scheduler: %s still running; this run is skipped", planned.label)
            continue
        running = asyncio.create_task(_invoke(host, planned, due))


async def _invoke(host: FunctionHost, planned: Planned, at: datetime) -> None:
    request_id = str(uuid.uuid4())
    try:
        result = await host.invoke(
            planned.function.logical_id, scheduled_event(planned, at), request_id
        )
    except Exception:
        logger.exception("scheduler: %s failed (request %s)", planned.label, request_id)
        return
    summary = json.dumps(result, default=str)[:300] if result is not None else "done"
    logger.info("scheduler: %s ran: %s", planned.label, summary)
