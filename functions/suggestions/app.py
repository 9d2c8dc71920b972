"""The caller's suggestions: GET /v1/suggestions, POST /v1/suggestions/{id}/dismiss and /act."""

from uuid import UUID

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.suggestions import Suggestion, SuggestionPage
from dotline.pagination import DEFAULT_PAGE_SIZE
from dotline.route_params import Cursor, Limit
from dotline.services import suggestions

app = resolver()


@app.get(
    "/v1/suggestions",
    summary="Your active suggestions, highest priority first",
    description="Not dismissed and not expired. Acted-upon ones stay until they expire.",
    security=BEARER,
    tags=["suggestions"],
)
def list_suggestions(limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> SuggestionPage:
    return suggestions.list_active(deps().db, current_user(app), limit=limit, cursor=cursor)


@app.post(
    "/v1/suggestions/<suggestion_id>/dismiss",
    summary="Dismiss a suggestion (again: no change)",
    security=BEARER,
    tags=["suggestions"],
)
def dismiss_suggestion(suggestion_id: UUID) -> Suggestion:
    return suggestions.dismiss(deps().db, current_user(app), suggestion_id)


@app.post(
    "/v1/suggestions/<suggestion_id>/act",
    summary="Record that you acted on a suggestion",
    security=BEARER,
    tags=["suggestions"],
)
def act_on_suggestion(suggestion_id: UUID) -> Suggestion:
    return suggestions.act_upon(deps().db, current_user(app), suggestion_id)


handler = entry(app)
