"""HTTP API route matching: `{param}` and greedy `{proxy+}` segments, ANY, and `$default`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dotline_local.sam_template import ANY_METHOD, DEFAULT_ROUTE, FunctionSpec, HttpRoute

_PARAM = re.compile(r"^\{([^}+]+)(\+?)\}$")


@dataclass(frozen=True)
class RouteMatch:
    """The route a request resolved to, with its decoded path parameters."""

    function: FunctionSpec
    route: HttpRoute
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class MethodNotAllowed:
    """The path is routed, but not for this method; `allowed` feeds the Allow header."""

    allowed: tuple[str, ...]


@dataclass(frozen=True)
class _CompiledRoute:
    function: FunctionSpec
    route: HttpRoute
    pattern: re.Pattern[str]
    # Higher sorts first: API Gateway prefers the most specific path, then a method over ANY.
    specificity: tuple[int, int, int, int]


class RouteTable:
    """Every HTTP route of a template, matched the way API Gateway HTTP APIs choose a route."""

    def __init__(self, functions: tuple[FunctionSpec, ...]) -> None:
        compiled = [
            _compile(function, route)
            for function in functions
            for route in function.routes
            if route.path != DEFAULT_ROUTE
        ]
        self._routes = sorted(compiled, key=lambda r: r.specificity, reverse=True)
        self._default = next(
            (
                RouteMatch(function, route, {})
                for function in functions
                for route in function.routes
                if route.path == DEFAULT_ROUTE
            ),
            None,
        )

    def match(self, method: str, path: str) -> RouteMatch | MethodNotAllowed | None:
        """The route for `method path`; MethodNotAllowed when only other methods are routed."""
        allowed: set[str] = set()
        for candidate in self._routes:
            found = candidate.pattern.fullmatch(path)
            if found is None:
                continue
            if candidate.route.method in (method, ANY_METHOD):
                return RouteMatch(candidate.function, candidate.route, found.groupdict())
            allowed.add(candidate.route.method)
        if self._default is not None:
            return self._default
        return MethodNotAllowed(tuple(sorted(allowed))) if allowed else None


def path_parameter_names(path: str) -> list[str]:
    """The parameter names of a route path, greedy ones keeping their `+` as OpenAPI exports do."""
    return [m.group(1) + m.group(2) for s in path.split("/") if (m := _PARAM.match(s))]


def _compile(function: FunctionSpec, route: HttpRoute) -> _CompiledRoute:
    parts: list[str] = []
    static = params = greedy = 0
    for segment in route.path.strip("/").split("/"):
        param = _PARAM.match(segment)
        if param is None:
            parts.append(re.escape(segment))
            static += 1
        elif param.group(2):
            parts.append(f"(?P<{_group(param.group(1))}>.+)")
            greedy += 1
        else:
            parts.append(f"(?P<{_group(param.group(1))}>[^/]+)")
            params += 1
    pattern = re.compile("/" + "/".join(parts))
    method_bonus = 0 if route.method == ANY_METHOD else 1
    return _CompiledRoute(
        function, route, pattern, (-greedy, static, static + params, method_bonus)
    )


def _group(name: str) -> str:
    # Regex group names must be identifiers; API Gateway parameter names are too in practice.
    if not name.isidentifier():
        raise ValueError(f"path parameter {name!r} is not a valid name")
    return name
