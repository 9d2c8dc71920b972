"""What every response and the served OpenAPI spec promise: personal answers are never cached
or sniffed, every operation documents its problem responses as `application/problem+json`, and
the success codes documented are the ones answered."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

PROBLEM = "application/problem+json"
ADMIN = {"role": "admin"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/me"), ("GET", "/v1/memories"), ("GET", "/v1/me/export")],
)
def test_authenticated_responses_are_not_stored_nor_sniffed(
    api: httpx.Client, make_user: Any, method: str, path: str
) -> None:
    response = api.request(method, path, headers=make_user().headers)

    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_refused_token_is_not_stored_either(api: httpx.Client) -> None:
    response = api.get("/v1/me", headers={"Authorization": "Bearer nope"})

    assert response.status_code == 401
    assert response.headers["cache-control"] == "no-store"


def test_every_operation_documents_its_problems_as_problem_json(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    undocumented = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            wanted = {"401", "404", "422", "429"}
            if operation.get("security"):
                wanted.add("403")
            if method in {"post", "put", "patch", "delete"}:
                wanted |= {"409", "413", "415"}
            missing = {
                code
                for code in wanted
                if PROBLEM not in (responses.get(code) or {}).get("content", {})
            }
            if missing:
                undocumented[f"{method.upper()} {path}"] = sorted(missing)

    assert undocumented == {}
    assert "errors" in spec["components"]["schemas"]["Problem"]["properties"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_admin_creates_answer_the_201_the_spec_documents(api: httpx.Client, make_user: Any) -> None:
    admin = make_user(app_metadata=ADMIN)
    paths = api.get("/openapi.json").json()["paths"]

    created = api.post(
        "/v1/admin/knowledge-bases",
        json={"slug": f"contract_{uuid.uuid4().hex[:8]}", "title": "Contract base"},
        headers=admin.headers,
    )

    assert created.status_code == 201, created.text
    for path in ("/v1/admin/apps", "/v1/admin/knowledge-bases", "/v1/admin/personality-schemas"):
        assert set(paths[path]["post"]["responses"]) & {"200", "201"} == {"201"}, path
