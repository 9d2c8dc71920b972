"""A steady load of writes and reads through a real gateway, recording every answer by phase.

Each worker thread plays a few users at a paced rate (under their rate limits), mixing: creating
memories (each with an Idempotency-Key), uploading behaviour event batches (each with its
batch_id), listing memories, reading the profile, searching, reading a memory's graph
neighbourhood, and reading and setting the orb. The fault test moves `phase` on as it breaks and
mends the backends, and judges the answers afterwards.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from conftest import User

# A request not answered in this long hangs, and counts as unclean: a store that does not
# answer costs a call its statement timeout (5 s), and a search may meet two of them.
REQUEST_TIMEOUT_S = 15.0
PACE_S = 0.12  # per worker between requests: a few users each stay well under 120 a minute
EVENTS_PER_BATCH = 3


@dataclass(frozen=True)
class Answer:
    """One request and what came back (status 0: no answer before the timeout)."""

    phase: str
    action: str
    status: int
    content_type: str
    retry_after: str | None
    body: str
    seconds: float


@dataclass
class Write:
    """A write the load sent: its request, and whether the API acknowledged it."""

    action: str
    user: User
    key: str
    body: dict[str, Any]
    acknowledged: bool = False


@dataclass
class FaultLoad:
    """Worker threads sending the mix until stopped."""

    base_url: str
    users: list[User]
    anchors: dict[str, str]  # user id -> a memory of theirs already in the graph
    workers: int = 6
    phase: str = "steady"
    answers: list[Answer] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for n in range(self.workers):
            mine = self.users[n :: self.workers]
            thread = threading.Thread(target=self._work, args=(mine, random.Random(n)), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=REQUEST_TIMEOUT_S + 5)

    def in_phase(self, phase: str) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if a.phase == phase]

    def _work(self, users: list[User], rng: random.Random) -> None:
        with httpx.Client(base_url=self.base_url, timeout=REQUEST_TIMEOUT_S) as http:
            while not self._stop.is_set():
                user = rng.choice(users)
                self._one(http, user, rng)
                time.sleep(PACE_S)

    def _one(self, http: httpx.Client, user: User, rng: random.Random) -> None:
        roll = rng.random()
        if roll < 0.25:
            self._write(http, user, "memory", "/v1/memories", _memory_body())
        elif roll < 0.35:
            self._write(http, user, "events", "/v1/events", _events_body())
        elif roll < 0.45:
            self._send(http, user, "set orb", "PUT", "/v1/orb", _orb_body(rng))
        elif roll < 0.55:
            self._send(http, user, "read orb", "GET", "/v1/orb")
        elif roll < 0.65:
            self._send(http, user, "list memories", "GET", "/v1/memories?limit=5")
        elif roll < 0.75:
            self._send(http, user, "read me", "GET", "/v1/me")
        elif roll < 0.88:
            self._send(http, user, "search", "GET", "/v1/search?q=harbour+walk")
        else:
            node = self.anchors[str(user.user_id)]
            path = f"/v1/graph/nodes/{node}/neighbourhood?depth=1"
            self._send(http, user, "neighbourhood", "GET", path)

    def _write(
        self, http: httpx.Client, user: User, action: str, path: str, body: dict[str, Any]
    ) -> None:
        key = body.get("batch_id") or str(uuid.uuid4())
        write = Write(action, user, str(key), body)
        headers = {} if action == "events" else {"Idempotency-Key": write.key}
        response = self._send(http, user, action, "POST", path, body, headers)
        write.acknowledged = response is not None and response.is_success
        with self._lock:
            self.writes.append(write)

    def _send(
        self,
        http: httpx.Client,
        user: User,
        action: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response | None:
        phase, started = self.phase, time.monotonic()
        try:
            response = http.request(
                method, path, json=body, headers={**user.headers, **(headers or {})}
            )
        except httpx.TransportError as exc:
            error = f"{type(exc).__name__}: {exc}"
            self._record(Answer(phase, action, 0, "", None, error, time.monotonic() - started))
            return None
        self._record(
            Answer(
                phase,
                action,
                response.status_code,
                response.headers.get("content-type", ""),
                response.headers.get("retry-after"),
                response.text[:300],
                time.monotonic() - started,
            )
        )
        return response

    def _record(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)


def resend(base_url: str, write: Write) -> httpx.Response:
    """Send a write again as a client does after a 503: same body, same key."""
    path = "/v1/events" if write.action == "events" else "/v1/memories"
    headers = {**write.user.headers}
    if write.action == "memory":
        headers["Idempotency-Key"] = write.key
    return httpx.post(base_url + path, json=write.body, headers=headers, timeout=REQUEST_TIMEOUT_S)


def marker(write: Write) -> str:
    """What identifies the write's rows in Postgres: the memory title, or the events' batch."""
    return str(write.body["title"] if write.action == "memory" else write.body["batch_id"])


def _memory_body() -> dict[str, Any]:
    tag = uuid.uuid4().hex[:12]
    return {
        "title": f"fault {tag}",
        "content": f"A harbour walk at dusk, {tag}.",
        "tags": ["fault"],
    }


def _events_body() -> dict[str, Any]:
    batch_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    events = [
        {"action_type": "view", "item_type": "memory", "context": {"batch": batch_id},
         "occurred_at": now}
        for _ in range(EVENTS_PER_BATCH)
    ]  # fmt: skip
    return {"batch_id": batch_id, "events": events}


def _orb_body(rng: random.Random) -> dict[str, Any]:
    return {"visual_state": "idle", "emotional_tone": "calm", "energy_level": rng.random()}
