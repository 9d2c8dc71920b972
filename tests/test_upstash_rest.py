"""The Upstash REST face over the real Redis, driven by the production SDKs and raw HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis
from upstash_ratelimit import Ratelimit, SlidingWindow
from upstash_redis import Redis
from upstash_redis.errors import UpstashError

from conftest import start_server

REDIS_URL = "redis://127.0.0.1:6379/0"
TOKEN = "test-upstash-token"
SDK_TIMEOUT_S = 5.0


@pytest.fixture(scope="module")
def rest_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("upstash-rest") / "server.log"
    server = start_server(
        "dotline_local.upstash_rest", ["--redis-url", REDIS_URL, "--token", TOKEN], {}, log
    )
    yield server.url
    server.stop()


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards (never FLUSHALL)."""
    name = f"test:upstash-rest:{uuid.uuid4().hex}:"
    yield name
    direct = redis.Redis.from_url(REDIS_URL)
    keys = list(direct.scan_iter(match=f"{name}*"))
    if keys:
        direct.delete(*keys)
    direct.close()


def sdk(url: str, token: str = TOKEN) -> Redis:
    """The SDK as an adapter should build it: no telemetry, no 3 s retry sleep, real timeouts."""
    client = Redis(url=url, token=token, rest_retries=0, allow_telemetry=False)
    # upstash-redis builds `httpx.Client(timeout=None)` and takes no timeout or client argument,
    # so the only way to bound a call is to swap that client.
    client._http._client.close()
    client._http._client = httpx.Client(timeout=SDK_TIMEOUT_S)
    return client


@pytest.fixture
def client(rest_url: str) -> Iterator[Redis]:
    with sdk(rest_url) as redis_client:
        yield redis_client


def test_set_get_incr(client: Redis, prefix: str) -> None:
    assert client.set(f"{prefix}name", "ada") is True
    assert client.get(f"{prefix}name") == "ada"
    assert client.get(f"{prefix}missing") is None
    assert client.incr(f"{prefix}count") == 1
    assert client.incrby(f"{prefix}count", 41) == 42


def test_expire_and_ttl(client: Redis, prefix: str) -> None:
    client.set(f"{prefix}k", "v")
    assert client.ttl(f"{prefix}k") == -1
    assert client.expire(f"{prefix}k", 100) is True
    assert 0 < client.ttl(f"{prefix}k") <= 100
    assert client.set(f"{prefix}e", "v", ex=50) is True
    assert 0 < client.ttl(f"{prefix}e") <= 50


def test_hash_set_and_get_all(client: Redis, prefix: str) -> None:
    assert client.hset(f"{prefix}h", values={"a": "1", "b": "two"}) == 2
    assert client.hgetall(f"{prefix}h") == {"a": "1", "b": "two"}
    assert client.hget(f"{prefix}h", "b") == "two"


def test_json_values_round_trip(client: Redis, prefix: str) -> None:
    document = {"user": "ada", "tags": ["x", "y"], "score": 1.5, "nested": {"ok": True}}
    client.set(f"{prefix}doc", json.dumps(document))
    assert json.loads(client.get(f"{prefix}doc")) == document
    # The SDK serialises a dict argument itself.
    client.set(f"{prefix}dict", document)
    assert json.loads(client.get(f"{prefix}dict")) == document


def test_unicode_and_binary_like_values_round_trip_under_base64(client: Redis, prefix: str) -> None:
    value = "héllo ✓ 🚀\n\x00\x01ÿ end"
    client.set(f"{prefix}u", value)
    assert client.get(f"{prefix}u") == value
    assert client.hgetall(f"{prefix}missing-hash") == {}


def test_pipeline_returns_each_result(client: Redis, prefix: str) -> None:
    pipe = client.pipeline()
    pipe.set(f"{prefix}p", "1")
    pipe.incr(f"{prefix}p")
    pipe.get(f"{prefix}p")
    assert pipe.exec() == [True, 2, "2"]


def test_multi_exec_is_one_transaction(client: Redis, prefix: str) -> None:
    tx = client.multi()
    tx.set(f"{prefix}t", "10")
    tx.incrby(f"{prefix}t", 5)
    tx.hset(f"{prefix}th", values={"f": "v"})
    assert tx.exec() == [True, 15, 1]


