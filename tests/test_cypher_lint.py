"""Every Cypher statement the Neo4j adapter can send passes Neo4j's own front end (no server needed).

tests/cypher_lint/ holds a pinned @neo4j-cypher/language-support; the fixture installs it with
`npm ci` on first use. The schema given to the linter is the graph's labels and relationship
types, so a misspelt label or type is a diagnostic, as is any syntax or semantic error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dotline.adapters import neo4j_graph_statements as cypher

LINT_DIR = Path(__file__).resolve().parent / "cypher_lint"
NPM_TIMEOUT_S = 300
LINT_TIMEOUT_S = 120
SCHEMA = {"labels": [cypher.BASE_LABEL, *cypher.LABELS], "relationshipTypes": list(cypher.TYPES)}

Lint = Callable[[list[str]], list[list[dict[str, Any]]]]


@pytest.fixture(scope="session")
def lint() -> Lint:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("node and npm are needed to lint Cypher (apt-get install nodejs npm)")
    if not (LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        installed = subprocess.run(  # noqa: S603 - fixed arguments, our own folder
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=LINT_DIR,
            timeout=NPM_TIMEOUT_S,
            capture_output=True,
            text=True,
        )
        if installed.returncode != 0:
            pytest.fail(f"npm ci in {LINT_DIR} failed:\n{installed.stderr[-3000:]}")

    def run(statements: list[str]) -> list[list[dict[str, Any]]]:
        done = subprocess.run(  # noqa: S603 - fixed arguments, our own script
            [node, "lint.mjs"],
            cwd=LINT_DIR,
            input=json.dumps({"schema": SCHEMA, "statements": statements}),
            capture_output=True,
            text=True,
            check=True,
            timeout=LINT_TIMEOUT_S,
        )
        results: list[list[dict[str, Any]]] = json.loads(done.stdout)
        return results

    return run


def test_every_statement_the_adapter_can_send_lints_clean(lint: Lint) -> None:
    statements = cypher.statements()

    results = lint(statements)

    problems = {s: r for s, r in zip(statements, results, strict=True) if r}
    assert problems == {}


def test_the_enumeration_covers_every_label_type_and_depth() -> None:
    text = "\n".join(cypher.statements())

    assert all(f"SET n = row.properties, n:{label}" in text for label in cypher.LABELS)
    assert all(f"MERGE (source)-[r:{type}]->(target)" in text for type in cypher.TYPES)
    assert all(f"-[r:{type}]->(:Node" in text for type in cypher.TYPES)
    assert "[*..6]" in text


@pytest.mark.parametrize(
    ("statement", "complaint"),
    [
        ("MATCH (n:Concpet {id: $id}) RETURN n", "Label Concpet"),
        ("MATCH (a:Node)-[r:RELATES_TO]->(b:Node) RETURN r", "Relationship type RELATES_TO"),
        ("MATCH (n:Node {id: $id} RETURN n", "Invalid input"),
        ("MATCH (n:Node) RETURN m", "Variable `m` not defined"),
    ],
)
def test_the_linter_catches_typos_and_bad_syntax(
    lint: Lint, statement: str, complaint: str
) -> None:
    [diagnostics] = lint([statement])

    assert any(complaint in d["message"] for d in diagnostics), diagnostics
