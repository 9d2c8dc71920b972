"""The caller's concepts: /v1/concepts (list), /v1/concepts/{concept_id} (read, change), its merge
into another, and its neighbourhood in the graph; /v1/communities, the groups they form."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Query

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.communities import CommunityPage
from dotline.models.concepts import (
    Concept,
    ConceptMerge,
    ConceptMergeRequest,
    ConceptPage,
    ConceptSort,
    ConceptStatus,
    ConceptType,
    ConceptUpdate,
)
from dotline.models.graph_views import (
    DEFAULT_NEIGHBOURHOOD_DEPTH,
    DEFAULT_NEIGHBOURHOOD_NODES,
    MAX_NEIGHBOURHOOD_DEPTH,
    MAX_NEIGHBOURHOOD_NODES,
    Neighbourhood,
)
from dotline.pagination import DEFAULT_PAGE_SIZE
from dotline.route_params import Cursor, Limit
from dotline.services.concepts import communities, concepts
from dotline.services.concepts import merge as concept_merge

app = resolver()

Depth = Annotated[int, Query(ge=0, le=MAX_NEIGHBOURHOOD_DEPTH, description="Hops, either way")]
Nodes = Annotated[int, Query(ge=1, le=MAX_NEIGHBOURHOOD_NODES, description="Most nodes returned")]


@app.get("/v1/concepts", summary="List your concepts", security=BEARER, tags=["concepts"])
def list_concepts(
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
    sort: Annotated[ConceptSort, Query()] = ConceptSort.recent,
    status: Annotated[
        ConceptStatus | None, Query(description="Default: every status but merged")
    ] = None,
    type: Annotated[ConceptType | None, Query()] = None,
    community_id: Annotated[UUID | None, Query()] = None,
    name_prefix: Annotated[
        str | None, Query(min_length=1, max_length=255, description="Names starting so, any case")
    ] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=255, description="Text in name or description")
    ] = None,
) -> ConceptPage:
    filters = {"type": type, "community_id": community_id, "name_prefix": name_prefix, "q": q}
    return concepts.list_concepts(
        deps().db,
        current_user(app),
        limit=limit,
        cursor=cursor,
        sort=sort,
        status=status,
        filters=filters,
    )


@app.get("/v1/concepts/<concept_id>", summary="Read a concept", security=BEARER, tags=["concepts"])
def read_concept(concept_id: UUID) -> Concept:
    return concepts.get_concept(deps().db, current_user(app), concept_id)


@app.patch(
    "/v1/concepts/<concept_id>", summary="Change a concept", security=BEARER, tags=["concepts"]
)
def change_concept(concept_id: UUID, body: ConceptUpdate) -> Concept:
    return concepts.update_concept(deps().db, current_user(app), concept_id, body)


@app.post(
    "/v1/concepts/<concept_id>/merge",
    summary="Merge this concept into another (which survives); repeating it is safe",
    security=BEARER,
    tags=["concepts"],
)
def merge_concept(concept_id: UUID, body: ConceptMergeRequest) -> ConceptMerge:
    return concept_merge.merge_concept(deps().db, deps().graph, current_user(app), concept_id, body)


@app.get(
    "/v1/concepts/<concept_id>/neighbourhood",
    summary="What the graph links to this concept",
    security=BEARER,
    tags=["concepts"],
)
def concept_neighbourhood(
    concept_id: UUID,
    depth: Depth = DEFAULT_NEIGHBOURHOOD_DEPTH,
    limit: Nodes = DEFAULT_NEIGHBOURHOOD_NODES,
) -> Neighbourhood:
    return concepts.concept_neighbourhood(
        deps().db, deps().graph, current_user(app), concept_id, depth=depth, limit=limit
    )


@app.get(
    "/v1/communities",
    summary="List your concept communities (found by the insight cycle), newest first",
    description="A community's concepts: GET /v1/concepts?community_id=.",
    security=BEARER,
    tags=["concepts"],
)
def list_communities(limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> CommunityPage:
    return communities.list_communities(deps().db, current_user(app), limit=limit, cursor=cursor)


handler = entry(app)
