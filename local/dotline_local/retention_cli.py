"""`dotline retention run [--dry-run] [--user UUID]`: the retention function, by hand."""

from __future__ import annotations

import argparse
import json
import sys
import time
from uuid import UUID

PROGRESS_EVERY_S = 0.5


class StderrProgress:
    """One line per step on stderr, rewritten in place at most twice a second."""

    def __init__(self) -> None:
        self._step = ""
        self._rows = 0
        self._batches = 0
        self._shown_at = 0.0

    def __call__(self, step: str, rows: int) -> None:
        if step != self._step:
            self.close()
            self._step, self._rows, self._batches = step, 0, 0
        self._rows += rows
        self._batches += 1
        if time.monotonic() - self._shown_at >= PROGRESS_EVERY_S:
            self._show()

    def close(self) -> None:
        if self._step:
            self._show()
            print(file=sys.stderr, flush=True)
            self._step = ""

    def _show(self) -> None:
        line = f"\r{self._step}: {self._rows} rows in {self._batches} batches"
        print(line, end="", file=sys.stderr, flush=True)
        self._shown_at = time.monotonic()


def retention(args: argparse.Namespace) -> int:
    """Run retention (per-person retention, expiry, archive, store removals); --dry-run counts."""
    from dotline.bootstrap import deps
    from dotline.services.lifecycle import erasure
    from dotline.services.lifecycle import retention as service

    d = deps()
    user_id = UUID(args.user) if args.user else None
    if args.dry_run:
        report = service.preview_retention(d.db, user_id)
        print("dry run: nothing changed; a run would remove:")
    else:
        progress = StderrProgress()
        try:
            report = service.run_retention(
                d.db, graph=d.graph, vectors=d.vectors, cache=d.cache, user_id=user_id,
                batch_size=args.batch, progress=progress,
                retry_erasures=lambda: erasure.retry_pending(d),
            )  # fmt: skip
        finally:
            progress.close()
        print(f"retention run {report.job_run_id} done:")
    for name, count in report.counts.items():
        print(f"  {name:<36} {count:>10}")
    if args.json:
        print(json.dumps(report.model_dump(mode="json")))
    return 0


def retention_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["run"], help="what to do")
    parser.add_argument(
        "--dry-run", action="store_true", help="count what would go; change nothing"
    )
    parser.add_argument("--user", help="only this user id (expiry and archive are skipped)")
    parser.add_argument("--batch", type=int, default=1000, help="rows per batch (default: 1000)")
    parser.add_argument("--json", action="store_true", help="also print the report as JSON")
