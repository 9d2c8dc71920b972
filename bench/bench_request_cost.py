"""What one request costs, route by route: Postgres and Redis round trips, bytes on each wire,
CPU of the function host, response size; the figures docs/capacity.md multiplies by a load.

A gateway runs with its Postgres and Redis (REST) connections through counting TCP proxies: a
round trip is a burst the client sends after the server last spoke. Connections are warm before
counting (as in a warm Lambda container). CPU is the gateway process's user+system time per
request; `GET /health`, which the gateway answers itself, is the host's own share (the baseline).

Run with `make bench` (or `uv run python bench/bench_request_cost.py`) while the stack is up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from pydantic import SecretStr

from dotline.bootstrap import Deps
from dotline.services import outbox
from dotline.services.mirroring import mirroring
from dotline.settings import get_settings
from dotline_local.bench_support import free_port, gateway_on_free_port, percentile, remove_people
from dotline_local.tokens import mint_token, sign_up

# Postgres's ReadyForQuery message: 'Z', length 5, then the transaction status ('I' = idle).
READY_FOR_QUERY = b"Z\x00\x00\x00\x05"


@dataclass
class Wire:
    """One proxied service: round trips and bytes each way, over every connection, and for
    Postgres the time a server connection was inside a transaction (what transaction-mode
    pooling holds it for): from a query sent while idle until ReadyForQuery says idle again."""

    round_trips: int = 0
    sent: int = 0
    received: int = 0
    held_s: float = 0.0

    def snapshot(self) -> tuple[float, ...]:
        return self.round_trips, self.sent, self.received, self.held_s


@dataclass
class CountingProxy:
    """127.0.0.1:<port> forwarding to `target`, counting round trips and bytes."""

    target: tuple[str, int]
    wire: Wire = field(default_factory=Wire)
    port: int = field(default_factory=free_port)

    def _note(self, state: dict[str, Any], data: bytes, up: bool) -> None:
        if up:
            if state["last"] == "server":
                self.wire.round_trips += 1
            if state["busy_since"] is None:
                state["busy_since"] = time.perf_counter()
            self.wire.sent += len(data)
        else:
            self.wire.received += len(data)
            ready = data.rfind(READY_FOR_QUERY)
            idle = ready >= 0 and data[ready + 5 : ready + 6] == b"I"
            if idle and state["busy_since"] is not None:
                self.wire.held_s += time.perf_counter() - state["busy_since"]
                state["busy_since"] = None
        state["last"] = "client" if up else "server"

    async def serve(self) -> None:
        server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        async with server:
            await server.serve_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        state: dict[str, Any] = {"last": "server", "busy_since": None}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, up: bool) -> None:
            while data := await src.read(65536):
                self._note(state, data, up)
                dst.write(data)
                await dst.drain()
            dst.close()

        await asyncio.gather(
            pump(reader, upstream_writer, True),
            pump(upstream_reader, writer, False),
            return_exceptions=True,
        )


def run_proxies(proxies: list[CountingProxy]) -> list[asyncio.Task[None]]:
    """Serve each proxy on an event loop in a daemon thread (gone when the bench ends)."""
    loop = asyncio.new_event_loop()
    tasks = [loop.create_task(proxy.serve()) for proxy in proxies]
    threading.Thread(target=loop.run_forever, daemon=True).start()
    return tasks


def gateway_cpu_s(port: int) -> float:
    """Seconds on CPU of every thread of this process's child serving `port` (the gateway),
    from the scheduler's nanosecond counters."""
    me = os.getpid()
    with open(f"/proc/{me}/task/{me}/children") as children:
        for pid in children.read().split():
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if str(port).encode() in cmdline.read():
                    return (
                        sum(_on_cpu_ns(task) for task in Path(f"/proc/{pid}/task").iterdir()) / 1e9
                    )
    raise RuntimeError("the gateway process was not found")


def _on_cpu_ns(task: Path) -> int:
    try:
        return int((task / "schedstat").read_text().split()[0])
    except (FileNotFoundError, ProcessLookupError):
        return 0  # the thread ended meanwhile


@dataclass(frozen=True)
class Route:
    """A request to measure: its name and how to send it (a fresh body each time)."""

    name: str
    send: Callable[[httpx.Client, dict[str, str], int], httpx.Response]


def events_batch(size: int) -> dict[str, Any]:
    when = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return {
        "batch_id": str(uuid.uuid4()),
        "events": [
            {"action_type": "view", "item_id": str(uuid.uuid4()), "item_type": "memory",
             "duration_seconds": 12, "context": {"source": "timeline"}, "occurred_at": when}
            for _ in range(size)
        ],
    }  # fmt: skip


