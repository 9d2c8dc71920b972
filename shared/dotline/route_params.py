"""Query and header parameters that many routes take alike: page size, cursor, idempotency key."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from dotline.pagination import MAX_PAGE_SIZE

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")]
Cursor = Annotated[
    str | None, Query(min_length=1, max_length=512, description="next_cursor of the page before")
]
IdempotencyKey = Annotated[
    str | None,
    Header(min_length=1, max_length=255, description="Replays the first answer to the same create"),
]
