"""Each Redis key family and each realtime channel has one owner: a key is built (so written,
read and deleted) in one module, and only `dotline.channels` publishes."""

from __future__ import annotations

import ast
import inspect
from collections import defaultdict
from pathlib import Path

from dotline import cache_keys

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "shared" / "dotline", ROOT / "functions", ROOT / "local" / "dotline_local"]
KEY_PREFIXES = ("user:", "card:", "challenge:", "erased:", "webhook:", "rate_limit:")
BUILDERS = {
    name
    for name, value in vars(cache_keys).items()
    if inspect.isfunction(value)
    and not name.startswith("_")
    and value.__module__ == cache_keys.__name__
}


def modules() -> dict[str, ast.Module]:
    found = {}
    for source in SOURCES:
        for path in source.rglob("*.py"):
            if ".aws-sam" in path.parts or "node_modules" in path.parts:
                continue
            found[str(path.relative_to(ROOT))] = ast.parse(path.read_text(), str(path))
    return found


def key_builders_used(tree: ast.Module) -> set[str]:
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "cache_keys"
        and node.func.attr in BUILDERS
    }


def literal_keys(tree: ast.Module) -> list[str]:
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                texts.append(first.value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
    return [text for text in texts if text.startswith(KEY_PREFIXES)]


def publishers(tree: ast.Module) -> int:
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "publish"
        and isinstance(node.func.value, ast.Name | ast.Attribute)
        and ast.unparse(node.func.value).endswith("cache")
    )


def test_each_key_family_is_built_in_one_module() -> None:
    # given every module of the layer, the functions and the local stack
    owners: dict[str, list[str]] = defaultdict(list)
    for name, tree in modules().items():
        if name.endswith("dotline/cache_keys.py"):
            continue
        for builder in key_builders_used(tree):
            owners[builder].append(name)

    shared = {builder: names for builder, names in owners.items() if len(names) > 1}

    assert owners, "the scan found no key builder at all"
    assert shared == {}


def test_keys_and_channels_are_named_only_by_their_owners() -> None:
    spelled = {
        name: keys
        for name, tree in modules().items()
        if not name.endswith(("dotline/cache_keys.py", "dotline/channels.py"))
        and (keys := literal_keys(tree))
    }

    assert spelled == {}


def test_only_the_channels_module_publishes() -> None:
    found = {name: n for name, tree in modules().items() if (n := publishers(tree))}

    assert found == {"shared/dotline/channels.py": 1}
