"""The local PostgreSQL 15 cluster `dotline` on port 54322, managed with Debian's cluster tools."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_VERSION = "15"
CLUSTER_NAME = "dotline"
PORT = 54322
SUPERUSER_PASSWORD = "postgres"  # noqa: S105 - the local cluster's well-known password
CONNECT_TIMEOUT_S = 5

# Everything the stack needs from postgresql.conf. It lives in conf.d, after the cluster's own
# postgresql.conf, so it wins there and survives `pg_createcluster` defaults being changed.
SETTINGS = {
    "port": str(PORT),
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "200",
    "shared_preload_libraries": "'pg_cron'",
    "cron.database_name": "'postgres'",
    "cron.timezone": "'GMT'",
    "password_encryption": "'scram-sha-256'",
    # A throwaway development database: losing the last commits on a crash is fine, waiting on
    # every commit's flush is not.
    "synchronous_commit": "off",
}
CONF_FILE = Path("/etc/postgresql") / PG_VERSION / CLUSTER_NAME / "conf.d" / "dotline.conf"


class ClusterError(RuntimeError):
    """The cluster could not be created, configured or started."""


@dataclass(frozen=True)
class ClusterState:
    """What `pg_lsclusters` says about the dotline cluster."""

    exists: bool
    online: bool


def state() -> ClusterState:
    """The cluster's current state."""
    out = _run(["pg_lsclusters", "--no-header"]).stdout
    for line in out.splitlines():
        fields = line.split()
        if fields[:2] == [PG_VERSION, CLUSTER_NAME]:
            return ClusterState(exists=True, online=fields[3].startswith("online"))
    return ClusterState(exists=False, online=False)


def ensure_running() -> list[str]:
    """Create, configure and start the cluster as needed; return what was done (empty: nothing)."""
    done: list[str] = []
    current = state()
    if not current.exists:
        _run(
            [
                *("pg_createcluster", PG_VERSION, CLUSTER_NAME, "-p", str(PORT)),
                *("--encoding", "UTF8", "--locale", "C.UTF-8"),
            ]
        )
        done.append(f"created cluster {PG_VERSION}/{CLUSTER_NAME} on port {PORT}")
    written = _write_settings()
    if written:
        done.append(f"wrote {CONF_FILE}")
    if not current.online:
        _ctl("start")
        done.append(f"started cluster {PG_VERSION}/{CLUSTER_NAME}")
    elif written:
        _ctl("reload")
        if _psql("select count(*) from pg_settings where pending_restart") != "0":
            _ctl("restart")
            done.append("restarted the cluster to apply the new settings")
    if _ensure_password():
        done.append("set the postgres user's password")
    return done


def stop() -> bool:
    """Stop the cluster if it runs; True when it was running."""
    if not state().online:
        return False
    _ctl("stop", "-m", "fast")
    return True


def start() -> None:
    """Start the cluster (created and configured already); returns once it accepts connections."""
    _ctl("start")


def drop() -> bool:
    """Stop and delete the cluster and all its data; True when it existed."""
    if not state().exists:
        return False
    _run(["pg_dropcluster", "--stop", PG_VERSION, CLUSTER_NAME])
    return True


def local_conninfo(dbname: str = "postgres") -> str:
    """Connection string for the cluster over TCP with the superuser's password."""
    return f"postgresql://postgres:{SUPERUSER_PASSWORD}@127.0.0.1:{PORT}/{dbname}"


def _write_settings() -> bool:
    text = "# Written by dotline's local stack (dotline_local.postgres_cluster); edits are lost.\n"
    text += "".join(f"{name} = {value}\n" for name, value in SETTINGS.items())
    if CONF_FILE.exists() and CONF_FILE.read_text() == text:
        return False
    CONF_FILE.parent.mkdir(parents=True, exist_ok=True)
    CONF_FILE.write_text(text)
    return True


def _ensure_password() -> bool:
    """Give postgres its password unless TCP password login already works."""
    try:
        psycopg.connect(local_conninfo(), connect_timeout=CONNECT_TIMEOUT_S).close()
        return False
    except psycopg.OperationalError as exc:
        if "password authentication failed" not in str(exc):
            raise ClusterError(f"cannot connect to 127.0.0.1:{PORT}: {exc}") from exc
    _psql(f"alter role postgres with password '{SUPERUSER_PASSWORD}'")
    return True


def _psql(sql: str) -> str:
    """Run sql as the postgres OS user over the cluster's socket (no password needed)."""
    argv = ["runuser", "-u", "postgres", "--", "psql", "-p", str(PORT), "-XAtqc", sql]
    return _run(argv).stdout.strip()


def _ctl(action: str, *options: str) -> None:
    _run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, CLUSTER_NAME, action, *options])


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, check=True, capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError as exc:
        raise ClusterError(f"{argv[0]} not found: run local/bootstrap.sh first") from exc
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip()
        raise ClusterError(f"`{' '.join(argv)}` failed ({exc.returncode}): {detail}") from exc
