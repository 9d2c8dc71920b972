"""Growth summary and card gallery: GET /v1/growth and GET /v1/cards through the gateway against
the same SQL run directly, for people with 100k growth events and 2k cards each.

The direct side runs exactly what the services run (api.growth_summary; the gallery's page query
with api.card_evolution), in the same kind of transaction (role authenticated, the caller's
claims, RLS on), over one kept connection. The gateway side adds HTTP, token check, rate limits,
the growth configuration read and the gallery's cache writes. The two alternate request by
request, so both see the same noise from the rest of the machine. Figures: p50 and p95 in ms and
their ratio gateway / direct. Seed rows are written with triggers off (session_replication_role
= replica), so the outbox does not carry 100k changes to other stores; they are deleted at the end.

    DATABASE_URL=... uv run python bench/bench_growth.py [--requests 100] [--events 100000] [--cards 2000]
"""

from __future__ import annotations

import argparse
import collections
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
from psycopg.types.json import Jsonb

from dotline.growth_rules import packaged_config
from dotline.settings import get_settings
from dotline_local.bench_support import gateway_on_free_port, percentile, remove_people
from dotline_local.tokens import mint_token, sign_up

REQUESTS_PER_USER = 50  # two routes each: 100 a user a minute, under the 120 per-user limit
WARMUP = 5
PAGE = 20
SEED_CARDS = """
insert into public.cards (user_id, card_type, source_entity_id, source_entity_type, created_at)
select %(user_id)s, kind, gen_random_uuid(), kind, now() - make_interval(mins => n)
from generate_series(1, %(cards)s) n, lateral (select case when n %% 2 = 0 then 'memory'
                                                            else 'concept' end as kind) k
"""
SEED_STATS = """
insert into public.graph_connection_stats (user_id, entity_type, entity_id, connection_count)
select user_id, source_entity_type, source_entity_id, (hashtext(card_id::text) & 15)
from public.cards where user_id = %(user_id)s
"""
SEED_EVENTS = """
with c as (
  select row_number() over (order by card_id) as i, source_entity_type, source_entity_id
  from public.cards where user_id = %(user_id)s
)
insert into public.growth_events (user_id, entity_type, entity_id, dim_key, delta, source, created_at)
select %(user_id)s, c.source_entity_type, c.source_entity_id,
       (array['self_know','self_act','self_show','world_know','world_act','world_show'])[1 + n %% 6],
       0.05, 'bench', now() - make_interval(mins => n %% 525600)
from generate_series(1, %(events)s) n
join c on c.i = 1 + (hashtext(n::text) & 2147483647) %% %(cards)s
"""
# The gallery's page query as services/cards.py runs it without an evolution filter: the page is
# cut first, then only its cards are evaluated.
GALLERY = (
    "select c.card_id, c.card_type, c.source_entity_type, c.source_entity_id, c.status,"
    " c.is_favorited, c.display_data, c.created_at, c.updated_at,"
    " e.evolution_state, e.connection_count, e.dimension_count"
    " from (select * from public.cards c where c.user_id = %(user_id)s"
    " order by c.created_at desc, c.card_id desc limit %(limit)s) c"
    " cross join lateral api.card_evolution(%(rules)s, %(default)s, c.card_id) e"
    " order by c.created_at desc, c.card_id desc"
)
# What it ran before (and still runs with an evolution_state filter): every card evaluated.
GALLERY_ALL = (
    "select c.card_id, e.evolution_state, e.connection_count, e.dimension_count"
    " from public.cards c"
    " join api.card_evolution(%(rules)s, %(default)s, %(card_id)s) e on e.card_id = c.card_id"
    " where c.user_id = %(user_id)s order by c.created_at desc, c.card_id desc limit %(limit)s"
)
SUMMARY = "select * from api.growth_summary(%(user_id)s)"


def seed(admin: psycopg.Connection[Any], user_id: uuid.UUID, events: int, cards: int) -> None:
    """One person's cards, connection counts and growth events, triggers off."""
    with admin.transaction():
        admin.execute("set local session_replication_role = replica")
        params = {"user_id": user_id, "events": events, "cards": cards}
        for statement in (SEED_CARDS, SEED_STATS, SEED_EVENTS):
            admin.execute(statement, params)
    admin.execute("analyze public.growth_events")
    admin.execute("analyze public.cards")


