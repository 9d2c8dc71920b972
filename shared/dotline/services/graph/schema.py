"""The person's knowledge-graph schema (`profiles.knowledge_graph_schema`): the node labels and
relationship types their graph uses, kept by the writers that add them (ingestion, the insight
cycle, the outbox mirror's secondary labels and edges). Only additions are recorded: a label stays listed after its last node goes."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from dotline.db import Database

# Adds what is new in one statement and writes nothing when nothing is (the usual case), so the
# profile row and its mirror are left alone.
_RECORD = """
update public.profiles p
set knowledge_graph_schema = jsonb_build_object(
  'labels', (select coalesce(jsonb_agg(distinct x order by x), '[]') from (
    select jsonb_array_elements_text(coalesce(p.knowledge_graph_schema -> 'labels', '[]'))
    union select unnest(%(labels)s::text[])) as known (x)),
  'relationships', (select coalesce(jsonb_agg(distinct x order by x), '[]') from (
    select jsonb_array_elements_text(coalesce(p.knowledge_graph_schema -> 'relationships', '[]'))
    union select unnest(%(types)s::text[])) as known (x)))
where p.user_id = %(user_id)s
  and not coalesce(p.knowledge_graph_schema, '{}') @> jsonb_build_object(
    'labels', to_jsonb(%(labels)s::text[]), 'relationships', to_jsonb(%(types)s::text[]))
"""


def record_graph_schema(
    db: Database, user_id: UUID, labels: Iterable[str], types: Iterable[str]
) -> None:
    """Add the labels and relationship types just written to the person's graph schema."""
    labels, types = sorted(set(labels)), sorted(set(types))
    if not labels and not types:
        return
    with db.as_service() as tx:
        tx.execute(_RECORD, {"user_id": user_id, "labels": labels, "types": types})
