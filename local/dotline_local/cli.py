"""The `dotline` command: the local stack and the tools around it.

A subcommand is a function taking the parsed arguments and returning an exit code, its
docstring the help line, plus one entry in COMMANDS (with a function adding its arguments, if any).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from dotline_local.import_cli import import_arguments, import_history
from dotline_local.ingestion_cli import ingest, ingest_arguments
from dotline_local.insights_cli import insights, insights_arguments
from dotline_local.persona_cli import persona, persona_arguments
from dotline_local.retention_cli import retention, retention_arguments
from dotline_local.smoke_cli import smoke, smoke_arguments


class Command(NamedTuple):
    """A subcommand: what runs, and what it accepts."""

    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], object] | None = None


def up(args: argparse.Namespace) -> int:
    """Start Postgres (54322), Redis, migrations, the Upstash REST face and the gateway."""
    from dotline_local import stack

    if args.for_tests:
        stack.up_for_tests(_say)
    else:
        stack.up(_say)
    return 0


def up_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--for-tests",
        action="store_true",
        help="only what the tests need: no background gateway (tests start their own)",
    )


def down(args: argparse.Namespace) -> int:
    """Stop the gateway, the REST face and the 54322 cluster (Redis keeps running)."""
    from dotline_local import stack

    stack.down(_say)
    return 0


def dev(args: argparse.Namespace) -> int:
    """Bring the stack up, print a demo token and run the gateway in the foreground."""
    from dotline_local import stack

    stack.dev(_say)
    return 0


def migrate(args: argparse.Namespace) -> int:
    """Apply pending migrations (--check: list pending and changed ones, apply nothing)."""
    import psycopg

    from dotline.settings import get_settings
    from dotline_local import migrations, stack

    conninfo = get_settings().database_url.get_secret_value()
    supabase_dir = args.supabase_dir or stack.SUPABASE_DIR
    if not args.check:
        stack.prepare_database(conninfo, _say, supabase_dir)
        _say("migrations are up to date")
        return 0
    with psycopg.connect(conninfo, autocommit=True) as conn:
        plan = migrations.plan(conn, migrations.discover(supabase_dir / "migrations"))
    for migration in plan.pending:
        _say(f"pending  {migration.path.name}")
    for migration in plan.changed:
        _say(f"changed  {migration.path.name} (applied, then edited)")
    for version in plan.missing_files:
        _say(f"missing  {version} (applied, no file)")
    if plan.diverged:
        _say("the history is not a prefix of the files: rebuild with `make reset`")
    if not (plan.pending or plan.changed or plan.diverged):
        _say("migrations are up to date")
    return 1 if plan.pending or plan.changed or plan.diverged else 0


def reset(args: argparse.Namespace) -> int:
    """Drop the 54322 cluster and rebuild the database from the migrations and the seed."""
    from dotline_local import stack

    stack.reset(_say)
    return 0


def migrate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="list, apply nothing; exit 1 if any")
    parser.add_argument(
        "--supabase-dir", type=Path, help="holding migrations/ and seed.sql (default: ./supabase)"
    )


def token(args: argparse.Namespace) -> int:
    """Create the local user EMAIL if needed and print an access token for them."""
    from dotline_local.tokens import issue_token

    print(issue_token(args.email))
    return 0


def token_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("email", help="the user's email; any address works locally")


def graph(args: argparse.Namespace) -> int:
    """Graph store admin: `bootstrap` creates Neo4j's constraints and indexes at NEO4J_URI."""
    from dotline.adapters.neo4j_graph import Neo4jGraph
    from dotline.errors import ServiceUnavailable
    from dotline.settings import get_settings

    settings = get_settings()
    if not settings.neo4j_uri:
        print(
            "dotline graph: error: NEO4J_URI is not set (the embedded store needs no bootstrap)",
            file=sys.stderr,
        )
        return 1
    store = Neo4jGraph.from_settings(settings)
    try:
        store.apply_schema()
    except ServiceUnavailable as exc:
        print(f"dotline graph: error: {exc} ({settings.neo4j_uri})", file=sys.stderr)
        return 1
    finally:
        store.close()
    _say(f"graph schema applied at {settings.neo4j_uri}")
    return 0


def graph_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["bootstrap"], help="what to do to the graph store")


