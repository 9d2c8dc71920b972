"""Conversation ingestion: ended conversations become memories, concepts and links.

Two ways in, one claim: the ingestion queue (SQS) hands it each conversation the moment it ends
(sent by the database webhook), and the minute schedule catches whatever a request missed.
"""

from typing import Any

from dotline.bootstrap import deps
from dotline.jobs import job
from dotline.services.ingestion.ingestion import IngestionStores, ingest_conversations
from dotline.services.ingestion.trigger import ingest_requested, is_queue_event

# Stop claiming conversations this long before the function's timeout: one in flight must finish.
SAFETY_MARGIN_S = 40.0


def ingest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    stores = deps()
    ingestion = IngestionStores(
        stores.db, stores.language_model, stores.embedder, stores.graph, stores.vectors
    )
    growth = stores.growth_config()

    def remaining_s() -> float:
        return float(context.get_remaining_time_in_millis()) / 1000 - SAFETY_MARGIN_S

    if is_queue_event(event):  # requests from the webhook: {"batchItemFailures": [...], ...}
        return ingest_requested(
            ingestion, growth, event["Records"], remaining_s=remaining_s
        ).response()
    run = ingest_conversations(ingestion, growth, budget_s=remaining_s())
    return run.model_dump(mode="json")


handler = job(
    "ingestion",
    ingest,
    counts={"processed": "ConversationsIngested", "failed": "IngestionFailures"},
    recording="busy",
)
