"""The growth backfill, on demand (no schedule): `dotline growth backfill`, run in AWS.

Invoke it with `{}` (every user), `{"user_id": ...}` or, to go on where a run stopped,
`{"after_user_id": <its resume_after>}`; re-running adds nothing (deterministic event ids).
"""

from typing import Any

from dotline.bootstrap import deps
from dotline.jobs import job
from dotline.models.growth_backfill import BackfillReport, BackfillRequest
from dotline.services.growth.backfill import backfill_growth

# Start no user this long before the function's timeout: the one in flight must finish.
SAFETY_MARGIN_S = 30.0


def backfill(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = BackfillRequest.model_validate(event or {})
    d = deps()
    result = backfill_growth(
        d.db,
        d.growth_config(),
        request.user_id,
        after=request.after_user_id,
        budget_s=context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_S,
    )
    return BackfillReport(
        users=result.users,
        events_added=result.events_added,
        profiles_recomputed=result.profiles_recomputed,
        remaining=result.remaining,
        complete=result.complete,
        resume_after=result.resume_after,
    ).model_dump(mode="json")


handler = job(
    "growth_backfill",
    backfill,
    counts={"events_added": "GrowthEventsBackfilled", "users": "UsersBackfilled"},
)
