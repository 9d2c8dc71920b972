"""The caller's behaviour events: POST /v1/events (batches) and GET /v1/events/summary."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.behaviour_events import (
    MAX_SUMMARY_DAYS,
    MIN_SUMMARY_DAYS,
    BatchReceipt,
    BehaviourSummary,
    EventBatch,
)
from dotline.ports.cache import RatePolicy
from dotline.services import behaviour_events

# Each upload carries up to 1,000 rows, so fewer requests than the default: 30 a minute is
# 30,000 events, far past what a person's app produces, and a runaway client stops early.
EVENT_UPLOADS = RatePolicy(name="events", max_requests=30, window_s=60)

app = resolver()


@app.post(
    "/v1/events",
    summary="Log a batch of your behaviour events",
    description="Stored whole or not at all. Resending a batch_id stores nothing new and "
    "returns the first receipt with replayed: true. More than 1,000 events is a 413.",
    security=BEARER,
    tags=["events"],
    responses={
        202: {"description": "Stored (or stored before, when replayed)"},
        409: {"description": "This batch_id was already used for different events"},
        413: {"description": "More than 1,000 events in the batch"},
    },
)
def log_events(body: EventBatch) -> Response[BatchReceipt]:
    receipt = behaviour_events.record_batch(deps().db, current_user(app), body)
    return Response(202, "application/json", receipt)


@app.get(
    "/v1/events/summary",
    summary="Summarise your behaviour",
    security=BEARER,
    tags=["events"],
)
def summarize_events(
    days: Annotated[int, Query(ge=MIN_SUMMARY_DAYS, le=MAX_SUMMARY_DAYS)] = 30,
) -> BehaviourSummary:
    return behaviour_events.summarize(deps().db, current_user(app), days)


handler = entry(app, rate_limit=EVENT_UPLOADS)
