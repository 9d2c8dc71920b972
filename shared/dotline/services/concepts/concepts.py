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
from dotline.pagination import decode_cursor, encode_cursor
from dotline.ports.graph import GraphStore
from dotline.services.graph.views import neighbourhood_of

if TYPE_CHECKING:
    from psycopg import sql

# SQL text composed with psycopg.sql where it is used, which imports psycopg with the first query.
COLUMNS = (
    "concept_id, user_id, name, type, description, status, salience, source, attributes, "
    "community_id, merged_into_concept_id, created_at, updated_at"
)
_BY_ID = "select {} from public.concepts where concept_id = %(id)s"
# sort -> (key expression, its SQL type, direction); the id breaks ties in the same direction.
_SORTS: dict[ConceptSort, tuple[str, str, str]] = {
    ConceptSort.recent: ("created_at", "timestamptz", "desc"),
    ConceptSort.name: ("lower(name)", "text", "asc"),
    ConceptSort.salience: ("coalesce(salience, -1)", "float8", "desc"),
}
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
    from psycopg import sql

    key, key_type, direction = _SORTS[sort]
    given = _filter_values(filters or {})
    conditions: list[sql.Composable] = [sql.SQL(_FILTERS[name]) for name in sorted(given)]
    if status is None:
        conditions.append(sql.SQL("status <> 'merged'"))
    else:
        conditions.append(sql.SQL("status = %(status)s"))
        given["status"] = status.value
    if cursor is not None:
        after_key, after_id = decode_cursor(cursor, f"concepts.{sort.value}")
        comparison = "<" if direction == "desc" else ">"
        conditions.append(
            sql.SQL("({}, concept_id) {} (%(after_key)s::{}, %(after_id)s::uuid)").format(
                sql.SQL(key), sql.SQL(comparison), sql.SQL(key_type)
            )
        )
        given.update(after_key=after_key, after_id=after_id)
    query = sql.SQL(
        "select {}, {} as sort_key from public.concepts where {} "
        "order by {} {dir}, concept_id {dir} limit %(limit)s"
    ).format(
        sql.SQL(COLUMNS),
        sql.SQL(key),
        sql.SQL(" and ").join(conditions),
        sql.SQL(key),
        dir=sql.SQL(direction),
    )
    with db.as_user(user) as tx:
        rows = tx.execute(query, {**given, "limit": limit + 1}).fetchall()
    items = [Concept.model_validate(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        sort_key = last["sort_key"]
        value = sort_key.isoformat() if hasattr(sort_key, "isoformat") else sort_key
        next_cursor = encode_cursor(f"concepts.{sort.value}", value, str(last["concept_id"]))
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
