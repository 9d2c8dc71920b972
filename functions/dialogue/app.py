"""The dialogue: POST /v1/conversations/{conversation_id}/messages stores a message and the
coach's answer. Its own function because answering costs more than reading: its own rate limit."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.dialogue import Exchange, MessageCreate
from dotline.rate_limiting import MESSAGES
from dotline.services.dialogue import dialogue

app = resolver()

IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1, max_length=255, description="Replays the first answer to the same message"
    ),
]
_ANSWERED: dict[int, OpenAPIResponse] = {
    201: {
        "description": "Stored and answered",
        "content": {"application/json": {"model": Exchange}},
    },
    404: {"description": "No such conversation of yours"},
    409: {"description": "The conversation has ended"},
}


@app.post(
    "/v1/conversations/<conversation_id>/messages",
    summary="Send a message and get the coach's answer, grounded in its knowledge and your memories",
    security=BEARER,
    tags=["conversations"],
    responses=_ANSWERED,
)
def send_message(
    conversation_id: UUID, body: MessageCreate, idempotency_key: IdempotencyKey = None
) -> Response[Exchange]:
    d = deps()
    status, exchange = dialogue.post_message(
        d.db,
        current_user(app),
        conversation_id,
        body,
        idempotency_key,
        language_model=d.language_model,
        embedder=d.embedder,
        vectors=d.vectors,
        cache=d.cache,
    )
    return Response(status, "application/json", exchange)


handler = entry(app, rate_limit=MESSAGES)
