"""One OpenAPI 3.1 document from every function's own spec, or from its template routes."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

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
    """Merge paths, components and tags; collisions keep the first and are listed in
    `x-dotline-merge` so a reader of the spec sees them."""
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, dict[str, Any]] = {}
    tags: dict[str, Any] = {}
    owners: dict[str, str] = {}
    collisions: list[dict[str, Any]] = []
    for doc in docs:
        owner = doc.function.logical_id
        spec = doc.spec if doc.spec is not None else _spec_from_routes(doc.function)
        for path, item in (spec.get("paths") or {}).items():
            target = paths.setdefault(path, {})
            for key, operation in item.items():
                _put(target, key, operation, f"paths {path} {key}", owner, owners, collisions)
        for section, entries in (spec.get("components") or {}).items():
            target = components.setdefault(section, {})
            for name, entry in entries.items():
                _put(target, name, entry, f"components/{section}/{name}", owner, owners, collisions)
        for tag in spec.get("tags") or []:
            tags.setdefault(tag["name"] if isinstance(tag, dict) else tag, tag)
    merged: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
        "x-dotline-merge": {
            "collisions": collisions,
            "errors": [
                {"function": d.function.logical_id, "error": d.error} for d in docs if d.error
            ],
        },
    }
    if components:
        merged["components"] = components
    if tags:
        merged["tags"] = [t if isinstance(t, dict) else {"name": t} for t in tags.values()]
    return merged


def _put(
    target: dict[str, Any],
    key: str,
    value: Any,
    where: str,
    owner: str,
    owners: dict[str, str],
    collisions: list[dict[str, Any]],
) -> None:
    if key not in target:
        target[key] = value
        owners[where] = owner
    elif target[key] != value:
        # Identical entries (Powertools' own validation schemas, in every app) are not a conflict.
        collisions.append({"at": where, "kept": owners[where], "dropped": owner})


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
