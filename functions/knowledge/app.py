"""Coaching knowledge: GET /v1/apps/{app}/knowledge searches an app's active knowledge bases."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.knowledge import KnowledgeResults
from dotline.services import knowledge

MAX_QUERY_CHARS = 500
MAX_RESULTS = 50

app = resolver()


@app.get(
    "/v1/apps/<app_ref>/knowledge",
    summary="Search an app's knowledge, best match first",
    description="`app_ref` is the app's slug or id. `q` uses web-search syntax (quotes, `or`, "
    "`-word`); a title match ranks above a content match. Entries are also found by meaning (the "
    "vector index): an entry sharing no word with `q` can match. Each hit counts as an access.",
    security=BEARER,
    tags=["knowledge"],
)
def search_knowledge(
    app_ref: Annotated[str, Path(min_length=1, max_length=64)],
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 10,
) -> KnowledgeResults:
    stores = deps()
    return knowledge.search_knowledge(
        stores.db, stores.vectors, stores.embedder, current_user(app), app_ref, q, limit=limit
    )


handler = entry(app)
