"""A person's notes: /v1/annotations (pinned to any node of theirs) and /v1/reflections."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.annotations import (
    Annotation,
    AnnotationCreate,
    AnnotationPage,
    AnnotationUpdate,
)
from dotline.models.memories import Kind
from dotline.models.reflections import (
    Reflection,
    ReflectionCreate,
    ReflectionPage,
    ReflectionUpdate,
)
from dotline.pagination import DEFAULT_PAGE_SIZE
from dotline.route_params import Cursor, Limit
from dotline.services.notes import annotations, reflections

app = resolver()

_DELETED: dict[int, OpenAPIResponse] = {204: {"description": "Deleted"}}


def _created(model: type[BaseModel]) -> dict[int, OpenAPIResponse]:
    return {201: {"description": "Created", "content": {"application/json": {"model": model}}}}


@app.post(
    "/v1/annotations",
    summary="Pin an annotation to one of your memories, concepts, conversations or other nodes",
    security=BEARER,
    tags=["annotations"],
    responses=_created(Annotation),
)
def create_annotation(body: AnnotationCreate) -> Response[Annotation]:
    return Response(
        201, "application/json", annotations.annotate(deps().db, current_user(app), body)
    )


@app.get("/v1/annotations", summary="List your annotations", security=BEARER, tags=["annotations"])
def list_annotations(
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
    target_type: Annotated[Kind | None, Query()] = None,
    target_id: Annotated[UUID | None, Query()] = None,
) -> AnnotationPage:
    return annotations.list_annotations(
        deps().db,
        current_user(app),
        limit=limit,
        cursor=cursor,
        target_type=target_type,
        target_id=target_id,
    )


@app.patch(
    "/v1/annotations/<annotation_id>",
    summary="Change an annotation",
    security=BEARER,
    tags=["annotations"],
)
def change_annotation(annotation_id: UUID, body: AnnotationUpdate) -> Annotation:
    return annotations.update_annotation(deps().db, current_user(app), annotation_id, body)


@app.delete(
    "/v1/annotations/<annotation_id>",
    summary="Delete an annotation",
    security=BEARER,
    tags=["annotations"],
    responses=_DELETED,
)
def delete_annotation(annotation_id: UUID) -> Response[None]:
    annotations.delete_annotation(deps().db, current_user(app), annotation_id)
    return Response(204)


@app.post(
    "/v1/reflections",
    summary="Write a reflection",
    security=BEARER,
    tags=["reflections"],
    responses=_created(Reflection),
)
def create_reflection(body: ReflectionCreate) -> Response[Reflection]:
    reflection = reflections.write_reflection(
        deps().db, deps().language_model, current_user(app), body
    )
    return Response(201, "application/json", reflection)


@app.get("/v1/reflections", summary="List your reflections", security=BEARER, tags=["reflections"])
def list_reflections(
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
    reflection_type: Annotated[Kind | None, Query()] = None,
) -> ReflectionPage:
    return reflections.list_reflections(
        deps().db, current_user(app), limit=limit, cursor=cursor, reflection_type=reflection_type
    )


@app.patch(
    "/v1/reflections/<reflection_id>",
    summary="Change a reflection",
    security=BEARER,
    tags=["reflections"],
)
def change_reflection(reflection_id: UUID, body: ReflectionUpdate) -> Reflection:
    return reflections.update_reflection(
        deps().db, deps().language_model, current_user(app), reflection_id, body
    )


@app.delete(
    "/v1/reflections/<reflection_id>",
    summary="Delete a reflection",
    security=BEARER,
    tags=["reflections"],
    responses=_DELETED,
)
def delete_reflection(reflection_id: UUID) -> Response[None]:
    reflections.delete_reflection(deps().db, current_user(app), reflection_id)
    return Response(204)


handler = entry(app)
