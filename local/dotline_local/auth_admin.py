"""The slice of Supabase Auth's admin API erasure uses, over the local `auth.users` table.

`GET` and `DELETE /auth/v1/admin/users/{id}` as supabase-py's `auth.admin` sends them
(`get_user_by_id`, `delete_user` with `{"should_soft_delete": false}`), authorised like GoTrue:
the service-role key as bearer (a JWT with role service_role, signed with the project's JWT
secret). Answers in GoTrue's shapes: a user object, or an error `{"code", "message"}` under API
version 2024-01-01 (the `X-Supabase-Api-Version` the client asks for). A delete cascades through
Postgres exactly as GoTrue's does. Served on SUPABASE_URL's port (54321) by `dotline up`, with
the local Realtime face (`dotline_local.realtime_face`) beside it.
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Sequence
from typing import Any

import jwt
import psycopg
from psycopg.rows import dict_row
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dotline.settings import Settings, get_settings
from dotline_local.realtime_face import RealtimeFace, lifespan_of

API_VERSION_HEADER = "X-Supabase-Api-Version"
API_VERSION = "2024-01-01"
_COLUMNS = """id, aud, role, email, phone, created_at, updated_at, email_confirmed_at,
    phone_confirmed_at, last_sign_in_at, raw_app_meta_data, raw_user_meta_data, is_anonymous,
    is_sso_user, banned_until, deleted_at"""
_SELECT = f"select {_COLUMNS} from auth.users where id = %(id)s"  # noqa: S608 - fixed columns
_DELETE = f"delete from auth.users where id = %(id)s returning {_COLUMNS}"  # noqa: S608


def build_app(settings: Settings) -> Starlette:
    """The admin routes and /health."""
    dsn = settings.database_url.get_secret_value()
    secret = settings.supabase_jwt_secret.get_secret_value() if settings.supabase_jwt_secret else ""

    async def user(request: Request) -> Response:
        if not _is_service_role(request, secret):
            return _error(request, 401, "no_authorization", "This endpoint requires a service key.")
        try:
            user_id = uuid.UUID(request.path_params["user_id"])
        except ValueError:
            return _error(request, 404, "user_not_found", "User not found")
        if request.method == "DELETE" and (await _json(request)).get("should_soft_delete"):
            return _error(request, 400, "validation_failed", "Soft delete is not emulated.")
        found = await run_in_threadpool(_user_query, dsn, request.method, user_id)
        if found is None:
            return _error(request, 404, "user_not_found", "User not found")
        return _answer(request, found if request.method == "GET" else {})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    face = RealtimeFace(settings)  # Realtime's face shares SUPABASE_URL with Auth
    return Starlette(
        routes=[
            Route("/auth/v1/admin/users/{user_id}", user, methods=["GET", "DELETE"]),
            Route("/health", health),
            *face.routes(),
        ],
        lifespan=lifespan_of(face),
    )


def _user_query(dsn: str, method: str, user_id: uuid.UUID) -> dict[str, Any] | None:
    query = _DELETE if method == "DELETE" else _SELECT
    with psycopg.connect(dsn, autocommit=True, row_factory=dict_row) as conn:
        row = conn.execute(query, {"id": user_id}).fetchone()
    return None if row is None else _gotrue_user(row)


def _gotrue_user(row: dict[str, Any]) -> dict[str, Any]:
    """The user object GoTrue answers (its column names, timestamps in ISO 8601)."""
    user = {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in row.items()
        if not key.startswith("raw_")
    }
    user["id"] = str(row["id"])
    user["aud"] = row["aud"] or "authenticated"
    user["app_metadata"] = row["raw_app_meta_data"] or {}
    user["user_metadata"] = row["raw_user_meta_data"] or {}
    user["confirmed_at"] = user["email_confirmed_at"]
    return user


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    try:
        value = json.loads(body) if body else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _is_service_role(request: Request, secret: str) -> bool:
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not bearer or not secret:
        return False
    try:
        claims = jwt.decode(bearer, secret, algorithms=["HS256"], options={"verify_aud": False})
    except jwt.PyJWTError:
        return False
    return claims.get("role") == "service_role"


def _answer(request: Request, body: dict[str, Any], status: int = 200) -> Response:
    asked = request.headers.get(API_VERSION_HEADER)
    headers = {API_VERSION_HEADER: API_VERSION} if asked else {}
    return JSONResponse(body, status_code=status, headers=headers)


def _error(request: Request, status: int, code: str, message: str) -> Response:
    if request.headers.get(API_VERSION_HEADER):
        return _answer(request, {"code": code, "message": message}, status)
    return JSONResponse({"code": status, "error_code": code, "msg": message}, status_code=status)


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m dotline_local.auth_admin --port 54321`."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=54321)
    args = parser.parse_args(argv)
    uvicorn.run(build_app(get_settings()), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
