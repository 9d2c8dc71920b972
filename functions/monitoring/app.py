"""GET /v1/admin/health: job runs, behaviour-tracking coverage and backlog, for admins."""

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.monitoring import OperationsHealth
from dotline.services import monitoring

app = resolver()


@app.get(
    "/v1/admin/health",
    summary="How the jobs and pipelines are doing (admins only)",
    security=BEARER,
    tags=["admin"],
)
def read_operations_health() -> OperationsHealth:
    return monitoring.operations_health(deps().db, current_user(app))


handler = entry(app)
