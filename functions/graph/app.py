"""The caller's graph: /v1/graph/nodes/{node_id}/neighbourhood for any node of theirs,
/v1/graph/path between two of them, and /v1/graph/projection, the 3D cosmos layout.
(/v1/graph/viewport is the orb function's.)"""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.graph_views import (
    DEFAULT_NEIGHBOURHOOD_DEPTH,
    DEFAULT_NEIGHBOURHOOD_NODES,
    MAX_NEIGHBOURHOOD_DEPTH,
    MAX_NEIGHBOURHOOD_NODES,
    GraphPath,
    GraphProjection,
    Neighbourhood,
)
from dotline.ports.graph import MAX_TRAVERSAL_DEPTH
from dotline.services.graph import paths, views
from dotline.services.graph import projection as graph_projection

app = resolver()

Depth = Annotated[int, Query(ge=0, le=MAX_NEIGHBOURHOOD_DEPTH, description="Hops, either way")]
Nodes = Annotated[int, Query(ge=1, le=MAX_NEIGHBOURHOOD_NODES, description="Most nodes returned")]
PathDepth = Annotated[
    int, Query(ge=1, le=MAX_TRAVERSAL_DEPTH, description="Most links on the path")
]
IfNoneMatch = Annotated[
    str | None, Header(max_length=1024, description="The ETag of the projection you hold")
]


@app.get(
    "/v1/graph/nodes/<node_id>/neighbourhood",
    summary="A node of your graph and what lies within `depth` hops of it",
    security=BEARER,
    tags=["graph"],
)
def node_neighbourhood(
    node_id: UUID,
    depth: Depth = DEFAULT_NEIGHBOURHOOD_DEPTH,
    limit: Nodes = DEFAULT_NEIGHBOURHOOD_NODES,
) -> Neighbourhood:
    return views.node_neighbourhood(
        deps().db, deps().graph, current_user(app), node_id, depth=depth, limit=limit
    )


@app.get(
    "/v1/graph/path",
    summary="A shortest path of links between two nodes of your graph (walked either way)",
    description="404 when either node is not in your graph; no path within max_depth: `nodes` "
    "is empty and `hops` null.",
    security=BEARER,
    tags=["graph"],
)
def read_path(
    from_: Annotated[UUID, Query(alias="from", description="The node to start from")],
    to: Annotated[UUID, Query(description="The node to reach")],
    max_depth: PathDepth = MAX_TRAVERSAL_DEPTH,
) -> GraphPath:
    return paths.shortest_path(
        deps().db, deps().graph, current_user(app), from_, to, max_depth=max_depth
    )


@app.get(
    "/v1/graph/projection",
    summary="Your graph laid out in 3D for the cosmos view (recomputed only when it changed)",
    description="The ETag names the graph laid out; send it back in If-None-Match for a 304.",
    security=BEARER,
    tags=["graph"],
    responses={
        200: {"content": {"application/json": {"model": GraphProjection}}},
        304: {"description": "Your copy (If-None-Match) is the layout of your graph as it is"},
    },
)
def read_projection(if_none_match: IfNoneMatch = None) -> Response[GraphProjection | None]:
    fingerprint, projection = graph_projection.projection_unless_held(
        deps().db, deps().graph, deps().cache, current_user(app), if_none_match
    )
    headers = {"ETag": f'W/"{fingerprint}"'}
    if projection is None:
        return Response(304, headers=headers)
    return Response(200, "application/json", projection, headers=headers)


handler = entry(app)
