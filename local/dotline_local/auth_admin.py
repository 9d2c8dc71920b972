"""The slice of Supabase Auth's admin API erasure uses, over the local `auth.users` table.

`GET` and `DELETE /auth/v1/admin/users/{id}`, authorised like GoTrue: the service-role key as
bearer (a JWT with role service_role, signed with the project's JWT secret). A delete cascades
through Postgres exactly as GoTrue's does. Served on SUPABASE_URL's port (54321) by `dotline up`.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Sequence
from typing import Any

import jwt
import psycopg
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dotline.settings import Settings, get_settings

_SELECT = "select id, email, created_at from auth.users where id = %(id)s"
_DELETE = "delete from auth.users where id = %(id)s returning id, email, created_at"


def build_app(settings: Settings) -> Starlette:
    """The admin routes and /health."""
    dsn = settings.database_url.get_secret_value()
    secret = settings.supabase_jwt_secret.get_secret_value() if settings.supabase_jwt_secret else ""

    async def user(request: Request) -> Response:
        if not _is_service_role(request, secret):
            return _error(401, "This endpoint requires a valid service-role key.")
        try:
            user_id = uuid.UUID(request.path_params["user_id"])
        except ValueError:
            return _error(404, "User not found")
        found = await run_in_threadpool(_user_query, dsn, request.method, user_id)
        if found is None:
            return _error(404, "User not found")
        return JSONResponse(found)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/auth/v1/admin/users/{user_id}", user, methods=["GET", "DELETE"]),
            Route("/health", health),
        ]
    )


def _user_query(dsn: str, method: str, user_id: uuid.UUID) -> dict[str, Any] | None:
    query = _DELETE if method == "DELETE" else _SELECT
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(query, {"id": user_id}).fetchone()
    if row is None:
        return None
    return {"id": str(row[0]), "email": row[1], "created_at": row[2].isoformat()}


def _is_service_role(request: Request, secret: str) -> bool:
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not bearer or not secret:
        return False
    try:
        claims = jwt.decode(bearer, secret, algorithms=["HS256"], options={"verify_aud": False})
    except jwt.PyJWTError:
        return False
    return claims.get("role") == "service_role"


def _error(status: int, message: str) -> Response:
    return JSONResponse({"code": status, "msg": message}, status_code=status)


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
