"""What ships in the Lambda layer: only the dotline package and its locked runtime dependencies."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

from dotline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
LOCAL_ONLY = {"dotline_local", "yaml", "starlette", "uvicorn", "redis", "pytest", "moto"}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_layer_and_functions_never_import_local_tooling() -> None:
    sources = [*(ROOT / "shared").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    assert sources

    offenders = {str(p.relative_to(ROOT)): imported_top_levels(p) & LOCAL_ONLY for p in sources}

    assert {path: names for path, names in offenders.items() if names} == {}


def test_layer_requirements_match_the_lock() -> None:
    exported = subprocess.run(  # noqa: S603 - fixed arguments
        [
            shutil.which("uv") or "uv",
            "export",
            "--no-default-groups",
            "--no-hashes",
            "--no-emit-project",
            "--no-emit-package",
            "botocore",  # the Lambda runtime's (with boto3); aws-xray-sdk would pull it in
            "--format",
            "requirements-txt",
            "--frozen",
            "-q",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    def pins(text: str) -> list[str]:
        return sorted(
            line for line in text.splitlines() if line and not line.startswith(("#", " "))
        )

    assert pins(exported) == pins((ROOT / "shared" / "requirements.txt").read_text()), (
        "shared/requirements.txt is stale: run `make requirements`"
    )


def test_blank_jwt_secret_disables_hs256_instead_of_using_an_empty_key() -> None:
    assert Settings(supabase_jwt_secret="").supabase_jwt_secret is None
    assert Settings(supabase_jwt_secret="   ").supabase_jwt_secret is None


def test_settings_refuse_unknown_fields() -> None:
    import pydantic
    import pytest

    with pytest.raises(pydantic.ValidationError):
        Settings(databse_url="typo")  # type: ignore[call-arg]


def test_the_layer_ships_no_embedded_embeddings_model() -> None:
    local_only = {"wordllama", "tokenizers", "huggingface-hub", "hf-xet", "safetensors"}
    pinned = {
        line.split("==")[0].strip().lower()
        for line in (ROOT / "shared" / "requirements.txt").read_text().splitlines()
        if line and not line.startswith(("#", " "))
    }

    assert pinned, "no pins read"
    assert pinned & local_only == set()