def test_transaction_with_an_unknown_command_runs_nothing(client: Redis, prefix: str) -> None:
    tx = client.multi()
    tx.set(f"{prefix}never", "1")
    tx.execute(["NOSUCHCOMMAND", "x"])
    with pytest.raises(UpstashError, match="EXECABORT"):
        tx.exec()
    assert client.get(f"{prefix}never") is None


def test_wrong_token_is_refused(rest_url: str, prefix: str) -> None:
    with sdk(rest_url, token="wrong") as intruder, pytest.raises(UpstashError, match="Unauth"):
        intruder.get(f"{prefix}k")
    response = httpx.post(rest_url, json=["GET", f"{prefix}k"])
    assert response.status_code == 401


def test_bad_command_is_raised_by_the_sdk(client: Redis, prefix: str) -> None:
    with pytest.raises(UpstashError, match="unknown command"):
        client.execute(["NOSUCHCOMMAND", f"{prefix}k"])
    client.set(f"{prefix}s", "text")
    with pytest.raises(UpstashError, match="WRONGTYPE"):
        client.lpush(f"{prefix}s", "x")


def test_script_with_upstash_shebang_flags_runs_by_eval_and_evalsha(
    client: Redis, prefix: str
) -> None:
    script = "#!lua flags=allow-key-locking,no-writes\nreturn {KEYS[1], ARGV[1]}"
    assert client.eval(script, keys=[f"{prefix}k"], args=["v"]) == [f"{prefix}k", "v"]
    sha = client.script_load(script)
    # The SHA is the one of the script the client sent, as Upstash returns it.
    assert sha == hashlib.sha1(script.encode()).hexdigest()  # noqa: S324 (Redis uses SHA1)
    assert client.script_exists(sha) == [1]
    assert client.evalsha(sha, keys=[f"{prefix}k"], args=["w"]) == [f"{prefix}k", "w"]


def test_ratelimit_allows_three_then_refuses_with_reset(client: Redis, prefix: str) -> None:
    window_s = 10
    wait_until_early_in_window(window_s)
    limiter = Ratelimit(
        redis=client, limiter=SlidingWindow(max_requests=3, window=window_s), prefix=prefix
    )
    results = [limiter.limit("user-1") for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert [r.remaining for r in results] == [2, 1, 0, 0]
    assert time.time() < results[3].reset <= time.time() + window_s


def test_publish_reaches_no_subscriber(client: Redis, prefix: str) -> None:
    assert client.publish(f"{prefix}channel", "hello") == 0


def test_path_style_commands_and_raw_encodings(rest_url: str, prefix: str) -> None:
    auth = {"authorization": f"Bearer {TOKEN}"}
    key = f"{prefix}raw"
    set_reply = httpx.get(f"{rest_url}/set/{key}/hello", params={"EX": "60"}, headers=auth)
    assert set_reply.json() == {"result": "OK"}
    assert httpx.get(f"{rest_url}/get/{key}", headers=auth).json() == {"result": "hello"}
    posted = httpx.post(f"{rest_url}/set/{key}", content=b"from body", headers=auth)
    assert posted.json() == {"result": "OK"}
    encoded = httpx.get(f"{rest_url}/get/{key}", headers={**auth, "upstash-encoding": "base64"})
    assert base64.b64decode(encoded.json()["result"]) == b"from body"
    # A value that is not UTF-8, written behind the REST face's back, comes out as base64.
    direct = redis.Redis.from_url(REDIS_URL)
    direct.set(f"{prefix}bin", b"\xff\x00\xfe")
    direct.close()
    binary = httpx.post(rest_url, json=["GET", f"{prefix}bin"], headers=auth).json()
    assert base64.b64decode(binary["result"]) == b"\xff\x00\xfe"


def test_command_error_is_400_with_error(rest_url: str) -> None:
    response = httpx.post(rest_url, json=["INCR"], headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("ERR wrong number of arguments")


def test_pipeline_reports_errors_in_place(rest_url: str, prefix: str) -> None:
    commands = [["SET", f"{prefix}x", "a"], ["INCR", f"{prefix}x"], ["GET", f"{prefix}x"]]
    response = httpx.post(
        f"{rest_url}/pipeline", json=commands, headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200
    ok, failed, value = response.json()
    assert ok == {"result": "OK"} and value == {"result": "a"}
    assert failed["error"].startswith("ERR value is not an integer")


def wait_until_early_in_window(window_s: int) -> None:
    """Start a sliding-window test well inside a window, so it cannot straddle two."""
    deadline = time.monotonic() + window_s
    while (time.time() % window_s) > window_s - 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
