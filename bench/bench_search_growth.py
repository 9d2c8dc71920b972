"""GET /v1/search's growth filter check (api.search_growth_matches) for the candidates of one
search, against api.card_evolution evaluated card by card (the pipeline's lateral form), for a
person with --cards cards (memories, each grown in one dimension, every tenth in three).

Both run as the person (role authenticated, RLS on) over one kept connection, alternating
request by request, on --candidates entities drawn at random each time. They must agree on every
state (checked each request). Figures: p50 and p95 in ms and the ratio lateral / set-based. The
rows are written in one transaction that is rolled back at the end.

    DATABASE_URL=... uv run python bench/bench_search_growth.py [--cards 10000] [--requests 50]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from dotline.growth_rules import packaged_config
from dotline.settings import get_settings
from dotline_local.bench_support import percentile

PERSON = "69900000-0000-4000-8000-0000000000be"
SEED = """
insert into auth.users (id, email) values (%(person)s, 'bench-search-growth@example.com');
insert into public.memories (user_id, title, content)
select %(person)s, 'Note ' || n, 'Something happened on day ' || n
from generate_series(1, %(cards)s) n;
insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source)
select m.user_id, m.memory_id, 'memory', d.dim_key, 0.1, 'bench'
from public.memories m
cross join lateral unnest(case when m.title like '%%0' then array['self_know', 'self_act',
  'world_know'] else array['self_know'] end) as d (dim_key)
where m.user_id = %(person)s
"""
PICK = (
    "select array_agg(memory_id) as ids from (select memory_id from public.memories "
    "where user_id = %(person)s order by random() limit %(n)s) m"
)
SET_BASED = (
    "select entity_id, evolution_state from api.search_growth_matches("
    "%(types)s::text[], %(ids)s::uuid[], %(rules)s::jsonb, %(default)s, %(states)s::text[])"
)
LATERAL = (
    "select c.source_entity_id as entity_id, e.evolution_state from public.cards c "
    "cross join lateral api.card_evolution(%(rules)s::jsonb, %(default)s, c.card_id) e "
    "where c.source_entity_type = 'memory' and c.source_entity_id = any(%(ids)s::uuid[]) "
    "and e.evolution_state = any(%(states)s::text[])"
)


def timed(run: Callable[[], set[tuple[Any, str]]]) -> tuple[float, set[tuple[Any, str]]]:
    start = time.perf_counter()
    found = run()
    return (time.perf_counter() - start) * 1000, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    config = packaged_config()
    with psycopg.connect(get_settings().database_url.get_secret_value()) as conn:
        for statement in filter(str.strip, SEED.split(";")):
            conn.execute(statement, {"person": PERSON, "cards": args.cards})
        conn.execute("set local role authenticated")
        conn.execute(
            "select set_config('request.jwt.claims', %s, true)",
            (f'{{"sub": "{PERSON}", "role": "authenticated"}}',),
        )
        samples: dict[str, list[float]] = {"set-based": [], "lateral": []}
        for _ in range(args.requests):
            ids = conn.execute(PICK, {"person": PERSON, "n": args.candidates}).fetchone()
            assert ids is not None
            params = {
                "types": ["memory"] * len(ids[0]), "ids": ids[0],
                "rules": Jsonb(config.evolution_rules_json()),
                "default": config.evolution.default, "states": ["sprout", "bloom"],
            }  # fmt: skip
            ms_set, by_set = timed(lambda: set(conn.execute(SET_BASED, params).fetchall()))  # noqa: B023
            ms_lat, by_lat = timed(lambda: set(conn.execute(LATERAL, params).fetchall()))  # noqa: B023
            assert by_set == by_lat, "the two disagree"
            samples["set-based"].append(ms_set)
            samples["lateral"].append(ms_lat)
        conn.rollback()
    p = {name: (percentile(s, 0.5), percentile(s, 0.95)) for name, s in samples.items()}
    print(f"{args.cards} cards, {args.candidates} candidates, {args.requests} requests")
    for name, (p50, p95) in p.items():
        print(f"  {name:10} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms")
    print(f"  lateral / set-based p50: {p['lateral'][0] / p['set-based'][0]:.1f}x")


if __name__ == "__main__":
    main()
