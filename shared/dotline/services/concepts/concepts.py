"""The caller's concepts: list (filtered, sorted, paged), read, change, and their neighbourhood.

Row-level security scopes every query to the caller. Merging lives in `concepts.merge`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, Transaction
from dotline.errors import Conflict, NotFound
from dotline.models.concepts import Concept, ConceptPage, ConceptSort, ConceptStatus, ConceptUpdate
from dotline.models.graph_views import Neighbourhood
from dotline.ports.graph import GraphStore
from dotline.services.graph.views import neighbourhood_of
from dotline.tables import Keyset

if TYPE_CHECKING:
    pass

# SQL text composed with psycopg.sql where it is used, which imports psycopg with the first query.
COLUMNS = (
    "concept_id, user_id, name, type, description, status, salience, source, attributes, "
    "community_id, merged_into_concept_id, created_at, updated_at"
)
_BY_ID = "select {} from public.concepts where concept_id = %(id)s"
# One list per sort; the id breaks ties in the sort's direction.
_LISTS = {
    ConceptSort.recent: Keyset("concepts.recent", Concept, "concept_id", COLUMNS, "public.concepts"),
    ConceptSort.name: Keyset(
        "concepts.name", Concept, "concept_id", COLUMNS, "public.concepts",
        sort_key="lower(name)", sort_type="text", descending=False,
    ),
    ConceptSort.salience: Keyset(
        "concepts.salience", Concept, "concept_id", COLUMNS, "public.concepts",
        sort_key="coalesce(salience, -1)", sort_type="float8",
    ),
}  # fmt: skip
_FILTERS = {
    "type": "type = %(type)s",
    "community_id": "community_id = %(community_id)s",
    "name_prefix": "lower(name) like %(name_prefix)s",
    "q": "(name ilike %(q)s or description ilike %(q)s)",
}


def list_concepts(
    db: Database,
    user: Principal,
    *,
    limit: int,
    cursor: str | None = None,
    sort: ConceptSort = ConceptSort.recent,
    status: ConceptStatus | None = None,
    filters: dict[str, Any] | None = None,
) -> ConceptPage:
    """A page of the caller's concepts; without a status filter, merged ones are left out."""
    given = _filter_values(filters or {})
    conditions = [_FILTERS[name] for name in sorted(given)]
    if status is None:
        conditions.append("status <> 'merged'")
    else:
        conditions.append("status = %(status)s")
        given["status"] = status.value
    with db.as_user(user) as tx:
        items, next_cursor = _LISTS[sort].page(tx, conditions, given, limit=limit, cursor=cursor)
    return ConceptPage(items=items, next_cursor=next_cursor)


def get_concept(db: Database, user: Principal, concept_id: UUID) -> Concept:
    """One of the caller's concepts, merged ones included (they name their survivor)."""
    with db.as_user(user) as tx:
        return _require(tx, concept_id)


def update_concept(
    db: Database, user: Principal, concept_id: UUID, change: ConceptUpdate
) -> Concept:
    """Apply the fields sent; a merged concept is read-only, and (name, type) stays unique."""
    from psycopg import sql

    fields = change.model_dump(include=change.model_fields_set)
    if fields.get("description") == "":
        fields["description"] = None
    with db.as_user(user) as tx:
        current = _require(tx, concept_id, lock=True)
        if current.status is ConceptStatus.merged:
            raise Conflict(
                f"This concept was merged into {current.merged_into_concept_id}; change that one.",
                merged_into_concept_id=str(current.merged_into_concept_id),
            )
        name, type_ = fields.get("name", current.name), fields.get("type", current.type)
        if "name" in fields or "type" in fields:
            _refuse_duplicate(tx, concept_id, name, type_)
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(n), sql.Placeholder(n)) for n in sorted(fields)
        )
        query = sql.SQL("update public.concepts set {} where concept_id = %(id)s returning {}")
        row = tx.execute(
            query.format(assignments, sql.SQL(COLUMNS)), {**fields, "id": concept_id}
        ).fetchone()
    return Concept.model_validate(row)


def concept_neighbourhood(
    db: Database, graph: GraphStore, user: Principal, concept_id: UUID, *, depth: int, limit: int
) -> Neighbourhood:
    """What the graph links to the concept within `depth` hops (a merged concept: its
    survivor's); no nodes yet when the graph has not received the concept."""
    with db.as_user(user) as tx:
        concept = _require(tx, concept_id)
    center = concept.merged_into_concept_id or concept.concept_id
    return neighbourhood_of(db, graph, user, center, depth=depth, limit=limit)


def _require(tx: Transaction, concept_id: UUID, *, lock: bool = False) -> Concept:
    from psycopg import sql

    query = sql.SQL(_BY_ID + " for update" if lock else _BY_ID).format(sql.SQL(COLUMNS))
    row = tx.execute(query, {"id": concept_id}).fetchone()
    if row is None:
        raise NotFound("No such concept.")
    return Concept.model_validate(row)


def _refuse_duplicate(tx: Transaction, concept_id: UUID, name: str, type_: str) -> None:
    clash = tx.execute(
        "select concept_id from public.concepts"
        " where name = %(name)s and type = %(type)s and concept_id <> %(id)s",
        {"name": name, "type": type_, "id": concept_id},
    ).fetchone()
    if clash is not None:
        raise Conflict(
            f"You already have a {type_} concept named {name!r}; merge into it instead.",
            existing_concept_id=str(clash["concept_id"]),
        )


def _filter_values(filters: dict[str, Any]) -> dict[str, Any]:
    """Parameters for the filters given (None: not filtered); patterns escaped for LIKE."""
    given = {name: value for name, value in filters.items() if value is not None}
    if "name_prefix" in given:
        given["name_prefix"] = _like_escape(given["name_prefix"].lower()) + "%"
    if "q" in given:
        given["q"] = "%" + _like_escape(given["q"]) + "%"
    return given


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
