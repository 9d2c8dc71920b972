"""Fixtures over the real local stack: Postgres on 54322, Redis behind its REST face, the gateway."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis

from dotline.profile import LOCAL_PROFILE, PROFILE_ENV
from dotline.settings import Settings, get_settings
from dotline_local.tokens import mint_token, sign_up

# The tests run against the local stack: its defaults and embedded backends, for this process and
# every server it starts (a test that needs the deployed profile says so in that server's env).
os.environ[PROFILE_ENV] = LOCAL_PROFILE
# EMF documents only where a test asks for them (tests/test_observability.py).
os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"

ROOT = Path(__file__).resolve().parent.parent
STARTUP_DEADLINE_S = 30.0
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class User:
    """A real auth user made for one test, with a valid access token."""

    user_id: uuid.UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


class SessionConnection:
    """The suite's superuser connection (autocommit), standing in for a psycopg Connection.

    The fault test restarts Postgres, which ends every session: `reopen()` then connects again,
    so the tests after it find this connection working, whatever order they run in."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._conn = psycopg.connect(conninfo, autocommit=True)

    def reopen(self) -> None:
        """Drop the current connection and open a new one."""
        self._conn.close()
        self._conn = psycopg.connect(self._conninfo, autocommit=True)

    def close(self) -> None:
        self._conn.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.fixture(scope="session")
def pg(settings: Settings) -> Iterator[Any]:
    """A superuser connection to the project's database (for setup and probes, never for SUT)."""
    try:
        conn = SessionConnection(settings.database_url.get_secret_value())
    except psycopg.OperationalError as exc:
        pytest.exit(f"PostgreSQL on 54322 is not reachable; run `make up` first ({exc})", 2)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def ports(settings: Settings) -> Iterator[Any]:
    """The stores (vector, graph, database) as the outbox delivery uses them, for a module's
    setup that writes what the pipeline would."""
    from dotline.bootstrap import Deps  # the stack's dependencies: only for the tests using them

    deps = Deps(settings=settings)
    yield deps
    deps.db.close()


@pytest.fixture
def make_user(pg: psycopg.Connection[Any], settings: Settings) -> Callable[..., User]:
    """Create a fresh auth user (a trigger gives them a profile) and a token for them."""

    def make(app_metadata: dict[str, Any] | None = None) -> User:
        email = f"t-{uuid.uuid4().hex[:12]}@example.com"
        user_id = sign_up(pg, email, app_metadata)
        return User(
            user_id, email, mint_token(user_id, email, settings=settings, app_metadata=app_metadata)
        )

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy in time:\n{log.read_text()[-3000:]}")


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(module: str, args: list[str], env: dict[str, str], log: Path) -> Server:
    """Run `python -m module` on a free port and wait for its /health."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        wait_until_healthy(server.url, process, log)
    except RuntimeError:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def start_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., str]]:
    """Start a real gateway over the project's template.yaml, with extra environment if given."""
    servers: list[Server] = []

    def start(env: dict[str, str] | None = None, template: Path = ROOT / "template.yaml") -> str:
        log = tmp_path_factory.mktemp("gateway") / "gateway.log"
        server = start_server(
            "dotline_local.gateway", ["--template", str(template)], env or {}, log
        )
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def gateway(start_gateway: Callable[..., str]) -> str:
    """The base URL of a gateway serving every route in template.yaml with default settings."""
    return start_gateway()


@pytest.fixture
def api(gateway: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def redis_rest(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Iterator[str]:
    """A real Upstash REST face in front of the local redis-server."""
    log = tmp_path_factory.mktemp("upstash") / "upstash.log"
    server = start_server(
        "dotline_local.upstash_rest",
        [
            "--redis-url",
            "redis://127.0.0.1:6379/0",
            "--token",
            settings.upstash_redis_rest_token.get_secret_value(),
        ],
        {},
        log,
    )
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def auth_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real emulation of Supabase Auth's admin API (users in the local auth.users)."""
    log = tmp_path_factory.mktemp("auth_admin") / "auth_admin.log"
    server = start_server("dotline_local.auth_admin", [], {}, log)
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def stack_url(start_gateway: Callable[..., str], redis_rest: str) -> str:
    """A gateway whose Redis is reached through the tests' own REST face (cache and channels)."""
    return start_gateway({"UPSTASH_REDIS_REST_URL": redis_rest})


@pytest.fixture
def client(stack_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack_url, timeout=10) as http:
        yield http


@pytest.fixture
def rds() -> Iterator[redis.Redis]:
    """A direct Redis connection, to probe keys and subscribe to channels."""
    conn = redis.Redis.from_url(REDIS_URL)
    yield conn
    conn.close()


def park_pending_outbox(pg: psycopg.Connection[Any]) -> list[int]:
    """Postpone every pending outbox row that exists now (other tests' leftovers) by a day, so a
    real dispatcher started by a test delivers only what that test writes; returns their ids."""
    rows = pg.execute(
        "update private.outbox set next_attempt_at = now() + interval '1 day' "
        "where status = 'pending' returning outbox_id"
    ).fetchall()
    return [row[0] for row in rows]


def unpark_outbox(pg: psycopg.Connection[Any], parked: list[int]) -> None:
    """Make the parked rows due again."""
    pg.execute(
        "update private.outbox set next_attempt_at = now() where outbox_id = any(%s)", (parked,)
    )


@pytest.fixture
def quiet_outbox(pg: psycopg.Connection[Any]) -> Iterator[None]:
    """Park every pending row that exists now; put them back afterwards."""
    parked = park_pending_outbox(pg)
    yield
    unpark_outbox(pg, parked)
