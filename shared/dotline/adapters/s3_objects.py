"""The object storage port on S3 through boto3 (moto's server locally, through S3_ENDPOINT_URL)."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from dotline.errors import NotFound, ServiceUnavailable
from dotline.ports.objects import PresignedUpload
from dotline.settings import Settings

CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 10.0
MAX_ATTEMPTS = 3
SERVER_SIDE_ENCRYPTION = "AES256"  # what the bucket's default encryption is (template.yaml)
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


class S3Objects:
    """One bucket's objects; SDK errors become NotFound or ServiceUnavailable at this edge."""

    def __init__(self, client: Any, bucket: str) -> None:  # a boto3 S3 client (untyped)
        self._client = client
        self._bucket = bucket

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Objects:
        """A client for the media bucket: the role's credentials in AWS, the local pair with an
        endpoint (path-style addressing, which moto's server and MinIO expect)."""
        config = Config(
            signature_version="s3v4",
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            s3={"addressing_style": "path"} if settings.s3_endpoint_url else {},
        )
        credentials: dict[str, str] = {}
        if settings.s3_endpoint_url:
            credentials = {
                "aws_access_key_id": settings.s3_access_key_id,
                "aws_secret_access_key": settings.s3_secret_access_key.get_secret_value(),
            }
        client = boto3.client(
            "s3",
            region_name=settings.aws_region,
            endpoint_url=settings.s3_endpoint_url,
            config=config,
            **credentials,
        )
        return cls(client, settings.media_bucket)

    def url_of(self, key: str) -> str:
        """The object's stable location, `s3://<bucket>/<key>` (what an S3 event names)."""
        return f"s3://{self._bucket}/{key}"

    def key_of(self, url: str) -> str | None:
        """The key inside a url_of() location, or None when it is not in this store's bucket."""
        prefix = f"s3://{self._bucket}/"
        return url[len(prefix) :] if url.startswith(prefix) and len(url) > len(prefix) else None

    def presign_upload(
        self, key: str, *, content_type: str, size_bytes: int, expires_s: int
    ) -> PresignedUpload:
        """A PUT URL signed for exactly this Content-Type and Content-Length, that cannot
        overwrite an object already there (If-None-Match: *, S3's conditional write)."""
        params = {
            "Bucket": self._bucket,
            "Key": key,
            "ContentType": content_type,
            "ContentLength": size_bytes,
            "IfNoneMatch": "*",
        }
        url = self._presign("put_object", params, expires_s)
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(size_bytes),
            "If-None-Match": "*",
        }
        return PresignedUpload(
            url=url,
            headers=headers,
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_s),
        )

    def presign_download(self, key: str, *, filename: str | None, expires_s: int) -> str:
        """A GET URL for the object, served as an attachment named filename when given."""
        params = {"Bucket": self._bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self._presign("get_object", params, expires_s)

    def read(self, key: str, *, chunk_bytes: int) -> Generator[bytes, None, None]:
        """The object's bytes in chunks of at most chunk_bytes, streamed; NotFound when gone."""
        try:
            body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
        except ClientError as exc:
            raise _translate(exc, key) from exc
        except BotoCoreError as exc:
            raise ServiceUnavailable("Object storage is unreachable.") from exc
        try:
            yield from body.iter_chunks(chunk_bytes)
        except BotoCoreError as exc:
            raise ServiceUnavailable("Reading the object from storage failed.") from exc
        finally:
            body.close()

    def write(self, key: str, body: bytes, *, content_type: str) -> None:
        """Store body under key, encrypted at rest (SSE-S3, the bucket's default, asked for
        explicitly), replacing what was there."""
        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                ServerSideEncryption=SERVER_SIDE_ENCRYPTION,
            )
        except ClientError as exc:
            raise _translate(exc, key) from exc
        except BotoCoreError as exc:
            raise ServiceUnavailable("Object storage is unreachable.") from exc

    def keys_under(self, prefix: str) -> list[str]:
        """Every key starting with prefix (all pages), in key order."""
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=prefix
            )
            return [obj["Key"] for page in pages for obj in page.get("Contents", [])]
        except ClientError as exc:
            raise _translate(exc, prefix) from exc
        except BotoCoreError as exc:
            raise ServiceUnavailable("Object storage is unreachable.") from exc

    def delete(self, key: str) -> None:
        """Remove the object; removing one that is not there succeeds."""
        try:
            self._client.delete_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            raise _translate(exc, key) from exc
        except BotoCoreError as exc:
            raise ServiceUnavailable("Object storage is unreachable.") from exc

    def _presign(self, operation: str, params: dict[str, Any], expires_s: int) -> str:
        try:  # signing is local: no request leaves the function
            return str(
                self._client.generate_presigned_url(operation, Params=params, ExpiresIn=expires_s)
            )
        except BotoCoreError as exc:
            raise ServiceUnavailable("Could not sign the storage URL.") from exc


def _translate(exc: ClientError, key: str) -> NotFound | ServiceUnavailable:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    if code in _MISSING_CODES:
        return NotFound(f"No stored object at {key}.")
    return ServiceUnavailable(f"Object storage refused the request ({code or 'unknown error'}).")
