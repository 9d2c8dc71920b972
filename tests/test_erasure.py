"""DELETE /v1/me: a person erased from Auth, Postgres, graph, vectors, cache and S3, then probed.

S3 is moto's server and Auth the local admin emulation (`dotline_local.auth_admin`), each on a
free port; everything else is the real local stack. The gateway and the services under test are
pointed at that Auth with SUPABASE_URL, keeping the token issuer as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import boto3
import httpx
import psycopg
import pytest
import redis
from moto.server import ThreadedMotoServer

from conftest import free_port
from dotline import cache_keys
from dotline.bootstrap import Deps
from dotline.services.lifecycle import erasure
from dotline.settings import Settings
from lifecycle_data import add_memory, cache_state, jsonb, mirror

BUCKET = "dotline-erasure-test"


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    _s3(url).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def _s3(url: str) -> Any:
    return boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="dotline-local", aws_secret_access_key="dotline-local",
    )  # fmt: skip


@pytest.fixture(scope="module")
def stores_env(settings: Settings, s3_url: str, auth_url: str) -> dict[str, str]:
    """Where the functions find S3 and Auth for these tests (tokens keep their issuer)."""
    return {
        "S3_ENDPOINT_URL": s3_url, "MEDIA_BUCKET": BUCKET,
        "SUPABASE_URL": auth_url, "SUPABASE_JWT_ISSUER": settings.jwt_issuer,
    }  # fmt: skip


@pytest.fixture
def deps(settings: Settings, s3_url: str, auth_url: str) -> Deps:
    update = {
        "s3_endpoint_url": s3_url, "media_bucket": BUCKET,
        "supabase_url": auth_url, "supabase_jwt_issuer": settings.jwt_issuer,
    }  # fmt: skip
    return Deps(settings=settings.model_copy(update=update))


@pytest.fixture(scope="module")
def erasing_api(
    start_gateway: Callable[..., str], stores_env: dict[str, str]
) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=start_gateway(stores_env), timeout=30) as client:
        yield client


def person_everywhere(pg: psycopg.Connection[Any], deps: Deps, s3_url: str, user_id: UUID) -> str:
    """Memories, linked concepts, a card, an import, media in S3 and cache keys; returns the media
    key."""
    memory = add_memory(pg, user_id, "Lisbon trip")
    add_memory(pg, user_id, "First bike")
    first, second = uuid.uuid4(), uuid.uuid4()
    pg.execute(
        "insert into public.concepts (concept_id, user_id, name, type, attributes) values "
        "(%s, %s, 'travel', 'topic', '{}'), (%s, %s, 'family', 'topic', %s)",
        (first, user_id, second, user_id, jsonb({"related_concept_ids": [str(first)]})),
    )
    pg.execute(  # some memories get their card by trigger already
        "insert into public.cards (user_id, card_type, source_entity_id, source_entity_type) "
        "values (%s, 'memory', %s, 'memory') on conflict do nothing",
        (user_id, memory),
    )
    card = pg.execute(
        "select card_id from public.cards where source_entity_id = %s", (memory,)
    ).fetchone()
    assert card is not None
    key = f"media/{user_id}/{uuid.uuid4()}.jpg"
    _s3(s3_url).put_object(Bucket=BUCKET, Key=key, Body=b"jpeg bytes")
    pg.execute(
        "insert into public.media_items (user_id, memory_id, type, storage_url) "
        "values (%s, %s, 'image', %s)",
        (user_id, memory, f"s3://{BUCKET}/{key}"),
    )
    pg.execute(  # a bulk import of history (POST /v1/imports) is theirs too
        "insert into public.imports (import_id, user_id, kind, request_hash) "
        "values (%s, %s, 'memories', 'h')",
        (uuid.uuid4(), user_id),
    )
    mirror(pg, deps, user_id)
    cache_state(deps, user_id)
    deps.cache.set_json(cache_keys.session(user_id, "s1"), {"device": "phone"}, ttl_s=600)
    deps.cache.set_json(cache_keys.card_growth(card[0]), {"level": 2}, ttl_s=600)
    return key


def holdings(
    pg: psycopg.Connection[Any], s3_url: str, user_id: UUID, media_key: str
) -> dict[str, Any]:
    """What every store holds of the person, probed directly (not through the code under test).
    The erasure tombstone (the bare id, so the person's tokens are refused) is not a holding."""
    row = pg.execute("select private.count_user_rows(%s)", (user_id,)).fetchone()
    edges = pg.execute("select count(*) from graph.edges where user_id = %s", (user_id,)).fetchone()
    nodes = pg.execute("select count(*) from graph.nodes where user_id = %s", (user_id,)).fetchone()
    items = pg.execute(
        "select count(*) from vectors.items where user_id = %s", (user_id,)
    ).fetchone()
    tombstone = cache_keys.erasure_tombstone(user_id).encode()
    keys = [
        key
        for key in redis.Redis(port=6379).scan_iter(match=f"*{user_id}*", count=1000)
        if key != tombstone
    ]
    objects = _s3(s3_url).list_objects_v2(Bucket=BUCKET, Prefix=media_key).get("KeyCount", 0)
    assert row and edges and nodes and items
    return {
        "rows": row[0], "nodes": nodes[0], "edges": edges[0], "vectors": items[0],
        "keys": len(keys), "objects": objects,
    }  # fmt: skip


def test_a_person_is_erased_from_every_store_and_nobody_else_is(
    pg: psycopg.Connection[Any], deps: Deps, s3_url: str, make_user: Any, erasing_api: httpx.Client
) -> None:
    # given two people with data in every store
    leaver, stayer = make_user(), make_user()
    leaver_media = person_everywhere(pg, deps, s3_url, leaver.user_id)
    stayer_media = person_everywhere(pg, deps, s3_url, stayer.user_id)
    before = holdings(pg, s3_url, stayer.user_id, stayer_media)
    # (edges: the concepts' RELATED_TO, and the person CREATED each of the two memories)
    assert holdings(pg, s3_url, leaver.user_id, leaver_media)["edges"] == 3

    # when one of them asks to be erased
    response = erasing_api.delete("/v1/me", headers=leaver.headers)

    # then every store is verified clean of them, with what each store removed
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["status"] == "verified"
    assert report["remaining"] == {}
    assert report["removed"]["auth"] == 1
    assert report["removed"]["media"] == 1
    assert report["removed"]["graph"] == 5  # their User node, 2 memories, 2 concepts
    assert report["removed"]["vectors"] == 4
    assert report["removed"]["cache"] >= 5
    assert report["removed"]["postgres"] > 0
    assert holdings(pg, s3_url, leaver.user_id, leaver_media) == {
        "rows": {}, "nodes": 0, "edges": 0, "vectors": 0, "keys": 0, "objects": 0,
    }  # fmt: skip
    # and the other person's data is untouched
    assert holdings(pg, s3_url, stayer.user_id, stayer_media) == before


def test_erasing_again_is_refused_to_the_erased_token_and_safe_as_a_retry(
    pg: psycopg.Connection[Any], deps: Deps, s3_url: str, make_user: Any, erasing_api: httpx.Client
) -> None:
    # given a person already erased
    user = make_user()
    person_everywhere(pg, deps, s3_url, user.user_id)
    first = erasing_api.delete("/v1/me", headers=user.headers)
    assert first.status_code == 200, first.text

    # when the request is repeated with the same token (a double tap), and run again as a retry
    again = erasing_api.delete("/v1/me", headers=user.headers)
    retried = erasure.erase_user(deps, user.user_id)

    # then the token is refused, and the retry reports the same verified state, removing nothing
    # more but the rate-limit counter the refused request made (it expires with its window)
    assert again.status_code == 401, again.text
    assert retried.status == "verified"
    assert retried.attempts == 2
    removed, first_removed = dict(retried.removed), first.json()["removed"]
    assert removed.pop("cache") == first_removed.pop("cache") + 1
    assert removed == first_removed
    assert holdings(pg, s3_url, user.user_id, "nothing")["keys"] == 0


class BrokenGraph:
    """A graph store that is down."""

    def erase_user(self, user_id: UUID) -> int:
        raise ConnectionError("graph unreachable")

    def subgraph(self, user_id: UUID) -> Any:
        raise ConnectionError("graph unreachable")


def test_a_store_that_fails_leaves_the_erasure_pending_until_a_retry_verifies_it(
    pg: psycopg.Connection[Any], deps: Deps, s3_url: str, make_user: Any
) -> None:
    # given a person with data everywhere, and the graph down
    user = make_user()
    media = person_everywhere(pg, deps, s3_url, user.user_id)
    down = Deps(settings=deps.settings)
    down.__dict__["graph"] = BrokenGraph()  # fakes enter through the composition root

    # when they ask to be erased while the graph is down
    pending = erasure.erase_user(down, user.user_id)

    # then the erasure is pending: the rest is done, the account kept until the graph is clean
    assert pending.status == "pending"
    assert pending.failed_steps == ["graph"]
    assert pending.remaining["graph"] == -1
    assert holdings(pg, s3_url, user.user_id, media)["objects"] == 0
    assert pg.execute("select 1 from auth.users where id = %s", (user.user_id,)).fetchone()
    assert "auth" not in pending.removed

    # when the retention run retries pending erasures with the graph back
    attempted, verified = erasure.retry_pending(deps)

    # then the erasure is verified and nothing of theirs is left anywhere
    assert attempted >= 1 and verified >= 1
    row = pg.execute(
        "select status, attempts from private.erasures where user_id = %s", (user.user_id,)
    ).fetchone()
    assert row == ("verified", 2)
    assert holdings(pg, s3_url, user.user_id, media) == {
        "rows": {}, "nodes": 0, "edges": 0, "vectors": 0, "keys": 0, "objects": 0,
    }  # fmt: skip


def test_an_erasure_auth_refuses_answers_202_and_the_retry_finishes_it(
    pg: psycopg.Connection[Any],
    deps: Deps,
    s3_url: str,
    make_user: Any,
    start_gateway: Callable[..., str],
    stores_env: dict[str, str],
) -> None:
    # given a gateway whose Auth admin calls are refused (a rotated service-role key)
    user = make_user()
    media = person_everywhere(pg, deps, s3_url, user.user_id)
    env = {**stores_env, "SUPABASE_SERVICE_ROLE_KEY": "stale"}
    with httpx.Client(base_url=start_gateway(env), timeout=30) as refused:
        # when the person asks to be erased
        response = refused.delete("/v1/me", headers=user.headers)

    # then the answer is 202 with the erasure pending on Auth, and the account marked deleted
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["status"], body["failed_steps"]) == ("pending", ["auth"])
    assert body["remaining"]["postgres"] > 0
    status = pg.execute(
        "select account_status from public.profiles where user_id = %s", (user.user_id,)
    ).fetchone()
    assert status == ("deleted",)

    # when the retention run retries it with a good key
    erasure.retry_pending(deps)

    # then nothing of theirs is left
    assert holdings(pg, s3_url, user.user_id, media) == {
        "rows": {}, "nodes": 0, "edges": 0, "vectors": 0, "keys": 0, "objects": 0,
    }  # fmt: skip


