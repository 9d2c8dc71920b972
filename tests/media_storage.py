"""Media test fixtures (loaded with pytest_plugins): moto's S3 server on a free port, a gateway whose functions use it, and
S3 events delivered to the real media_processing handler in-process (from a recorded event)."""

from __future__ import annotations

import copy
import importlib.util
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
from moto.server import ThreadedMotoServer

from conftest import ROOT, free_port
from dotline import bootstrap
from dotline.settings import Settings
from dotline_local.s3_notifications import s3_client

RECORDED_EVENT = json.loads((ROOT / "tests/fixtures/s3/object_created.json").read_text())


@dataclass(frozen=True)
class MotoS3:
    """A running moto server and a bucket on it, with a plain boto3 client for probes."""

    url: str
    bucket: str
    client: Any

    def env(self) -> dict[str, str]:
        return {"S3_ENDPOINT_URL": self.url, "MEDIA_BUCKET": self.bucket}

    def stored_keys(self) -> set[str]:
        listing = self.client.list_objects_v2(Bucket=self.bucket)
        return {obj["Key"] for obj in listing.get("Contents", [])}


@pytest.fixture(scope="session")
def moto_s3(settings: Settings) -> Iterator[MotoS3]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    bucket = f"dotline-media-test-{uuid.uuid4().hex[:8]}"
    client = s3_client(settings.model_copy(update={"s3_endpoint_url": url}))
    client.create_bucket(Bucket=bucket)
    yield MotoS3(url, bucket, client)
    server.stop()


@pytest.fixture(scope="session")
def media_settings(settings: Settings, moto_s3: MotoS3) -> Settings:
    return settings.model_copy(
        update={"s3_endpoint_url": moto_s3.url, "media_bucket": moto_s3.bucket}
    )


@pytest.fixture(scope="session")
def media_gateway(start_gateway: Callable[..., str], moto_s3: MotoS3) -> str:
    """A gateway whose functions sign URLs for, and read from, the test bucket (no poller)."""
    return start_gateway(moto_s3.env())


@pytest.fixture
def media_api(media_gateway: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=media_gateway, timeout=10) as client:
        yield client


@pytest.fixture
def media_events_handler(media_settings: Settings) -> Iterator[Callable[..., dict[str, Any]]]:
    """The real functions/media_processing handler, in-process, its dependencies on the test bucket."""
    spec = importlib.util.spec_from_file_location(
        "media_processing_app", ROOT / "functions/media_processing/app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bootstrap.use(bootstrap.Deps(settings=media_settings))
    yield module.handler
    bootstrap.deps().db.close()
    bootstrap.use(None)


@pytest.fixture
def deliver(
    media_events_handler: Callable[..., dict[str, Any]], media_settings: Settings
) -> Callable[..., dict[str, Any]]:
    """Send the recorded S3 event for (key[, bucket]) to the handler; its one outcome."""

    def send(key: str, bucket: str | None = None) -> dict[str, Any]:
        event = copy.deepcopy(RECORDED_EVENT)
        record = event["Records"][0]["s3"]
        record["bucket"]["name"] = bucket or media_settings.media_bucket
        record["bucket"]["arn"] = f"arn:aws:s3:::{record['bucket']['name']}"
        record["object"]["key"] = quote_plus(key, safe="/")
        outcomes: list[dict[str, Any]] = media_events_handler(event, None)["outcomes"]
        assert len(outcomes) == 1
        return outcomes[0]

    return send
