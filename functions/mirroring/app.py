"""The database webhook: each change from the outbox (or a Supabase database webhook), mirrored."""

import base64
import threading
from typing import Any

from dotline.api import entry, resolver
from dotline.bootstrap import deps
from dotline.input_limits import WEBHOOK_MAX_JSON_DEPTH
from dotline.models.db_events import DbEventOutcome
from dotline.services.ingestion.trigger import request_ingestion
from dotline.services.mirroring import mirroring
from dotline.webhook_admission import admitted_delivery

app = resolver()

# This invocation's own headers and body. Powertools keeps `current_event` in a class attribute
# shared by every resolver in the process: one invocation per process in Lambda, but the local
# gateway runs warm containers as threads, where it may hold another request's event. The
# signature must be checked against exactly the bytes that arrived.
_invocation = threading.local()


@app.post(
    "/v1/internal/db-events",
    summary="Apply a database change to the graph, vectors and cache",
    description="Authenticated by X-Dotline-Signature (HMAC; a signature is used once: a replay is "
    "409) or a shared-secret bearer; failed authentication is limited per address (429); idempotent.",
    tags=["internal"],
)
def receive_db_event() -> DbEventOutcome:
    d, body = deps(), _invocation.body
    with admitted_delivery(d, _invocation.headers, body, _invocation.source_ip):
        event = mirroring.parse_db_event(body)
        outcome = mirroring.apply_db_event(
            event, db=d.db, graph=d.graph, vectors=d.vectors, embedder=d.embedder, cache=d.cache,
        )  # fmt: skip
        # A conversation that just ended is ingested now (the schedule is the safety net).
        request_ingestion(event, outcome, d.ingestion_queue)
        return outcome


# Signed deliveries come in bursts from a few dispatcher addresses; the signature is the guard.
_resolve = entry(app, public=True, ip_rate_limit=None, max_json_depth=WEBHOOK_MAX_JSON_DEPTH)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raw = event.get("body") or ""
    _invocation.headers = event.get("headers") or {}
    _invocation.source_ip = ((event.get("requestContext") or {}).get("http") or {}).get("sourceIp")
    _invocation.body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    return _resolve(event, context)
