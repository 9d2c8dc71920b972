"""Conversation ingestion, every minute: ended conversations become memories, concepts and links."""

from typing import Any

from dotline.bootstrap import deps
from dotline.jobs import job
from dotline.services.ingestion.ingestion import IngestionStores, ingest_conversations

# Stop claiming conversations this long before the function's timeout: one in flight must finish.
SAFETY_MARGIN_S = 40.0


def ingest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    stores = deps()
    budget_s = context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_S
    run = ingest_conversations(
        IngestionStores(
            stores.db, stores.language_model, stores.embedder, stores.graph, stores.vectors
        ),
        stores.growth_config(),
        budget_s=budget_s,
    )
    return run.model_dump(mode="json")


handler = job(
    "ingestion",
    ingest,
    counts={"processed": "ConversationsIngested", "failed": "IngestionFailures"},
)
