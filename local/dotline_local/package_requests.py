"""The one request the package check sends each function: for an HTTP function a route that reads
(or, where one request needs another's result, writes) a fresh person's data; for a schedule the
event EventBridge sends; for an on-demand function its invocation for that person alone; for the
S3 function a record of another bucket's object."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg

from dotline.services.outbox import webhook_body
from dotline.settings import get_settings
from dotline.webhooks import signed_headers
from dotline_local.lambda_events import HttpRequest, http_api_event
from dotline_local.route_table import RouteMatch, RouteTable
from dotline_local.sam_template import FunctionSpec, SamTemplate
from dotline_local.schedule_expressions import parse
from dotline_local.scheduler import Planned, scheduled_event

# logical id -> (method, path, query, body, statuses that count as answered); others: their first
# GET route without parameters, which must answer 200.
CHOSEN: dict[str, tuple[str, str, str, dict[str, Any] | None, tuple[int, ...]]] = {
    "ConversationsFunction": ("POST", "/v1/conversations", "", {"title": "package check"}, (201,)),
    "DialogueFunction": (
        "POST",
        "/v1/conversations/{conversation_id}/messages",
        "",
        {"content": "Today I walked by the sea with Ana."},
        (200, 201),
    ),
    "SearchFunction": ("GET", "/v1/search", "q=sea", None, (200,)),
    "GraphFunction": ("GET", "/v1/graph/projection", "", None, (200,)),
    "KnowledgeFunction": ("GET", "/v1/apps/{app_ref}/knowledge", "q=sea", None, (200, 404)),
    "PersonaFunction": ("GET", "/v1/learning-profiles", "", None, (200,)),
    "OrbFunction": ("GET", "/v1/scene", "", None, (200,)),
    "ImportsFunction": (
        "POST",
        "/v1/imports",
        "",
        {"memories": [{"content": "Walked by the sea.", "occurred_at": "2024-05-01T10:00:00Z"}]},
        (202,),
    ),
}
FOREIGN_BUCKET = "package-check-not-the-media-bucket"
# Admin routes: sent with the same person's token granting the admin role.
AS_ADMIN = frozenset({"MonitoringFunction"})
# Invoked on demand (no route, no schedule, no bucket): logical id -> its event for one person.
ON_DEMAND = {"GrowthBackfillFunction": "user_id"}


class Requests:
    """Builds each function's event for one fresh person, remembering what earlier ones made."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        template: SamTemplate,
        user_id: uuid.UUID,
        token: str,
        admin_token: str,
    ) -> None:
        self._conn, self._user_id, self._token = conn, user_id, token
        self._admin_token = admin_token
        self._routes = RouteTable(template.http_functions)
        self._made: dict[str, str] = {}

    def order(self, function: FunctionSpec) -> tuple[int, str]:
        """Conversations first: the message is posted to the conversation it opens."""
        return (0 if function.logical_id == "ConversationsFunction" else 1, function.logical_id)

    def saw(self, function: FunctionSpec, report: dict[str, Any]) -> None:
        """Keep what a request created for the requests after it."""
        if function.logical_id == "ConversationsFunction" and report.get("status") == 201:
            self._made["conversation_id"] = json.loads(report["body"])["conversation_id"]

    def event_for(self, function: FunctionSpec) -> tuple[str, Any, tuple[int, ...] | None]:
        """(label, event, statuses that count as answered; None: any return value does)."""
        if function.logical_id == "MirroringFunction":
            return self._db_event(function)
        if function.routes:
            method, path, query, body, wanted = CHOSEN.get(function.logical_id) or self._a_read(
                function
            )
            filled = path.format_map(self._parameters())
            token = self._admin_token if function.logical_id in AS_ADMIN else self._token
            event = self._http(method, filled, query, body, token)
            return f"{method} {filled}"[:44], event, wanted
        if function.schedules:
            schedule = function.schedules[0]
            planned = Planned(function, schedule, parse(schedule.expression))
            return f"schedule {schedule.name}", scheduled_event(planned, datetime.now(UTC)), None
        if function.logical_id in ON_DEMAND:
            field = ON_DEMAND[function.logical_id]
            return f"invoke {{{field}: the new person}}", {field: str(self._user_id)}, None
        return "S3 ObjectCreated (another bucket)", _s3_event(FOREIGN_BUCKET, "x.png"), None

    def _a_read(
        self, function: FunctionSpec
    ) -> tuple[str, str, str, dict[str, Any] | None, tuple[int, ...]]:
        reads = [r for r in function.routes if r.method == "GET" and "{" not in r.path]
        if not reads:
            raise ValueError(f"{function.logical_id}: no GET route without parameters to send")
        return ("GET", reads[0].path, "", None, (200,))

    def _parameters(self) -> dict[str, str]:
        app = self._conn.execute("select slug from public.apps order by slug limit 1").fetchone()
        return {
            "conversation_id": self._made.get("conversation_id", str(uuid.uuid4())),
            "app_ref": app[0] if app else "no-such-app",
        }

    def _http(
        self, method: str, path: str, query: str, body: dict[str, Any] | None, token: str
    ) -> Any:
        headers = [("authorization", f"Bearer {token}"), ("content-type", "application/json")]
        return self._event(method, path, query, headers, json.dumps(body).encode() if body else b"")

    def _db_event(self, function: FunctionSpec) -> tuple[str, Any, tuple[int, ...]]:
        row = self._conn.execute(
            "select outbox_id, payload from private.outbox"
            " where payload -> 'record' ->> 'user_id' = %s order by outbox_id desc limit 1",
            (str(self._user_id),),
        ).fetchone()
        if row is None:
            raise ValueError("the new person's sign-up left no outbox row to deliver")
        body = webhook_body(row[1], int(row[0]))
        secret = get_settings().webhook_secret.get_secret_value()
        headers = list(signed_headers(secret, body).items())
        path = function.routes[0].path
        label = f"signed delivery of outbox row {row[0]}"
        return label, self._event("POST", path, "", headers, body), (200,)

    def _event(
        self, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes
    ) -> Any:
        match = self._routes.match(method, path)
        if not isinstance(match, RouteMatch):
            raise ValueError(f"{method} {path} is not a route of template.yaml")
        request = HttpRequest(
            method, path, query, headers, body, "127.0.0.1", "HTTP/1.1", str(uuid.uuid4())
        )
        return http_api_event(request, match)


def _s3_event(bucket: str, key: str) -> dict[str, Any]:
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": datetime.now(UTC).isoformat(),
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1}},
    }
    return {"Records": [record]}
