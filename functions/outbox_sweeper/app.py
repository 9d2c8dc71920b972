"""The outbox sweep, every minute: deliver what is due to the database webhook."""

from functools import cache
from typing import Any

from dotline.bootstrap import deps
from dotline.jobs import job
from dotline.services import outbox
from dotline.webhooks import WebhookEndpoint

# Stop claiming batches this long before the function's timeout: a batch in flight must settle.
SAFETY_MARGIN_S = 20.0


@cache
def _endpoint() -> WebhookEndpoint:
    return WebhookEndpoint.from_settings(deps().settings)  # one HTTP client per container


def sweep(event: dict[str, Any], context: Any) -> dict[str, Any]:
    policy = outbox.RetryPolicy.from_settings(deps().settings)
    budget_s = context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_S
    return outbox.drain(deps().db, _endpoint().post, policy, budget_s=budget_s).model_dump()


handler = job(
    "outbox_sweeper",
    sweep,
    counts={"delivered": "OutboxDelivered", "retried": "OutboxRetried", "dead": "OutboxDead"},
)
