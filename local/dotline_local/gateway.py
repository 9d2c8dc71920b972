"""The local API Gateway: serves every HTTP route of template.yaml by invoking its function."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dotline_local.function_host import FunctionHost
from dotline_local.lambda_containers import FunctionInitError, FunctionTimedOut
from dotline_local.lambda_events import HttpRequest, http_api_event
from dotline_local.lambda_results import http_response
from dotline_local.problem_details import problem
from dotline_local.request_log import RequestLog, ensure_stderr_logging, logger
from dotline_local.route_table import MethodNotAllowed, RouteMatch
from dotline_local.sam_template import CorsPolicy, read_template
from dotline_local.swagger_ui import swagger_routes

MAX_BODY_BYTES = 1024 * 1024
# Routes that take more, as the deployed API does (HTTP API carries up to 10 MB, a Lambda
# request up to 6 MB): a bulk import of history is up to 5 MB, which its function checks itself.
ROUTE_MAX_BODY_BYTES = {"POST /v1/imports": 6 * 1024 * 1024}
DEFAULT_CONTAINERS_PER_FUNCTION = 4
# The background duties a gateway may take on, each off unless switched on (--flag / --no-flag).
_SWITCHES = (
    (
        "--dispatch-outbox",
        "deliver the outbox to the database webhook (LISTEN/NOTIFY and a 1 s timer)",
    ),
    (
        "--deliver-s3-events",
        "poll the media bucket (S3_ENDPOINT_URL) and invoke its S3-event function",
    ),
    ("--run-schedules", "fire every Schedule event of the template on its rate(...) or cron(...)"),
)
FORWARDED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

# A task the gateway runs for its lifetime (the outbox dispatcher, the scheduler); it gets the
# host to read `template.scheduled_functions` and to `invoke` functions with any event.
BackgroundTask = Callable[[FunctionHost], Coroutine[Any, Any, None]]


def build_app(
    template_path: Path,
    *,
    containers_per_function: int = DEFAULT_CONTAINERS_PER_FUNCTION,
    background: Sequence[BackgroundTask] = (),
) -> Starlette:
    """The gateway as an ASGI app; `background` tasks run for as long as the app does."""
    ensure_stderr_logging()
    host = FunctionHost(
        read_template(template_path), containers_per_function=containers_per_function
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        routes = sum(len(f.routes) for f in host.template.http_functions)
        logger.info("gateway serving %d routes from %s", routes, template_path)
        tasks = [asyncio.create_task(task(host)) for task in background]
        try:
            yield
        finally:
            for running in tasks:
                running.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            host.close()

    async def health(_request: Request) -> Response:
        # The deployed HealthFunction's shape (the served spec documents it), answered by the
        # gateway itself: up means the gateway serves, whatever the stores do.
        body = {"status": "ok", "checked": ["gateway"], "functions": len(host.template.functions)}
        return JSONResponse(body)

    async def openapi(_request: Request) -> Response:
        return JSONResponse(await host.openapi())

    async def route(request: Request) -> Response:
        return await _serve(host, request)

    async def unrouted(request: Request, exc: Exception) -> Response:
        # A path no route pattern can match (one holding a newline, say): API Gateway answers
        # these itself, as the gateway's own problem.
        path = request.url.path
        return _problem(request, 404, "route-not-found", f"No route for {request.method} {path}.")

    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.error("gateway failure on %s", request.url.path, exc_info=exc)
        return _problem(request, 500, "gateway-error", "The local gateway failed.")

    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
            *swagger_routes(),
            Route("/{path:path}", route, methods=FORWARDED_METHODS),
        ],
        middleware=[Middleware(RequestLog), *_cors_middleware(host.template.cors)],
        exception_handlers={404: unrouted, Exception: unexpected},
        lifespan=lifespan,
    )
    app.state.host = host
    return app


async def _serve(host: FunctionHost, request: Request) -> Response:
    path = request.url.path
    match = host.routes.match(request.method, path)
    if match is None:
        return _problem(request, 404, "route-not-found", f"No route for {request.method} {path}.")
    if isinstance(match, MethodNotAllowed):
        allow = ", ".join(match.allowed)
        detail = f"{path} accepts {allow}, not {request.method}."
        return _problem(request, 405, "method-not-allowed", detail, {"allow": allow})
    limit = ROUTE_MAX_BODY_BYTES.get(match.route.route_key, MAX_BODY_BYTES)
    body = await _read_body(request, limit)
    if body is None:
        detail = f"The body exceeds {limit} bytes."
        return _problem(request, 413, "payload-too-large", detail)
    return await _invoke(host, request, match, body)


async def _invoke(host: FunctionHost, request: Request, match: RouteMatch, body: bytes) -> Response:
    request_id: str = request.state.request_id
    name = match.function.logical_id
    client = request.client
    event = http_api_event(
        HttpRequest(
            method=request.method,
            path=request.url.path,
            raw_query=request.url.query,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
            body=body,
            source_ip=client.host if client else "127.0.0.1",
            protocol=f"HTTP/{request.scope.get('http_version', '1.1')}",
            request_id=request_id,
        ),
        match,
    )
    try:
        result = http_response(await host.invoke(name, event, request_id))
    except FunctionTimedOut as exc:
        logger.error("%s", exc)
        return _problem(request, 504, "function-timeout", f"{name} did not answer in time.")
    except FunctionInitError as exc:
        logger.error("%s failed to initialise", name, exc_info=exc)
        return _problem(request, 502, "function-error", f"{name} failed to initialise.")
    except Exception as exc:
        # The traceback goes to stderr only: a client never sees a stack trace.
        logger.error("%s failed on %s", name, match.route.route_key, exc_info=exc)
        return _problem(request, 502, "function-error", f"{name} failed to handle the request.")
    response = Response(content=result.body, status_code=result.status)
    for key, value in result.headers:
        if key != "content-length":
            response.headers.append(key, value)
    return response


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None past `limit` bytes (the rest is drained so the client reads the 413)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
    return b"".join(chunks) if size <= limit else None


def _cors_middleware(cors: CorsPolicy | None) -> list[Middleware]:
    """API Gateway answers preflights and adds CORS headers itself when the API configures it."""
    if cors is None:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=cors.allow_origins,
            allow_methods=cors.allow_methods,
            allow_headers=cors.allow_headers,
            expose_headers=cors.expose_headers,
            allow_credentials=cors.allow_credentials,
            max_age=cors.max_age_s,
        )
    ]


def _problem(
    request: Request, status: int, kind: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    return problem(
        status,
        kind,
        detail,
        instance=request.url.path,
        request_id=getattr(request.state, "request_id", ""),
        headers=headers,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m dotline_local.gateway --host 127.0.0.1 --port 3000 --template template.yaml`.

    The functions run under the local profile unless DOTLINE_PROFILE says otherwise."""
    import uvicorn

    # EMF documents are for CloudWatch; on a terminal they would bury the request lines.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument(
        "--containers",
        type=int,
        default=DEFAULT_CONTAINERS_PER_FUNCTION,
        help="warm containers per function, each serving one request at a time",
    )
    for flag, help_text in _SWITCHES:
        parser.add_argument(
            flag, action=argparse.BooleanOptionalAction, default=False, help=help_text
        )
    parser.add_argument(
        "--ingestion-queue",
        metavar="URL",
        default=None,
        help="the SQS queue (on moto's server) the webhook sends ended conversations to; the "
        "gateway creates it and delivers it to the ingestion function",
    )
    parser.add_argument(
        "--schedule-speedup",
        type=float,
        default=1.0,
        help="compress schedule time (60: a minute passes in a second); demos and tests",
    )
    args = parser.parse_args(argv)
    background: list[BackgroundTask] = []
    if args.deliver_s3_events:
        from dotline_local.s3_notifications import deliver_s3_events

        background.append(deliver_s3_events)
    if args.dispatch_outbox:
        from dotline_local.outbox_dispatcher import dispatch_outbox

        background.append(dispatch_outbox)
    if args.ingestion_queue:
        from dotline_local.sqs_delivery import deliver_ingestion_queue

        os.environ["INGESTION_QUEUE_URL"] = args.ingestion_queue  # the functions send there
        background.append(deliver_ingestion_queue)
    if args.run_schedules:
        from dotline_local.outbox_dispatcher import SWEEPER_ID
        from dotline_local.scheduler import run_schedules

        skip = {SWEEPER_ID} if args.dispatch_outbox else set()  # the dispatcher already sweeps
        background.append(run_schedules(skip=skip, speedup=args.schedule_speedup))
    app = build_app(args.template, containers_per_function=args.containers, background=background)
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
