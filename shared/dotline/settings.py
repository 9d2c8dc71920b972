"""Settings: every configurable value, read once from the environment and validated at cold start."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Supabase CLI's well-known local secret: a default for the local stack, never a production value.
LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"  # noqa: S105
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

    database_url: SecretStr = SecretStr("postgresql://postgres:postgres@127.0.0.1:54322/postgres")
    db_statement_timeout_ms: int = Field(default=5_000, ge=100, le=900_000)
    db_connect_timeout_s: int = Field(default=5, ge=1, le=60)

    supabase_url: str = "http://127.0.0.1:54321"
    supabase_jwt_secret: SecretStr | None = SecretStr(LOCAL_JWT_SECRET)
    supabase_jwks_url: str | None = None
    # GoTrue's admin API (erasure deletes the Auth user); locally the Supabase CLI's demo key.
    supabase_service_role_key: SecretStr = SecretStr(LOCAL_SERVICE_ROLE_KEY)
    supabase_jwt_issuer: str | None = None
    supabase_jwt_audience: str = "authenticated"
    jwks_cache_ttl_s: int = Field(default=600, ge=0)

    upstash_redis_rest_url: str = "http://127.0.0.1:8079"
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

    # Database-triggered webhooks (outbox dispatcher -> functions/db_events).
    webhook_url: str = "http://127.0.0.1:3000/v1/internal/db-events"
    webhook_secret: SecretStr = SecretStr(LOCAL_WEBHOOK_SECRET)
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    # The longest backoff between two attempts of one change (RetryPolicy.cap_s).
    webhook_retry_cap_s: float = Field(default=600.0, gt=0, le=3600)

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

    @field_validator("s3_endpoint_url", mode="after")
    @classmethod
    def _blank_endpoint_means_aws(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @property
    def jwt_issuer(self) -> str:
        """The `iss` every accepted token must carry."""
        return self.supabase_jwt_issuer or f"{self.supabase_url.rstrip('/')}/auth/v1"

    @property
    def jwks_url(self) -> str:
        """Where the project's public signing keys are published."""
        return self.supabase_jwks_url or f"{self.jwt_issuer}/.well-known/jwks.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, validated once."""
    return Settings()
