"""Settings: every configurable value, from the environment and the deployment secret.

Validated at cold start and again whenever the deployment secret changes (it is re-read after its
TTL, so a rotated secret needs no redeploy). The defaults are the local stack's: they may serve
only under the local profile (see dotline.profile).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, NamedTuple

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dotline.errors import Misconfigured

# Supabase CLI's well-known local secret: a default for the local stack, never a production value.
LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"  # noqa: S105
LOCAL_DATABASE_URL = "postgresql://postgres:postgres@127.0.0.1:54322/postgres"
LOCAL_SUPABASE_URL = "http://127.0.0.1:54321"
LOCAL_REDIS_REST_URL = "http://127.0.0.1:8079"
LOCAL_REDIS_REST_TOKEN = "dotline-local-redis-token"  # noqa: S105
LOCAL_WEBHOOK_SECRET = "dotline-local-webhook-secret"  # noqa: S105
# Signs the list cursors the API hands out (dotline.pagination), so a forged one is refused.
LOCAL_CURSOR_SECRET = "dotline-local-cursor-secret"  # noqa: S105
# The Supabase CLI's well-known local service-role key (signed with LOCAL_JWT_SECRET).
LOCAL_SERVICE_ROLE_KEY = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9s"
    "ZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU"
)
# Lambda answers at most 6 MB, and the response envelope escapes the JSON body: keep room.
INLINE_EXPORT_MAX_BYTES = 4_000_000


class Settings(BaseSettings):
    """What a function needs to reach its backends; with nothing set, the local stack."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    database_url: SecretStr = SecretStr(LOCAL_DATABASE_URL)
    db_statement_timeout_ms: int = Field(default=5_000, ge=100, le=900_000)
    db_connect_timeout_s: int = Field(default=5, ge=1, le=60)

    supabase_url: str = LOCAL_SUPABASE_URL
    supabase_jwt_secret: SecretStr | None = SecretStr(LOCAL_JWT_SECRET)
    supabase_jwks_url: str | None = None
    # GoTrue's admin API (erasure deletes the Auth user); locally the Supabase CLI's demo key.
    supabase_service_role_key: SecretStr = SecretStr(LOCAL_SERVICE_ROLE_KEY)
    supabase_jwt_issuer: str | None = None
    supabase_jwt_audience: str = "authenticated"
    jwks_cache_ttl_s: int = Field(default=600, ge=0)
    # Broadcasts through Realtime's REST API (orb state, scene): short, a request waits on it.
    realtime_timeout_s: float = Field(default=2.0, gt=0, le=30)

    upstash_redis_rest_url: str = LOCAL_REDIS_REST_URL
    upstash_redis_rest_token: SecretStr = SecretStr(LOCAL_REDIS_REST_TOKEN)
    redis_timeout_s: float = Field(default=2.0, gt=0, le=30)

    # Production backends: each unset means the embedded default (see dotline.bootstrap).
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str | None = None
    weaviate_url: str | None = None
    weaviate_grpc_url: str | None = None
    weaviate_api_key: SecretStr | None = None
    embeddings_url: str | None = None
    embeddings_api_key: SecretStr | None = None
    embeddings_model: str = "text-embedding-3-small"
    llm_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    http_timeout_s: float = Field(default=10.0, gt=0, le=120)

    # Database-triggered webhooks (outbox dispatcher -> functions/mirroring).
    webhook_url: str = "http://127.0.0.1:3000/v1/internal/db-events"
    webhook_secret: SecretStr = SecretStr(LOCAL_WEBHOOK_SECRET)
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    # The longest backoff between two attempts of one change (RetryPolicy.cap_s).
    webhook_retry_cap_s: float = Field(default=600.0, gt=0, le=3600)

    # Event-driven ingestion: the SQS queue the webhook sends each ended conversation to (the
    # ingestion function consumes it). Unset: no request is sent and the minute schedule alone
    # ingests. Locally it is a queue on moto's server (`make dev`/`up` set it); its endpoint is
    # taken from the URL, with the S3 access key pair below.
    ingestion_queue_url: str | None = None

    # Media objects (S3). S3_ENDPOINT_URL points at an S3-compatible server (locally moto's); blank
    # in AWS, where the function's role signs. The access key pair is used only with an endpoint.
    media_bucket: str = "dotline-media-local"
    s3_endpoint_url: str | None = "http://127.0.0.1:54329"
    s3_access_key_id: str = "dotline-local"
    s3_secret_access_key: SecretStr = SecretStr("dotline-local")
    aws_region: str = "us-east-1"
    # GET /v1/me/export answers inline up to this size; a larger export goes through S3.
    export_inline_max_bytes: int = Field(default=INLINE_EXPORT_MAX_BYTES, ge=1)

    # The insight cycle: a person's next cycle is due this long after the last (or sign-up).
    insight_cycle_days: int = Field(default=7, ge=1, le=90)
    insight_cycle_batch: int = Field(default=50, ge=1, le=1_000)

    # The HMAC key of list cursors: any long random string, the same for every function.
    cursor_secret: SecretStr = SecretStr(LOCAL_CURSOR_SECRET)

    log_level: str = "INFO"
    service_name: str = "dotline"

    @field_validator("supabase_jwt_secret", mode="after")
    @classmethod
    def _blank_secret_disables_hs256(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None  # an empty HMAC key would accept tokens anyone can forge
        return value

    @field_validator(
        "s3_endpoint_url", "ingestion_queue_url", "neo4j_uri", "neo4j_database", "weaviate_url", "weaviate_grpc_url",
        "embeddings_url", "llm_url", "supabase_jwks_url", "supabase_jwt_issuer", mode="after",
    )  # fmt: skip
    @classmethod
    def _blank_means_unset(cls, value: str | None) -> str | None:
        # A template parameter left empty arrives as "" (S3_ENDPOINT_URL="" means AWS itself).
        return value if value and value.strip() else None

    @property
    def jwt_issuer(self) -> str:
        """The `iss` every accepted token must carry."""
        return self.supabase_jwt_issuer or f"{self.supabase_url.rstrip('/')}/auth/v1"

    @property
    def jwks_url(self) -> str:
        """Where the project's public signing keys are published."""
        return self.supabase_jwks_url or f"{self.jwt_issuer}/.well-known/jwks.json"


SECRET_ID_ENV = "DOTLINE_SECRET_ID"  # noqa: S105 - the variable's name, not a secret
SECRET_TTL_ENV = "DOTLINE_SECRET_TTL_S"  # noqa: S105
DEFAULT_SECRET_TTL_S = 300
_NO_SECRET: dict[str, Any] = {}

logger = logging.getLogger(__name__)


class _Loaded(NamedTuple):
    """Settings built from one reading of the secret, and why they may not serve, if so."""

    source: object
    settings: Settings | None
    refusals: list[str]


_loaded: _Loaded | None = None
_loading = threading.Lock()


def get_settings() -> Settings:
    """The settings this process serves with: the environment, overlaid key by key by the
    deployment secret (a JSON object named by DOTLINE_SECRET_ID, keys as the fields here).

    The same object until the secret's cached reading expires and its content changed.
    Misconfigured when the settings may not serve here (dotline.profile.refusals); the reasons
    are logged once, by name, never with a value."""
    values = _secret_values()
    loaded = _loaded
    if loaded is None or loaded.source is not values:
        loaded = _reload(values)
    if loaded.settings is None or loaded.refusals:
        raise Misconfigured("This service is not configured to serve requests.")
    return loaded.settings


def _reload(values: dict[str, Any]) -> _Loaded:
    global _loaded  # the process's one reading; replaced whole when the secret changes
    with _loading:
        previous = _loaded
        if previous is not None and previous.source is values:
            return previous
        settings, reasons = _build(values)
        if previous is not None and settings is not None and settings == previous.settings:
            settings = previous.settings  # same content: keep the object, so nothing rebuilds
        if reasons and (previous is None or reasons != previous.refusals):
            logger.error(
                "refusing to serve: settings missing or unsafe", extra={"settings": reasons}
            )
        _loaded = _Loaded(values, settings, reasons)
        return _loaded


def _build(values: dict[str, Any]) -> tuple[Settings | None, list[str]]:
    from dotline.profile import refusals

    try:
        settings = Settings(**values)
    except ValidationError as exc:  # names the fields; the input values stay out of the log
        return None, [f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in exc.errors()]
    return settings, refusals(settings, os.environ)


def _secret_values() -> dict[str, Any]:
    secret_id = os.environ.get(SECRET_ID_ENV)
    if not secret_id:
        return _NO_SECRET
    from dotline.deployment_secret import read_secret

    return read_secret(secret_id, int(os.environ.get(SECRET_TTL_ENV) or DEFAULT_SECRET_TTL_S))
