"""The media bucket's S3-event function: the real handler fed a recorded S3 event, and once the
whole path through a gateway that polls moto's bucket, against the real Postgres."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from conftest import ROOT, free_port, start_server
from dotline.adapters.s3_objects import S3Objects
from dotline.db import Database
from dotline.errors import NotFound, ServiceUnavailable
from dotline.services.media import processing
from dotline.settings import Settings
from media_uploads import key_of, png, put_bytes, request_upload

pytest_plugins = ["media_storage"]

SETTLE_DEADLINE_S = 15.0
ROW_SQL = "select to_jsonb(m) from media_items m where media_id = %s"


def row(pg: psycopg.Connection[Any], media_id: str) -> dict[str, Any]:
    found = pg.execute(ROW_SQL, (media_id,)).fetchone()
    assert found is not None
    return dict(found[0])


def uploaded(api: httpx.Client, user: Any, content: bytes, **overrides: Any) -> tuple[str, str]:
    """A pending item whose bytes are stored: (media_id, key)."""
    created = request_upload(api, user, content, **overrides)
    put_bytes(created, content)
    return created["media"]["media_id"], key_of(created["upload"])


def test_a_recorded_event_settles_the_item(
    media_api: httpx.Client, make_user: Any, deliver: Any, pg: psycopg.Connection[Any]
) -> None:
    # given a stored object whose item is pending
    content = png(10_000)
    media_id, key = uploaded(media_api, make_user(), content, filename="a b+c.png")
    assert row(pg, media_id)["processing_status"] == "pending"

    # when S3's event for it arrives (its key URL-encoded, as S3 sends it)
    outcome = deliver(key)

    # then the item is ready with what the bytes say
    settled = row(pg, media_id)
    assert outcome["outcome"] == "settled" and outcome["status"] == "ready"
    assert settled["hash"] == hashlib.sha256(content).hexdigest()
    assert settled["size_bytes"] == 10_000
    assert settled["detected_mime_type"] == "image/png"
    assert settled["processed_at"] is not None


def test_a_replayed_event_changes_nothing(
    media_api: httpx.Client, make_user: Any, deliver: Any, pg: psycopg.Connection[Any]
) -> None:
    # given an item settled by its event, and a duplicate settled by another
    user = make_user()
    content = png()
    first_id, first_key = uploaded(media_api, user, content)
    second_id, second_key = uploaded(media_api, user, content)
    deliver(first_key)
    deliver(second_key)
    before = [row(pg, first_id), row(pg, second_id)]

    # when S3 delivers both events again
    replays = [deliver(first_key), deliver(second_key)]

    # then nothing changed
    assert [r["outcome"] for r in replays] == ["unchanged", "unchanged"]
    assert [row(pg, first_id), row(pg, second_id)] == before
    assert before[1]["processing_status"] == "duplicate"


def test_identical_uploads_settling_at_once_leave_one_original(
    media_api: httpx.Client, make_user: Any, media_settings: Settings, pg: psycopg.Connection[Any]
) -> None:
    # given four stored copies of the same bytes
    user = make_user()
    content = png()
    items = [uploaded(media_api, user, content) for _ in range(4)]
    store = S3Objects.from_settings(media_settings)

    # when their events are processed concurrently
    def settle(key: str) -> str:
        db = Database(media_settings)  # a connection per thread, as per Lambda container
        try:
            bucket = media_settings.media_bucket
            return str(processing.process_stored_object(db, store, bucket, key).status)
        finally:
            db.close()

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(settle, [key for _, key in items]))

    # then exactly one is ready and the others are its duplicates
    assert statuses == ["duplicate", "duplicate", "duplicate", "ready"]
    rows = [row(pg, media_id) for media_id, _ in items]
    (original,) = [r for r in rows if r["processing_status"] == "ready"]
    assert {r["duplicate_of_media_id"] for r in rows if r is not original} == {original["media_id"]}


@pytest.mark.parametrize(
    ("overrides", "stored", "reason"),
    [
        ({"size_bytes": 100}, png(120), "the object has 120 bytes, not the 100 declared"),
        ({"sha256": "0" * 64}, png(), "the object's SHA-256 differs from the one declared"),
        (
            {"content_type": "application/pdf", "filename": "x.pdf"},
            b"\x00\x01binary",
            "declared application/pdf but the content is not any accepted type",
        ),
    ],
)
def test_an_object_unlike_its_declaration_fails_with_the_reason(
    media_api: httpx.Client,
    make_user: Any,
    deliver: Any,
    pg: psycopg.Connection[Any],
    moto_s3: Any,
    overrides: dict[str, Any],
    stored: bytes,
    reason: str,
) -> None:
    # given an item whose stored bytes differ from what was declared
    user = make_user()
    created = request_upload(media_api, user, stored, **overrides)
    upload = created["upload"]
    httpx.put(
        upload["url"], content=stored, headers={"Content-Type": upload["headers"]["Content-Type"]}
    )

    # when its event arrives
    deliver(key_of(upload))

    # then it failed with the reason and its object is removed
    failed = row(pg, created["media"]["media_id"])
    assert (failed["processing_status"], failed["failure_reason"]) == ("failed", reason)
    assert key_of(upload) not in moto_s3.stored_keys()


class ReadRecorder:
    """The real S3 store, noting the size of every chunk it streams."""

    def __init__(self, store: S3Objects) -> None:
        self.store = store
        self.chunks: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def read(self, key: str, *, chunk_bytes: int) -> Generator[bytes, None, None]:
        for chunk in self.store.read(key, chunk_bytes=chunk_bytes):
            self.chunks.append(len(chunk))
            yield chunk


def test_an_object_past_the_cap_fails_without_being_read_whole(
    media_api: httpx.Client, make_user: Any, media_settings: Settings, pg: psycopg.Connection[Any]
) -> None:
    # given a stored object of 3 MiB while the cap is 1.5 MiB
    content = png(3 * 1024 * 1024)
    media_id, key = uploaded(media_api, make_user(), content)
    store = ReadRecorder(S3Objects.from_settings(media_settings))
    db = Database(media_settings)

    # when it is processed
    try:
        outcome = processing.process_stored_object(
            db, store, media_settings.media_bucket, key, max_bytes=1536 * 1024
        )
    finally:
        db.close()

    # then it failed as too large, having streamed chunks and stopped past the cap
    assert outcome.status == "failed"
    assert (
        row(pg, media_id)["failure_reason"] == "the object is larger than the 1572864 bytes allowed"
    )
    assert max(store.chunks) <= processing.CHUNK_BYTES
    assert sum(store.chunks) < len(content)


def test_an_unknown_key_is_ignored_with_a_log_line(
    deliver: Any, moto_s3: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given an object outside the upload layout that no item claims
    key = f"imports/{uuid.uuid4()}.csv"
    moto_s3.client.put_object(Bucket=moto_s3.bucket, Key=key, Body=b"a,b")

    # when its event arrives
    with caplog.at_level(logging.WARNING):
        outcome = deliver(key)

    # then it is left alone, and the log says why
    assert outcome["outcome"] == "ignored"
    assert key in moto_s3.stored_keys()
    assert f"ignored {key}: no media item claims it" in caplog.text


def test_an_object_whose_item_was_deleted_first_is_removed(
    media_api: httpx.Client, make_user: Any, deliver: Any, moto_s3: Any
) -> None:
    # given an upload deleted before its bytes arrived
    user = make_user()
    created = request_upload(media_api, user, png())
    deleted = media_api.delete(f"/v1/media/{created['media']['media_id']}", headers=user.headers)
    assert deleted.status_code == 204
    put_bytes(created, png())

    # when the late object's event arrives
    outcome = deliver(key_of(created["upload"]))

    # then the orphan is removed
    assert outcome["outcome"] == "removed"
    assert key_of(created["upload"]) not in moto_s3.stored_keys()


@pytest.fixture(scope="module")
def polling_gateway(
    moto_s3: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """A gateway that delivers S3 events itself (polling its own bucket, as `make dev` does)."""
    bucket = f"dotline-media-poll-{uuid.uuid4().hex[:8]}"
    moto_s3.client.create_bucket(Bucket=bucket)
    log: Path = tmp_path_factory.mktemp("media-gateway") / "gateway.log"
    server = start_server(
        "dotline_local.gateway",
        ["--template", str(ROOT / "template.yaml"), "--deliver-s3-events"],
        {"S3_ENDPOINT_URL": moto_s3.url, "MEDIA_BUCKET": bucket},
        log,
    )
    yield server.url, bucket
    server.stop()


def test_the_local_gateway_delivers_s3_events_by_polling_the_bucket(
    polling_gateway: tuple[str, str], make_user: Any
) -> None:
    # given an upload through a gateway that polls its bucket
    url, _bucket = polling_gateway
    user = make_user()
    content = png()
    with httpx.Client(base_url=url, timeout=10) as api:
        created = request_upload(api, user, content)

        # when the bytes are PUT and nobody delivers the event by hand
        put_bytes(created, content)

        # then the item becomes ready on its own
        deadline = time.monotonic() + SETTLE_DEADLINE_S
        item = created["media"]
        while item["processing_status"] == "pending" and time.monotonic() < deadline:
            time.sleep(0.2)
            item = api.get(f"/v1/media/{item['media_id']}", headers=user.headers).json()
    assert item["processing_status"] == "ready"
    assert item["sha256"] == hashlib.sha256(content).hexdigest()


def test_the_local_s3_server_starts_with_the_media_bucket(tmp_path: Path) -> None:
    # given the stack's S3 server on a free port
    port = free_port()
    log = tmp_path / "s3.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [
                sys.executable,
                "-m",
                "dotline_local.s3_server",
                "--port",
                str(port),
                "--bucket",
                "b-local",
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        # when it answers
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SETTLE_DEADLINE_S
        buckets: list[str] = []
        while "b-local" not in buckets and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            with contextlib.suppress(httpx.HTTPError):
                listing = httpx.get(url, timeout=1).text  # ListBuckets, unsigned
                buckets = re.findall(r"<Name>([^<]+)</Name>", listing)

        # then the bucket exists
        assert "b-local" in buckets, log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_s3_adapter_names_missing_objects_and_unreachable_storage(
    media_settings: Settings,
) -> None:
    # given the adapter on the test bucket, and one on a port nobody serves
    store = S3Objects.from_settings(media_settings)
    nowhere = S3Objects.from_settings(
        media_settings.model_copy(update={"s3_endpoint_url": f"http://127.0.0.1:{free_port()}"})
    )
    key = f"users/{uuid.uuid4()}/{uuid.uuid4()}/gone.png"

    # when / then: a missing object is NotFound, deleting it succeeds, a dead endpoint is a 503
    with pytest.raises(NotFound):
        list(store.read(key, chunk_bytes=1024))
    store.delete(key)
    assert store.key_of(store.url_of(key)) == key
    assert store.key_of(f"s3://another-bucket/{key}") is None
    with pytest.raises(ServiceUnavailable):
        list(nowhere.read(key, chunk_bytes=1024))


def test_s3s_test_event_is_acknowledged_without_records(media_events_handler: Any) -> None:
    # given S3's test event, sent when the bucket's notifications are set up
    event = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-12-02T15:30:00.000Z",
        "Bucket": "dotline-media",
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }

    # when it arrives, then it is acknowledged with nothing done
    assert media_events_handler(event, None) == {"outcomes": []}
