"""The fast layer: every test under tests/unit is marked `unit` and runs without the stack.

`make unit` (`pytest -m unit tests/unit`) checks pure code in seconds: ranking, layout, rules,
models, limits, cursors, extraction. A test here that asks for a fixture of the stack (the
database, Redis, a gateway) is refused at collection, so the layer stays runnable anywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# The root conftest's fixtures that reach the local stack (tests/conftest.py).
STACK_FIXTURES = frozenset(
    {
        "pg", "make_user", "start_gateway", "gateway", "api", "redis_rest", "auth_url",
        "stack_url", "client", "rds", "quiet_outbox", "settings",
    }
)  # fmt: skip


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.unit)
        stack = sorted(STACK_FIXTURES & set(getattr(item, "fixturenames", ())))
        if stack:
            raise pytest.UsageError(f"{item.nodeid} is a unit test but asks for {stack}")
