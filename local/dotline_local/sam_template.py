"""The SAM template as the local stack sees it: functions, their HTTP routes, schedules, layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dotline_local.cfn_intrinsics import CfnLoader, resolve

DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128
ANY_METHOD = "ANY"
DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class HttpRoute:
    """One `HttpApi` event: `method` upper-case or ANY; `path` is `$default` for the catch-all."""

    method: str
    path: str

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"


@dataclass(frozen=True)
class Schedule:
    """One `Schedule`/`ScheduleV2` event, kept for the scheduler that fires it."""

    name: str
    expression: str
    input: str | None
    enabled: bool


@dataclass(frozen=True)
class FunctionSpec:
    """An `AWS::Serverless::Function` with its `Globals.Function` defaults applied."""

    logical_id: str
    code_dir: Path
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str] = field(default_factory=dict)
    routes: tuple[HttpRoute, ...] = ()
    schedules: tuple[Schedule, ...] = ()

    @property
    def module_file(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir / (module.replace(".", "/") + ".py")

    @property
    def handler_name(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class CorsPolicy:
    """An HttpApi's `CorsConfiguration`, which API Gateway applies before any function runs."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age_s: int = 0


@dataclass(frozen=True)
class SamTemplate:
    """What the gateway and the background tasks need from `template.yaml`."""

    functions: tuple[FunctionSpec, ...]
    layer_dirs: tuple[Path, ...]
    cors: CorsPolicy | None = None

    @property
    def http_functions(self) -> tuple[FunctionSpec, ...]:
        return tuple(f for f in self.functions if f.routes)

    @property
    def scheduled_functions(self) -> tuple[FunctionSpec, ...]:
        return tuple(f for f in self.functions if f.schedules)


def read_template(path: Path) -> SamTemplate:
    """Parse a SAM template; paths in it are taken relative to the template's folder."""
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=CfnLoader)  # noqa: S506
    resources: dict[str, Any] = doc.get("Resources") or {}
    base = path.resolve().parent
    defaults = (doc.get("Globals") or {}).get("Function") or {}

    def value(raw: Any) -> Any:
        return resolve(raw, doc)

    functions = tuple(
        _function(logical_id, _with_globals(defaults, res.get("Properties") or {}), base, value)
        for logical_id, res in resources.items()
        if res.get("Type") == "AWS::Serverless::Function"
    )
    layer_dirs = tuple(
        base / str(value(res["Properties"]["ContentUri"]))
        for res in resources.values()
        if res.get("Type") in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
        and isinstance(value((res.get("Properties") or {}).get("ContentUri")), str)
    )
    if not layer_dirs and (base / "shared").is_dir():
        layer_dirs = (base / "shared",)
    api_defaults = (doc.get("Globals") or {}).get("HttpApi") or {}
    cors_configs = [
        value(_with_globals(api_defaults, res.get("Properties") or {}).get("CorsConfiguration"))
        for res in resources.values()
        if res.get("Type") == "AWS::Serverless::HttpApi"
    ]
    cors = next((_cors(c) for c in cors_configs if c), None)
    return SamTemplate(functions=functions, layer_dirs=layer_dirs, cors=cors)


def _cors(config: Any) -> CorsPolicy:
    # `CorsConfiguration: true` means any origin with API Gateway's defaults.
    if not isinstance(config, dict):
        return CorsPolicy(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))

    def names(key: str) -> tuple[str, ...]:
        return tuple(str(v) for v in config.get(key) or ())

    return CorsPolicy(
        allow_origins=names("AllowOrigins"),
        allow_methods=names("AllowMethods"),
        allow_headers=names("AllowHeaders"),
        expose_headers=names("ExposeHeaders"),
        allow_credentials=config.get("AllowCredentials") is True,
        max_age_s=int(config.get("MaxAge") or 0),
    )


def _with_globals(defaults: Any, own: Any) -> Any:
    """SAM's Globals rules: maps merge key by key, lists append, anything else is overridden."""
    if isinstance(defaults, dict) and isinstance(own, dict):
        keys = defaults.keys() | own.keys()
        return {
            k: _with_globals(defaults[k], own[k])
            if k in defaults and k in own
            else own.get(k, defaults.get(k))
            for k in keys
        }
    if isinstance(defaults, list) and isinstance(own, list):
        return defaults + own
    return own


def _function(logical_id: str, props: dict[str, Any], base: Path, value: Any) -> FunctionSpec:
    env = (value(props.get("Environment")) or {}).get("Variables") or {}
    routes: list[HttpRoute] = []
    schedules: list[Schedule] = []
    for name, event in (props.get("Events") or {}).items():
        kind, event_props = event.get("Type"), value(event.get("Properties")) or {}
        if kind == "HttpApi":
            routes.append(_route(event_props))
        elif kind in ("Schedule", "ScheduleV2"):
            schedules.append(_schedule(name, event_props))
    return FunctionSpec(
        logical_id=logical_id,
        code_dir=(base / str(value(props.get("CodeUri", ".")))).resolve(),
        handler=str(value(props["Handler"])),
        timeout_s=int(value(props.get("Timeout", DEFAULT_TIMEOUT_S))),
        memory_mb=int(value(props.get("MemorySize", DEFAULT_MEMORY_MB))),
        # A value only AWS can know (an ARN from !GetAtt) has no local meaning: left out.
        environment={str(k): str(v) for k, v in env.items() if not isinstance(v, dict | list)},
        routes=tuple(routes),
        schedules=tuple(schedules),
    )


def _route(props: dict[str, Any]) -> HttpRoute:
    # An HttpApi event without Path and Method is the API's `$default` catch-all route.
    if "Path" not in props and "Method" not in props:
        return HttpRoute(method=ANY_METHOD, path=DEFAULT_ROUTE)
    method = str(props.get("Method", ANY_METHOD)).upper()
    return HttpRoute(method=ANY_METHOD if method == "*" else method, path=str(props["Path"]))


def _schedule(name: str, props: dict[str, Any]) -> Schedule:
    # Schedule uses `Schedule` and `Enabled`; ScheduleV2 uses `ScheduleExpression` and `State`.
    expression = props.get("Schedule") or props.get("ScheduleExpression") or ""
    enabled = props.get("Enabled", True) is not False and props.get("State") != "DISABLED"
    raw_input = props.get("Input")
    return Schedule(
        name=name,
        expression=str(expression),
        input=None if raw_input is None else str(raw_input),
        enabled=enabled,
    )
