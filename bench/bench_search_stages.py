"""Where an in-process search's time goes, stage by stage, for a user bench_search.py kept.

Wraps the search module's stages with timers (the vector channel and, inside it, the embedding,
the store's version check and its search; the text candidates' SQL; the context read and the
graph hop, which run side by side; the re-read; the ranking) and prints per-search mean, p50
and p95 of each beside the whole search. The vector channel runs beside the text SQL, so the
whole is not the sum: it is about max(text, vector) + max(graph, context) + re-read + ranking.

Run with `uv run python bench/bench_search_stages.py .stack/bench100k.json` after
`uv run python bench/bench_search.py --users 1 --memories 100000 --keep .stack/bench100k.json`.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from itertools import cycle
from pathlib import Path
from typing import Any

from dotline.auth import Principal
from dotline.bootstrap import Deps
from dotline.models.search import SearchFilters
from dotline.services.search import search
from dotline.settings import get_settings
from dotline_local.bench_support import percentile
from dotline_local.search_corpus import build_corpus

STAGES = {
    "vector_channel": "vector channel",
    "read_context": "context read",
    "expand_through_graph": "graph hop",
    "_reread": "re-read",
    "_ranked": "ranking",
}


def timing(samples: dict[str, list[float]], label: str, call: Callable[..., Any]) -> Any:
    """`call`, recording each run's milliseconds under `label`."""

    @functools.wraps(call)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            samples[label].append((time.perf_counter() - started) * 1000)

    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kept", type=Path, help="the file bench_search.py --keep wrote")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    user_id = uuid.UUID(json.loads(args.kept.read_text())["loaded"][0]["user_id"])
    deps = Deps(settings=get_settings())
    user = Principal(user_id, {"sub": str(user_id), "role": "authenticated"})
    samples: dict[str, list[float]] = defaultdict(list)
    for name, label in STAGES.items():
        setattr(search, name, timing(samples, label, getattr(search, name)))
    stores = deps.search_stores()
    stores.embedder.embed = timing(samples, "  embedding", stores.embedder.embed)  # type: ignore[method-assign]
    stores.vectors.matrix = timing(samples, "  version check", stores.vectors.matrix)  # type: ignore[attr-defined]
    stores.vectors.search = timing(samples, "  vector search", stores.vectors.search)  # type: ignore[method-assign]
    fetch = stores.db.fetch_as_user
    stores.db.fetch_as_user = lambda u, sql, params=None, **kw: (  # type: ignore[method-assign]
        timing(samples, "text SQL", fetch)(u, sql, params, **kw)
        if "search_candidates" in str(sql)
        else fetch(u, sql, params, **kw)
    )
    queries = cycle(q.text for q in build_corpus(seed=7).questions)
    try:
        for i in range(args.warmup + args.requests):
            if i == args.warmup:
                samples.clear()
            run = timing(samples, "SEARCH", search.search)
            run(stores, user, next(queries), SearchFilters(), limit=10)
    finally:
        deps.db.close()
    print(f"{args.requests} in-process searches of {args.kept}")
    for label, values in sorted(samples.items(), key=lambda kv: -sum(kv[1])):
        mean = sum(values) / args.requests
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        print(f"  {label:16s} {mean:7.2f} ms a search   p50 {p50:7.2f}   p95 {p95:7.2f}")


if __name__ == "__main__":
    main()
