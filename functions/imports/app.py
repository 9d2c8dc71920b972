"""Bulk import of the caller's history: POST /v1/imports and GET /v1/imports/{import_id}."""

from uuid import UUID

from aws_lambda_powertools.event_handler import Response

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.errors import RateLimited
from dotline.models.imports import (
    IMPORT_BODY,
    MAX_BODY_BYTES,
    MAX_ITEMS,
    ImportReceipt,
    ImportRequest,
)
from dotline.ports.cache import RatePolicy
from dotline.problems import PROBLEM_CONTENT_TYPE, problem_body, problem_json
from dotline.rate_limiting import RequestLimits
from dotline.route_params import IdempotencyKey
from dotline.services.imports import history

# An import counts once however many items it carries, in a bucket of its own: 20 an hour is
# 20,000 turns or memories, and polling the progress spends the ordinary per-user limit only.
IMPORTS = RatePolicy(name="imports", max_requests=20, window_s=3600)
_IMPORT_LIMITS = RequestLimits(per_user=IMPORTS, per_ip=None)

app = resolver()


@app.post(
    "/v1/imports",
    summary="Import your history: a past transcript or a batch of memories",
    description=f"Up to {MAX_ITEMS:,} turns or memories and {MAX_BODY_BYTES // (1024 * 1024)} MB, "
    "validated whole and stored in one transaction with their own times; each session becomes "
    "an ended conversation that ingestion turns into memories. The same import_id (or "
    "Idempotency-Key, or the same content) again answers the first import and stores nothing. "
    "20 imports an hour.",
    security=BEARER,
    tags=["imports"],
    # Validated by ImportRequest.from_json (the body's size, pydantic's 422, then the item count
    # and the checks across items), so the schema is declared here, not taken from a signature.
    openapi_extensions={"requestBody": IMPORT_BODY},
    responses={
        202: {"description": "Stored; ingestion follows (or stored before, when replayed)"},
        409: {"description": "This import id was already used for other content"},
        413: {"description": f"More than {MAX_ITEMS:,} turns or memories, or a body over 5 MB"},
        422: {
            "description": "An item is not valid: `errors` names it (sessions.3.turns.12.timestamp)"
        },
    },
)
def import_history(idempotency_key: IdempotencyKey = None) -> Response[ImportReceipt]:
    user = current_user(app)
    request = ImportRequest.from_json(app.current_event.decoded_body)
    _spend_an_import(user.user_id)
    receipt = history.record(deps().db, user, request, idempotency_key)
    return Response(202, "application/json", receipt)


class _ImportsSpent(RateLimited):
    """The imports bucket is spent: a 429 with that bucket's Retry-After and RateLimit-*."""

    def __init__(self, refusal: RateLimited, headers: dict[str, str]) -> None:
        super().__init__(refusal.detail, **refusal.extensions)
        self.headers = headers


@app.exception_handler(_ImportsSpent)
def _imports_spent(exc: _ImportsSpent) -> Response[str]:
    instance = app.current_event.raw_event.get("rawPath") if app.current_event else None
    body = problem_body(exc.status, exc.slug, exc.title, exc.detail, instance, **exc.extensions)
    return Response(exc.status, PROBLEM_CONTENT_TYPE, problem_json(body), exc.headers)


def _spend_an_import(user_id: UUID) -> None:
    """Count this import in the imports bucket (the route's answer carries the ordinary
    per-user limit's headers; a refusal, the bucket's own)."""
    quota = _IMPORT_LIMITS.quota()
    try:
        quota.admit(None, user_id)
    except RateLimited as exc:
        raise _ImportsSpent(exc, quota.headers()) from None


@app.get(
    "/v1/imports/<import_id>",
    summary="How far an import got",
    security=BEARER,
    tags=["imports"],
    responses={404: {"description": "No such import of yours"}},
)
def get_import(import_id: UUID) -> ImportReceipt:
    return history.progress(deps().db, current_user(app), import_id)


handler = entry(app)
