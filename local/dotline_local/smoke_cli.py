"""`dotline smoke --url URL --token TOKEN`: what a person checks after a deploy.

Three requests against the deployed API: `GET /health` answers 200 (the deployment's settings are
safe and its stores answer), `GET /v1/me` without a token is a 401 problem, and with the token it
is 200 with the token's user. Each check prints one line; the exit code is 1 if any failed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NamedTuple

import httpx

PROBLEM = "application/problem+json"
TIMEOUT_S = 30.0  # a cold start reads the secret and opens the first connections


class Check(NamedTuple):
    """One request and whether its answer was the expected one."""

    name: str
    ok: bool
    detail: str


def run_checks(client: httpx.Client, token: str) -> list[Check]:
    """The three checks, in order (the client's base URL is the API's)."""
    health = client.get("/health")
    anonymous = client.get("/v1/me")
    mine = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    return [
        Check("GET /health", health.status_code == 200, _said(health)),
        Check(
            "GET /v1/me without a token is refused",
            anonymous.status_code == 401 and anonymous.headers.get("content-type") == PROBLEM,
            _said(anonymous),
        ),
        Check("GET /v1/me with the token", mine.status_code == 200, _said(mine, "user_id")),
    ]


def smoke(args: argparse.Namespace, say: Callable[[str], None] = print) -> int:
    """Check a deployed API: /health, a refused anonymous call, /v1/me with a token."""
    try:
        with httpx.Client(base_url=args.url.rstrip("/"), timeout=TIMEOUT_S) as client:
            checks = run_checks(client, args.token)
    except httpx.HTTPError as exc:
        say(f"FAIL {args.url} unreachable: {exc}")
        return 1
    for check in checks:
        say(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    return 0 if all(check.ok for check in checks) else 1


def smoke_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="the API's base URL (the stack's ApiUrl)")
    parser.add_argument("--token", required=True, help="a Supabase access token of a test user")


def _said(response: httpx.Response, field: str | None = None) -> str:
    detail = f"{response.status_code}"
    try:
        body = response.json()
    except ValueError:
        return detail
    if field and isinstance(body, dict) and field in body:
        return f"{detail}, {field} {body[field]}"
    if isinstance(body, dict) and "type" in body:
        return f"{detail}, {body['type']}"
    return detail
