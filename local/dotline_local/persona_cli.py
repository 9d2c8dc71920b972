"""`dotline persona`: run persona analysis for one person or everyone due, and anonymisation."""

from __future__ import annotations

import argparse
import sys


def persona(args: argparse.Namespace) -> int:
    """Persona analysis: `analyse --user UUID` or `--all` (everyone due), `anonymise`."""
    from uuid import UUID

    from dotline.bootstrap import deps
    from dotline.services.persona import persona as persona_service

    stores = deps()
    if args.action == "anonymise":
        counts = persona_service.anonymise(stores.db)
        print(
            f"anonymised {counts['anonymised']} persona(s), "
            f"{counts['learning_profiles']} learning profile(s)",
            flush=True,
        )
        return 0
    if (args.user is None) == (not args.all):
        print("dotline persona analyse: give --user UUID or --all", file=sys.stderr)
        return 2
    if args.user:
        report = persona_service.analyse_user(stores.db, stores.embedder, UUID(args.user))
        print(report.model_dump_json(), flush=True)
        return 0 if report.status == "analysed" else 1
    counts = persona_service.analyse_due(
        stores.db, stores.embedder, budget_s=float("inf"), batch=args.batch
    )
    print(" ".join(f"{name} {n}" for name, n in counts.items()), flush=True)
    return 1 if counts["failed"] else 0


def persona_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["analyse", "anonymise"])
    parser.add_argument("--user", help="analyse this user id now (even if analysed recently)")
    parser.add_argument("--all", action="store_true", help="analyse everyone due (a day old)")
    parser.add_argument("--batch", type=int, default=10_000, help="at most this many with --all")