SEARCHED_MEMORIES = 40  # the searching person's own memories, so search finds something

ROUTES = [
    Route("GET /health (gateway only)", lambda c, x, i: c.get("/health")),
    Route("GET /v1/me", lambda c, x, i: c.get("/v1/me")),
    Route("GET /v1/cards", lambda c, x, i: c.get("/v1/cards")),
    Route("GET /v1/memories", lambda c, x, i: c.get("/v1/memories")),
    Route(
        "POST /v1/memories",
        lambda c, x, i: c.post(
            "/v1/memories", json={"title": f"Walk {i}", "content": "A long walk by the river."}
        ),
    ),
    Route("GET /v1/search", lambda c, x, i: c.get("/v1/search", params={"q": "walk river"})),
    Route(
        "POST .../messages",
        lambda c, x, i: c.post(
            f"/v1/conversations/{x['conversation_id']}/messages",
            json={"content": f"I walked by the river again ({i})."},
        ),
    ),
    Route("POST /v1/events (20)", lambda c, x, i: c.post("/v1/events", json=events_batch(20))),
]


def outbox_rows() -> int:
    """Rows ever queued in the outbox: each becomes one mirroring invocation."""
    with psycopg.connect(get_settings().database_url.get_secret_value()) as conn:
        row = conn.execute("select coalesce(max(outbox_id), 0) from private.outbox").fetchone()
    return int(row[0]) if row else 0


def measure(
    route: Route,
    client: httpx.Client,
    context: dict[str, str],
    wires: dict[str, Wire],
    port: int,
    n: int,
) -> dict[str, float]:
    """Per request: round trips and KB per wire, host CPU, p50 latency, response size."""
    route.send(client, context, -1)  # warm: the container, its connections, its caches
    time.sleep(0.2)  # the warm request's rate-limit check may still be on the wire
    outbox_before = outbox_rows()
    before = {name: wire.snapshot() for name, wire in wires.items()}
    cpu_before = gateway_cpu_s(port)
    latencies, sizes = [], []
    for i in range(n):
        started = time.perf_counter()
        response = route.send(client, context, i)
        latencies.append((time.perf_counter() - started) * 1000)
        sizes.append(len(response.content))
        if response.status_code >= 400:
            raise RuntimeError(f"{route.name}: {response.status_code} {response.text[:200]}")
    time.sleep(0.2)  # a GET's rate-limit check may still be on the wire
    figures = {"cpu_ms": (gateway_cpu_s(port) - cpu_before) * 1000 / n}
    figures["outbox"] = (outbox_rows() - outbox_before) / n
    for name, wire in wires.items():
        trips, sent, received, held_s = (
            a - b for a, b in zip(wire.snapshot(), before[name], strict=True)
        )
        figures[f"{name}_trips"] = trips / n
        figures[f"{name}_kb"] = (sent + received) / n / 1024
        figures[f"{name}_held_ms"] = held_s * 1000 / n
    figures["p50_ms"] = percentile(latencies, 0.5)
    figures["response_kb"] = sum(sizes) / n / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "-n",
        type=int,
        default=15,
        help="requests per route (default 15; at most 19: the per-person limit on messages)",
    )
    args = parser.parse_args()
    postgres = CountingProxy(("127.0.0.1", 54322))
    redis = CountingProxy(("127.0.0.1", 8079))
    serving = run_proxies([postgres, redis])
    settings = get_settings()
    with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as admin:
        # One person per route: each route's requests stay inside the per-user rate limit.
        people = [
            sign_up(admin, f"bench-cost-{uuid.uuid4().hex[:8]}@example.com") for _ in range(9)
        ]
        try:
            run(args.n, people, postgres, redis)
        finally:
            remove_people(admin, people)
            for task in serving:
                task.get_loop().call_soon_threadsafe(task.cancel)


def run(n: int, people: list[uuid.UUID], postgres: CountingProxy, redis: CountingProxy) -> None:
    settings = get_settings()
    env = {
        "DATABASE_URL": f"postgresql://postgres:postgres@127.0.0.1:{postgres.port}/postgres",
        "UPSTASH_REDIS_REST_URL": f"http://127.0.0.1:{redis.port}",
    }
    wires = {"pg": postgres.wire, "redis": redis.wire}
    rows = []
    first_outbox_id = outbox_rows()
    with gateway_on_free_port("bench-request-cost", env=env) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        for person, route in zip(people, ROUTES, strict=False):
            token = mint_token(person, "bench@example.com", settings=settings)
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
                opened = client.post("/v1/conversations", json={"app_id": None})
                context = {"conversation_id": opened.json()["conversation_id"]}
                for i in range(SEARCHED_MEMORIES if route.name == "GET /v1/search" else 0):
                    body = {"title": f"River walk {i}", "content": f"Walked by the river, day {i}."}
                    client.post("/v1/memories", json=body)
                rows.append((route.name, measure(route, client, context, wires, port, n)))
    report(n, rows)
    report_mirroring(mirror_costs(first_outbox_id, postgres))