def test_a_long_history_is_erased_in_batches_before_auth_and_queues_no_deliveries(
    pg: psycopg.Connection[Any],
    deps: Deps,
    s3_url: str,
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a person with more memories than a batch (here 5), and a conversation's messages
    user = make_user()
    media = person_everywhere(pg, deps, s3_url, user.user_id)
    memories = [add_memory(pg, user.user_id, f"day {n}") for n in range(11)]
    conversation = pg.execute(
        "insert into public.conversations (user_id) values (%s) returning conversation_id",
        (user.user_id,),
    ).fetchone()
    assert conversation is not None
    pg.execute(
        "insert into public.messages (conversation_id, user_id, role, content)"
        " select %s, %s, 'user', 'line ' || n from generate_series(1, 7) as n",
        (conversation[0], user.user_id),
    )
    mirror(pg, deps, user.user_id)
    monkeypatch.setattr(erasure, "BULK_BATCH", 5)
    deletes = (
        "select count(*) from private.outbox where table_name in ('memories', 'messages')"
        " and event_type = 'DELETE' and row_key = any(%s)"
    )
    keys = [str(m) for m in memories]

    # when they are erased
    report = erasure.erase_user(deps, user.user_id)

    # then everything is gone and verified, and the memories' deletes queued no outbox delivery
    # or store removal (each would only have told the emptied stores about an erased person)
    assert report.status == "verified", report
    assert report.removed["postgres"] > len(memories)
    assert pg.execute(deletes, (keys,)).fetchone() == (0,)
    queued = "select count(*) from private.lifecycle_removals where user_id = %s"
    assert pg.execute(queued, (user.user_id,)).fetchone() == (0,)  # nor store removals
    assert holdings(pg, s3_url, user.user_id, media) == {
        "rows": {}, "nodes": 0, "edges": 0, "vectors": 0, "keys": 0, "objects": 0,
    }  # fmt: skip


def test_a_batch_of_erasure_is_refused_without_an_erasure_request(
    pg: psycopg.Connection[Any], make_user: Any
) -> None:
    user = make_user()
    add_memory(pg, user.user_id, "kept")

    with pytest.raises(psycopg.errors.InvalidParameterValue):
        pg.execute("select private.erase_rows_batch(%s, 'memories', 10)", (user.user_id,))

    kept = pg.execute("select count(*) from public.memories where user_id = %s", (user.user_id,))
    assert kept.fetchone() == (1,)
