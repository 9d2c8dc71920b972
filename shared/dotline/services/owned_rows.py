"""The plain verbs on a table of rows a person owns (insert, page newest first, change, delete),
for resources with no rules beyond their columns; row-level security scopes each one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from dotline.db import Transaction
from dotline.errors import NotFound
from dotline.pagination import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from psycopg import sql


@dataclass(frozen=True)
class OwnedTable:
    """A public table keyed by a uuid `id_column`, with created_at, owned through user_id."""

    name: str
    id_column: str
    columns: tuple[str, ...]
    jsonb_columns: frozenset[str]
    noun: str

    def insert(self, tx: Transaction, fields: dict[str, Any]) -> dict[str, Any]:
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
        return row

    def page(
        self, tx: Transaction, limit: int, cursor: str | None, equal: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Rows newest first, filtered by column equality (None: not filtered); next cursor."""
        from psycopg import sql

        given = {name: value for name, value in equal.items() if value is not None}
        conditions = [
            sql.SQL("{} = {}").format(sql.Identifier(n), sql.Placeholder(n)) for n in given
        ]
        params: dict[str, Any] = {**given, "limit_plus_one": limit + 1}
        if cursor is not None:
            params["after_at"], params["after_id"] = decode_cursor(cursor, self.name)
            conditions.append(
                sql.SQL(
                    "(created_at, {}) < (%(after_at)s::timestamptz, %(after_id)s::uuid)"
                ).format(sql.Identifier(self.id_column))
            )
        query = sql.SQL(
            "select {} from {} where {} order by created_at desc, {} desc limit %(limit_plus_one)s"
        ).format(
            self._columns(),
            self._table(),
            sql.SQL(" and ").join([sql.SQL("true"), *conditions]),
            sql.Identifier(self.id_column),
        )
        rows = tx.execute(query, params).fetchall()
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor(
                self.name, last["created_at"].isoformat(), str(last[self.id_column])
            )
        return rows[:limit], next_cursor

    def update(self, tx: Transaction, row_id: UUID, fields: dict[str, Any]) -> dict[str, Any]:
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
        return row

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
        from psycopg.types.json import Jsonb

        return {
            name: Jsonb(value) if name in self.jsonb_columns and value is not None else value
            for name, value in fields.items()
        }
