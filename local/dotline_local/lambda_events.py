"""What a Lambda handler receives: HTTP API payload 2.0 events and a Lambda-like context."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from dotline_local.cfn_intrinsics import PSEUDO_PARAMETERS
from dotline_local.route_table import RouteMatch
from dotline_local.sam_template import FunctionSpec

ACCOUNT_ID = PSEUDO_PARAMETERS["AWS::AccountId"]
REGION = PSEUDO_PARAMETERS["AWS::Region"]
API_ID = "dotlinelocal"
_TEXT_SUBTYPES = ("json", "xml", "javascript", "x-www-form-urlencoded", "graphql", "yaml")


@dataclass(frozen=True)
class HttpRequest:
    """The parts of an incoming request the event is built from."""

    method: str
    path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str
    request_id: str
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def http_api_event(request: HttpRequest, match: RouteMatch) -> dict[str, object]:
    """An API Gateway HTTP API payload format 2.0 event; absent parts are omitted as AWS does."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            # HTTP API moves cookies out of the headers into their own list.
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    # API Gateway adds these in front of every integration.
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    query: dict[str, str] = {}
    for key, value in parse_qsl(request.raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    epoch_ms = int(request.received_at.timestamp() * 1000)
    event: dict[str, object] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": request.path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": headers.get("host", "localhost"),
            "domainPrefix": headers.get("host", "localhost").split(":")[0].split(".")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request.request_id,
            "routeKey": match.route.route_key,
            "stage": "$default",
            "time": request.received_at.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": epoch_ms,
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    if request.body:
        if _is_text(headers.get("content-type"), request.body):
            event["body"] = request.body.decode("utf-8")
        else:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def _is_text(content_type: str | None, body: bytes) -> bool:
    """Whether HTTP API would pass the body as text rather than base64."""
    if content_type is None:
        return _utf8(body)
    mime = content_type.split(";")[0].strip().lower()
    kind, _, subtype = mime.partition("/")
    textual = kind == "text" or any(s in subtype for s in _TEXT_SUBTYPES)
    return textual and _utf8(body)


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class LambdaContext:
    """The attributes of the Python runtime's context object that handlers and Powertools read."""

    def __init__(self, function: FunctionSpec, request_id: str) -> None:
        self.function_name = function.logical_id
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function.logical_id}"
        )
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function.logical_id}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]local")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's Timeout, never negative."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))
