"""Local sign-up and access tokens shaped like Supabase Auth's, signed with the local secret."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import psycopg
from psycopg.types.json import Jsonb

from dotline.settings import Settings, get_settings

TOKEN_TTL_S = 3600
# The Supabase CLI's well-known local anon key (role anon, signed with the local JWT secret): what
# a client hands Realtime as `apikey` before it sets the person's access token.
LOCAL_ANON_KEY = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAi"
    "OjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0"
)


def sign_up(
    conn: psycopg.Connection[Any], email: str, app_metadata: dict[str, Any] | None = None
) -> uuid.UUID:
    """The auth user with this email, created (as Supabase Auth would) if missing."""
    metadata = {"provider": "email", "providers": ["email"], **(app_metadata or {})}
    row = conn.execute(
        """
        insert into auth.users (instance_id, id, aud, role, email, encrypted_password,
                                email_confirmed_at, raw_app_meta_data, raw_user_meta_data,
                                created_at, updated_at)
        select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',
               'authenticated', %(email)s::text, '', now(), %(app)s, '{}'::jsonb, now(), now()
        where not exists (select 1 from auth.users where lower(email) = lower(%(email)s::text))
        returning id
        """,
        {"email": email, "app": Jsonb(metadata)},
    ).fetchone()
    if row is None:
        row = conn.execute(
            "select id from auth.users where lower(email) = lower(%(email)s)", {"email": email}
        ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def sign_in(conn: psycopg.Connection[Any], user_id: uuid.UUID) -> None:
    """Stamp a sign-in as GoTrue does on every password, OTP or OAuth grant (not on a refresh):
    `auth.users.last_sign_in_at`, which a trigger copies to `profiles.last_login_at`."""
    conn.execute(
        "update auth.users set last_sign_in_at = now(), updated_at = now() where id = %(id)s",
        {"id": user_id},
    )


def mint_token(
    user_id: uuid.UUID,
    email: str,
    *,
    settings: Settings | None = None,
    ttl_s: int = TOKEN_TTL_S,
    app_metadata: dict[str, Any] | None = None,
    **overrides: Any,
) -> str:
    """An HS256 access token with the claims Supabase Auth puts in one."""
    settings = settings or get_settings()
    if settings.supabase_jwt_secret is None:
        raise RuntimeError("SUPABASE_JWT_SECRET is needed to mint local tokens")
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "sub": str(user_id),
        "aud": "authenticated",
        "exp": now + ttl_s,
        "iat": now,
        "email": email,
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"], **(app_metadata or {})},
        "user_metadata": {},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "session_id": str(uuid.uuid4()),
        "is_anonymous": False,
    }
    claims.update(overrides)
    return jwt.encode(claims, settings.supabase_jwt_secret.get_secret_value(), algorithm="HS256")


def issue_token(email: str, settings: Settings | None = None) -> str:
    """Create the local user if needed, sign them in and return an access token for them."""
    settings = settings or get_settings()
    with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as conn:
        user_id = sign_up(conn, email)
        sign_in(conn, user_id)
    return mint_token(user_id, email, settings=settings)
