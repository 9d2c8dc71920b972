"""The ingestion queue's event source mapping as the local gateway runs it.

In AWS, Lambda polls `IngestionQueue` and invokes `IngestionFunction` with batches of SQS records,
deleting the ones the function did not report in `batchItemFailures`. Locally the queue lives on
moto's server (the one `make dev` and `make up` run for S3: a real SQS API, so the webhook sends
through the production adapter), and the gateway long-polls it and does the same: a reported or
failed record stays and comes back after the visibility timeout, as in SQS.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any
from urllib.parse import urlsplit

from dotline.adapters.sqs_ingestion_queue import sqs_client
from dotline.settings import Settings, get_settings
from dotline_local.function_host import FunctionHost
from dotline_local.request_log import logger

INGESTION_ID = "IngestionFunction"
BATCH_SIZE = 10  # the template's BatchSize
WAIT_S = 1  # long polling: a request is picked up as soon as it is sent
VISIBILITY_TIMEOUT_S = 720  # the template's IngestionQueue VisibilityTimeout
RETRY_S = 1.0


def queue_name(queue_url: str) -> str:
    """The queue's name: the last segment of its URL."""
    return urlsplit(queue_url).path.rstrip("/").rsplit("/", 1)[-1]


def ensure_queue(settings: Settings, queue_url: str) -> str:
    """Create the queue unless it exists (SQS's create is idempotent); returns its URL."""
    client = sqs_client(settings, queue_url)
    created = client.create_queue(
        QueueName=queue_name(queue_url),
        Attributes={"VisibilityTimeout": str(VISIBILITY_TIMEOUT_S)},
    )
    return str(created["QueueUrl"])


async def deliver_ingestion_queue(host: FunctionHost) -> None:
    """Poll INGESTION_QUEUE_URL for the gateway's lifetime (a gateway background task)."""
    settings = get_settings()
    queue_url = settings.ingestion_queue_url
    if not queue_url or INGESTION_ID not in {f.logical_id for f in host.template.functions}:
        logger.warning("no ingestion queue or no %s: requests are not delivered", INGESTION_ID)
        return
    client = sqs_client(settings, queue_url)
    last_error = ""
    ready = False
    logger.info("ingestion queue: delivering %s to %s", queue_url, INGESTION_ID)
    while True:
        try:
            if not ready:
                queue_url = await asyncio.to_thread(ensure_queue, settings, queue_url)
                ready = True
            received = await asyncio.to_thread(
                client.receive_message,
                QueueUrl=queue_url,
                MaxNumberOfMessages=BATCH_SIZE,
                WaitTimeSeconds=WAIT_S,
                AttributeNames=["All"],
            )
            last_error = ""
        except Exception as exc:  # a stopped moto: keep trying, say it once
            if str(exc) != last_error:
                logger.warning("ingestion queue: cannot receive from %s (%s)", queue_url, exc)
            last_error, ready = str(exc), False
            await asyncio.sleep(RETRY_S)
            continue
        messages = received.get("Messages") or []
        if messages:
            await _deliver(host, client, settings, queue_url, messages)


def sqs_event(messages: list[dict[str, Any]], *, queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda hands a function for a batch of received SQS messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes") or {},
                "messageAttributes": m.get("MessageAttributes") or {},
                "md5OfBody": m.get("MD5OfBody") or hashlib.md5(m["Body"].encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


async def _deliver(
    host: FunctionHost,
    client: Any,
    settings: Settings,
    queue_url: str,
    messages: list[dict[str, Any]],
) -> None:
    arn = f"arn:aws:sqs:{settings.aws_region}:000000000000:{queue_name(queue_url)}"
    event = sqs_event(messages, queue_arn=arn, region=settings.aws_region)
    try:
        result = await host.invoke(INGESTION_ID, event, str(uuid.uuid4()))
    except Exception:
        logger.exception("ingestion queue: %s failed; the batch comes back later", INGESTION_ID)
        return
    failed = {
        str(f.get("itemIdentifier"))
        for f in (result.get("batchItemFailures") or [] if isinstance(result, dict) else [])
    }
    done = [
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
        for i, m in enumerate(messages)
        if m["MessageId"] not in failed
    ]
    if done:
        await asyncio.to_thread(client.delete_message_batch, QueueUrl=queue_url, Entries=done)
    logger.info("ingestion queue: delivered %d request(s): %s", len(messages), result)