class Counted:
    """A port whose public calls are counted under its name (in `counts`), with the Postgres
    round trips they made themselves (the embedded graph and vectors live in Postgres)."""

    def __init__(self, target: Any, name: str, counts: dict[str, int], pg: Wire) -> None:
        self._target, self._name, self._counts, self._pg = target, name, counts, pg

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._target, attr)
        if attr.startswith("_") or not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            trips = self._pg.round_trips
            try:
                return value(*args, **kwargs)
            finally:
                counts = self._counts
                counts[self._name] = counts.get(self._name, 0) + 1
                embedded = self._pg.round_trips - trips
                counts["pg (embedded stores)"] = counts.get("pg (embedded stores)", 0) + embedded

        return call


def mirror_costs(first_outbox_id: int, postgres: CountingProxy) -> dict[str, dict[str, float]]:
    """Apply the changes the measured requests queued, as the mirroring function would, counting per table:
    calls per port (each a Neo4j, Weaviate, embeddings or Redis request in production) and
    Postgres round trips."""
    settings = get_settings()
    url = f"postgresql://postgres:postgres@127.0.0.1:{postgres.port}/postgres"
    deps = Deps(settings=settings.model_copy(update={"database_url": SecretStr(url)}))
    with psycopg.connect(settings.database_url.get_secret_value()) as conn:
        rows = conn.execute(
            "select outbox_id, table_name, payload from private.outbox where outbox_id > %s "
            "order by outbox_id",
            (first_outbox_id,),
        ).fetchall()
    per_table: dict[str, dict[str, float]] = {}
    for outbox_id, table, payload in rows:
        counts: dict[str, int] = {}
        ports = {name: Counted(getattr(deps, name), name, counts, postgres.wire)
                 for name in ("graph", "vectors", "embedder", "cache")}  # fmt: skip
        trips_before = postgres.wire.round_trips
        event = mirroring.parse_db_event(outbox.webhook_body(payload, outbox_id))
        mirroring.apply_db_event(event, db=deps.db, **ports)
        counts["pg round trips"] = postgres.wire.round_trips - trips_before
        totals = per_table.setdefault(table, {"changes": 0})
        totals["changes"] += 1
        for name, count in counts.items():
            totals[name] = totals.get(name, 0) + count
    deps.close()
    return per_table


def report_mirroring(per_table: dict[str, dict[str, float]]) -> None:
    print("\nper outbox change, as the mirroring function applies it (calls per change):")
    columns = ("pg round trips", "pg (embedded stores)", "graph", "vectors", "embedder", "cache")
    print(f"{'table':<16}{'changes':>8}" + "".join(f"{c:>22}" for c in columns))
    for table, totals in sorted(per_table.items()):
        changes = totals["changes"]
        cells = "".join(f"{totals.get(c, 0) / changes:>22.1f}" for c in columns)
        print(f"{table:<16}{changes:>8.0f}{cells}")


def report(n: int, rows: list[tuple[str, dict[str, float]]]) -> None:
    base = dict(rows)["GET /v1/me"]["cpu_ms"] or 1.0
    print(f"{n} warm requests per route; cpu: the function host's, per request")
    print("pg held: ms a server connection spent inside this request's transactions;")
    print("outbox: changes queued per request, each one mirroring invocation (graph, vectors)")
    print(f"{'route':<28}{'pg rt':>7}{'pg held':>8}{'pg KB':>7}{'redis rt':>9}{'redis KB':>9}"
          f"{'cpu ms':>8}{'x me':>6}{'p50 ms':>8}{'resp KB':>8}{'outbox':>7}")  # fmt: skip
    for name, f in rows:
        print(f"{name:<28}{f['pg_trips']:>7.1f}{f['pg_held_ms']:>8.1f}{f['pg_kb']:>7.1f}"
              f"{f['redis_trips']:>9.1f}{f['redis_kb']:>9.1f}{f['cpu_ms']:>8.1f}"
              f"{f['cpu_ms'] / base:>6.1f}{f['p50_ms']:>8.1f}{f['response_kb']:>8.1f}"
              f"{f['outbox']:>7.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
