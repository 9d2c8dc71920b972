"""A page of a person's memories by importance, and of their cards, comes off an index in the
page's order: no sort of every row the person has. At 100k memories the importance page sorted
them all (55 ms: it ordered by the select list's float8 cast, which no index holds), and the card
gallery sorted all 100k cards before evaluating its page (docs/measurements.md).

With few rows a sort is the planner's cheapest choice, so the plans are read with sorting
disabled: a plan that still sorts has no index to read the order from."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg import sql

from dotline.auth import Principal
from dotline.db import Database
from dotline.models.memories import MemorySort
from dotline.services.cards import cards
from dotline.services.memories import memories
from dotline.settings import Settings


class Explaining:
    """A transaction that explains each statement before running it."""

    def __init__(self, tx: Any) -> None:
        self.tx = tx
        self.plans: list[str] = []

    def execute(self, query: sql.Composable, params: Any = None) -> Any:
        rows = self.tx.execute(sql.SQL("explain (costs off) ") + query, params).fetchall()
        self.plans.append("\n".join(next(iter(row.values())) for row in rows))
        return self.tx.execute(query, params)


@pytest.fixture
def db(settings: Settings) -> Any:
    database = Database(settings)
    yield database
    database.close()


def principal(user: Any) -> Principal:
    return Principal(user.user_id, {"sub": str(user.user_id), "role": "authenticated"})


def test_a_page_by_importance_is_read_in_order_off_the_index(db: Database, make_user: Any) -> None:
    user = principal(make_user())
    with db.as_user(user) as tx:
        tx.execute("set local enable_sort = off")
        explaining = Explaining(tx)
        memories._LISTS[MemorySort.importance].page(
            explaining, [memories._LIVE], {}, limit=20, cursor=None
        )

    (plan,) = explaining.plans
    assert "Sort" not in plan, plan
    assert "memories_user_importance_id_idx" in plan, plan


def test_a_page_of_cards_is_read_newest_first_off_the_index(db: Database, make_user: Any) -> None:
    user = principal(make_user())
    params = {"rules": "[]", "default": "seed", "user_id": user.user_id}
    with db.as_user(user) as tx:
        tx.execute("set local enable_sort = off")
        explaining = Explaining(tx)
        cards._PAGE_THEN_EVALUATE.page(
            explaining, ["c.user_id = %(user_id)s"], params, limit=20, cursor=None
        )

    (plan,) = explaining.plans
    inner = plan.split("Function Scan")[0]  # the page, cut before its cards are evaluated
    assert "cards_user_created_idx" in plan, plan
    assert "Sort" not in inner.split("->", 2)[-1], plan
