"""GET /v1/me/export over the inline limit: the document stored in S3 (moto) behind a short-lived
link, and removed again when the person erases themselves (DELETE /v1/me).

The gateway under test has EXPORT_INLINE_MAX_BYTES lowered so a few memories are "large"; the
gateway with default settings (`api`) answers the same person's export inline, to compare.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from dotline.bootstrap import Deps
from dotline.settings import Settings
from lifecycle_data import add_memory, cache_state, mirror

pytest_plugins = ["media_storage"]

SMALL_LIMIT_BYTES = 2_000  # a profile alone fits; a few memories with their graph do not


@pytest.fixture(scope="module")
def exporting_api(
    start_gateway: Callable[..., str], moto_s3: Any, auth_url: str, settings: Settings
) -> Iterator[httpx.Client]:
    env = {
        **moto_s3.env(),
        "EXPORT_INLINE_MAX_BYTES": str(SMALL_LIMIT_BYTES),
        "SUPABASE_URL": auth_url,
        "SUPABASE_JWT_ISSUER": settings.jwt_issuer,
    }
    with httpx.Client(base_url=start_gateway(env), timeout=30) as client:
        yield client


@pytest.fixture
def deps(settings: Settings) -> Deps:
    return Deps(settings=settings)


def person_with_data(pg: psycopg.Connection[Any], deps: Deps, user_id: Any) -> None:
    for title in ("Lisbon trip", "First bike", "Grandma's garden", "The night shift"):
        add_memory(pg, user_id, title)
    mirror(pg, deps, user_id)
    cache_state(deps, user_id)


def without_stamp(document: dict[str, Any]) -> dict[str, Any]:
    """The document without its time stamp, nor the day's request count (each export request
    adds to it)."""
    cache = {
        key: {n: c for n, c in value.items() if n != "requests"} if key.endswith(":stats:daily")
        else value
        for key, value in document.get("cache", {}).items()
    }  # fmt: skip
    return {key: value for key, value in document.items() if key != "exported_at"} | {
        "cache": cache
    }


def stored_exports(moto_s3: Any, user_id: Any) -> list[str]:
    listing = moto_s3.client.list_objects_v2(Bucket=moto_s3.bucket, Prefix=f"exports/{user_id}/")
    return [obj["Key"] for obj in listing.get("Contents", [])]


def test_a_large_export_is_a_link_to_the_same_document_stored_in_s3(
    pg: psycopg.Connection[Any],
    deps: Deps,
    make_user: Any,
    exporting_api: httpx.Client,
    api: httpx.Client,
    moto_s3: Any,
) -> None:
    # given a person whose export is over the inline limit
    user = make_user()
    person_with_data(pg, deps, user.user_id)
    # (already active this minute: a GET marks its caller active after its own answer, so the
    # first export would not show what the second does)
    assert api.get("/v1/me", headers=user.headers).status_code == 200

    # when they export their data
    response = exporting_api.get("/v1/me/export", headers=user.headers)

    # then the answer is a short-lived link, not the document
    assert response.status_code == 200, response.text
    link = response.json()
    assert set(link) == {"export_id", "download_url", "expires_at", "size_bytes", "exported_at"}
    expires_at = datetime.fromisoformat(link["expires_at"])
    assert datetime.now(UTC) < expires_at <= datetime.now(UTC) + timedelta(minutes=16)
    assert link["size_bytes"] > SMALL_LIMIT_BYTES
    # and it is stored encrypted as JSON under the person's exports prefix
    key = f"exports/{user.user_id}/{link['export_id']}.json"
    assert stored_exports(moto_s3, user.user_id) == [key]
    head = moto_s3.client.head_object(Bucket=moto_s3.bucket, Key=key)
    assert head["ContentType"] == "application/json"
    assert head["ServerSideEncryption"] == "AES256"
    # and the link serves, as a download, what an inline export of the same data says
    download = httpx.get(link["download_url"], timeout=10)
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert len(download.content) == link["size_bytes"]
    stored = json.loads(download.content)
    inline = api.get("/v1/me/export", headers=user.headers)
    assert inline.status_code == 200, inline.text
    assert "download_url" not in inline.json()
    assert without_stamp(stored) == without_stamp(inline.json())
    assert stored["exported_at"] == link["exported_at"]
    assert {m["title"] for m in stored["postgres"]["public.memories"]} >= {"Lisbon trip"}


def test_a_small_export_stays_inline_and_stores_nothing(
    make_user: Any, exporting_api: httpx.Client, moto_s3: Any
) -> None:
    # given a person with nothing but a profile (under the inline limit)
    user = make_user()

    # when they export
    response = exporting_api.get("/v1/me/export", headers=user.headers)

    # then the document is the answer and no object was stored
    assert response.status_code == 200, response.text
    assert response.json()["postgres"]["public.profiles"][0]["user_id"] == str(user.user_id)
    assert stored_exports(moto_s3, user.user_id) == []


def test_erasure_removes_the_persons_stored_exports_and_nobody_elses(
    pg: psycopg.Connection[Any],
    deps: Deps,
    make_user: Any,
    exporting_api: httpx.Client,
    moto_s3: Any,
) -> None:
    # given two people who each stored a large export
    leaver, stayer = make_user(), make_user()
    for user in (leaver, stayer):
        person_with_data(pg, deps, user.user_id)
        assert "download_url" in exporting_api.get("/v1/me/export", headers=user.headers).json()
    assert len(stored_exports(moto_s3, leaver.user_id)) == 1

    # when one of them erases themselves
    response = exporting_api.delete("/v1/me", headers=leaver.headers)

    # then their stored export is gone and counted, and the other person's is still there
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["removed"]["exports"] == 1
    assert report["remaining"] == {}
    assert stored_exports(moto_s3, leaver.user_id) == []
    assert len(stored_exports(moto_s3, stayer.user_id)) == 1
