"""The caller's media: /v1/media (prepare an upload, list) and /v1/media/{media_id} (read,
delete). Bytes never pass through here: the client PUTs them to the presigned URL."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.media_types import MediaKind
from dotline.models.media import MediaItem, MediaPage, MediaStatus, MediaUpload, MediaUploadRequest
from dotline.pagination import DEFAULT_PAGE_SIZE
from dotline.route_params import Cursor, IdempotencyKey, Limit
from dotline.services.media import media

app = resolver()


@app.post(
    "/v1/media",
    summary="Prepare an upload: a pending item and a presigned PUT URL for its bytes",
    security=BEARER,
    tags=["media"],
    responses={
        201: {"description": "Created", "content": {"application/json": {"model": MediaUpload}}}
    },
)
def request_upload(
    body: MediaUploadRequest, idempotency_key: IdempotencyKey = None
) -> Response[MediaUpload]:
    status, upload = media.request_upload(
        deps().db, deps().objects, current_user(app), body, idempotency_key
    )
    return Response(status, "application/json", upload)


@app.get("/v1/media", summary="List your media, newest first", security=BEARER, tags=["media"])
def list_media(
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
    status: Annotated[MediaStatus | None, Query()] = None,
    type: Annotated[MediaKind | None, Query()] = None,
) -> MediaPage:
    return media.list_media(
        deps().db,
        deps().objects,
        current_user(app),
        limit=limit,
        cursor=cursor,
        status=status,
        kind=type,
    )


@app.get("/v1/media/<media_id>", summary="Read a media item", security=BEARER, tags=["media"])
def read_media(media_id: UUID) -> MediaItem:
    return media.get_media(deps().db, deps().objects, current_user(app), media_id)


@app.delete(
    "/v1/media/<media_id>",
    summary="Delete a media item and its stored object",
    security=BEARER,
    tags=["media"],
    responses={204: {"description": "Deleted"}},
)
def delete_media(media_id: UUID) -> Response[None]:
    media.delete_media(deps().db, deps().objects, current_user(app), media_id)
    return Response(204)


handler = entry(app)
