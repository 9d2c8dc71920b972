"""What keeping cards current costs a delivery: the database webhook's time per change, by table,
against a message delivery (the webhook's floor: signature, ledger, cache) in the same run.

One person gets a conversation with messages, concepts linked to a hub concept, and growth events
on those concepts; each change's outbox row is then posted to a gateway's webhook, signed, as the
dispatcher would (table by table, interleaved), and timed. A growth event delivery recomputes its
card's evolution and notes it; a concept delivery mirrors the node and its edges, recounts the
connections of it and its neighbours and re-evaluates their cards. The person and their outbox
rows are deleted at the end.

    DATABASE_URL=... uv run python bench/bench_card_pipeline.py [--changes 200]
"""

from __future__ import annotations

import argparse
import collections
import time
import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from dotline.services import outbox
from dotline.settings import get_settings
from dotline.webhooks import WebhookEndpoint
from dotline_local.bench_support import gateway_on_free_port, percentile, remove_people
from dotline_local.tokens import sign_up

TABLES = ("messages", "growth_events", "concepts")
_ROWS = """
select outbox_id, table_name, payload from private.outbox
where status = 'pending' and table_name = any(%(tables)s)
  and coalesce(payload -> 'record' ->> 'user_id', payload -> 'old_record' ->> 'user_id') = %(user)s
order by outbox_id
"""


def seed(admin: psycopg.Connection[Any], user_id: uuid.UUID, changes: int) -> None:
    """`changes` messages, concepts (each linked to the hub) and growth events for one person."""
    conversation = admin.execute(
        "insert into public.conversations (user_id) values (%s) returning conversation_id",
        (user_id,),
    ).fetchone()
    assert conversation is not None
    admin.execute(
        "insert into public.messages (conversation_id, user_id, role, content)"
        " select %s, %s, 'user', 'message ' || n from generate_series(1, %s) n",
        (conversation[0], user_id, changes),
    )
    hub = admin.execute(
        "insert into public.concepts (user_id, name, type) values (%s, 'hub', 'topic')"
        " returning concept_id",
        (user_id,),
    ).fetchone()
    assert hub is not None
    admin.execute(
        "insert into public.concepts (user_id, name, type, attributes)"
        " select %s, 'concept ' || n, 'topic', %s from generate_series(1, %s) n",
        (user_id, Jsonb({"related_concept_ids": [str(hub[0])]}), changes),
    )
    admin.execute(
        "insert into public.growth_events (user_id, entity_type, entity_id, dim_key, delta, source)"
        " select user_id, 'concept', concept_id,"
        " (array['self_know','self_act','self_show','world_know','world_act','world_show'])"
        "[1 + (row_number() over ()) %% 6], 0.1, 'bench'"
        " from public.concepts where user_id = %s",
        (user_id,),
    )


def deliver(
    admin: psycopg.Connection[Any], endpoint: WebhookEndpoint, user_id: uuid.UUID
) -> dict[str, list[float]]:
    """Post every pending row of the person, oldest first, timing each by table."""
    rows = admin.execute(_ROWS, {"tables": list(TABLES), "user": str(user_id)}).fetchall()
    by_table: dict[str, list[tuple[int, Any]]] = collections.defaultdict(list)
    for outbox_id, table, payload in rows:
        by_table[table].append((outbox_id, payload))
    samples: dict[str, list[float]] = collections.defaultdict(list)
    # Concepts first (the graph must hold them before their growth is evaluated), then the
    # messages and the growth events interleaved, so both see the same machine.
    for table in ("concepts",):
        samples[table] = [_post(endpoint, *row) for row in by_table[table]]
    for message, event in zip(by_table["messages"], by_table["growth_events"], strict=False):
        samples["messages"].append(_post(endpoint, *message))
        samples["growth_events"].append(_post(endpoint, *event))
    return samples


def _post(endpoint: WebhookEndpoint, outbox_id: int, payload: Any) -> float:
    started = time.perf_counter()
    attempt = outbox.deliver({"outbox_id": outbox_id, "payload": payload}, endpoint.post)
    if not attempt.delivered:
        raise RuntimeError(f"delivery {outbox_id} failed: {attempt.error}")
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200, help="changes of each kind")
    args = parser.parse_args()
    settings = get_settings()
    dsn = settings.database_url.get_secret_value()
    with psycopg.connect(dsn, autocommit=True) as admin:
        user_id = sign_up(admin, f"bench-{uuid.uuid4().hex[:12]}@example.com")
        try:
            seed(admin, user_id, args.changes)
            with gateway_on_free_port("bench-card-pipeline-gateway") as url:
                endpoint = WebhookEndpoint(
                    url + "/v1/internal/db-events", settings.webhook_secret.get_secret_value(), 30.0
                )
                samples = deliver(admin, endpoint, user_id)
                endpoint.close()
        finally:
            admin.execute(
                "delete from private.outbox where coalesce(payload -> 'record' ->> 'user_id',"
                " payload -> 'old_record' ->> 'user_id') = %s",
                (str(user_id),),
            )
            remove_people(admin, [user_id])
    base50, base95 = percentile(samples["messages"], 0.5), percentile(samples["messages"], 0.95)
    print(f"database webhook per delivery, {args.changes} changes of each kind for one person")
    for table, what in (
        ("messages", "message (baseline: ledger + cache only)"),
        ("growth_events", "growth event (evolution re-evaluated, noted)"),
        ("concepts", "concept (node, edge, recount of it and the hub, their cards)"),
    ):
        p50, p95 = percentile(samples[table], 0.5), percentile(samples[table], 0.95)
        print(f"  {what:62} p50 {p50:6.1f} ms ({p50 / base50:4.2f}x)"
              f"   p95 {p95:6.1f} ms ({p95 / base95:4.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
