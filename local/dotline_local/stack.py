"""The local stack: Postgres 54322, Redis, the schema, the Upstash REST face and the gateway.

Brought up (`up`, `dev`), down (`down`) and rebuilt (`reset`); every step is skipped when done.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import psycopg

from dotline.settings import get_settings
from dotline_local import daemons, migrations, postgres_cluster, redis_server

ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = ROOT / ".stack"
EMULATION_SQL = Path(__file__).with_name("supabase_emulation.sql")
SUPABASE_DIR = ROOT / "supabase"
DEMO_EMAIL = "demo@dotline.local"
REST_PORT = 8079
S3_PORT = 54329  # S3_ENDPOINT_URL's default: moto's server
# Ingestion requests: a queue on the same moto server (the gateway creates it and delivers it).
INGESTION_QUEUE_URL = f"http://127.0.0.1:{S3_PORT}/123456789012/dotline-ingestion-local"
AUTH_PORT = 54321  # SUPABASE_URL's port: the local Auth admin emulation
GATEWAY_PORT = 3000

Report = Callable[[str], None]


def daemons_of_stack() -> list[daemons.Daemon]:
    """The Python services, in start order (the gateway's functions use the REST face)."""
    token = get_settings().upstash_redis_rest_token.get_secret_value()
    rest = daemons.Daemon(
        name="upstash_rest",
        module="dotline_local.upstash_rest",
        arguments=(
            *("--host", "127.0.0.1", "--port", str(REST_PORT)),
            *("--redis-url", redis_server.URL, "--token", token),
        ),
        health_url=f"http://127.0.0.1:{REST_PORT}/health",
        state_dir=STATE_DIR,
    )
    auth = daemons.Daemon(
        name="auth_admin",
        module="dotline_local.auth_admin",
        arguments=("--host", "127.0.0.1", "--port", str(AUTH_PORT)),
        health_url=f"http://127.0.0.1:{AUTH_PORT}/health",
        state_dir=STATE_DIR,
    )
    gateway = daemons.Daemon(
        name="gateway",
        module="dotline_local.gateway",
        arguments=(
            *("--host", "127.0.0.1", "--port", str(GATEWAY_PORT)),
            *("--template", str(ROOT / "template.yaml")),
            "--dispatch-outbox",
            "--deliver-s3-events",
            *("--ingestion-queue", INGESTION_QUEUE_URL),
            "--run-schedules",
        ),
        health_url=f"http://127.0.0.1:{GATEWAY_PORT}/health",
        state_dir=STATE_DIR,
    )
    return [rest, auth, gateway]


def s3_daemon() -> daemons.Daemon:
    """Moto's S3 server with the media bucket (only `up` and `dev`: tests start their own)."""
    return daemons.Daemon(
        name="s3",
        module="dotline_local.s3_server",
        arguments=("--host", "127.0.0.1", "--port", str(S3_PORT)),
        health_url=f"http://127.0.0.1:{S3_PORT}/moto-api/",
        state_dir=STATE_DIR,
    )


def up_backing_services(report: Report) -> None:
    """Postgres and Redis running, the database migrated (and seeded the first time)."""
    for step in postgres_cluster.ensure_running():
        report(step)
    if redis_server.ensure_running(STATE_DIR / "redis.log"):
        report(f"started redis-server on {redis_server.HOST}:{redis_server.PORT}")
    prepare_database(get_settings().database_url.get_secret_value(), report)


def prepare_database(conninfo: str, report: Report, supabase_dir: Path = SUPABASE_DIR) -> None:
    """Supabase emulation, then pending migrations, then the seed if this database never had it.

    supabase_dir is laid out as the Supabase CLI expects: migrations/ and seed.sql.
    """
    with psycopg.connect(conninfo, autocommit=True) as conn, _database_lock(conn):
        conn.execute(EMULATION_SQL.read_bytes())
        migrations.apply(
            conn,
            migrations.discover(supabase_dir / "migrations"),
            on_applied=lambda migration: report(f"applied migration {migration.path.name}"),
        )
        seed = supabase_dir / "seed.sql"
        if seed.exists() and migrations.apply_seed_once(conn, seed, supabase_dir.parent):
            report(f"applied {seed}")


def up(report: Report) -> None:
    """Everything running in the background; returns once the gateway answers /health."""
    up_backing_services(report)
    _start_detached([s3_daemon(), *daemons_of_stack()], report)
    report(
        f"stack is up: gateway http://127.0.0.1:{GATEWAY_PORT}, "
        f"Postgres 127.0.0.1:{postgres_cluster.PORT} (user postgres, password postgres)"
    )


def up_for_tests(report: Report) -> None:
    """What the tests need (they start their own gateways): backing services and the REST face.

    A background gateway from `up` is stopped: its outbox dispatcher would deliver the tests' own
    changes while tests that drive delivery themselves, or count what reached the graph, run.
    """
    up_backing_services(report)
    rest, auth, gateway = daemons_of_stack()
    if daemons.stop_detached(gateway):
        report(
            "stopped the background gateway for the tests (its dispatcher would race them); "
            "`make up` starts it again"
        )
    _start_detached([rest, auth], report)
    report(
        f"test services are up: Postgres 127.0.0.1:{postgres_cluster.PORT}, "
        f"Upstash REST face http://127.0.0.1:{REST_PORT}"
    )


def _start_detached(started: list[daemons.Daemon], report: Report) -> None:
    """Start each daemon that is not healthy yet, in order, each answering /health before the next."""
    for daemon in started:
        _require_module(daemon)
        if daemons.start_detached(daemon, cwd=ROOT):
            report(f"started {daemon.name} (log: {daemon.log_file.relative_to(ROOT)})")


def down(report: Report) -> None:
    """Stop the services `up` started and the 54322 cluster; Redis and other clusters stay."""
    for daemon in reversed([s3_daemon(), *daemons_of_stack()]):
        if daemons.stop_detached(daemon):
            report(f"stopped {daemon.name}")
    if postgres_cluster.state().exists and postgres_cluster.stop():
        report(f"stopped cluster {postgres_cluster.PG_VERSION}/{postgres_cluster.CLUSTER_NAME}")


def reset(report: Report) -> None:
    """Rebuild the database from nothing: a new cluster, the migrations, the seed."""
    if postgres_cluster.drop():
        report(f"dropped cluster {postgres_cluster.PG_VERSION}/{postgres_cluster.CLUSTER_NAME}")
    up_backing_services(report)


def dev(report: Report) -> None:
    """Backing services up, REST face and gateway in the foreground until Ctrl-C."""
    up_backing_services(report)
    children: list[subprocess.Popen[bytes]] = []
    with _interrupt_on_signals():
        try:
            for daemon in [s3_daemon(), *daemons_of_stack()]:
                _require_module(daemon)
                if daemons.stop_detached(daemon):
                    report(f"stopped background {daemon.name} to run it in the foreground")
                if daemons.is_healthy(daemon):
                    raise daemons.DaemonError(f"something else already serves {daemon.health_url}")
                child = daemons.start_foreground(daemon, cwd=ROOT)
                children.append(child)
                daemons.wait_healthy(daemon, alive=_running(child))
            report(_demo_instructions())
            _wait_for_any_exit(children)
        except KeyboardInterrupt:
            report("stopping")
        finally:
            # A second Ctrl-C (or a TERM to every process of the job) must not cut the clean-up
            # short and leave the other services running.
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_IGN)
            for child in reversed(children):
                daemons.stop_child(child)


