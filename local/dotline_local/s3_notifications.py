"""S3 event notifications as the local gateway delivers them.

In AWS the media bucket invokes `MediaProcessingFunction` on every `s3:ObjectCreated:*`. Moto's server
invokes nothing, so the gateway lists the bucket every POLL_S and invokes the same function with
the event S3 would send for each object it has not delivered yet (or whose ETag changed, i.e. an
overwrite). Delivery is at least once, as in S3: a failed invocation is retried on the next poll.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from dotline.settings import Settings, get_settings
from dotline_local.function_host import FunctionHost
from dotline_local.request_log import logger

MEDIA_EVENTS_ID = "MediaProcessingFunction"
POLL_S = 1.0


async def deliver_s3_events(host: FunctionHost) -> None:
    """Poll the media bucket for the gateway's lifetime (a gateway background task)."""
    if MEDIA_EVENTS_ID not in {f.logical_id for f in host.template.functions}:
        logger.warning("no %s in the template: S3 events are not delivered", MEDIA_EVENTS_ID)
        return
    settings = get_settings()
    client = s3_client(settings)
    delivered: dict[str, str] = {}  # key -> ETag of the version delivered
    last_error = ""
    logger.info("S3 events: watching bucket %s every %.1f s", settings.media_bucket, POLL_S)
    while True:
        try:
            listing = await asyncio.to_thread(_list_objects, client, settings.media_bucket)
            last_error = ""
        except Exception as exc:  # a missing bucket or a stopped moto: keep trying, say it once
            if str(exc) != last_error:
                logger.warning("S3 events: cannot list %s (%s)", settings.media_bucket, exc)
            last_error, listing = str(exc), None
        if listing is not None:
            for gone in delivered.keys() - listing.keys():
                del delivered[gone]
            for key, (etag, size) in listing.items():
                if delivered.get(key) != etag and await _deliver(host, settings, key, etag, size):
                    delivered[key] = etag
        await asyncio.sleep(POLL_S)


def s3_client(settings: Settings) -> Any:
    """A boto3 client for the local S3 (moto's server at S3_ENDPOINT_URL)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        region_name=settings.aws_region,
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key.get_secret_value(),
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def ensure_bucket(settings: Settings) -> bool:
    """Create the media bucket unless it exists; True when created."""
    client = s3_client(settings)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if settings.media_bucket in existing:
        return False
    client.create_bucket(Bucket=settings.media_bucket)
    return True


def object_created_event(
    bucket: str, key: str, *, etag: str, size: int, region: str
) -> dict[str, Any]:
    """The event S3 sends a function for one `ObjectCreated:Put` (the key URL-encoded, as S3 does)."""
    now = datetime.now(UTC)
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "local"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper()},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "local-media-events",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "local"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag,
                        "sequencer": f"{time.time_ns():016X}",
                    },
                },
            }
        ]
    }


def _list_objects(client: Any, bucket: str) -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            found[obj["Key"]] = (str(obj["ETag"]).strip('"'), int(obj["Size"]))
    return found


async def _deliver(host: FunctionHost, settings: Settings, key: str, etag: str, size: int) -> bool:
    event = object_created_event(
        settings.media_bucket, key, etag=etag, size=size, region=settings.aws_region
    )
    try:
        result = await host.invoke(MEDIA_EVENTS_ID, event, str(uuid.uuid4()))
    except Exception:
        logger.exception(
            "S3 events: %s failed on %s; retrying on the next poll", MEDIA_EVENTS_ID, key
        )
        return False
    logger.info("S3 events: delivered %s: %s", key, result)
    return True
