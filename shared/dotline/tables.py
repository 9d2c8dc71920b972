"""A small typed gateway to our own tables: newest-first keyset pages with the signed cursors,
JSON columns wrapped as jsonb, and rows hydrated into the pydantic models of `models/` here, so a
service handles models, not rows. Row-level security scopes each statement to the caller."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar, Union
from uuid import UUID

from pydantic import BaseModel

from dotline.db import Transaction
from dotline.errors import NotFound
from dotline.pagination import decode_cursor, decode_time_cursor, encode_cursor

if TYPE_CHECKING:
    from psycopg import sql

M = TypeVar("M", bound=BaseModel)
Row = dict[str, Any]
Fragment = Union[str, "sql.Composable"]  # constant SQL text, or composed from identifiers


@dataclass(frozen=True)
class Keyset(Generic[M]):
    """A list of `columns` from `source` ordered by a sort key (created_at unless `sort_key`
    names an expression of SQL type `sort_type`) and then the id, descending unless told,
    paged by the signed cursor of `kind`; each row hydrated into `model` (or by `hydrate`).

    With `then_join` the page is cut first and joined after: the inner query pages the rows of
    `source` (aliased `alias`, every `where` condition over it alone), and only that page is
    joined (`then_join`, e.g. a lateral function call) for `columns`, so the join's work scales
    with the page, not the table."""

    kind: str
    model: type[M]
    id_column: str
    columns: Fragment
    source: Fragment  # the from clause: a table, or tables joined
    alias: str | None = None  # the paged table's alias in `source`, when it joins
    field: str = "query.cursor"  # the parameter a refused cursor is reported as
    hydrate: Callable[[Row], M] | None = None
    descending: bool = True
    sort_key: str | None = None  # an SQL expression over the paged table (None: created_at)
    sort_type: str = "timestamptz"
    then_join: Fragment | None = None  # joined to the page once cut; needs `alias`

    def page(
        self,
        tx: Transaction,
        where: Sequence[Fragment],
        params: Mapping[str, Any],
        *,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[M], str | None]:
        """The rows meeting every `where` condition (constant SQL with `%(name)s` parameters),
        `limit` of them after `cursor` (BadRequest for one this list did not hand out); and the
        next page's cursor, None on the last page."""
        from psycopg import sql

        names = (self.alias,) if self.alias else ()
        key = sql.Identifier(*names, self.id_column)
        by = sql.SQL(self.sort_key) if self.sort_key else sql.Identifier(*names, "created_at")
        conditions = [_fragment(part) for part in where] or [sql.SQL("true")]
        values = {**params, "page_limit": limit + 1}
        if cursor is not None:
            values["after_key"], values["after_id"] = self._after(cursor)
            conditions.append(
                sql.SQL("({}, {}) {} (%(after_key)s::{}, %(after_id)s::uuid)").format(
                    by, key, sql.SQL("<" if self.descending else ">"), sql.SQL(self.sort_type)
                )
            )
        direction = sql.SQL("desc" if self.descending else "asc")
        query: sql.Composed
        if self.then_join is None:
            query = sql.SQL(
                "select {}, {} as page_sort_key from {} where {}"
                " order by {} {dir}, {} {dir} limit %(page_limit)s"
            ).format(
                _fragment(self.columns),
                by,
                _fragment(self.source),
                sql.SQL(" and ").join(conditions),
                by,
                key,
                dir=direction,
            )
        else:
            query = self._page_then_join(by, key, conditions, direction)
        rows = tx.execute(query, values).fetchall()
        sort_values = [row.pop("page_sort_key") for row in rows]
        items = [(self.hydrate or self.model.model_validate)(row) for row in rows[:limit]]
        if len(rows) <= limit:
            return items, None
        value = sort_values[limit - 1]
        value = value.isoformat() if isinstance(value, datetime) else value
        return items, encode_cursor(self.kind, value, str(rows[limit - 1][self.id_column]))

    def _page_then_join(
        self,
        by: sql.Composable,
        key: sql.Composable,
        conditions: list[sql.Composable],
        direction: sql.Composable,
    ) -> sql.Composed:
        from psycopg import sql

        if self.alias is None or self.then_join is None:
            raise ValueError("paging before a join needs the paged table's alias")
        page = sql.Identifier(self.alias)
        inner = sql.SQL(
            "select {page}.*, {by} as page_sort_key from {} where {}"
            " order by {by} {dir}, {key} {dir} limit %(page_limit)s"
        ).format(
            _fragment(self.source),
            sql.SQL(" and ").join(conditions),
            page=page,
            by=by,
            key=key,
            dir=direction,
        )
        return sql.SQL(
            "select {}, {page}.page_sort_key from ({}) {page} {}"
            " order by {page}.page_sort_key {dir}, {key} {dir}"
        ).format(
            _fragment(self.columns),
            inner,
            _fragment(self.then_join),
            page=page,
            key=key,
            dir=direction,
        )

    def _after(self, cursor: str) -> tuple[Any, str]:
        if self.sort_type == "timestamptz":
            return decode_time_cursor(cursor, self.kind, self.field)
        return decode_cursor(cursor, self.kind, self.field)


