"""`dotline import FILE`: post a history file to POST /v1/imports, then follow its progress.

The file is the request body as the README's "Importing history" shows it (`sessions` of timed
turns, or `memories`). The import answers at once; ingestion of its conversations follows on the
ingestion schedule (every minute under `make dev`), and the command polls
GET /v1/imports/{id} until the import is done or failed, with a progress bar (rich's, when it
is installed; plain lines otherwise).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:3000"
POLL_S = 1.0
FINAL = frozenset({"done", "failed"})


def import_history(args: argparse.Namespace) -> int:
    """Import a history file (a past transcript or a batch of memories) and show its progress."""
    import httpx

    body = Path(args.file).read_bytes()
    try:
        json.loads(body)
    except ValueError as exc:
        print(f"dotline import: {args.file} is not JSON: {exc}", file=sys.stderr)
        return 2
    headers = {"Authorization": f"Bearer {_token(args)}", "Content-Type": "application/json"}
    if args.idempotency_key:
        headers["Idempotency-Key"] = args.idempotency_key
    with httpx.Client(base_url=args.url, timeout=60) as client:
        answer = client.post("/v1/imports", content=body, headers=headers)
        if answer.status_code != 202:
            print(
                f"dotline import: refused ({answer.status_code}): {_problem(answer)}",
                file=sys.stderr,
            )
            return 1
        receipt: dict[str, Any] = answer.json()
        what = (
            f"{receipt['sessions']} sessions, {receipt['turns']} turns"
            if receipt["kind"] == "transcript"
            else f"{receipt['memories']} memories"
        )
        again = " (imported before: nothing new)" if receipt["replayed"] else ""
        print(f"import {receipt['import_id']}: {what}{again}")
        if args.no_wait:
            print(f"status: {receipt['status']}")
            return 0
        receipt = _follow(client, receipt, headers, args.timeout)
    print(f"status: {receipt['status']}")
    return 0 if receipt["status"] == "done" else 1


def import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help='a JSON file: {"sessions": [...]} or {"memories": [...]}')
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--token", help="an access token")
    who.add_argument("--email", help="a local user's email (a token is minted for them)")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the API (default: {DEFAULT_URL})")
    parser.add_argument("--idempotency-key", help="names the import (sent as Idempotency-Key)")
    parser.add_argument("--no-wait", action="store_true", help="do not follow the ingestion")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="give up following after this many seconds"
    )


def _token(args: argparse.Namespace) -> str:
    if args.token:
        return str(args.token)
    from dotline_local.tokens import issue_token

    return issue_token(args.email)


def _follow(
    client: Any, receipt: dict[str, Any], headers: dict[str, str], timeout_s: float
) -> dict[str, Any]:
    """Poll the import until it is done or failed (or the timeout), drawing its progress."""
    deadline = time.monotonic() + timeout_s
    path = f"/v1/imports/{receipt['import_id']}"
    with _ProgressBar(receipt["progress"]["total"]) as bar:
        while True:
            bar.show(receipt["progress"]["ingested"], receipt["status"])
            if receipt["status"] in FINAL or time.monotonic() >= deadline:
                return receipt
            time.sleep(POLL_S)
            answer = client.get(path, headers=headers)
            if answer.status_code == 200:
                receipt = answer.json()
            elif answer.status_code != 429:  # a limit spent: keep polling, slower
                raise SystemExit(f"dotline import: {answer.status_code}: {_problem(answer)}")


class _ProgressBar:
    """rich's progress bar when rich is installed, else one plain line per change."""

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)
        self._last: tuple[int, str] | None = None
        try:
            from rich.progress import Progress
        except ImportError:
            self._rich: Any = None
        else:
            self._rich = Progress(transient=False)

    def __enter__(self) -> _ProgressBar:
        if self._rich is not None:
            self._rich.__enter__()
            self._task = self._rich.add_task("ingesting", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.__exit__(*exc)

    def show(self, done: int, status: str) -> None:
        if status == "done":  # memories only: nothing to ingest
            done = self.total
        if (done, status) == self._last:
            return
        self._last = (done, status)
        if self._rich is not None:
            self._rich.update(self._task, completed=done, description=status)
        else:
            print(f"{status}: {done}/{self.total} conversations ingested", flush=True)


def _problem(answer: Any) -> str:
    try:
        problem = answer.json()
    except ValueError:
        return str(answer.text)[:500]
    errors = problem.get("errors") or []
    fields = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors)
    return fields or str(problem.get("detail") or problem)
