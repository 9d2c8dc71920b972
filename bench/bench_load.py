"""Load: 50 clients for 60 s over a realistic mix, through a real gateway, against /health.

Each client is a thread with its own keep-alive connection (`bench_support.TimingClient`, from
its own loopback address, as distinct devices would be), four people of its own, and a closed
loop: it sends its next request when the last one is answered. The mix, by weight: list
memories 20, create a memory 15 (with an Idempotency-Key), search 12, read the profile 12, read a
memory 10, upload a batch of 10 behaviour events 10, the card gallery 8, the orb 5 (read or
set), a chat message 3 (the person's turn, context and the local language model's answer; 20 a
minute per person at most). The gateway runs 16 warm containers per function; the outbox is
delivered by the stack's own gateway when `make up` runs it (as `make bench` does).

Baseline, in the same run: GET /health under the same 50 clients (the HTTP hop, uvicorn and the
gateway, no function). Prints requests per second, p50/p95/p99 per action and overall with each
as a ratio to the baseline, the 429s, and every other error (any answer outside 2xx, or none);
exits 1 when there is any such error. Everything stored is removed.

    uv run python bench/bench_load.py [--clients 50] [--seconds 60] [--baseline-seconds 10]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg

from dotline.settings import get_settings
from dotline_local.bench_support import (
    TimingClient,
    gateway_on_free_port,
    percentile,
    remove_people,
)
from dotline_local.tokens import mint_token, sign_up

PEOPLE_PER_CLIENT = 4
CONTAINERS = 16
EVENTS_PER_BATCH = 10
WORDS = [
    "harbour",
    "walk",
    "dusk",
    "sister",
    "bakery",
    "morning",
    "train",
    "river",
    "garden",
    "concert",
    "market",
]


@dataclass
class Person:
    """One person a client plays: their token, and what they have made so far."""

    headers: dict[str, str]
    conversation_id: str
    memories: list[str] = field(default_factory=list)


@dataclass
class Tally:
    """Every answer's latency by action, 429s and errors."""

    latency_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    limited: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, action: str, status: int, ms: float, body: bytes) -> None:
        with self.lock:
            self.latency_ms[action].append(ms)
            if status == 429:
                self.limited[action] += 1
            elif not 200 <= status < 300:
                self.errors[f"{action} {status} {body[:120]!r}"] += 1


