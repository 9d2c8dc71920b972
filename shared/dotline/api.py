"""The HTTP face every function shares: one resolver, problem responses, the request's log line
and metrics."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths

from dotline import activity, commit_gate
from dotline.auth import Principal
from dotline.bootstrap import deps
from dotline.errors import (
    DotlineError,
    InvalidRequest,
    Misconfigured,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
)
from dotline.input_limits import MAX_JSON_DEPTH, check_request
from dotline.observability import logger, publish, with_lambda_context
from dotline.openapi_problems import document_problems
from dotline.ports.cache import RatePolicy
from dotline.problems import PROBLEM_CONTENT_TYPE, problem_body, problem_json
from dotline.rate_limiting import IP_DEFAULT, USER_DEFAULT, Quota, RequestLimits

API_TITLE = "dotline"
API_VERSION = "1.0.0"
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]

# A plain mapping, validated when the spec is built: the OpenAPI models are slow to import
# (docs/measurements.md) and only the spec needs them, never a request.
_SECURITY_SCHEMES: Any = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}

# On every answer of a function that needs a token: personal data is never stored by a cache, and
# a browser never second-guesses a response's type.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
PUBLIC_HEADERS = {"X-Content-Type-Options": "nosniff"}

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


class _Resolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver, whose spec documents the problems it answers with."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

        spec = super().get_openapi_schema(**kwargs)
        dumped = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
        return OpenAPI.model_validate(document_problems(dumped))


def resolver() -> APIGatewayHttpResolver:
    """A resolver with validation, OpenAPI and every error mapped to a problem response."""
    app = _Resolver(enable_validation=True)
    app.configure_openapi(
        title=API_TITLE,
        version=API_VERSION,
        security_schemes=_SECURITY_SCHEMES,
    )

    def path() -> str | None:
        return app.current_event.raw_event.get("rawPath") if app.current_event else None

    @app.exception_handler(DotlineError)
    def _domain_error(exc: DotlineError) -> Response[str]:
        return _problem(path(), exc)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[str]:
        errors = [_field_error(e) for e in exc.errors()]
        detail = f"{errors[0]['field']}: {errors[0]['message']}" if errors else "Invalid request."
        return _problem(path(), InvalidRequest(detail, errors=errors))

    @app.not_found
    def _no_route(exc: NotFoundError) -> Response[str]:
        return _problem(path(), NotFound("No route matches this request."))

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return _problem(path(), DotlineError("Something went wrong on our side."))

    return app


def current_user(app: APIGatewayHttpResolver) -> Principal:
    """The verified caller of the current request (401 problem when there is none)."""
    principal = app.context.get("principal")
    if not isinstance(principal, Principal):
        principal = deps().tokens.verify(app.current_event.headers.get("authorization"))
        app.append_context(principal=principal)
    return principal


def entry(
    app: APIGatewayHttpResolver,
    *,
    public: bool = False,
    rate_limit: RatePolicy | None = USER_DEFAULT,
    ip_rate_limit: RatePolicy | None = IP_DEFAULT,
    max_json_depth: int = MAX_JSON_DEPTH,
) -> LambdaHandler:
    """The Lambda handler for `app`: refuses (500) while the settings may not serve, then
    authenticates (unless public), limits per client address and per user (one Redis round
    trip), checks the input's limits (`dotline.input_limits`), resolves; logs one line with the
    correlation id and publishes the request's metrics. A limit of None switches that limit off."""
    limits = RequestLimits(per_user=rate_limit, per_ip=ip_rate_limit)
    security_headers = PUBLIC_HEADERS if public else PRIVATE_HEADERS

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        quota = limits.quota()
        try:
            response = _serve(app, event, context, quota, public, max_json_depth)
        finally:
            app.clear_context()
        response.setdefault("headers", {}).update({**quota.headers(), **security_headers})
        _record(event, response, started)
        return response

    return with_lambda_context(handler, correlation_paths.API_GATEWAY_HTTP)


def _serve(
    app: APIGatewayHttpResolver,
    event: dict[str, Any],
    context: Any,
    quota: Quota,
    public: bool,
    max_json_depth: int,
) -> dict[str, Any]:
    http = (event.get("requestContext") or {}).get("http") or {}
    source_ip = http.get("sourceIp")
    try:
        deps()  # the settings gate: a function that may not serve touches nothing
        user_id = None
        if not public:  # before validation, so a stranger learns nothing from a 422
            try:
                principal = deps().tokens.verify((event.get("headers") or {}).get("authorization"))
            except Unauthenticated:
                quota.admit(source_ip)  # a flood of bad tokens still spends the address's
                raise
            app.append_context(principal=principal)
            user_id = principal.user_id
        # Both limits, the activity gate and the day's tally in one round trip; a read runs
        # while it is in flight (its commits wait for the verdict, see dotline.commit_gate),
        # anything else after it.
        if http.get("method") == "GET":
            with commit_gate.in_flight(lambda: quota.admit(source_ip, user_id)):
                check_request(event, max_depth=max_json_depth)
                answer = app.resolve(event, context)
            _mark_if_opened(quota, user_id)  # admitted: on this thread's connection, after
            return answer
        quota.admit(source_ip, user_id)
        _mark_if_opened(quota, user_id)  # before the route: its answer shows this activity
        check_request(event, max_depth=max_json_depth)
        return app.resolve(event, context)
    except DotlineError as exc:  # refused before any route ran
        return _as_lambda_result(_problem(event.get("rawPath"), exc))


def _mark_if_opened(quota: Quota, user_id: UUID | None) -> None:
    """Mark the admitted caller active when their request opened the once-a-minute gate."""
    if quota.opened_gate and user_id is not None:
        activity.mark(user_id)


def _record(event: dict[str, Any], response: dict[str, Any], started: float) -> None:
    request = event.get("requestContext") or {}
    route, status = event.get("routeKey"), response.get("statusCode")
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    logger.info(
        "request",
        extra={
            "request_id": request.get("requestId"),
            "method": (request.get("http") or {}).get("method"),
            "route": route,
            "status": status,
            "latency_ms": latency_ms,
        },
    )
    publish(
        {"route": str(route), "status": str(status)},
        {"Requests": 1, "RateLimited": int(status == RateLimited.status)},
        {"Latency": latency_ms},
    )


def _problem(instance: str | None, exc: DotlineError) -> Response[str]:
    body = problem_body(exc.status, exc.slug, exc.title, exc.detail, instance, **exc.extensions)
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if exc.status == 401 else {}
    if isinstance(exc, ServiceUnavailable):
        headers["Retry-After"] = str(exc.retry_after_s)
    if exc.status == 500 and not isinstance(exc, Misconfigured):  # that one is logged once
        logger.error("request failed", extra={"detail": exc.detail})
    return Response(exc.status, PROBLEM_CONTENT_TYPE, problem_json(body), headers=headers)


def _as_lambda_result(response: Response[str]) -> dict[str, Any]:
    headers = {"Content-Type": PROBLEM_CONTENT_TYPE}
    headers.update({k: str(v) for k, v in response.headers.items()})
    return {
        "statusCode": response.status_code,
        "headers": headers,
        "body": response.body,
        "isBase64Encoded": False,
    }


def _field_error(error: Any) -> dict[str, str]:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    field = ".".join(location) or "body"
    if error.get("type") == "json_invalid":
        field = "body"
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    if error.get("type") == "missing":
        message = "is required"
    return {"field": field, "message": message}
