"""The deployment profile: where local defaults may apply, and what a deployed function needs.

Under the explicit local profile (`DOTLINE_PROFILE=local`, which the Makefile, the local tooling
(`dotline` CLI, gateway, benches) and the tests set) the defaults point at the local stack and the
embedded backends stand in for the production ones. Anywhere else, and always inside Lambda,
every security setting must be given and must not be a well-known local value, and every port
must have its production backend: a function that lacks one refuses to serve (see
`dotline.settings.get_settings`). Adding a security setting is one line in SECURITY_SETTINGS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from dotline.settings import (
    LOCAL_CURSOR_SECRET,
    LOCAL_DATABASE_URL,
    LOCAL_JWT_SECRET,
    LOCAL_REDIS_REST_TOKEN,
    LOCAL_REDIS_REST_URL,
    LOCAL_SERVICE_ROLE_KEY,
    LOCAL_SUPABASE_URL,
    LOCAL_WEBHOOK_SECRET,
    Settings,
)

PROFILE_ENV = "DOTLINE_PROFILE"
LOCAL_PROFILE = "local"
LAMBDA_ENV = "AWS_LAMBDA_FUNCTION_NAME"


@dataclass(frozen=True)
class Required:
    """A setting a deployed function must be given explicitly, never one of `local_values`.

    `blank_ok`: an explicit blank is a choice, not a gap (SUPABASE_JWT_SECRET="" disables HS256).
    """

    name: str
    local_values: frozenset[str] = frozenset()
    blank_ok: bool = False


SECURITY_SETTINGS: tuple[Required, ...] = (
    Required("database_url", frozenset({LOCAL_DATABASE_URL})),
    # The token issuer and its JWKS, and Auth's admin API, all live at SUPABASE_URL.
    Required("supabase_url", frozenset({LOCAL_SUPABASE_URL, "http://localhost:54321"})),
    Required("supabase_jwt_secret", frozenset({LOCAL_JWT_SECRET}), blank_ok=True),
    Required("supabase_service_role_key", frozenset({LOCAL_SERVICE_ROLE_KEY})),
    Required("webhook_secret", frozenset({LOCAL_WEBHOOK_SECRET})),
    Required("upstash_redis_rest_url", frozenset({LOCAL_REDIS_REST_URL})),
    Required("upstash_redis_rest_token", frozenset({LOCAL_REDIS_REST_TOKEN})),
    Required("cursor_secret", frozenset({LOCAL_CURSOR_SECRET})),
)

# Each port's production backend, by the setting that selects it (see dotline.bootstrap): unset,
# the embedded stand-in would serve silently.
PRODUCTION_BACKENDS: tuple[Required, ...] = (
    Required("neo4j_uri"),
    Required("weaviate_url"),
    Required("embeddings_url"),
    Required("llm_url"),
)


def is_local(environ: Mapping[str, str]) -> bool:
    """True under the explicit local profile, which Lambda never runs."""
    return environ.get(PROFILE_ENV) == LOCAL_PROFILE and not environ.get(LAMBDA_ENV)


def refusals(settings: Settings, environ: Mapping[str, str]) -> list[str]:
    """Why these settings may not serve here, one reason per setting (names, never values);
    empty when they may."""
    if is_local(environ):
        return []
    reasons = []
    if environ.get(PROFILE_ENV) == LOCAL_PROFILE:
        reasons.append(f"{PROFILE_ENV}: the local profile is refused inside Lambda")
    for rule in (*SECURITY_SETTINGS, *PRODUCTION_BACKENDS):
        problem = _problem(settings, rule)
        if problem:
            reasons.append(f"{rule.name}: {problem}")
    return reasons


def _problem(settings: Settings, rule: Required) -> str | None:
    value = getattr(settings, rule.name)
    text = value.get_secret_value() if isinstance(value, SecretStr) else (value or "")
    if rule.name not in settings.model_fields_set:
        return "missing"
    if not str(text).strip() and not rule.blank_ok:
        return "blank"
    if text in rule.local_values:
        return "a well-known local value"
    return None
