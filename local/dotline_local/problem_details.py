"""RFC 9457 problem responses for what the gateway answers itself (routing, limits, crashes)."""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import Response

from dotline.problems import PROBLEM_CONTENT_TYPE, problem_body, problem_json


def problem(
    status: int,
    slug: str,
    detail: str,
    *,
    instance: str,
    request_id: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json response in the functions' own shape; `detail` never holds a traceback."""
    title = HTTPStatus(status).phrase
    body = problem_body(status, slug, title, detail, instance, requestId=request_id)
    return Response(
        problem_json(body), status_code=status, headers=headers, media_type=PROBLEM_CONTENT_TYPE
    )
