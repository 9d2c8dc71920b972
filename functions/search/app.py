"""Search: GET /v1/search finds the caller's memories, concepts, derived artifacts and app
knowledge by meaning, by words and through the graph, best first, each hit saying why."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import StringConstraints

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.growth_rules import DimKey
from dotline.models.instants import Instant
from dotline.models.memories import Kind, Tag
from dotline.models.search import SearchFilters, SearchResults, SearchType, TagsMatch
from dotline.services.search import search

MAX_QUERY_CHARS = 500
MAX_LIMIT = 50

app = resolver()

InstantQuery = Annotated[Instant | None, Query()]
Importance = Annotated[float | None, Query(ge=0, le=1)]
StateName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,31}$")]


@app.get(
    "/v1/search",
    summary="Search your memories, concepts, artifacts and app knowledge",
    description="`q` is plain language: a hit may match its meaning (vector), its words (full "
    "text) or be linked in your graph to a top hit; `why` says which. Expired memories never "
    "appear; decayed ones rank lower; a memory a newer one replaced ranks below that one, with "
    "`why.superseded_by` (`include_superseded=false` leaves such memories out). `types` "
    "repeats (`types=memory&types=concept`); `app_id` keeps that app's memories and knowledge. "
    "Pages through at most 100 hits with `cursor`. Memory filters: `tags` (repeats; "
    "`tags_match=all` needs every one, default any), `memory_type` (repeats, any of), "
    "`importance_min`/`importance_max` (0-1), `conversation_id` (the source conversation), "
    "`occurred_after`/`occurred_before` (when the event happened), and `metadata=path:value` "
    "(repeats, all must hold; a path is up to three dotted keys of the memory's attributes, "
    "the value compared as text). Any memory filter keeps memories only: concepts, artifacts "
    "and knowledge are left out (a concept the query names still leads, through the graph, to "
    "the memories linked to it). A reversed range, an unknown memory type or a malformed "
    "metadata pair is a 422. Growth filters: `evolution_state` (repeats, any of: the hit's card "
    "is in that state as GET /v1/cards shows it, e.g. seed, sprout, bloom, constellation, "
    "supernova) and `growth_dimension` (repeats, all of: the hit has grown in that dimension, "
    "e.g. self_know); they keep memories, concepts and artifacts with a card, and a state or "
    "dimension the growth configuration does not know is a 422.",
    security=BEARER,
    tags=["search"],
)
def search_everything(
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    types: Annotated[list[SearchType] | None, Query(description="Any of these types")] = None,
    app_id: Annotated[UUID | None, Query()] = None,
    created_after: InstantQuery = None,
    created_before: InstantQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
    include_superseded: Annotated[
        bool, Query(description="false leaves out memories a newer one replaced")
    ] = True,
    tags: Annotated[list[Tag] | None, Query(description="Memories with these tags")] = None,
    tags_match: Annotated[TagsMatch, Query(description="any (default) or all of `tags`")] = (
        TagsMatch.any
    ),
    memory_type: Annotated[
        list[Kind] | None, Query(description="Memories of any of these types")
    ] = None,
    importance_min: Importance = None,
    importance_max: Importance = None,
    conversation_id: Annotated[UUID | None, Query(description="Memories from it")] = None,
    occurred_after: InstantQuery = None,
    occurred_before: InstantQuery = None,
    metadata: Annotated[
        list[str] | None, Query(description="`path:value`: the memory's attribute at path has it")
    ] = None,
    evolution_state: Annotated[
        list[StateName] | None, Query(description="Hits whose card is in any of these states")
    ] = None,
    growth_dimension: Annotated[
        list[DimKey] | None, Query(description="Hits grown in every one of these dimensions")
    ] = None,
) -> SearchResults:
    d = deps()
    filters = SearchFilters(
        types=types, app_id=app_id, created_after=created_after, created_before=created_before,
        include_superseded=include_superseded, tags=tags, tags_match=tags_match,
        memory_types=memory_type, importance_min=importance_min, importance_max=importance_max,
        conversation_id=conversation_id, occurred_after=occurred_after,
        occurred_before=occurred_before, metadata=metadata, evolution_states=evolution_state,
        growth_dimensions=growth_dimension,
    )  # fmt: skip
    return search.search(
        d.search_stores(), current_user(app), q, filters, limit=limit, cursor=cursor
    )


handler = entry(app)
