"""Sizes and bytecode of built Lambda packages: the layer, the largest function, their sum against
the budget, and the share of the layer's sources with bytecode this interpreter's version can use.

Run it with the target runtime's interpreter (its bytecode magic is the one checked), on a layer
folder and function folders: `python3.13 local/package_report.py .aws-sam/build/SharedLayer
.aws-sam/build/*Function`. Exits 1 when the sum is over budget or too few sources have bytecode.
Standard library only: it runs with any interpreter, outside the project's environment.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

BUDGET_BYTES = 200_000_000  # layer + largest function, unzipped (Lambda allows 250 MB)
MIN_BYTECODE_SHARE = 0.9
HASH_BASED = 0b01  # PEP 552 flags: the pyc is used without looking at the source's mtime


def size_bytes(folder: Path) -> int:
    """What the folder's files take unzipped."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def has_usable_bytecode(source: Path) -> bool:
    """True when `source` has a hash-based pyc of this interpreter's version beside it."""
    cached = Path(importlib.util.cache_from_source(str(source)))
    if not cached.is_file():
        return False
    header = cached.read_bytes()[:8]
    flags = int.from_bytes(header[4:8], "little")
    return header[:4] == importlib.util.MAGIC_NUMBER and bool(flags & HASH_BASED)


def bytecode_share(folder: Path) -> tuple[int, int]:
    """(sources with usable bytecode, all sources) under `folder`."""
    sources = [p for p in folder.rglob("*.py") if "__pycache__" not in p.parts]
    return sum(has_usable_bytecode(p) for p in sources), len(sources)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layer", type=Path)
    parser.add_argument("functions", type=Path, nargs="+")
    args = parser.parse_args()

    layer = size_bytes(args.layer)
    functions = {f.name: size_bytes(f) for f in args.functions}
    largest = max(functions, key=functions.__getitem__)
    compiled, sources = bytecode_share(args.layer)
    share = compiled / sources if sources else 0.0
    total = layer + functions[largest]
    tag = sys.implementation.cache_tag
    print(f"layer            {layer / 1e6:8.1f} MB  ({args.layer})")
    print(f"largest function {functions[largest] / 1e6:8.3f} MB  ({largest}, of {len(functions)})")
    print(f"together         {total / 1e6:8.1f} MB  unzipped (budget {BUDGET_BYTES / 1e6:.0f} MB)")
    print(f"bytecode         {compiled} of {sources} layer sources ({share:.1%}) have {tag} pyc")
    failures = []
    if total > BUDGET_BYTES:
        failures.append("over the size budget")
    if share < MIN_BYTECODE_SHARE:
        failures.append(f"under {MIN_BYTECODE_SHARE:.0%} of sources with {tag} bytecode")
    for failure in failures:
        print(f"package_report: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
