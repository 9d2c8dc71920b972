"""The cache and realtime port: short-lived state, invalidation and per-user channels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, Field


class RatePolicy(BaseModel, frozen=True):
    """A sliding-window limit: at most max_requests per window_s for each identifier."""

    name: str = Field(pattern=r"^[a-z0-9_-]+$")
    max_requests: int = Field(gt=0)
    window_s: int = Field(gt=0)


class RateDecision(BaseModel):
    """Whether a request may proceed, and the quota left."""

    allowed: bool
    limit: int
    remaining: int
    reset_at_s: float


class Gate(BaseModel, frozen=True):
    """A key set only when absent, expiring after ttl_s: open at most once per ttl_s."""

    key: str
    ttl_s: int = Field(gt=0)


class Tally(BaseModel, frozen=True):
    """Counts added to fields of a hash that expires at expire_at_s (Unix seconds)."""

    key: str
    counts: dict[str, int]
    expire_at_s: int


class Admission(BaseModel):
    """One request's rate-limit decisions, which of the flag keys asked about exist, and whether
    this request opened the gate asked for."""

    decisions: list[RateDecision]
    flagged: list[str] = Field(default_factory=list)
    gate_opened: bool = False


class Cache(Protocol):
    """JSON values with TTLs, invalidation, counters and publish."""

    def get_json(self, key: str) -> Any | None:
        """The value stored under key, or None when absent or expired."""

    def set_json(self, key: str, value: Any, ttl_s: int | None) -> None:
        """Store value under key, expiring after ttl_s seconds (None: no expiry)."""

    def set_many_json(self, values: Mapping[str, Any], ttl_s: int | None) -> None:
        """Store each value under its key with one TTL, in one round trip."""

    def add_json(self, key: str, value: Any, ttl_s: int) -> bool:
        """Store value under key only if the key is absent; True when it was stored."""

    def delete(self, keys: Sequence[str]) -> int:
        """Remove keys; returns how many existed."""

    def incr(self, key: str, by: int = 1) -> int:
        """Add to a counter and return its new value."""

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Send message (as JSON) to channel's subscribers."""

    def delete_matching(self, pattern: str) -> int:
        """Remove every key matching a glob pattern (erasure); returns how many."""

    def push_recent(self, key: str, member: str, keep: int, ttl_s: int) -> None:
        """Put member first in the list under key (once: an earlier place is dropped), keep the
        first `keep` members and expire the list ttl_s after this push; one round trip."""

    def recent(self, key: str, count: int) -> list[str]:
        """The first `count` members of the list under key, most recent first ([] when absent)."""

    def tally(self, tally: Tally) -> None:
        """Add each count to its field of the hash and set when it expires; one round trip."""

    def tallies(self, key: str) -> dict[str, int]:
        """Every field of the hash under key with its count ({} when absent)."""


class RateLimits(Protocol):
    """Sliding-window limits, one window per policy and identifier."""

    def check(self, policy: RatePolicy, identifier: str) -> RateDecision:
        """Count one request for identifier under policy and say whether it is within the limit."""

    def check_many(self, checks: Sequence[tuple[RatePolicy, str]]) -> list[RateDecision]:
        """`check` for each (policy, identifier), in order, in one round trip."""

    def admit(
        self,
        checks: Sequence[tuple[RatePolicy, str]],
        flags: Sequence[str],
        gate: Gate | None = None,
        tally: Tally | None = None,
    ) -> Admission:
        """`check_many`, which of the `flags` keys exist, whether `gate` opened (set only when
        absent) and `tally` added, all in one round trip."""

    def remaining(self, policy: RatePolicy, identifier: str) -> int:
        """Requests identifier may still make in policy's window (counts nothing)."""