Step = Callable[[TimingClient, Person, random.Random], tuple[int, bytes]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    args = parser.parse_args()
    settings = get_settings()
    dsn = settings.database_url.get_secret_value()
    with psycopg.connect(dsn, autocommit=True) as admin:
        user_ids = [
            sign_up(admin, f"load-{uuid.uuid4().hex[:10]}@example.com")
            for _ in range(args.clients * PEOPLE_PER_CLIENT)
        ]
        try:
            extra = ("--containers", str(CONTAINERS))
            with gateway_on_free_port("bench-load-gateway", extra_args=extra) as url:
                tokens = [
                    mint_token(uid, "load@example.com", settings=settings) for uid in user_ids
                ]
                people = [make_person(url, token) for token in tokens]
                baseline = run(url, args.clients, args.baseline_seconds, people, health_only=True)
                load = run(url, args.clients, args.seconds, people, health_only=False)
            report(args, baseline, load)
        finally:
            remove_people(admin, user_ids)
    sys.exit(1 if sum(load.errors.values()) else 0)


def make_person(url: str, token: str) -> Person:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    client = TimingClient(url)
    status, body = client.request("POST", "/v1/conversations", body=b"{}", headers=headers)
    assert status == 201, body
    client.close()
    return Person(headers, json.loads(body)["conversation_id"])


def run(
    url: str, clients: int, seconds: float, people: list[Person], *, health_only: bool
) -> Tally:
    """Every client in its closed loop for `seconds`; the tally of what came back."""
    tally = Tally()
    deadline = time.monotonic() + seconds

    def client_loop(n: int) -> None:
        client = TimingClient(url, source_address=f"127.0.{n // 250}.{2 + n % 250}")
        mine = people[n * PEOPLE_PER_CLIENT : (n + 1) * PEOPLE_PER_CLIENT]
        rng = random.Random(n)
        while time.monotonic() < deadline:
            action, step = ("health", _health) if health_only else rng.choice(MIX)
            started = time.perf_counter()
            try:
                status, body = step(client, rng.choice(mine), rng)
            except OSError as exc:
                status, body = 0, repr(exc).encode()
                client.close()
            tally.add(action, status, (time.perf_counter() - started) * 1000, body)
        client.close()

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.elapsed_s = time.monotonic() - started
    return tally


def _health(client: TimingClient, person: Person, rng: random.Random) -> tuple[int, bytes]:
    return client.request("GET", "/health")


def _list_memories(client: TimingClient, person: Person, rng: random.Random) -> tuple[int, bytes]:
    return client.request("GET", "/v1/memories?limit=20", headers=person.headers)


def _create_memory(client: TimingClient, person: Person, rng: random.Random) -> tuple[int, bytes]:
    words = " ".join(rng.choice(WORDS) for _ in range(12))
    body = json.dumps({"title": words[:40], "content": words, "tags": [rng.choice(WORDS)]})
    headers = {**person.headers, "Idempotency-Key": str(uuid.uuid4())}
    status, answer = client.request("POST", "/v1/memories", body=body.encode(), headers=headers)
    if status == 201:
        person.memories.append(json.loads(answer)["memory_id"])
    return status, answer


def _search(client: TimingClient, person: Person, rng: random.Random) -> tuple[int, bytes]:
    query = "+".join(rng.sample(WORDS, 2))
    return client.request("GET", f"/v1/search?q={query}&limit=10", headers=person.headers)


def _me(client: TimingClient, person: Person, rng: random.Random) -> tuple[int, bytes]:
    return client.request("GET", "/v1/me", headers=person.headers)


def _read_memory(client: TimingClient, person: Person, rng: random.Random) -> tuple[int, bytes]:
    if not person.memories:
        return _list_memories(client, person, rng)
    path = f"/v1/memories/{rng.choice(person.memories)}"
    return client.request("GET", path, headers=person.headers)


def _events(client: TimingClient, person: Person, rng: random.Random) -> tuple[int, bytes]:
    now = datetime.now(UTC).isoformat()
    events = [
        {"action_type": rng.choice(("view", "edit", "search")), "item_type": "memory",
         "duration_seconds": rng.randrange(1, 120), "occurred_at": now}
        for _ in range(EVENTS_PER_BATCH)
    ]  # fmt: skip
    body = json.dumps({"batch_id": str(uuid.uuid4()), "events": events}).encode()
    return client.request("POST", "/v1/events", body=body, headers=person.headers)


def _cards(client: TimingClient, person: Person, rng: random.Random) -> tuple[int, bytes]:
    return client.request("GET", "/v1/cards?limit=20", headers=person.headers)


def _orb(client: TimingClient, person: Person, rng: random.Random) -> tuple[int, bytes]:
    if rng.random() < 0.5:
        state = {"visual_state": "idle", "emotional_tone": "calm", "energy_level": rng.random()}
        return client.request("PUT", "/v1/orb", body=json.dumps(state).encode(),
                              headers=person.headers)  # fmt: skip
    status, body = client.request("GET", "/v1/orb", headers=person.headers)
    return (200, body) if status == 404 else (status, body)  # no state set yet: a fine answer


def _message(client: TimingClient, person: Person, rng: random.Random) -> tuple[int, bytes]:
    words = " ".join(rng.choice(WORDS) for _ in range(10))
    headers = {**person.headers, "Idempotency-Key": str(uuid.uuid4())}
    path = f"/v1/conversations/{person.conversation_id}/messages"
    return client.request("POST", path, body=json.dumps({"content": words}).encode(),
                          headers=headers)  # fmt: skip


WEIGHTS: list[tuple[str, Step, int]] = [
    ("list memories", _list_memories, 20),
    ("create memory", _create_memory, 15),
    ("search", _search, 12),
    ("me", _me, 12),
    ("read memory", _read_memory, 10),
    ("events", _events, 10),
    ("cards", _cards, 8),
    ("orb", _orb, 5),
    ("message", _message, 3),
]
MIX: list[tuple[str, Step]] = [
    (name, step) for name, step, weight in WEIGHTS for _ in range(weight)
]


def report(args: argparse.Namespace, baseline: Tally, load: Tally) -> None:
    base = baseline.latency_ms["health"]
    base_rps = len(base) / baseline.elapsed_s
    every = [ms for samples in load.latency_ms.values() for ms in samples]
    rps = len(every) / load.elapsed_s
    print(f"{args.clients} clients, closed loop; mix for {args.seconds:.0f} s, /health for "
          f"{args.baseline_seconds:.0f} s")  # fmt: skip
    print(f"{'':16}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p50 x':>8}{'p99 x':>8}")
    row(" /health (base)", base, base)
    for name, _, _ in WEIGHTS:
        if load.latency_ms.get(name):
            row(f" {name}", load.latency_ms[name], base)
    row(" all of the mix", every, base)
    print(
        f"throughput: {rps:,.0f} requests/s ({rps / base_rps:.2f}x the /health {base_rps:,.0f}/s)"
    )
    print(f"429s: {sum(load.limited.values())} {dict(load.limited) or ''}")
    print(f"errors (other than 429): {sum(load.errors.values())}")
    for error, count in load.errors.most_common(10):
        print(f"  {count:5d}  {error}")


def row(label: str, samples: list[float], base: list[float]) -> None:
    p50, p95, p99 = (percentile(samples, q) for q in (0.5, 0.95, 0.99))
    print(f"{label:16}{len(samples):>9,}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}"
          f"{p50 / percentile(base, 0.5):>7.1f}x{p99 / percentile(base, 0.99):>7.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
