"""The caller's concept communities, newest first, each with its size and leading concepts.

Row-level security scopes the list to the caller; the communities themselves are written only by
the insight cycle (`services.insights._communities`).
"""

from __future__ import annotations

from dotline.auth import Principal
from dotline.db import Database
from dotline.models.communities import TOP_CONCEPTS, Community, CommunityPage
from dotline.tables import Keyset

_COLUMNS = (
    "k.community_id, k.name, k.description, k.created_at, k.last_analyzed_ts,"
    " members.concept_count, members.top_concepts"
)
# Counted for the page only: the join runs once per community shown.
_MEMBERS = """cross join lateral (
  select count(*)::integer as concept_count,
         coalesce((array_agg(c.name order by c.salience desc nulls last, c.name))[1:%(top)s::integer],
                  '{}') as top_concepts
  from public.concepts c where c.community_id = k.community_id and c.status <> 'merged'
) members"""
_LIST = Keyset(
    "communities.recent", Community, "community_id", _COLUMNS, "public.communities k",
    alias="k", then_join=_MEMBERS,
)  # fmt: skip


def list_communities(
    db: Database, user: Principal, *, limit: int, cursor: str | None = None
) -> CommunityPage:
    """A page of the caller's communities, newest first."""
    with db.as_user(user) as tx:
        items, next_cursor = _LIST.page(tx, [], {"top": TOP_CONCEPTS}, limit=limit, cursor=cursor)
    return CommunityPage(items=items, next_cursor=next_cursor)
