"""The caller's memories: /v1/memories (create, list), /v1/memories/{memory_id} (read, change,
delete), its history, its sources and splitting a merged one back out."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.memories import (
    Kind,
    Memory,
    MemoryCreate,
    MemoryHistoryPage,
    MemoryPage,
    MemorySort,
    MemorySourcePage,
    MemoryUnmerge,
    MemoryUpdate,
    Tag,
)
from dotline.pagination import DEFAULT_PAGE_SIZE
from dotline.route_params import Cursor, IdempotencyKey, Limit
from dotline.services.memories import evidence, memories

app = resolver()

Importance = Annotated[float | None, Query(ge=0, le=1)]
Instant = Annotated[AwareDatetime | None, Query()]


@app.post(
    "/v1/memories",
    summary="Create a memory",
    security=BEARER,
    tags=["memories"],
    responses={201: {"description": "Created", "content": {"application/json": {"model": Memory}}}},
)
def create_memory(body: MemoryCreate, idempotency_key: IdempotencyKey = None) -> Response[Memory]:
    status, memory = memories.create_memory(deps().db, current_user(app), body, idempotency_key)
    return Response(status, "application/json", memory)


@app.get("/v1/memories", summary="List your memories", security=BEARER, tags=["memories"])
def list_memories(
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
    sort: Annotated[MemorySort, Query()] = MemorySort.recent,
    memory_type: Annotated[Kind | None, Query()] = None,
    app_id: Annotated[UUID | None, Query()] = None,
    importance_min: Importance = None,
    importance_max: Importance = None,
    created_after: Instant = None,
    created_before: Instant = None,
    occurred_after: Instant = None,
    occurred_before: Instant = None,
    tags: Annotated[list[Tag] | None, Query(description="Any of these tags")] = None,
) -> MemoryPage:
    filters = {
        "memory_type": memory_type,
        "app_id": app_id,
        "importance_min": importance_min,
        "importance_max": importance_max,
        "created_after": created_after,
        "created_before": created_before,
        "occurred_after": occurred_after,
        "occurred_before": occurred_before,
        "tags": tags,
    }
    return memories.list_memories(
        deps().db, current_user(app), limit=limit, cursor=cursor, sort=sort, filters=filters
    )


@app.get("/v1/memories/<memory_id>", summary="Read a memory", security=BEARER, tags=["memories"])
def read_memory(memory_id: UUID) -> Memory:
    return memories.get_memory(deps().db, current_user(app), memory_id)


@app.patch(
    "/v1/memories/<memory_id>", summary="Change a memory", security=BEARER, tags=["memories"]
)
def change_memory(memory_id: UUID, body: MemoryUpdate) -> Memory:
    return memories.update_memory(deps().db, current_user(app), memory_id, body)


@app.delete(
    "/v1/memories/<memory_id>",
    summary="Delete a memory",
    security=BEARER,
    tags=["memories"],
    responses={204: {"description": "Deleted"}},
)
def delete_memory(memory_id: UUID) -> Response[None]:
    memories.delete_memory(deps().db, current_user(app), memory_id)
    return Response(204)


@app.get(
    "/v1/memories/<memory_id>/history",
    summary="A memory's earlier versions, newest first",
    security=BEARER,
    tags=["memories"],
)
def memory_history(
    memory_id: UUID, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None
) -> MemoryHistoryPage:
    return memories.memory_history(
        deps().db, current_user(app), memory_id, limit=limit, cursor=cursor
    )


@app.get(
    "/v1/memories/<memory_id>/sources",
    summary="The statements a memory stands for (its evidence), in the order recorded",
    security=BEARER,
    tags=["memories"],
)
def memory_sources(
    memory_id: UUID, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None
) -> MemorySourcePage:
    return evidence.memory_sources(
        deps().db, current_user(app), memory_id, limit=limit, cursor=cursor
    )


@app.post(
    "/v1/memories/<memory_id>/unmerge",
    summary="Split a merged statement back out into a memory of its own",
    security=BEARER,
    tags=["memories"],
    responses={201: {"description": "Split", "content": {"application/json": {"model": Memory}}}},
)
def unmerge_memory(memory_id: UUID, body: MemoryUnmerge) -> Response[Memory]:
    user = current_user(app)
    split = evidence.unmerge(deps().db, user, memory_id, body.source_id)
    return Response(201, "application/json", memories.get_memory(deps().db, user, split))


handler = entry(app)
