"""Port properties as Neo4j can store them, and back.

Neo4j stores only scalars and lists of one scalar type on nodes and relationships (no maps, no
nulls, integers within 64 bits). Any other value is stored as a JSON string and its key listed in
the `jsonKeys` property, so reading restores exactly what was written.
"""

from __future__ import annotations

import json
from typing import Any

INT64 = range(-(2**63), 2**63)
_SCALARS = (str, bool, int, float)


def flatten(properties: dict[str, Any], **own: Any) -> dict[str, Any]:
    """Properties Neo4j can store: unstorable values become JSON strings listed in jsonKeys."""
    flat: dict[str, Any] = {}
    json_keys = []
    for key, value in properties.items():
        if _storable(value):
            flat[key] = value
        else:
            flat[key] = json.dumps(value)
            json_keys.append(key)
    if json_keys:
        flat["jsonKeys"] = sorted(json_keys)
    return {**flat, **own}


def _storable(value: Any) -> bool:
    if type(value) is list:
        return len({type(item) for item in value}) == 1 and all(_scalar(item) for item in value)
    return _scalar(value)


def _scalar(value: Any) -> bool:
    return type(value) in _SCALARS and (type(value) is not int or value in INT64)


def unflatten(stored: dict[str, Any], *own: str) -> dict[str, Any]:
    """The caller's properties from what Neo4j holds, leaving out the store's `own` keys."""
    properties = {k: v for k, v in stored.items() if k not in own and k != "jsonKeys"}
    for key in stored.get("jsonKeys", []):
        properties[key] = json.loads(properties[key])
    return properties
