"""`dotline ingest [--conversation UUID | --user UUID]`: the ingestion function, by hand."""

from __future__ import annotations

import argparse
from uuid import UUID


def ingest(args: argparse.Namespace) -> int:
    """Ingest ended conversations now (--conversation: that one, even if processed or given up)."""
    from dotline.bootstrap import deps
    from dotline.growth_rules import current_config
    from dotline.services.ingestion.ingestion import IngestionStores, ingest_conversations

    stores = deps()
    run = ingest_conversations(
        IngestionStores(
            stores.db, stores.language_model, stores.embedder, stores.graph, stores.vectors
        ),
        current_config(stores.cache),
        conversation_id=args.conversation,
        user_id=args.user,
    )
    for done in run.conversations:
        if done.outcome == "processed":
            print(
                f"{done.conversation_id} processed by {done.extractor}: "
                f"{done.memories} memories ({done.memories_created} new), "
                f"{done.concepts} concepts ({done.concepts_created} new), "
                f"{done.memories_invalidated} superseded, {done.edges} edges",
                flush=True,
            )
        else:
            print(f"{done.conversation_id} {done.outcome} (attempt {done.attempt}): {done.error}")
    if args.conversation and not run.claimed:
        print(f"{args.conversation}: no such conversation, or it is still active or in progress")
        return 1
    print(f"claimed {run.claimed}: processed {run.processed}, failed {run.failed}", flush=True)
    return 1 if run.failed else 0


def ingest_arguments(parser: argparse.ArgumentParser) -> None:
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--conversation", type=UUID, help="only this conversation, re-run even when processed"
    )
    scope.add_argument("--user", type=UUID, help="only this person's ended conversations")
