"""Every 15 minutes: the operations health published as metrics (coverage, backlog, jobs)."""

from typing import Any

from dotline.bootstrap import deps
from dotline.jobs import job
from dotline.services import monitoring


def publish_health(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return monitoring.publish_snapshot(deps().db)


handler = job("health_metrics", publish_health)
