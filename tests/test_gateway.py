"""The local API Gateway, run as a real server over the fixture template and spoken to over HTTP."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import start_server
from dotline_local.route_table import MethodNotAllowed, RouteMatch, RouteTable
from dotline_local.sam_template import FunctionSpec, HttpRoute, read_template

FIXTURE = Path(__file__).parent / "fixtures" / "gateway"
TEMPLATE = FIXTURE / "template.yaml"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("gateway") / "stderr.log"
    running = start_server("dotline_local.gateway", ["--template", str(TEMPLATE)], {}, log)
    yield running.url, log
    running.stop()


@pytest.fixture
def client(server: tuple[str, Path]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0], timeout=10) as http:
        yield http


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    return body


def test_event_carries_route_path_params_query_headers_and_cookies(client: httpx.Client) -> None:
    # given a GET route with a {name} parameter; when called with repeated query keys and headers
    response = client.get(
        "/echo/ada?tag=a&tag=b&empty=",
        headers=[("X-Multi", "one"), ("X-Multi", "two"), ("Cookie", "s=1; t=2")],
    )
    # then the handler saw a payload 2.0 event shaped like API Gateway's
    assert response.status_code == 200
    event = response.json()["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /echo/{name}"
    assert event["rawPath"] == "/echo/ada"
    assert event["rawQueryString"] == "tag=a&tag=b&empty="
    assert event["pathParameters"] == {"name": "ada"}
    assert event["queryStringParameters"] == {"tag": "a,b", "empty": ""}
    assert event["headers"]["x-multi"] == "one,two"
    assert event["cookies"] == ["s=1", "t=2"]
    assert "cookie" not in event["headers"]
    context = event["requestContext"]
    assert context["http"]["method"] == "GET"
    assert context["http"]["path"] == "/echo/ada"
    assert context["stage"] == "$default"
    assert context["routeKey"] == "GET /echo/{name}"
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert abs(context["timeEpoch"] / 1000 - time.time()) < 60
    assert {"accountId", "apiId", "domainName", "time"} <= context.keys()


def test_result_headers_and_cookies_reach_the_client(client: httpx.Client) -> None:
    response = client.get("/echo/ada")
    assert response.headers["x-echo"] == "yes"
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]


def test_context_honours_template_globals_parameters_and_layer(client: httpx.Client) -> None:
    body = client.get("/echo/ada").json()
    context = body["context"]
    assert context["function_name"] == "EchoFunction"
    assert context["memory_limit_in_mb"] == 512  # !If [IsLocal, 512, 1024]
    assert 6000 < context["remaining_ms"] <= 7000  # Timeout: !Ref EchoTimeout (7)
    assert context["invoked_function_arn"].endswith(":function:EchoFunction")
    assert body["layer"] == "fixture-layer"


def test_container_stays_warm_between_calls(client: httpx.Client) -> None:
    first = client.get("/echo/one").json()["calls"]
    second = client.get("/echo/two").json()["calls"]
    assert second == first + 1


def test_binary_body_arrives_base64_encoded(client: httpx.Client) -> None:
    payload = bytes(range(256))
    response = client.post(
        "/echo", content=payload, headers={"content-type": "application/octet-stream"}
    )
    event = response.json()["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_json_body_arrives_as_text(client: httpx.Client) -> None:
    event = client.post("/echo", json={"hello": "wörld"}).json()["event"]
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"hello": "wörld"}


def test_greedy_proxy_route_takes_any_method_and_the_rest_of_the_path(
    client: httpx.Client,
) -> None:
    event = client.delete("/files/a/b/c.txt").json()["event"]
    assert event["routeKey"] == "ANY /files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}


def test_any_route_reaches_a_powertools_app(client: httpx.Client) -> None:
    assert client.get("/v1/notes").json() == [{"text": "hello"}]
    assert client.put("/v1/notes", json=[{"text": "x"}]).json() == {"size": 1}


def test_path_parameter_reaches_a_powertools_app(client: httpx.Client) -> None:
    assert client.get("/v1/items/42").json() == {"item_id": "42", "name": "item 42"}


def test_plain_result_without_status_code_is_200_json(client: httpx.Client) -> None:
    response = client.get("/plain")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"plain": True}


def test_unknown_route_is_404_problem(client: httpx.Client) -> None:
    body = assert_problem(client.get("/nowhere"), 404)
    assert body["instance"] == "/nowhere"


def test_known_path_with_wrong_method_is_405_with_allow(client: httpx.Client) -> None:
    response = client.delete("/v1/items/42")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET"


def test_body_over_one_mib_is_413(client: httpx.Client) -> None:
    response = client.post("/echo", content=b"x" * (1024 * 1024 + 1))
    assert_problem(response, 413)


def test_raising_handler_is_502_without_a_stack_trace(
    client: httpx.Client, server: tuple[str, Path]
) -> None:
    response = client.get("/boom")
    body = assert_problem(response, 502)
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert body["type"].endswith("function-error")
    log = server[1]
    wait_for_log(log, "secret internals: do not leak")


def test_handler_past_its_timeout_is_504(client: httpx.Client) -> None:
    started = time.monotonic()
    assert_problem(client.get("/slow"), 504)
    assert time.monotonic() - started < 2.4


def test_cors_preflight_is_answered_from_the_template(client: httpx.Client) -> None:
    # given the HttpApi's CorsConfiguration; when a browser sends a preflight
    preflight = client.options(
        "/echo",
        headers={"origin": "https://app.example", "access-control-request-method": "POST"},
    )
    # then the gateway answers it, as API Gateway does, without calling the function
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert preflight.headers["access-control-max-age"] == "600"
    simple = client.get("/echo/ada", headers={"origin": "https://app.example"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example"


def test_health_is_200_json(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_each_request_is_logged_with_status_latency_and_request_id(
    client: httpx.Client, server: tuple[str, Path]
) -> None:
    response = client.get("/echo/logged")
    request_id = response.headers["apigw-requestid"]
    line = wait_for_log(server[1], request_id)
    assert re.search(rf"GET /echo/logged 200 [0-9.]+ms {request_id}", line)


def test_openapi_merges_powertools_apps_and_template_routes(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    paths = spec["paths"]
    # from the two Powertools apps
    assert "get" in paths["/v1/items/{item_id}"]
    assert "post" in paths["/v1/items"]
    assert {"get", "put"} <= paths["/v1/notes"].keys()
    schemas = spec["components"]["schemas"]
    assert {"Item", "Note", "HTTPValidationError"} <= schemas.keys()
    # from the template, for functions without a spec of their own
    assert "get" in paths["/plain"]
    assert paths["/echo/{name}"]["get"]["parameters"][0]["name"] == "name"
    # the two apps define `Shared` differently: kept once, reported
    collisions = spec["x-dotline-merge"]["collisions"]
    shared = {
        "at": "components/schemas/Shared",
        "kept": "ItemsFunction",
        "dropped": "NotesFunction",
    }
    assert shared in collisions


def test_docs_page_loads_only_local_assets(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 2
    for url in assets:
        assert url.startswith("/"), f"{url} is not served locally"
        asset = client.get(url)
        assert asset.status_code == 200
        assert len(asset.content) > 10_000


def test_template_exposes_scheduled_functions_for_the_scheduler() -> None:
    template = read_template(TEMPLATE)
    scheduled = {f.logical_id: f.schedules for f in template.scheduled_functions}
    assert scheduled.keys() == {"EchoFunction", "PlainFunction"}
    (nightly,) = scheduled["EchoFunction"]
    assert (nightly.expression, nightly.input, nightly.enabled) == (
        "rate(1 day)",
        '{"job": "nightly"}',
        True,
    )
    (cleanup,) = scheduled["PlainFunction"]
    assert cleanup.expression == "cron(0 3 * * ? *)"
    assert cleanup.enabled is False
    echo = next(f for f in template.functions if f.logical_id == "EchoFunction")
    assert echo.environment == {"STAGE": "local", "TABLE": "local-echo"}


def routed(*routes: tuple[str, str, str]) -> RouteTable:
    """A route table over (function, method, path) triples."""
    by_function: dict[str, list[HttpRoute]] = {}
    for name, method, path in routes:
        by_function.setdefault(name, []).append(HttpRoute(method, path))
    return RouteTable(
        tuple(
            FunctionSpec(name, FIXTURE, "app.handler", 3, 128, routes=tuple(found))
            for name, found in by_function.items()
        )
    )


def test_most_specific_route_wins_as_in_api_gateway() -> None:
    table = routed(
        ("Greedy", "ANY", "/v1/{proxy+}"),
        ("Param", "GET", "/v1/items/{id}"),
        ("Static", "GET", "/v1/items/new"),
        ("AnyStatic", "ANY", "/v1/items/new"),
    )

    def target(method: str, path: str) -> str:
        match = table.match(method, path)
        assert isinstance(match, RouteMatch)
        return match.function.logical_id

    assert target("GET", "/v1/items/new") == "Static"
    assert target("POST", "/v1/items/new") == "AnyStatic"
    assert target("GET", "/v1/items/7") == "Param"
    assert target("POST", "/v1/items/7") == "Greedy"
    assert target("GET", "/v1/items/7/parts") == "Greedy"
    assert table.match("GET", "/v2/items") is None


def test_default_route_takes_what_nothing_else_matches() -> None:
    table = routed(("Items", "GET", "/items"), ("Fallback", "ANY", "$default"))
    fallback = table.match("POST", "/items")
    assert isinstance(fallback, RouteMatch)
    assert fallback.function.logical_id == "Fallback"
    assert fallback.route.route_key == "$default"


def test_wrong_method_lists_every_allowed_method() -> None:
    table = routed(("A", "GET", "/x/{id}"), ("B", "PUT", "/x/{id}"), ("C", "POST", "/x"))
    assert table.match("DELETE", "/x/1") == MethodNotAllowed(("GET", "PUT"))


def wait_for_log(log: Path, needle: str, timeout_s: float = 5) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in log.read_text(encoding="utf-8").splitlines():
            if needle in line:
                return line
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} not logged within {timeout_s} s")


def test_concurrent_containers_each_see_only_their_own_event(client: httpx.Client) -> None:
    # Powertools keeps the current event in class attributes; containers here are threads.
    from concurrent.futures import ThreadPoolExecutor

    def call(marker: int) -> tuple[int, dict[str, str]]:
        return marker, client.post("/v1/isolation", json={"marker": str(marker)}).json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(24)))

    assert [(m, body) for m, body in results if body != {"before": str(m), "after": str(m)}] == []
