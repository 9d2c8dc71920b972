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
)
from dotline.models.event_upload import EVENT_BATCH_BODY, EventUpload
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
    # The body is validated by EventUpload (pydantic's Rust path on the raw JSON), not by the
    # resolver's stdlib parse, so its schema is declared here rather than from the signature.
    openapi_extensions={"requestBody": EVENT_BATCH_BODY},
    responses={
        202: {"description": "Stored (or stored before, when replayed)"},
        409: {"description": "This batch_id was already used for different events"},
        413: {"description": "More than 1,000 events in the batch"},
        422: {
            "description": "An event is not valid: `errors` names the first (events.INDEX.FIELD)"
        },
    },
)
def log_events() -> Response[BatchReceipt]:
    upload = EventUpload.from_json(app.current_event.decoded_body)
    d = deps()
    receipt = behaviour_events.record_batch(d.db, d.cache, current_user(app), upload)
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
