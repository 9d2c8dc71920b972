"""The daily retention run: per-person retention, expiry, archive, store removals, erasure retries."""

from typing import Any

from dotline.bootstrap import deps
from dotline.jobs import job
from dotline.services.lifecycle import erasure, retention


def run_retention(event: dict[str, Any], context: Any) -> dict[str, Any]:
    d = deps()
    report = retention.run_retention(
        d.db, graph=d.graph, vectors=d.vectors, cache=d.cache,
        retry_erasures=lambda: erasure.retry_pending(d),
    )  # fmt: skip
    return report.model_dump(mode="json")


handler = job("retention", run_retention, recording="off")  # it records itself
