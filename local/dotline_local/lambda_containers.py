"""Warm "containers" for each function: a module imported once per container, one call at a time."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from dotline_local.lambda_events import LambdaContext
from dotline_local.sam_template import FunctionSpec

# Imports mutate sys.path and sys.modules, which are process-wide: one import at a time.
_IMPORT_LOCK = threading.Lock()


class FunctionInitError(RuntimeError):
    """The module failed to import or lacks the handler (Lambda's Runtime.ImportModuleError)."""


class FunctionTimedOut(TimeoutError):
    """The handler ran past the function's Timeout."""


def put_layers_on_path(layer_dirs: tuple[Path, ...]) -> None:
    """Make layer content importable as Lambda does (it adds `/opt/python`; ours is the folder)."""
    for layer in layer_dirs:
        for candidate in (layer / "python", layer):
            if candidate.is_dir() and str(candidate) not in sys.path:
                sys.path.insert(0, str(candidate))


class Container:
    """One warm execution environment: the handler module is imported on first use and kept."""

    def __init__(self, function: FunctionSpec, number: int) -> None:
        self.function = function
        # Each container gets its own module object, because every function ships an `app.py`
        # and containers must not share module-level state.
        self._module_name = f"dotline_fn_{function.logical_id}_{number}"
        self._module: ModuleType | None = None

    def module(self) -> ModuleType:
        """The handler module, imported on the first call (the cold start)."""
        if self._module is None:
            self._module = self._import()
        return self._module

    def invoke(self, event: dict[str, Any], request_id: str) -> Any:
        """Run the handler; runs in a worker thread, never on the event loop."""
        handler = getattr(self.module(), self.function.handler_name, None)
        if not callable(handler):
            raise FunctionInitError(f"{self.function.handler} is not a callable handler")
        try:
            return handler(event, LambdaContext(self.function, request_id))
        except SystemExit as exc:
            # In Lambda this ends the runtime process; here it must not end the gateway.
            raise RuntimeError(f"handler exited with {exc.code!r}") from exc

    def _import(self) -> ModuleType:
        path = self.function.module_file
        spec = importlib.util.spec_from_file_location(self._module_name, path)
        if spec is None or spec.loader is None or not path.is_file():
            raise FunctionInitError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        with _IMPORT_LOCK, _on_path(self.function.code_dir):
            sys.modules[self._module_name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException as exc:
                del sys.modules[self._module_name]
                raise FunctionInitError(f"importing {path} failed: {exc!r}") from exc
        return module


@contextmanager
def _on_path(folder: Path) -> Iterator[None]:
    # The code folder is the task root in Lambda, so sibling modules import by plain name. Sibling
    # names are cached in sys.modules and so shared across functions: give them distinct names.
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))


class ContainerPool:
    """Up to `max_containers` containers of one function, each serving one invocation at a time.

    A pool rather than one lock per function: Lambda runs concurrent requests in separate
    environments, so a slow call (or a function calling its own route) does not queue the rest,
    while each container still sees its invocations strictly one after another.
    """

    def __init__(
        self, function: FunctionSpec, executor: ThreadPoolExecutor, max_containers: int
    ) -> None:
        self.function = function
        self._executor = executor
        self._max = max_containers
        self._created = 0
        # Last in, first out: the warmest container is reused first, as Lambda tends to.
        self._idle: asyncio.LifoQueue[Container] = asyncio.LifoQueue()

    async def invoke(self, event: dict[str, Any], request_id: str) -> Any:
        """Invoke on a free container; FunctionTimedOut past the Timeout (the thread runs on)."""
        container = await self._acquire()
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, container.invoke, event, request_id
        )
        # The container is free only when its thread is done, even after a timeout.
        future.add_done_callback(lambda _: self._idle.put_nowait(container))
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.function.timeout_s)
        except TimeoutError as exc:
            raise FunctionTimedOut(
                f"{self.function.logical_id} timed out after {self.function.timeout_s} s"
            ) from exc

    async def module(self) -> ModuleType:
        """The handler module of a warm container (imported off the event loop if needed)."""
        container = await self._acquire()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, container.module)
        finally:
            self._idle.put_nowait(container)

    async def _acquire(self) -> Container:
        if self._idle.empty() and self._created < self._max:
            self._created += 1
            return Container(self.function, self._created)
        return await self._idle.get()