def outbox(args: argparse.Namespace) -> int:
    """The outbox: `status` per state, `redrive` dead rows (--id N | --all-dead), `dispatch` once."""
    from dotline.bootstrap import deps
    from dotline.services import outbox as outbox_service
    from dotline.webhooks import WebhookEndpoint

    db = deps().db
    if args.action == "status":
        rows = outbox_service.status(db)
        if not rows:
            _say("the outbox is empty")
        for row in rows:
            _say(
                f"{row.status:<10} {row.events:>8}  oldest {row.oldest}  next due {row.next_attempt_at}"
            )
        return 0
    if args.action == "redrive":
        if (args.id is None) == (not args.all_dead):
            print("dotline outbox redrive: give --id N (repeatable) or --all-dead", file=sys.stderr)
            return 2
        _say(f"redrove {outbox_service.redrive(db, args.id)} dead event(s)")
        return 0
    settings = deps().settings
    endpoint = WebhookEndpoint.from_settings(settings)
    policy = outbox_service.RetryPolicy.from_settings(settings)
    try:
        result = outbox_service.drain(db, endpoint.post, policy)
    finally:
        endpoint.close()
    _say(
        f"claimed {result.claimed}: delivered {result.delivered}, "
        f"retrying {result.retried}, dead {result.dead}"
    )
    return 0


def outbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["status", "redrive", "dispatch"])
    parser.add_argument("--id", type=int, action="append", help="redrive this dead event")
    parser.add_argument("--all-dead", action="store_true", help="redrive every dead event")


def vectors(args: argparse.Namespace) -> int:
    """Maintain the vector store: `reembed` rewrites vectors made by another embedding model."""
    from dotline.bootstrap import deps
    from dotline.services.memories.reembedding import reembed_stale

    stores = deps()
    count = reembed_stale(stores.vectors, stores.embedder, args.batch)
    _say(f"re-embedded {count} items with {stores.embedder.model_version}")
    return 0


def vectors_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["reembed"], help="what to do")
    parser.add_argument("--batch", type=int, default=200, help="items per round (default: 200)")


def growth(args: argparse.Namespace) -> int:
    """The growth ledger: `backfill` adds events for existing concepts and memories (re-runnable)."""
    from uuid import UUID

    from dotline.bootstrap import deps
    from dotline.growth_rules import current_config
    from dotline.services.growth.backfill import backfill_growth

    stores = deps()
    user_id = UUID(args.user) if args.user else None
    result = backfill_growth(stores.db, current_config(stores.cache), user_id)
    _say(
        f"backfilled {result.users} user(s): {result.events_added} event(s) added, "
        f"{result.profiles_recomputed} profile(s) recomputed"
    )
    return 0


def growth_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["backfill"], help="what to do to the growth ledger")
    parser.add_argument("--user", help="only this user id (default: every user)")


COMMANDS: dict[str, Command] = {
    "up": Command(up, up_arguments),
    "down": Command(down),
    "dev": Command(dev),
    "migrate": Command(migrate, migrate_arguments),
    "token": Command(token, token_arguments),
    "reset": Command(reset),
    "outbox": Command(outbox, outbox_arguments),
    "graph": Command(graph, graph_arguments),
    "vectors": Command(vectors, vectors_arguments),
    "growth": Command(growth, growth_arguments),
    "retention": Command(retention, retention_arguments),
    "persona": Command(persona, persona_arguments),
    "insights": Command(insights, insights_arguments),
    "ingest": Command(ingest, ingest_arguments),
    "import": Command(import_history, import_arguments),
    "smoke": Command(smoke, smoke_arguments),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, one subparser per entry of COMMANDS."""
    parser = argparse.ArgumentParser(prog="dotline", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        summary = (command.run.__doc__ or "").strip().splitlines()[0]
        subparser = subparsers.add_parser(name, help=summary, description=summary)
        if command.arguments is not None:
            command.arguments(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `dotline` console script (under the local profile: see the package)."""
    _service_logs_to_stderr()
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except Exception as exc:
        if not _is_expected(exc):
            raise
        print(f"dotline {args.command}: error: {exc}", file=sys.stderr)
        return 1


def _is_expected(exc: Exception) -> bool:
    """Failures the user can act on from the message alone (no traceback needed)."""
    import psycopg

    from dotline_local import daemons, migrations, postgres_cluster, redis_server

    expected = (
        daemons.DaemonError,
        migrations.MigrationError,
        postgres_cluster.ClusterError,
        redis_server.RedisError,
        psycopg.OperationalError,
    )
    return isinstance(exc, expected)


def _service_logs_to_stderr() -> None:
    """The services' JSON log lines go to stderr: a command's stdout is its output."""
    import logging

    from dotline.observability import logger

    handler = logger.registered_handler
    if isinstance(handler, logging.StreamHandler):
        handler.stream = _CurrentStderr()  # not setStream: that flushes the old stream


class _CurrentStderr:
    """Whatever sys.stderr is when a line is written (a caller may have replaced it since)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _say(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
