"""GET /health: the deployment's settings are safe and its stores answer (the smoke check)."""

from dotline.api import entry, resolver
from dotline.bootstrap import deps
from dotline.models.health import Health
from dotline.services import health

app = resolver()


@app.get("/health", summary="Whether this deployment can serve", tags=["health"])
def check_health() -> Health:
    return health.check(deps().db, deps().cache)


# Public, and limited per address only: a monitor may call it often.
handler = entry(app, public=True, rate_limit=None)
