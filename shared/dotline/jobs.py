"""The Lambda handler of a scheduled or event-driven function (no HTTP face).

Like `dotline.api.entry` for routes: the settings gate first (a function that may not serve
touches nothing; the invocation fails, so EventBridge or S3 retries it and then dead-letters),
the Lambda context and correlation id on every log line, one summary line per run, the run in
`private.job_runs` (start, end, status, counts), and the run's metrics: `Runs`, `Failures` and
`Duration` under the job's name, plus the counts the job names.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from aws_lambda_powertools.logging import correlation_paths

from dotline.bootstrap import deps
from dotline.errors import Misconfigured
from dotline.observability import logger, publish, with_lambda_context
from dotline.services import job_runs

T = TypeVar("T")
Summary = dict[str, Any]
Run = Callable[[dict[str, Any], Any], Summary]
# How a job's runs reach private.job_runs: `run` records the start at once (a killed run stays
# visible) and then the end; `busy` records a run once it ended, unless it failed or counted
# nothing (for jobs every minute, whose idle runs would bury the rest); `off` for a job that
# records itself (retention) or runs per object (S3 events).
Recording = Literal["run", "busy", "off"]
# S3 event notifications carry no id of their own; the request that stored the object has one.
S3_EVENT = 'Records[0].responseElements."x-amz-request-id"'


def job(
    name: str,
    run: Run,
    *,
    counts: Mapping[str, str] | None = None,
    correlation_id_path: str = correlation_paths.EVENT_BRIDGE,
    recording: Recording = "run",
) -> Run:
    """The handler running `run(event, context)`; `counts` maps a summary key (an int) to the
    metric that publishes it."""

    def handler(event: dict[str, Any], context: Any) -> Summary:
        try:
            deps()  # the settings gate
        except Misconfigured:
            publish({"job": name}, {"Runs": 1, "Failures": 1})
            raise  # the refusal itself is logged once, naming the settings
        record = _RunRecord(name, recording)
        try:
            summary = run(event, context)
        except Exception as exc:
            logger.exception("job failed", extra={"job": name})
            record.end({}, f"{type(exc).__name__}: {exc}")
            publish({"job": name}, {"Runs": 1, "Failures": 1}, {"Duration": record.elapsed_ms()})
            raise
        logger.info("job finished", extra={"job": name, "summary": summary})
        record.end(job_runs.counts_of(summary), None)
        published = {metric: summary.get(key, 0) for key, metric in (counts or {}).items()}
        publish(
            {"job": name},
            {"Runs": 1, "Failures": 0, **published},
            {"Duration": record.elapsed_ms()},
        )
        return summary

    return with_lambda_context(handler, correlation_id_path)


class _RunRecord:
    """One run's row in private.job_runs; a failure to record is logged, never the job's."""

    def __init__(self, name: str, recording: Recording) -> None:
        self.name = name
        self.recording = recording
        self.started_at = datetime.now(UTC)
        self._started = time.monotonic()
        self.run_id: int | None = None
        if recording == "run":
            self.run_id = self._safely(lambda: job_runs.start_run(deps().db, name))

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self._started) * 1000

    def end(self, counts: dict[str, int], error: str | None) -> None:
        """Record the end: the started row's, or (busy) one finished row when it matters."""
        db = deps().db
        if self.run_id is not None:
            run_id = self.run_id
            if error is None:
                self._safely(lambda: job_runs.finish_run(db, run_id, counts))
            else:
                self._safely(lambda: job_runs.fail_run(db, run_id, counts, error))
        elif self.recording == "busy" and (error is not None or any(counts.values())):
            self._safely(
                lambda: job_runs.record_finished(db, self.name, self.started_at, counts, error)
            )

    def _safely(self, write: Callable[[], T]) -> T | None:
        try:
            return write()
        except Exception:
            logger.warning("job run not recorded", extra={"job": self.name}, exc_info=True)
            return None
