"""Per-thread request state for Powertools resolvers, so threaded local containers stay isolated.

Powertools keeps the request being resolved in class attributes (`BaseRouter.current_event` and
`BaseRouter.lambda_context`), shared by every resolver in the process. In Lambda a process serves
one request at a time, so that is safe; the local gateway runs its containers as threads, where
two concurrent requests would read each other's body and headers. This makes both attributes
per-thread in the gateway process only; nothing here ships to Lambda.
"""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

_PER_THREAD = ("current_event", "lambda_context")
_state = threading.local()


class _PerThreadAttribute:
    """A data descriptor keeping one value per thread; works on the class and its instances."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        try:
            return getattr(_state, self.name)
        except AttributeError:
            raise AttributeError(self.name) from None

    def __set__(self, obj: object, value: Any) -> None:
        setattr(_state, self.name, value)


class _PerThreadRouterMeta(type(BaseRouter)):  # type: ignore[misc]
    """BaseRouter's metaclass plus per-thread descriptors, so `BaseRouter.x = ...` lands per thread."""


def isolate_powertools_request_state() -> None:
    """Make Powertools' shared request attributes per-thread (idempotent)."""
    if isinstance(BaseRouter, _PerThreadRouterMeta):
        return
    for name in _PER_THREAD:
        if name in BaseRouter.__dict__:
            delattr(BaseRouter, name)
        # Order matters: while the metaclass has no descriptor yet, this lands in the class's own
        # dict and serves reads through instances (`app.current_event`).
        type.__setattr__(BaseRouter, name, _PerThreadAttribute(name))
        # The metaclass's data descriptor then serves `BaseRouter.current_event = ...`.
        setattr(_PerThreadRouterMeta, name, _PerThreadAttribute(name))
    BaseRouter.__class__ = _PerThreadRouterMeta
