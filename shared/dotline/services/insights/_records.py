"""The insight cycle's persist and publish phases: the insight summary and cycle report (derived
artifacts), the proactive prompts, the memory profile and next-conversation context package, then
the `user:{uid}:insights` announcements and the unread counter."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from dotline import channels
from dotline.channels import Channel
from dotline.db import Database, Transaction, jsonb
from dotline.errors import ServiceUnavailable
from dotline.models.insights import CycleRun
from dotline.ports.cache import Cache
from dotline.ports.insight_synthesis import InsightBrief, InsightSynthesis
from dotline.services import artifacts

logger = logging.getLogger(__name__)

SOURCE_AGENT = "insight_engine"
# Ids are uuid5(namespace, "user:previous cycle start:what"): the same cycle always names the same rows.
CYCLE_NAMESPACE = uuid.UUID("b3c1f0d2-5a7e-4f8b-9c6d-2e1a0f9b8c7d")

# Moves the cycle only if no other run moved it since this one read it (compare-and-set), and
# counts the concepts the person gained during the cycle now ending.
_START_CYCLE = """
update public.profiles
set last_cycle_started_at = now(),
    concepts_created_in_cycle = (
      select count(*) from public.concepts c
      where c.user_id = %(user_id)s and c.created_at >= coalesce(%(previous)s::timestamptz, '-infinity')
    ),
    memory_profile = %(memory_profile)s, next_conversation_context_package = %(package)s
where user_id = %(user_id)s and last_cycle_started_at is not distinct from %(previous)s
returning last_cycle_started_at
"""
_ARTIFACT = """
insert into public.derived_artifacts (artifact_id, user_id, artifact_type, title, description,
  content_narrative, content_data, source_entities, attributes)
values (%(id)s, %(user_id)s, %(type)s, %(title)s, %(description)s, %(narrative)s, %(data)s,
  %(sources)s, %(attributes)s)
on conflict (artifact_id) do nothing returning artifact_id
"""
_PROMPT = """
insert into public.proactive_prompts (prompt_id, user_id, prompt_text, source_agent, metadata)
select id, %(user_id)s, text, %(agent)s, %(metadata)s
from unnest(%(ids)s::uuid[], %(texts)s::text[]) as p(id, text)
on conflict (prompt_id) do nothing returning prompt_id
"""


def cycle_id(user_id: UUID, previous: datetime | None, what: str) -> UUID:
    """The id of one thing a cycle writes, the same on every run of that cycle."""
    since = "first" if previous is None else previous.isoformat()
    return uuid.uuid5(CYCLE_NAMESPACE, f"{user_id}:{since}:{what}")


def persist_cycle(
    db: Database,
    user_id: UUID,
    previous: datetime | None,
    brief: InsightBrief,
    synthesis: InsightSynthesis,
) -> CycleRun:
    """Write the cycle in one transaction; nothing when another run of it got there first."""
    prompt_ids = [cycle_id(user_id, previous, f"prompt:{i}") for i in range(len(synthesis.prompts))]
    summary_id = cycle_id(user_id, previous, "insight_summary")
    with db.as_service() as tx:
        tx.execute(
            _START_CYCLE,
            {
                "user_id": user_id,
                "previous": previous,
                "memory_profile": jsonb(_memory_profile(brief, synthesis)),
                "package": jsonb(_context_package(synthesis, prompt_ids, summary_id)),
            },
        )
        started = tx.fetchone()
        if started is None:
            return CycleRun(user_id=user_id, status="already_ran")
        at: datetime = started["last_cycle_started_at"]
        meta = {"cycle_started_at": at.isoformat(), "model": synthesis.model}
        sources = [{"type": "concept", "id": c.node_id} for c in brief.central_concepts]
        artifacts = [
            _write_artifact(tx, user_id, summary_id, "insight_summary", synthesis.title,
                            synthesis.summary, {**meta, "themes": synthesis.themes,
                                                "prompt_ids": [str(p) for p in prompt_ids]},
                            sources),
            _write_artifact(tx, user_id, cycle_id(user_id, previous, "cycle_report"),
                            "cycle_report", f"Cycle report, {at:%d %B %Y}", _report_line(brief),
                            {**meta, "brief": brief.model_dump(mode="json")}, sources,
                            supports=summary_id),
        ]  # fmt: skip
        tx.execute(
            _PROMPT,
            {"user_id": user_id, "agent": SOURCE_AGENT, "ids": prompt_ids,
             "texts": synthesis.prompts, "metadata": jsonb({**meta, "artifact_id": str(summary_id)})},
        )  # fmt: skip
        written_prompts = [row["prompt_id"] for row in tx.fetchall()]
    return CycleRun(
        user_id=user_id,
        status="completed",
        cycle_started_at=at,
        artifact_ids=[a for a in artifacts if a is not None],
        prompt_ids=written_prompts,
    )


def publish_cycle(cache: Cache, run: CycleRun) -> None:
    """Announce each new artifact on the person's insights channel and count it unread.

    The cycle has committed: a cache outage loses the announcement, not the insight (logged).
    """
    try:
        for artifact_id in run.artifact_ids:
            message = channels.envelope(
                "insight.created",
                artifact_id,
                urgency="normal",
                prompt_ids=[str(p) for p in run.prompt_ids],
            )
            channels.publish(cache, run.user_id, Channel.INSIGHTS, message)
        if run.artifact_ids:
            artifacts.count_unread(cache, run.user_id, len(run.artifact_ids))
    except ServiceUnavailable:
        logger.warning("insights of user %s not announced: the cache is unreachable", run.user_id)


def _write_artifact(
    tx: Transaction,
    user_id: UUID,
    artifact_id: UUID,
    kind: str,
    title: str,
    narrative: str,
    data: dict[str, Any],
    sources: list[dict[str, str]],
    supports: UUID | None = None,
) -> UUID | None:
    """Insert one artifact; `supports`: the artifact this one is the evidence of (the report
    holds the brief the insight summary was drawn from: the graph's SUPPORTS)."""
    attributes = {"display_type": kind, "source_agent": SOURCE_AGENT}
    if supports is not None:
        attributes["supports_artifact_id"] = str(supports)
    tx.execute(
        _ARTIFACT,
        {"id": artifact_id, "user_id": user_id, "type": kind, "title": title[:255],
         "description": narrative.split(". ")[0][:500], "narrative": narrative,
         "data": jsonb(data), "sources": jsonb(sources), "attributes": jsonb(attributes)},
    )  # fmt: skip
    row = tx.fetchone()
    return None if row is None else row["artifact_id"]


def _report_line(brief: InsightBrief) -> str:
    return (
        f"{brief.conversations} conversation(s), {brief.messages} message(s),"
        f" {len(brief.memories)} new memory(ies), {len(brief.communities)} communities in your graph."
    )


def _memory_profile(brief: InsightBrief, synthesis: InsightSynthesis) -> dict[str, Any]:
    return {
        "themes": synthesis.themes,
        "central_concepts": [c.model_dump() for c in brief.central_concepts],
        "communities": [c.model_dump() for c in brief.communities],
        "growth": {d.dim_key: d.total for d in brief.growth},
        "recent_memories": brief.memories[:10],
    }


def _context_package(
    synthesis: InsightSynthesis, prompt_ids: list[UUID], summary_id: UUID
) -> dict[str, Any]:
    return {
        "insight_id": str(summary_id),
        "summary": synthesis.summary,
        "themes": synthesis.themes,
        "prompts": [
            {"prompt_id": str(p), "text": t}
            for p, t in zip(prompt_ids, synthesis.prompts, strict=True)
        ],
    }
