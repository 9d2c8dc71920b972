"""The built packages' report: only bytecode the runtime will use counts, and the size budget holds."""

from __future__ import annotations

import py_compile
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "local" / "package_report.py"


def report(*folders: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our interpreter, our script
        [sys.executable, str(REPORT), *map(str, folders)], capture_output=True, text=True
    )


def source(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("VALUE = 1\n")
    return path


def test_only_hash_based_bytecode_of_this_version_counts(tmp_path: Path) -> None:
    layer, function = tmp_path / "layer", tmp_path / "function"
    layer.mkdir()
    function.mkdir()
    unchecked = py_compile.PycInvalidationMode.UNCHECKED_HASH
    py_compile.compile(str(source(layer, "shipped.py")), invalidation_mode=unchecked)
    py_compile.compile(
        str(source(layer, "stamped.py")), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP
    )
    source(layer, "bare.py")
    source(function, "app.py")

    done = report(layer, function)

    assert "1 of 3 layer sources" in done.stdout
    assert done.returncode == 1  # under the 90% floor
    assert "under 90%" in done.stderr


def test_a_fully_compiled_layer_within_budget_passes(tmp_path: Path) -> None:
    layer, function = tmp_path / "layer", tmp_path / "function"
    layer.mkdir()
    function.mkdir()
    py_compile.compile(
        str(source(layer, "shipped.py")),
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    source(function, "app.py")

    done = report(layer, function)

    assert done.returncode == 0, done.stderr
    assert "1 of 1 layer sources (100.0%)" in done.stdout
