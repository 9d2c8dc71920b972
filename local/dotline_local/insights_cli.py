"""`dotline insights run [--user UUID] [--force]`: the insight cycle, by hand."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from uuid import UUID

# By hand there is no Lambda timeout: give a sweep of every due person all the time it needs.
SWEEP_BUDGET_S = 3600.0


def insights(args: argparse.Namespace) -> int:
    """The insight cycle: `run` it for every due person, or one (`--force`: even if not due)."""
    from dotline.bootstrap import deps
    from dotline.services.insights import cycle as insight_cycle

    d = deps()
    stores = d.insight_stores()
    period = timedelta(days=d.settings.insight_cycle_days)
    if args.user:
        run = insight_cycle.run_cycle(UUID(args.user), stores, period=period, force=args.force)
        print(json.dumps(run.model_dump(mode="json"), indent=2), flush=True)
        return 0
    sweep = insight_cycle.run_due_cycles(
        stores, period=period, batch=d.settings.insight_cycle_batch, budget_s=SWEEP_BUDGET_S
    )
    done = sum(run.status == "completed" for run in sweep.runs)
    print(f"{done} cycle(s) completed, {sweep.failed} failed", flush=True)
    return 1 if sweep.failed else 0


def insights_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["run"], help="what to do")
    parser.add_argument("--user", help="only this user id (default: every person who is due)")
    parser.add_argument(
        "--force", action="store_true", help="with --user: start a new cycle even if not due"
    )
