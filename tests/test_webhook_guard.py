"""The webhook under attack and in disorder: one version scheme (a Supabase-shaped delivery is
placed by its outbox row, so it can never freeze a row's mirror), replays refused, malformed
headers and failed authentication answered without a 500 and limited per address, a reference
vanishing under a delivery retried rather than dead."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import psycopg
import pytest

from dotline.bootstrap import deps as container_deps
from dotline.errors import RateLimited, Unauthenticated
from dotline.services import outbox
from dotline.services.outbox import webhook_body
from dotline.settings import Settings
from dotline.webhook_admission import AUTH_FAILURES, admitted_delivery
from dotline.webhooks import signed_headers
from lifecycle_data import add_memory

WEBHOOK = "/v1/internal/db-events"


def vector_text(pg: psycopg.Connection[Any], memory_id: uuid.UUID) -> str | None:
    row = pg.execute(
        "select text from vectors.items where source_entity_id = %s", (memory_id,)
    ).fetchone()
    return None if row is None else str(row[0])


def latest_change(pg: psycopg.Connection[Any], memory_id: uuid.UUID) -> tuple[int, dict[str, Any]]:
    row = pg.execute(
        "select outbox_id, payload from private.outbox where row_key = %s "
        "order by outbox_id desc limit 1",
        (str(memory_id),),
    ).fetchone()
    assert row is not None
    return int(row[0]), dict(row[1])


def post_signed(api: httpx.Client, settings: Settings, body: bytes) -> httpx.Response:
    headers = signed_headers(settings.webhook_secret.get_secret_value(), body)
    return api.post(WEBHOOK, content=body, headers=headers)


def test_a_supabase_shaped_delivery_cannot_freeze_the_rows_later_changes(
    api: httpx.Client, settings: Settings, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a memory, and its insert delivered signed in Supabase's shape (no outbox id)
    user = make_user()
    memory_id = add_memory(pg, user.user_id, "First", content="c")
    insert_id, insert = latest_change(pg, memory_id)
    supabase = post_signed(api, settings, httpx.Request("POST", "/", json=insert).content)

    # when the row changes again and the outbox delivers that change
    pg.execute("update public.memories set title = 'Second' where memory_id = %s", (memory_id,))
    update_id, update = latest_change(pg, memory_id)
    later = post_signed(api, settings, webhook_body(update, update_id))

    # then the Supabase delivery took the outbox's version and the later change still applied
    assert supabase.status_code == 200, supabase.text
    assert (supabase.json()["applied"], supabase.json()["version"]) == (True, insert_id)
    assert later.status_code == 200, later.text
    assert later.json()["applied"] is True
    assert vector_text(pg, memory_id) == "Second\n\nc"


def test_a_supabase_shaped_change_the_outbox_does_not_hold_changes_nothing(
    api: httpx.Client, settings: Settings, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    memory_id = uuid.uuid4()
    record = {"memory_id": str(memory_id), "user_id": str(make_user().user_id), "title": "Made up",
              "content": "c", "updated_at": "9999-12-31T00:00:00+00:00"}  # fmt: skip
    body = {"type": "INSERT", "table": "memories", "schema": "public", "record": record,
            "old_record": None}  # fmt: skip

    response = post_signed(api, settings, httpx.Request("POST", "/", json=body).content)

    assert response.status_code == 200, response.text
    assert response.json()["applied"] is False
    assert response.json()["skipped"] == "not_in_outbox"
    assert vector_text(pg, memory_id) is None


def test_a_replayed_signed_delivery_is_409(
    api: httpx.Client, settings: Settings, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    memory_id = add_memory(pg, user.user_id, "t", content="c")
    body = webhook_body(*reversed(latest_change(pg, memory_id)))  # type: ignore[arg-type]
    headers = signed_headers(settings.webhook_secret.get_secret_value(), body)

    first = api.post(WEBHOOK, content=body, headers=headers)
    replay = api.post(WEBHOOK, content=body, headers=headers)

    assert first.status_code == 200, first.text
    assert replay.status_code == 409, replay.text
    assert replay.headers["content-type"] == "application/problem+json"
    assert replay.json()["type"].endswith("/replayed-delivery")


def test_the_dispatcher_takes_a_replay_refusal_for_the_success_it_stands_for(
    api: httpx.Client, settings: Settings, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a delivery the webhook applied, whose answer was lost, sent again within the second
    user = make_user()
    memory_id = add_memory(pg, user.user_id, "t", content="c")
    outbox_id, payload = latest_change(pg, memory_id)
    sent: list[int] = []
    now_s = time.time()

    def post(body: bytes) -> tuple[int, str]:
        headers = signed_headers(settings.webhook_secret.get_secret_value(), body, now_s=now_s)
        response = api.post(WEBHOOK, content=body, headers=headers)
        sent.append(response.status_code)
        return response.status_code, response.text

    # when the dispatcher delivers it twice
    attempts = [outbox.deliver({"outbox_id": outbox_id, "payload": payload}, post) for _ in "12"]

    # then the replay was refused, and both attempts count as delivered
    assert sent == [200, 409]
    assert [a.delivered for a in attempts] == [True, True]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Dotline-Timestamp": "9" * 400, "X-Dotline-Signature": "v1=00"},
        {"X-Dotline-Timestamp": "\uff11\uff12\uff13", "X-Dotline-Signature": "v1=00"},
        {"X-Dotline-Timestamp": str(int(time.time())), "X-Dotline-Signature": "v1=\u00e9\u00e9"},
        {"Authorization": "Bearer \u00e9"},
    ],
    ids=["400-digit-timestamp", "non-ascii-digits", "non-ascii-signature", "non-ascii-bearer"],
)
def test_malformed_webhook_headers_are_401_not_500(
    api: httpx.Client, headers: dict[str, str]
) -> None:
    encoded = {k: v.encode() for k, v in headers.items()}

    response = api.post(
        WEBHOOK, content=b"{}", headers={"content-type": "application/json", **encoded}
    )

    assert response.status_code == 401, response.text


def test_failed_authentication_is_limited_per_address(settings: Settings) -> None:
    # given an address that failed as often as allowed
    d, body = container_deps(), b"{}"
    address, other = f"198.51.100.{uuid.uuid4().int % 250}", f"203.0.113.{uuid.uuid4().int % 250}"
    bad = {"X-Dotline-Timestamp": str(int(time.time())), "X-Dotline-Signature": "v1=00"}
    for _ in range(AUTH_FAILURES.max_requests):
        with pytest.raises(Unauthenticated), admitted_delivery(d, bad, body, address):
            pass

    # when it sends a failing delivery and then a correctly signed one
    good = signed_headers(settings.webhook_secret.get_secret_value(), body)
    with pytest.raises(RateLimited), admitted_delivery(d, bad, body, address):
        pass
    with pytest.raises(RateLimited), admitted_delivery(d, good, body, address):
        pass

    # then both are refused before any check, while another address is served
    with admitted_delivery(d, good, body, other):
        pass


def test_a_failed_delivery_may_be_sent_again_with_the_same_signature(settings: Settings) -> None:
    d, body = container_deps(), b'{"n": 1}'
    headers = signed_headers(settings.webhook_secret.get_secret_value(), body)

    with pytest.raises(RuntimeError), admitted_delivery(d, headers, body, None):
        raise RuntimeError("the mirror failed")
    with admitted_delivery(d, headers, body, None):
        pass


def test_a_reference_vanishing_under_a_delivery_is_retried_not_dead(
    api: httpx.Client, settings: Settings
) -> None:
    # given a memory change whose owner has no profile (removed while it was queued)
    orphan = {"memory_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4()), "title": "t",
              "content": "c", "importance": 0.5}  # fmt: skip
    payload = {"type": "INSERT", "table": "memories", "schema": "public", "record": orphan,
               "old_record": None}  # fmt: skip
    endpoint_calls: list[int] = []

    def post(body: bytes) -> tuple[int, str]:
        response = post_signed(api, settings, body)
        endpoint_calls.append(response.status_code)
        return response.status_code, response.text

    # when it is delivered
    attempt = outbox.deliver(
        {"outbox_id": 10**12 + uuid.uuid4().int % 10**9, "payload": payload}, post
    )

    # then the webhook answers 503, which the outbox retries
    assert endpoint_calls == [503]
    assert (attempt.delivered, attempt.permanent) == (False, False)
