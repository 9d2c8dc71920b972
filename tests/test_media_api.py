"""/v1/media through the real gateway, Postgres, row-level security and moto's S3 server."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import psycopg
import pytest

from media_uploads import jpeg, key_of, media_path, png, put_bytes, request_upload

pytest_plugins = ["media_storage"]

MIB = 1024 * 1024


def read(api: httpx.Client, user: Any, created: dict[str, Any]) -> dict[str, Any]:
    response = api.get(media_path(created), headers=user.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def upload(
    api: httpx.Client, deliver: Any, user: Any, content: bytes, **overrides: Any
) -> dict[str, Any]:
    """Request, PUT and deliver the S3 event: the item as the API then shows it."""
    created = request_upload(api, user, content, **overrides)
    put_bytes(created, content)
    deliver(key_of(created["upload"]))
    return read(api, user, created)


def test_an_uploaded_object_becomes_ready_with_its_hash_size_and_type(
    media_api: httpx.Client, make_user: Any, deliver: Any
) -> None:
    # given a pending upload whose bytes were PUT to the presigned URL
    user = make_user()
    content = png(4096)
    created = request_upload(media_api, user, content, filename="Beach day.png")
    assert created["media"]["processing_status"] == "pending"
    assert created["media"]["download_url"] is None
    assert created["upload"]["method"] == "PUT"
    assert created["upload"]["headers"]["Content-Type"] == "image/png"
    put_bytes(created, content)

    # when the S3 event arrives
    outcome = deliver(key_of(created["upload"]))

    # then the item is ready with the object's SHA-256, size and sniffed type, and downloadable
    assert outcome["outcome"] == "settled"
    item = read(media_api, user, created)
    assert item["processing_status"] == "ready"
    assert item["sha256"] == hashlib.sha256(content).hexdigest()
    assert item["size_bytes"] == 4096
    assert item["detected_mime_type"] == "image/png"
    assert item["type"] == "image"
    assert item["filename"] == "Beach day.png"
    assert httpx.get(item["download_url"], timeout=10).content == content


def test_the_same_bytes_uploaded_again_become_a_duplicate_of_the_first(
    media_api: httpx.Client, make_user: Any, deliver: Any, moto_s3: Any
) -> None:
    # given a ready upload
    user = make_user()
    content = png()
    first = upload(media_api, deliver, user, content)

    # when the same bytes are uploaded again under another name
    again = request_upload(media_api, user, content, filename="copy.png")
    put_bytes(again, content)
    deliver(key_of(again["upload"]))

    # then the second points at the first, its redundant object is gone, its URL serves the bytes
    second = read(media_api, user, again)
    assert second["processing_status"] == "duplicate"
    assert second["duplicate_of_media_id"] == first["media_id"]
    assert key_of(again["upload"]) not in moto_s3.stored_keys()
    assert httpx.get(second["download_url"], timeout=10).content == content


def test_another_users_identical_bytes_are_not_deduplicated_against_yours(
    media_api: httpx.Client, make_user: Any, deliver: Any
) -> None:
    # given alice's ready upload
    alice, bob = make_user(), make_user()
    content = jpeg()
    mine = upload(media_api, deliver, alice, content, content_type="image/jpeg", filename="a.jpg")

    # when bob uploads the very same bytes
    theirs = upload(media_api, deliver, bob, content, content_type="image/jpeg", filename="a.jpg")

    # then both are ready, each with its own object
    assert mine["processing_status"] == theirs["processing_status"] == "ready"
    assert theirs["duplicate_of_media_id"] is None
    assert theirs["sha256"] == mine["sha256"]


def test_another_users_media_is_404_not_403(
    media_api: httpx.Client, make_user: Any, deliver: Any
) -> None:
    # given alice's ready item
    alice, bob = make_user(), make_user()
    mine = upload(media_api, deliver, alice, png())

    # when bob reads or deletes it
    path = f"/v1/media/{mine['media_id']}"
    reads = media_api.get(path, headers=bob.headers)
    deletes = media_api.delete(path, headers=bob.headers)

    # then both are 404 and alice's item is untouched
    assert reads.status_code == deletes.status_code == 404
    assert media_api.get(path, headers=alice.headers).status_code == 200
    listed = media_api.get("/v1/media", headers=bob.headers).json()
    assert listed["items"] == []


def test_upload_urls_are_only_ever_under_the_callers_own_prefix(
    media_api: httpx.Client, make_user: Any, deliver: Any
) -> None:
    # given alice's item, whose key bob learns
    alice, bob = make_user(), make_user()
    mine = request_upload(media_api, alice, png())
    alice_key = key_of(mine["upload"])

    # when bob asks for an upload whose filename tries to reach alice's key
    theirs = request_upload(media_api, bob, png(), filename=f"../../{alice_key}")

    # then bob's URL is under his own user and media id, with the path flattened
    key = key_of(theirs["upload"])
    assert key.startswith(f"users/{bob.user_id}/{theirs['media']['media_id']}/")
    assert key.count("/") == 3 and ".." not in key.split("/")
    assert (
        theirs["media"]["filename"] == f"../../{alice_key}"
    )  # shown as given, never used as a path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"content_type": "video/mp4"}, "content_type"),
        ({"content_type": "image/svg+xml"}, "content_type"),
        ({"size_bytes": 0}, "size_bytes"),
        ({"size_bytes": 50 * MIB + 1}, "size_bytes"),
        ({"sha256": "not-a-hash"}, "sha256"),
        ({"filename": "   "}, "filename"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_a_bad_upload_request_is_422_naming_the_field(
    media_api: httpx.Client, make_user: Any, change: dict[str, Any], field: str
) -> None:
    body = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10, **change}

    response = media_api.post("/v1/media", json=body, headers=make_user().headers)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


def test_attaching_to_another_users_memory_is_422_naming_memory_id(
    media_api: httpx.Client, make_user: Any
) -> None:
    # given bob's memory
    alice, bob = make_user(), make_user()
    memory = media_api.post(
        "/v1/memories", json={"title": "Bob's", "content": "Private."}, headers=bob.headers
    ).json()
    body = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10}

    # when alice attaches an upload to it, and then to her own
    foreign = media_api.post(
        "/v1/media", json={**body, "memory_id": memory["memory_id"]}, headers=alice.headers
    )
    own = media_api.post(
        "/v1/memories", json={"title": "Mine", "content": "Mine."}, headers=alice.headers
    ).json()
    attached = media_api.post(
        "/v1/media", json={**body, "memory_id": own["memory_id"]}, headers=alice.headers
    )

    # then the first names the field and the second is attached
    assert foreign.status_code == 422, foreign.text
    assert foreign.json()["errors"][0]["field"] == "memory_id"
    assert attached.status_code == 201, attached.text
    assert attached.json()["media"]["memory_id"] == own["memory_id"]


def test_a_replayed_create_with_the_same_idempotency_key_creates_nothing(
    media_api: httpx.Client, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a create sent with a key
    user = make_user()
    body = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10}
    headers = {**user.headers, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = media_api.post("/v1/media", json=body, headers=headers)

    # when it is retried, and the key reused for another body
    again = media_api.post("/v1/media", json=body, headers=headers)
    other = media_api.post("/v1/media", json={**body, "size_bytes": 11}, headers=headers)

    # then the retry answers the same pending item with a URL for the same key, once in the table
    assert first.status_code == again.status_code == 201
    assert again.json()["media"]["media_id"] == first.json()["media"]["media_id"]
    assert key_of(again.json()["upload"]) == key_of(first.json()["upload"])
    assert other.status_code == 422
    row = pg.execute("select count(*) from media_items where user_id = %s", (user.user_id,))
    assert row.fetchone() == (1,)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/media"),
        ("GET", "/v1/media"),
        ("GET", f"/v1/media/{uuid.uuid4()}"),
        ("DELETE", f"/v1/media/{uuid.uuid4()}"),
    ],
)
def test_anonymous_callers_are_401(media_api: httpx.Client, method: str, path: str) -> None:
    response = media_api.request(method, path, json={})

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_list_pages_by_cursor_and_filters_by_status_and_type(
    media_api: httpx.Client, make_user: Any, deliver: Any
) -> None:
    # given three ready images, one pending document
    user = make_user()
    ready = [upload(media_api, deliver, user, png())["media_id"] for _ in range(3)]
    pending = request_upload(
        media_api, user, b"notes", filename="n.txt", content_type="text/plain"
    )["media"]["media_id"]

    # when listing two at a time, and filtering
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = media_api.get("/v1/media", params=params, headers=user.headers).json()
        seen += [item["media_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    images = media_api.get("/v1/media", params={"type": "image"}, headers=user.headers).json()
    waiting = media_api.get("/v1/media", params={"status": "pending"}, headers=user.headers)

    # then pages cover everything newest first, once, and the filters hold
    assert seen == [pending, *reversed(ready)]
    assert {item["media_id"] for item in images["items"]} == set(ready)
    assert all(item["download_url"] for item in images["items"])
    assert [item["media_id"] for item in waiting.json()["items"]] == [pending]
    bad = media_api.get("/v1/media", params={"status": "lost"}, headers=user.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.status"


def test_content_that_is_not_what_was_declared_fails_with_a_reason(
    media_api: httpx.Client, make_user: Any, deliver: Any, moto_s3: Any
) -> None:
    # given an upload declared as PNG whose bytes are a JPEG
    user = make_user()
    content = jpeg()

    # when it is processed
    item = upload(media_api, deliver, user, content)

    # then it failed, says why, serves nothing and its object is gone
    assert item["processing_status"] == "failed"
    assert item["failure_reason"] == "declared image/png but the content is image/jpeg"
    assert item["detected_mime_type"] == "image/jpeg"
    assert item["download_url"] is None and item["sha256"] is None
    assert not any(key.startswith(f"users/{user.user_id}/") for key in moto_s3.stored_keys())


def test_deleting_removes_the_item_and_its_object(
    media_api: httpx.Client, make_user: Any, deliver: Any, moto_s3: Any
) -> None:
    # given a ready item
    user = make_user()
    item = upload(media_api, deliver, user, png())
    path = f"/v1/media/{item['media_id']}"

    # when it is deleted (twice)
    deleted = media_api.delete(path, headers=user.headers)
    again = media_api.delete(path, headers=user.headers)

    # then it is gone, and so is its object
    assert deleted.status_code == 204
    assert again.status_code == 404
    assert media_api.get(path, headers=user.headers).status_code == 404
    assert not any(key.startswith(f"users/{user.user_id}/") for key in moto_s3.stored_keys())


def test_deleting_an_original_leaves_its_duplicate_with_the_bytes(
    media_api: httpx.Client, make_user: Any, deliver: Any
) -> None:
    # given an original and its duplicate
    user = make_user()
    content = png()
    original = upload(media_api, deliver, user, content)
    duplicate = upload(media_api, deliver, user, content, filename="again.png")
    assert duplicate["processing_status"] == "duplicate"

    # when the original is deleted
    assert (
        media_api.delete(f"/v1/media/{original['media_id']}", headers=user.headers).status_code
        == 204
    )

    # then the duplicate is ready in its place and still serves the bytes
    heir = media_api.get(f"/v1/media/{duplicate['media_id']}", headers=user.headers).json()
    assert heir["processing_status"] == "ready"
    assert heir["sha256"] == hashlib.sha256(content).hexdigest()
    assert httpx.get(heir["download_url"], timeout=10).content == content


def test_stored_bytes_cannot_be_overwritten_through_the_upload_url(
    media_api: httpx.Client, make_user: Any, deliver: Any
) -> None:
    # given a ready item
    user = make_user()
    content = png()
    created = request_upload(media_api, user, content)
    put_bytes(created, content)
    deliver(key_of(created["upload"]))

    # when its still-valid URL is used again with other bytes of the same size
    upload = created["upload"]
    again = httpx.put(upload["url"], content=png(), headers=upload["headers"], timeout=10)

    # then storage refuses, and the item still serves the bytes it was hashed from
    assert again.status_code == 412
    item = read(media_api, user, created)
    assert httpx.get(item["download_url"], timeout=10).content == content