def unseed(admin: psycopg.Connection[Any], users: list[uuid.UUID]) -> None:
    with admin.transaction():
        admin.execute("set local session_replication_role = replica")
        for table in ("growth_events", "graph_connection_stats", "cards"):
            admin.execute(f"delete from public.{table} where user_id = any(%s)", (users,))  # noqa: S608
    remove_people(admin, users)


def direct(
    conn: psycopg.Connection[Any], user_id: uuid.UUID, query: str, params: dict[str, Any]
) -> None:
    """The service's query in the service's kind of transaction (as the user, RLS on)."""
    claims = json.dumps({"sub": str(user_id), "role": "authenticated"})
    with conn.transaction():
        conn.execute("select set_config('role', 'authenticated', true),"
                     " set_config('request.jwt.claims', %s, true)", (claims,))  # fmt: skip
        conn.execute(query, params).fetchall()


def timed(fn: Callable[[], None]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def one_round(
    client: httpx.Client,
    conn: psycopg.Connection[Any],
    user_id: uuid.UUID,
    token: str,
    rules: dict[str, Any],
) -> dict[str, float]:
    """One timed request per route and side, alternating gateway and direct SQL."""
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str, params: dict[str, Any] | None = None) -> None:
        response = client.get(path, params=params, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")

    return {
        "summary_gw": timed(lambda: get("/v1/growth")),
        "summary_sql": timed(lambda: direct(conn, user_id, SUMMARY, {"user_id": user_id})),
        "gallery_gw": timed(lambda: get("/v1/cards", {"limit": PAGE})),
        "gallery_sql": timed(lambda: direct(conn, user_id, GALLERY, {**rules, "user_id": user_id})),
        "gallery_all_sql": timed(
            lambda: direct(conn, user_id, GALLERY_ALL, {**rules, "user_id": user_id})
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="timed requests per route")
    parser.add_argument("--events", type=int, default=100_000, help="growth events per person")
    parser.add_argument("--cards", type=int, default=2_000, help="cards per person")
    args = parser.parse_args()
    settings = get_settings()
    dsn = settings.database_url.get_secret_value()
    config = packaged_config()
    rules = {"rules": Jsonb(config.evolution_rules_json()), "default": config.evolution.default,
             "card_id": None, "limit": PAGE + 1}  # fmt: skip
    n_users = -(-(args.requests + WARMUP) // REQUESTS_PER_USER)
    with psycopg.connect(dsn, autocommit=True) as admin:
        users = [
            sign_up(admin, f"bench-{uuid.uuid4().hex[:12]}@example.com") for _ in range(n_users)
        ]
        try:
            started = time.perf_counter()
            for user_id in users:
                seed(admin, user_id, args.events, args.cards)
            seeded_s = time.perf_counter() - started
            tokens = [mint_token(u, "bench@example.com", settings=settings) for u in users]
            samples: dict[str, list[float]] = collections.defaultdict(list)
            with (
                gateway_on_free_port("bench-growth-gateway") as url,
                httpx.Client(base_url=url, timeout=30) as client,
                psycopg.connect(dsn, autocommit=True) as conn,
            ):
                for i in range(args.requests + WARMUP):
                    figures = one_round(client, conn, users[i // REQUESTS_PER_USER],
                                        tokens[i // REQUESTS_PER_USER], rules)  # fmt: skip
                    if i >= WARMUP:
                        for key, ms in figures.items():
                            samples[key].append(ms)
        finally:
            unseed(admin, users)

    print(f"growth summary and card gallery, {args.requests} requests per route, {n_users} people"
          f" of {args.events:,} growth events and {args.cards:,} cards each (seeded in {seeded_s:.1f} s),"
          " gateway and direct SQL alternating request by request")  # fmt: skip
    for route, key in (("GET /v1/growth", "summary"), (f"GET /v1/cards?limit={PAGE}", "gallery")):
        print(
            f"  {route:24} gateway vs the same SQL direct:  "
            + ratios(samples, f"{key}_gw", f"{key}_sql")
        )
    print(f"  {'gallery page query':24} paged first vs every card evaluated: "
          + ratios(samples, "gallery_sql", "gallery_all_sql"))  # fmt: skip


def ratios(samples: dict[str, list[float]], side: str, baseline: str) -> str:
    """p50 and p95 of `side` against `baseline`, in ms and as ratios."""
    figures = []
    for name, q in (("p50", 0.5), ("p95", 0.95)):
        a, b = percentile(samples[side], q), percentile(samples[baseline], q)
        figures.append(f"{name} {a:7.1f} vs {b:7.1f} ms = {a / b:5.2f}x")
    return "   ".join(figures)


if __name__ == "__main__":
    main()
