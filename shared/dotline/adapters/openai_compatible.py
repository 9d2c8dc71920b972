"""What both OpenAI-compatible adapters share: a bounded client and a POST that retries what may pass."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from dotline.errors import ServiceUnavailable

CONNECT_TIMEOUT_S = 3.0
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def bounded_client(base_url: str, api_key: SecretStr | None, timeout_s: float) -> httpx.Client:
    """An httpx client for the endpoint: bearer key if given, every call bounded in time."""
    headers = {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}
    return httpx.Client(
        base_url=base_url.rstrip("/") + "/",
        headers=headers,
        timeout=httpx.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S),
    )


@dataclass(frozen=True)
class Retrying:
    """How often and how patiently to try: exponential backoff, capped; Retry-After may extend it."""

    max_attempts: int
    backoff_base_s: float
    backoff_max_s: float
    sleep: Callable[[float], None] = time.sleep

    def post(
        self, client: httpx.Client, path: str, body: dict[str, Any], *, what: str
    ) -> dict[str, Any]:
        """The endpoint's JSON answer; ServiceUnavailable (naming `what`) once retrying is over."""
        for attempt in range(1, self.max_attempts + 1):
            last = attempt == self.max_attempts
            try:
                response = client.post(path, json=body)
            except httpx.TransportError as exc:  # timeouts included
                if last:
                    raise ServiceUnavailable(f"{what} is unreachable.") from exc
                self.sleep(self._delay(attempt, None))
                continue
            if response.is_success:
                try:
                    data: dict[str, Any] = response.json()
                except ValueError as exc:
                    raise ServiceUnavailable(f"{what} did not answer in JSON.") from exc
                return data
            if last or response.status_code not in RETRYABLE_STATUSES:
                raise ServiceUnavailable(
                    f"{what} answered {response.status_code}.", upstream_status=response.status_code
                )
            self.sleep(self._delay(attempt, response.headers.get("retry-after")))
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        delay = min(self.backoff_max_s, self.backoff_base_s * 2.0 ** (attempt - 1))
        try:
            asked = float(retry_after) if retry_after else 0.0
        except ValueError:
            asked = 0.0
        return min(self.backoff_max_s, max(delay, asked))