@dataclass(frozen=True)
class OwnedTable(Generic[M]):
    """The plain verbs on a public table of rows a person owns (insert, page newest first,
    change, delete), keyed by a uuid `id_column`, for resources with no rules beyond their
    columns; each returns `model`."""

    name: str
    model: type[M]
    id_column: str
    jsonb_columns: frozenset[str]
    noun: str

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.model.model_fields)

    def insert(self, tx: Transaction, fields: dict[str, Any]) -> M:
        """Insert the given columns and return the stored row."""
        from psycopg import sql

        values = self._values(fields)
        names = sorted(values)
        query = sql.SQL("insert into {} ({}) values ({}) returning {}").format(
            self._table(),
            sql.SQL(", ").join(map(sql.Identifier, names)),
            sql.SQL(", ").join(map(sql.Placeholder, names)),
            self._columns(),
        )
        row = tx.execute(query, values).fetchone()
        assert row is not None  # an insert that raised nothing returns its row
        return self.model.model_validate(row)

    def page(
        self, tx: Transaction, limit: int, cursor: str | None, equal: dict[str, Any]
    ) -> tuple[list[M], str | None]:
        """Rows newest first, filtered by column equality (None: not filtered); next cursor."""
        given = {name: value for name, value in equal.items() if value is not None}
        for name in given:
            if name not in self.columns:
                raise ValueError(f"{name} is not a column of {self.name}")
        from psycopg import sql

        order = Keyset(self.name, self.model, self.id_column, self._columns(), self._table())
        where = [sql.SQL("{} = {}").format(sql.Identifier(n), sql.Placeholder(n)) for n in given]
        return order.page(tx, where, given, limit=limit, cursor=cursor)

    def update(self, tx: Transaction, row_id: UUID, fields: dict[str, Any]) -> M:
        """Set the given columns on one row; NotFound if the caller has no such row."""
        from psycopg import sql

        values = self._values(fields)
        query = sql.SQL("update {} set {} where {} = %(row_id)s returning {}").format(
            self._table(),
            sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.Identifier(n), sql.Placeholder(n))
                for n in sorted(values)
            ),
            sql.Identifier(self.id_column),
            self._columns(),
        )
        row = tx.execute(query, {**values, "row_id": row_id}).fetchone()
        if row is None:
            raise NotFound(f"No such {self.noun}.")
        return self.model.model_validate(row)

    def change(self, tx: Transaction, row_id: UUID, change: BaseModel) -> M:
        """Set the fields `change` was sent with (a field left out keeps its value)."""
        return self.update(tx, row_id, change.model_dump(include=change.model_fields_set))

    def delete(self, tx: Transaction, row_id: UUID) -> None:
        """Delete one row; NotFound if the caller has no such row."""
        from psycopg import sql

        query = sql.SQL("delete from {} where {} = %(row_id)s returning 1").format(
            self._table(), sql.Identifier(self.id_column)
        )
        if tx.execute(query, {"row_id": row_id}).fetchone() is None:
            raise NotFound(f"No such {self.noun}.")

    def _table(self) -> sql.Composable:
        from psycopg import sql

        return sql.Identifier("public", self.name)

    def _columns(self) -> sql.Composable:
        from psycopg import sql

        return sql.SQL(", ").join(map(sql.Identifier, self.columns))

    def _values(self, fields: dict[str, Any]) -> dict[str, Any]:
        return json_wrapped(fields, self.jsonb_columns)


def json_wrapped(fields: Mapping[str, Any], jsonb_columns: frozenset[str]) -> dict[str, Any]:
    """The fields as statement parameters, the jsonb columns' values (not None) wrapped."""
    from psycopg.types.json import Jsonb

    return {
        name: Jsonb(value) if name in jsonb_columns and value is not None else value
        for name, value in fields.items()
    }


def _fragment(part: Fragment) -> sql.Composable:
    from psycopg import sql

    return sql.SQL(part) if isinstance(part, str) else part
