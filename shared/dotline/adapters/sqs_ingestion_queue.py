"""The ingestion queue port on SQS through boto3 (a queue on moto's server locally).

The endpoint is the queue URL's own unless it is AWS's: locally that is moto's server, signed
with the local access key pair (S3_ACCESS_KEY_ID), as the media bucket is; in AWS the function's
role signs.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from dotline.errors import ServiceUnavailable
from dotline.settings import Settings

CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 5.0
MAX_ATTEMPTS = 2


def ingestion_request_body(conversation_id: UUID, user_id: UUID) -> str:
    """The message body the ingestion function reads (`services.ingestion.trigger.parse_request`)."""
    return json.dumps({"conversation_id": str(conversation_id), "user_id": str(user_id)})


def sqs_client(settings: Settings, queue_url: str) -> Any:
    """A boto3 SQS client for the queue at queue_url (moto's server when it is not AWS's)."""
    parts = urlsplit(queue_url)
    local = not (parts.hostname or "").endswith("amazonaws.com")
    credentials: dict[str, str] = {}
    if local:
        credentials = {
            "aws_access_key_id": settings.s3_access_key_id,
            "aws_secret_access_key": settings.s3_secret_access_key.get_secret_value(),
        }
    return boto3.client(
        "sqs",
        region_name=settings.aws_region,
        endpoint_url=f"{parts.scheme}://{parts.netloc}" if local else None,
        config=Config(
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
        ),
        **credentials,
    )


class SqsIngestionQueue:
    """One SQS queue; SDK errors become ServiceUnavailable at this edge."""

    def __init__(self, client: Any, queue_url: str) -> None:  # a boto3 SQS client (untyped)
        self._client = client
        self._queue_url = queue_url

    @classmethod
    def from_settings(cls, settings: Settings) -> SqsIngestionQueue | None:
        """The queue INGESTION_QUEUE_URL names, or None when it names none."""
        url = settings.ingestion_queue_url
        return cls(sqs_client(settings, url), url) if url else None

    def request(self, conversation_id: UUID, user_id: UUID) -> None:
        try:
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=ingestion_request_body(conversation_id, user_id),
            )
        except (BotoCoreError, ClientError) as exc:
            raise ServiceUnavailable("The ingestion queue is unavailable.") from exc