def _demo_instructions() -> str:
    from dotline_local.tokens import LOCAL_ANON_KEY, issue_token

    token = issue_token(DEMO_EMAIL)
    return (
        f"\nAccess token for the demo user {DEMO_EMAIL}; try:\n\n"
        f"export TOKEN={token}\n"
        f'curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:{GATEWAY_PORT}/v1/me\n\n'
        f"Live updates (README, Live updates): Supabase Realtime at http://127.0.0.1:{AUTH_PORT}"
        f" with the anon key {LOCAL_ANON_KEY}\n\n"
        "Ctrl-C stops the gateway and every service it started (REST face, S3, Auth)."
    )


def _wait_for_any_exit(children: list[subprocess.Popen[bytes]]) -> None:
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    raise daemons.DaemonError("a service exited; stopping the others")


def _running(child: subprocess.Popen[bytes]) -> Callable[[], bool]:
    return lambda: child.poll() is None


def _require_module(daemon: daemons.Daemon) -> None:
    if importlib.util.find_spec(daemon.module) is None:
        raise daemons.DaemonError(f"module {daemon.module} not found: cannot start {daemon.name}")


@contextmanager
def _database_lock(conn: psycopg.Connection) -> Iterator[None]:
    """One preparer at a time (the emulation's `create role` races otherwise)."""
    conn.execute("select pg_advisory_lock(%s)", (migrations.ADVISORY_LOCK_KEY,))
    try:
        yield
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (migrations.ADVISORY_LOCK_KEY,))


@contextmanager
def _interrupt_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt, so the children are stopped either way (even
    when started in the background, where the shell leaves SIGINT ignored)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
