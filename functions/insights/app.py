"""The insight cycle, every hour: compile, synthesize, persist and publish for each due person."""

from datetime import timedelta
from typing import Any

from dotline.bootstrap import deps
from dotline.jobs import job
from dotline.services.insights import cycle as insight_cycle

# Stop starting cycles this long before the function's timeout: a cycle in flight must finish.
SAFETY_MARGIN_S = 60.0


def run_cycles(event: dict[str, Any], context: Any) -> dict[str, Any]:
    d = deps()
    return insight_cycle.run_due_cycles(
        d.insight_stores(),
        period=timedelta(days=d.settings.insight_cycle_days),
        batch=d.settings.insight_cycle_batch,
        budget_s=context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_S,
    ).model_dump(mode="json")  # fmt: skip


handler = job("insights", run_cycles, counts={"failed": "InsightCycleFailures"})
