"""The outbox sweep, every minute: deliver what is due to the database webhook."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from dotline.bootstrap import deps
from dotline.jobs import job
from dotline.services import outbox
from dotline.webhooks import WebhookEndpoint

if TYPE_CHECKING:
    from dotline.settings import Settings

# Stop claiming batches this long before the function's timeout: a batch in flight must settle.
SAFETY_MARGIN_S = 20.0


@lru_cache(maxsize=1)
def _endpoint(settings: Settings) -> WebhookEndpoint:
    # One HTTP client per container, signing with the current secret: a rotated secret (new
    # settings) gets a new endpoint.
    return WebhookEndpoint.from_settings(settings)


def sweep(event: dict[str, Any], context: Any) -> dict[str, Any]:
    d = deps()
    policy = outbox.RetryPolicy.from_settings(d.settings)
    budget_s = context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_S
    return outbox.drain(d.db, _endpoint(d.settings).post, policy, budget_s=budget_s).model_dump()


handler = job(
    "outbox_sweeper",
    sweep,
    counts={"delivered": "OutboxDelivered", "retried": "OutboxRetried", "dead": "OutboxDead"},
    recording="busy",
)
