"""A message a person sends into a conversation, and the exchange it answers with."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from dotline.models.conversations import Message

MAX_MESSAGE_CHARS = 8_000
MAX_MEDIA_PER_MESSAGE = 20

MessageText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS)
]


class MessageCreate(BaseModel):
    """What a person says, with any of their uploaded media attached."""

    model_config = ConfigDict(extra="forbid")

    content: MessageText
    media_ids: list[UUID] = Field(default_factory=list, max_length=MAX_MEDIA_PER_MESSAGE)


class AssistantMessage(Message):
    """The coach's turn, with what producing it cost."""

    confidence_score: float | None
    tokens_used: int | None
    generation_time_ms: int | None
    intimacy_code_reference: str | None = Field(
        None,
        description="the app's knowledge entry (a principle of its code, e.g. 'Principle 3: "
        "Authentic Vulnerability') the answer drew on first; null when it cited none",
    )


class Exchange(BaseModel):
    """The person's message as stored and the reply it got."""

    user_message: Message
    assistant_message: AssistantMessage
