"""What both OpenAI-compatible adapters share: a bounded client and a POST that retries what may
pass (through tenacity)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import tenacity
from pydantic import SecretStr

from dotline.errors import ServiceUnavailable

CONNECT_TIMEOUT_S = 3.0
BACKOFF_BASE_S = 0.5
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def bounded_client(base_url: str, api_key: SecretStr | None, timeout_s: float) -> httpx.Client:
    """An httpx client for the endpoint: bearer key if given, every call bounded in time."""
    headers = {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}
    return httpx.Client(
        base_url=base_url.rstrip("/") + "/",
        headers=headers,
        timeout=httpx.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S),
    )


class ModelEndpoint:
    """One model behind an OpenAI-compatible endpoint: the client, the model's name and how its
    requests are retried (a subclass sets MAX_ATTEMPTS and BACKOFF_MAX_S)."""

    MAX_ATTEMPTS: ClassVar[int] = 3
    BACKOFF_MAX_S: ClassVar[float] = 4.0

    def __init__(
        self,
        client: httpx.Client,
        model: str,
        *,
        max_attempts: int | None = None,
        backoff_base_s: float = BACKOFF_BASE_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._model = model
        attempts = self.MAX_ATTEMPTS if max_attempts is None else max_attempts
        self._retrying = Retrying(attempts, backoff_base_s, self.BACKOFF_MAX_S, sleep)


@dataclass(frozen=True)
class Retrying:
    """How often and how patiently to try: exponential backoff, capped; Retry-After may extend it.

    tenacity runs the attempts; what is worth another try (a transport error, 408/429/5xx) and
    how long to wait (the longer of the backoff and the endpoint's Retry-After) are set here."""

    max_attempts: int
    backoff_base_s: float
    backoff_max_s: float
    sleep: Callable[[float], None] = time.sleep

    def post(
        self, client: httpx.Client, path: str, body: dict[str, Any], *, what: str
    ) -> dict[str, Any]:
        """The endpoint's JSON answer; ServiceUnavailable (naming `what`) once retrying is over."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Transient),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            response = retrying(_attempt, client, path, body)
        except _Transient as exc:
            if exc.status is None:
                raise ServiceUnavailable(f"{what} is unreachable.") from exc.__cause__
            raise ServiceUnavailable(
                f"{what} answered {exc.status}.", upstream_status=exc.status
            ) from exc
        if not response.is_success:
            raise ServiceUnavailable(
                f"{what} answered {response.status_code}.", upstream_status=response.status_code
            )
        try:
            data: dict[str, Any] = response.json()
        except ValueError as exc:
            raise ServiceUnavailable(f"{what} did not answer in JSON.") from exc
        return data

    def _wait(self, state: tenacity.RetryCallState) -> float:
        delay = min(self.backoff_max_s, self.backoff_base_s * 2.0 ** (state.attempt_number - 1))
        failure = state.outcome.exception() if state.outcome else None
        asked = failure.retry_after_s if isinstance(failure, _Transient) else 0.0
        return min(self.backoff_max_s, max(delay, asked))


class _Transient(Exception):
    """An answer worth another try: no answer at all (status None), or 408/429/5xx."""

    def __init__(self, status: int | None, retry_after: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        try:
            self.retry_after_s = float(retry_after) if retry_after else 0.0
        except ValueError:
            self.retry_after_s = 0.0


def _attempt(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    try:
        response = client.post(path, json=body)
    except httpx.TransportError as exc:  # timeouts included
        raise _Transient(None) from exc
    if response.status_code in RETRYABLE_STATUSES:
        raise _Transient(response.status_code, response.headers.get("retry-after"))
    return response
