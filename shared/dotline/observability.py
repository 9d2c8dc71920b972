"""Logs, metrics and traces, the AWS way, for every function.

- `logger`: the one Powertools Logger, named `dotline`. Every module's `logging.getLogger(__name__)`
  is its child, so service logs reach the same JSON handler with the Lambda context and the
  correlation id the entry points inject.
- `publish`: one CloudWatch EMF document (Powertools Metrics) per invocation, printed to stdout;
  nothing while POWERTOOLS_METRICS_DISABLED is set (the local stack's default).
- `traced` and `subsegment`: X-Ray subsegments around each port call. The X-Ray SDK costs half a
  second to import, so it is loaded on the first port call, and only where tracing is on (in
  Lambda with `Tracing: Active`); elsewhere the ports are handed out unwrapped.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics, Tracer

SERVICE = "dotline"
NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE"

logger = Logger(service=SERVICE)

Port = TypeVar("Port")
Handler = TypeVar("Handler", bound=Callable[..., Any])

_metrics: Metrics | None = None
_tracer: Tracer | None = None
_tracing: bool | None = None
# The local gateway runs functions as threads of one process, and Powertools keeps metrics in
# class attributes: one document at a time.
_publishing = threading.Lock()


def publish(
    dimensions: Mapping[str, str],
    counts: Mapping[str, float],
    milliseconds: Mapping[str, float] | None = None,
    *,
    percents: Mapping[str, float] | None = None,
) -> None:
    """Print one EMF document with these counts, durations and shares under these dimensions."""
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled

    if is_metrics_disabled():
        return
    with _publishing:
        metrics = _get_metrics()
        for name, value in dimensions.items():
            metrics.add_dimension(name, value)
        for name, count in counts.items():
            metrics.add_metric(name, MetricUnit.Count, count)
        for name, ms in (milliseconds or {}).items():
            metrics.add_metric(name, MetricUnit.Milliseconds, ms)
        for name, share in (percents or {}).items():
            metrics.add_metric(name, MetricUnit.Percent, share)
        metrics.flush_metrics()


def with_lambda_context(handler: Handler, correlation_id_path: str) -> Handler:
    """`handler` with Powertools' Lambda context on every log line of its invocation (function,
    request id, cold start) and the correlation id read from the event at `correlation_id_path`;
    the logger's keys are cleared per invocation. A caller without a Lambda context (a test
    calling the handler directly) runs it as is."""
    injected = logger.inject_lambda_context(
        handler, correlation_id_path=correlation_id_path, clear_state=True
    )

    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        return (injected if hasattr(context, "aws_request_id") else handler)(event, context)

    return cast(Handler, run)


def traced(port: Port, name: str) -> Port:
    """`port` with each public method call in a subsegment `## <name>.<method>` (annotated
    `port=<name>`), or `port` itself where tracing is off."""
    return cast(Port, _TracedPort(port, name)) if tracing_enabled() else port


def subsegment(name: str) -> AbstractContextManager[None]:
    """A subsegment `## <name>` around a block, where tracing is on."""
    return _subsegment(name) if tracing_enabled() else nullcontext()


def tracing_enabled() -> bool:
    """True in Lambda with active tracing (Powertools' own rule; POWERTOOLS_TRACE_DISABLED wins)."""
    global _tracing  # decided once per process: the environment does not change under it
    if _tracing is None:
        from aws_lambda_powertools.tracing.tracer import Tracer

        _tracing = not Tracer._is_tracer_disabled() and bool(os.environ.get("LAMBDA_TASK_ROOT"))
    return _tracing


@contextmanager
def _subsegment(name: str) -> Iterator[None]:
    port = name.partition(".")[0]
    with _get_tracer().provider.in_subsegment(f"## {name}") as segment:
        segment.put_annotation("port", port)
        yield


class _TracedPort:
    """Forwards every attribute; callables run inside a subsegment."""

    def __init__(self, target: Any, name: str) -> None:
        self._target = target
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._target, attr)
        if attr.startswith("_") or not callable(value):
            return value
        name = f"{self._name}.{attr}"

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            with _subsegment(name):
                return value(*args, **kwargs)

        return call


def _get_metrics() -> Metrics:
    global _metrics  # one per process, built on the first document
    if _metrics is None:
        from aws_lambda_powertools import Metrics

        _metrics = Metrics(service=SERVICE, namespace=os.environ.get(NAMESPACE_ENV, SERVICE))
    return _metrics


def _get_tracer() -> Tracer:
    global _tracer  # one per process, built on the first port call
    if _tracer is None:
        from aws_lambda_powertools import Tracer

        # Our own subsegments name the ports; patching every library the SDK knows would
        # import them all on the cold path.
        _tracer = Tracer(service=SERVICE, auto_patch=False)
    return _tracer
