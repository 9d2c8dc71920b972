"""Proactive prompts: GET /v1/prompts (active ones), POST /v1/prompts/{prompt_id}/act and
/dismiss."""

from uuid import UUID

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.insights import Prompt, PromptPage
from dotline.pagination import DEFAULT_PAGE_SIZE
from dotline.route_params import Cursor, Limit
from dotline.services import prompts

app = resolver()


@app.get(
    "/v1/prompts", summary="Your active prompts, newest first", security=BEARER, tags=["insights"]
)
def list_prompts(
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PromptPage:
    return prompts.list_active_prompts(deps().db, current_user(app), cursor, limit)


@app.post(
    "/v1/prompts/<prompt_id>/act", summary="Act on a prompt", security=BEARER, tags=["insights"]
)
def act_on_prompt(prompt_id: UUID) -> Prompt:
    return prompts.settle_prompt(deps().db, current_user(app), prompt_id, "acted")


@app.post(
    "/v1/prompts/<prompt_id>/dismiss", summary="Dismiss a prompt", security=BEARER,
    tags=["insights"],
)  # fmt: skip
def dismiss_prompt(prompt_id: UUID) -> Prompt:
    return prompts.settle_prompt(deps().db, current_user(app), prompt_id, "dismissed")


handler = entry(app)
