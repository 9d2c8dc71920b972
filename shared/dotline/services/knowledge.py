"""Searching a coaching app's knowledge (its active knowledge bases), counting each hit's access."""

from __future__ import annotations

from dotline.auth import Principal
from dotline.db import Database
from dotline.errors import InvalidRequest, NotFound
from dotline.models.knowledge import KnowledgeResults

# The app row and its hits in one round trip. The search runs (and counts accesses) only when
# the app exists and is active: an admin's token may read inactive apps, nobody may search them.
_SEARCH = """
select a.app_id, a.slug as app_slug,
       api.knowledge_hits(%(query)s, a.app_id::text, %(limit)s) as items
from public.apps a
where (a.slug = %(app)s or a.app_id::text = lower(%(app)s)) and a.is_active
"""


def search_knowledge(
    db: Database, user: Principal, app: str, query: str, *, limit: int
) -> KnowledgeResults:
    """The app's entries best matching `query` (websearch syntax), best first; NotFound for an
    unknown or inactive app."""
    if not query.strip():
        raise InvalidRequest("query.q: must not be blank", errors=[_BLANK_Q])
    with db.as_user(user) as tx:
        row = tx.execute(_SEARCH, {"app": app, "query": query, "limit": limit}).fetchone()
    if row is None:
        raise NotFound("No such app.")
    return KnowledgeResults.model_validate(row)


_BLANK_Q = {"field": "query.q", "message": "must not be blank"}
