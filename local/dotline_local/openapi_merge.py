"""One OpenAPI 3.1 document from every function's own spec, or from its template routes.

Powertools' OpenAPIMerge merges; what it cannot know stays here: the template's routes of a
function without a spec, and the collisions it would resolve silently (see merge_specs).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

from dotline_local.route_table import path_parameter_names
from dotline_local.sam_template import ANY_METHOD, DEFAULT_ROUTE, FunctionSpec

OPENAPI_VERSION = "3.1.0"
# What an ANY route stands for in a spec, which has no wildcard method.
ANY_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class FunctionDoc:
    """A function and the spec its module offers: None when it has none or failed to load."""

    function: FunctionSpec
    spec: dict[str, Any] | None
    error: str | None = None


def module_spec(module: ModuleType) -> dict[str, Any] | None:
    """The spec of a module's `app` (a Powertools resolver or anything with the same method)."""
    getter = getattr(getattr(module, "app", None), "get_openapi_schema", None)
    if not callable(getter):
        return None
    spec = getter()
    if hasattr(spec, "model_dump"):
        spec = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    return spec if isinstance(spec, dict) else None


def merge_specs(docs: list[FunctionDoc], *, title: str, version: str) -> dict[str, Any]:
    """One spec through Powertools' OpenAPIMerge. Powertools keeps the first of two operations
    on one path and method, but lets a later component replace an earlier one of the same name
    silently; so every entry a later function defines differently is left out here, first one
    kept, and listed in `x-dotline-merge` with the functions that failed to load."""
    merger = OpenAPIMerge(
        title=title, version=version, openapi_version=OPENAPI_VERSION, on_conflict="first"
    )
    owners: dict[str, str] = {}
    collisions: list[dict[str, Any]] = []
    for doc in docs:
        spec = doc.spec if doc.spec is not None else _spec_from_routes(doc.function)
        merger.add_schema(_first_wins(spec, doc.function.logical_id, owners, collisions))
    merged = merger.get_openapi_schema()
    merged["paths"] = dict(sorted((merged.get("paths") or {}).items()))
    merged["x-dotline-merge"] = {
        "collisions": collisions,
        "errors": [{"function": d.function.logical_id, "error": d.error} for d in docs if d.error],
    }
    return merged


def _first_wins(
    spec: dict[str, Any], owner: str, owners: dict[str, Any], collisions: list[dict[str, Any]]
) -> dict[str, Any]:
    """`spec` without what an earlier spec defined differently (those are noted in collisions)."""
    kept: dict[str, Any] = {**spec, "paths": {}, "components": {}}
    sections = [("paths", path, item) for path, item in (spec.get("paths") or {}).items()] + [
        ("components", section, entries)
        for section, entries in (spec.get("components") or {}).items()
    ]
    for top, group, entries in sections:
        target = kept[top].setdefault(group, {})
        for key, value in entries.items():
            where = f"paths {group} {key}" if top == "paths" else f"components/{group}/{key}"
            first = owners.setdefault(where, (owner, value))
            # Identical entries (Powertools' validation schemas, in every app) are no conflict.
            if first[0] == owner or first[1] == value:
                target[key] = value
            else:
                collisions.append({"at": where, "kept": first[0], "dropped": owner})
    return kept


def _spec_from_routes(function: FunctionSpec) -> dict[str, Any]:
    """A minimal path item per template route, for a function that documents nothing itself."""
    paths: dict[str, dict[str, Any]] = {}
    for route in function.routes:
        if route.path == DEFAULT_ROUTE:
            continue
        methods = ANY_METHODS if route.method == ANY_METHOD else (route.method.lower(),)
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in path_parameter_names(route.path)
        ]
        for method in methods:
            operation: dict[str, Any] = {
                "operationId": f"{function.logical_id}_{method}_{_slug(route.path)}",
                "summary": f"{route.route_key} ({function.logical_id})",
                "responses": {"default": {"description": "Whatever the function returns"}},
            }
            if parameters:
                operation["parameters"] = parameters
            paths.setdefault(route.path, {})[method] = operation
    return {"paths": paths}


def _slug(path: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in path).strip("_") or "root"
