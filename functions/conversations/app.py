"""The caller's conversations: /v1/conversations (open, list), /v1/conversations/{conversation_id}
(read with messages) and its end."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.conversations import (
    Conversation,
    ConversationCreate,
    ConversationPage,
    ConversationStatus,
    ConversationWithMessages,
)
from dotline.pagination import DEFAULT_PAGE_SIZE
from dotline.route_params import Cursor, IdempotencyKey, Limit
from dotline.services import conversations
from dotline.services.dialogue import session as dialogue_session

app = resolver()

_OPENED: dict[int, OpenAPIResponse] = {
    200: {
        "description": "Already opened with this session_id",
        "content": {"application/json": {"model": Conversation}},
    },
    201: {"description": "Opened", "content": {"application/json": {"model": Conversation}}},
}


@app.post(
    "/v1/conversations",
    summary="Open a conversation (re-sending the same session_id returns the first, with 200)",
    security=BEARER,
    tags=["conversations"],
    responses=_OPENED,
)
def open_conversation(
    body: ConversationCreate, idempotency_key: IdempotencyKey = None
) -> Response[Conversation]:
    status, conversation = conversations.open_conversation(
        deps().db, current_user(app), body, idempotency_key
    )
    return Response(status, "application/json", conversation)


@app.get(
    "/v1/conversations", summary="List your conversations", security=BEARER, tags=["conversations"]
)
def list_conversations(
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
    app_id: Annotated[UUID | None, Query()] = None,
    status: Annotated[ConversationStatus | None, Query()] = None,
    source_card_id: Annotated[
        UUID | None, Query(description="Only those started from this card of yours")
    ] = None,
) -> ConversationPage:
    return conversations.list_conversations(
        deps().db,
        current_user(app),
        limit=limit,
        cursor=cursor,
        app_id=app_id,
        status=status,
        source_card_id=source_card_id,
    )


@app.get(
    "/v1/conversations/<conversation_id>",
    summary="Read a conversation with a page of its messages, oldest first",
    security=BEARER,
    tags=["conversations"],
)
def read_conversation(
    conversation_id: UUID,
    messages_limit: Limit = DEFAULT_PAGE_SIZE,
    messages_cursor: Cursor = None,
) -> ConversationWithMessages:
    return conversations.get_conversation(
        deps().db,
        current_user(app),
        conversation_id,
        messages_limit=messages_limit,
        messages_cursor=messages_cursor,
    )


@app.post(
    "/v1/conversations/<conversation_id>/end",
    summary="End a conversation (ending it again changes nothing); its dialogue session is dropped",
    security=BEARER,
    tags=["conversations"],
)
def end_conversation(conversation_id: UUID) -> Conversation:
    d, user = deps(), current_user(app)
    ended = conversations.end_conversation(d.db, user, conversation_id)
    dialogue_session.forget(d.cache, user.user_id, conversation_id)  # it takes no more turns
    return ended


handler = entry(app)
