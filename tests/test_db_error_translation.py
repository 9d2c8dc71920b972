"""Database errors from a real Postgres become the problems a caller can act on."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from dotline.db_errors import translate
from dotline.errors import DotlineError, ServiceUnavailable


def _error_of(pg: Any, sql: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as raised:
        pg.execute(sql)
    pg.rollback()
    return raised.value


def test_a_statement_past_a_postgres_limit_is_an_error_not_a_retry(pg: Any) -> None:
    # given a statement Postgres refuses for one of its own limits (SQLSTATE class 54)
    error = _error_of(pg, "select array_fill(1, array[2147483647, 2147483647])")
    assert (error.sqlstate or "").startswith("54"), error.sqlstate
    assert isinstance(error, psycopg.OperationalError)

    # when it is translated
    problem = translate(error)

    # then it is a 500 (the same request fails the same way), not a 503 inviting a retry
    assert type(problem) is DotlineError
    assert problem.status == 500
    assert not isinstance(problem, ServiceUnavailable)


def test_a_cancelled_statement_is_still_a_retryable_503(pg: Any) -> None:
    # given a statement cancelled by its timeout
    pg.execute("set statement_timeout = '10ms'")
    try:
        error = _error_of(pg, "select pg_sleep(1)")
    finally:
        pg.execute("reset statement_timeout")

    # when / then
    assert isinstance(translate(error), ServiceUnavailable)
