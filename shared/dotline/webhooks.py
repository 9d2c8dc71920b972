"""Webhook signatures: how the outbox dispatcher signs a delivery and the webhook checks it.

`X-Dotline-Signature: v1=<hex hmac-sha256(secret, f"{timestamp}.{body}")>` beside
`X-Dotline-Timestamp` (Unix seconds); a signature older than `MAX_SIGNATURE_AGE_S` is refused so a
captured request cannot be replayed later. Supabase's own database webhooks cannot sign, so they
may instead send `Authorization: Bearer <secret>`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dotline.errors import Unauthenticated

if TYPE_CHECKING:
    import httpx

    from dotline.settings import Settings

TIMESTAMP_HEADER = "X-Dotline-Timestamp"
SIGNATURE_HEADER = "X-Dotline-Signature"
SIGNATURE_SCHEME = "v1"
MAX_SIGNATURE_AGE_S = 300
MAX_TIMESTAMP_DIGITS = 12  # Unix seconds until the year 33658


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `v1=<hex>` signature of body sent at timestamp."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_SCHEME}={mac.hexdigest()}"


def signed_headers(secret: str, body: bytes, now_s: float | None = None) -> dict[str, str]:
    """The headers a delivery of body carries."""
    timestamp = str(int(time.time() if now_s is None else now_s))
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, now_s: float | None = None
) -> None:
    """Accept a signed delivery or a shared-secret bearer; else raise Unauthenticated."""
    lowered = {k.lower(): v for k, v in headers.items()}
    sent = lowered.get(SIGNATURE_HEADER.lower())
    if sent is None:
        _verify_bearer(secret, lowered.get("authorization"))
        return
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "").strip()
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
        raise Unauthenticated("The webhook timestamp is missing or malformed.")
    now = time.time() if now_s is None else now_s
    if abs(now - int(timestamp)) > MAX_SIGNATURE_AGE_S:
        raise Unauthenticated("The webhook signature is too old.")
    expected = signature(secret, timestamp, body).encode()
    if not hmac.compare_digest(sent.strip().encode(), expected):
        raise Unauthenticated("The webhook signature does not match.")


def _verify_bearer(secret: str, authorization: str | None) -> None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("The webhook carries neither a signature nor a bearer secret.")
    if not hmac.compare_digest(token.strip().encode(), secret.encode()):
        raise Unauthenticated("The webhook bearer secret does not match.")


class WebhookEndpoint:
    """Posts signed bodies to the webhook URL over one reused HTTP client (built on first post)."""

    def __init__(self, url: str, secret: str, timeout_s: float) -> None:
        self.url = url
        self._secret = secret
        self._timeout_s = timeout_s
        self._client: httpx.Client | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookEndpoint:
        """The endpoint the settings name (webhook_url, webhook_secret, http_timeout_s)."""
        return cls(
            settings.webhook_url,
            settings.webhook_secret.get_secret_value(),
            settings.http_timeout_s,
        )

    def post(self, body: bytes) -> tuple[int, str]:
        """Post body, signed now; returns the status and the answer's text (transport errors raise)."""
        if self._client is None:
            import httpx

            self._client = httpx.Client(timeout=self._timeout_s)
        response = self._client.post(
            self.url, content=body, headers=signed_headers(self._secret, body)
        )
        return response.status_code, response.text

    def close(self) -> None:
        """Close the HTTP client, if one was opened."""
        if self._client is not None:
            self._client.close()
            self._client = None
