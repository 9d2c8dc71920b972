"""One stderr line per request (method, path, status, latency, request id), and the request id."""

from __future__ import annotations

import logging
import sys
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("dotline.gateway")
REQUEST_ID_HEADER = b"apigw-requestid"


def ensure_stderr_logging() -> None:
    """Make sure the request lines reach stderr however the app is served."""
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


class RequestLog:
    """ASGI middleware: gives each request an id (`request.state.request_id`, and the
    `apigw-requestid` response header HTTP APIs send) and logs it when the response is done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                id_header = (REQUEST_ID_HEADER, request_id.encode())
                message["headers"] = [*message.get("headers", []), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info(
                "%s %s %d %.1fms %s", scope["method"], scope["path"], status, elapsed_ms, request_id
            )
