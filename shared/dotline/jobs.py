"""The Lambda handler of a scheduled or event-driven function (no HTTP face).

Like `dotline.api.entry` for routes: the settings gate first (a function that may not serve
touches nothing; the invocation fails, so EventBridge or S3 retries it and then dead-letters),
the Lambda context and correlation id on every log line, one summary line per run, and the run's
metrics: `Runs` and `Failures` under the job's name, plus the counts the job names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from dotline.bootstrap import deps
from dotline.errors import Misconfigured
from dotline.observability import logger, publish, with_lambda_context

Summary = dict[str, Any]
Run = Callable[[dict[str, Any], Any], Summary]
# S3 event notifications carry no id of their own; the request that stored the object has one.
S3_EVENT = 'Records[0].responseElements."x-amz-request-id"'


def job(
    name: str,
    run: Run,
    *,
    counts: Mapping[str, str] | None = None,
    correlation_id_path: str = correlation_paths.EVENT_BRIDGE,
) -> Run:
    """The handler running `run(event, context)`; `counts` maps a summary key (an int) to the
    metric that publishes it."""

    def handler(event: dict[str, Any], context: Any) -> Summary:
        try:
            deps()  # the settings gate
            summary = run(event, context)
        except Misconfigured:
            publish({"job": name}, {"Runs": 1, "Failures": 1})
            raise  # the refusal itself is logged once, naming the settings
        except Exception:
            logger.exception("job failed", extra={"job": name})
            publish({"job": name}, {"Runs": 1, "Failures": 1})
            raise
        logger.info("job finished", extra={"job": name, "summary": summary})
        published = {metric: summary.get(key, 0) for key, metric in (counts or {}).items()}
        publish({"job": name}, {"Runs": 1, "Failures": 0, **published})
        return summary

    return with_lambda_context(handler, correlation_id_path)
