"""Upstash Redis's REST protocol in front of a real redis-server, for the production SDKs."""

from __future__ import annotations

import argparse
import contextlib
import hmac
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import unquote

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dotline_local.lua_scripts import ReplyFix, ScriptShas
from dotline_local.upstash_replies import BadCommand, command_args, error_message, reply_json

REDIS_CONNECT_TIMEOUT_S = 5
# Long enough for blocking commands (BLPOP ... 25) the SDK may send, short enough to notice a
# dead server.
REDIS_SOCKET_TIMEOUT_S = 30
REDIS_MAX_CONNECTIONS = 64
# Commands that need a connection of their own; Upstash's REST face refuses them too.
UNSUPPORTED = frozenset(
    {b"SUBSCRIBE", b"PSUBSCRIBE", b"SSUBSCRIBE", b"UNSUBSCRIBE", b"PUNSUBSCRIBE", b"MONITOR"}
    | {b"MULTI", b"EXEC", b"DISCARD", b"WATCH", b"UNWATCH", b"SELECT", b"QUIT", b"RESET"}
    | {b"AUTH", b"HELLO", b"SYNC", b"PSYNC"}
)


class UpstashRest:
    """The Redis client and the script map behind the REST endpoints."""

    def __init__(self, redis_url: str) -> None:
        self.redis = aioredis.Redis.from_url(
            redis_url,
            decode_responses=False,
            protocol=2,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
            socket_timeout=REDIS_SOCKET_TIMEOUT_S,
            max_connections=REDIS_MAX_CONNECTIONS,
        )
        # redis-py reshapes replies per command (SET -> True, HGETALL -> dict); Upstash relays
        # Redis's replies as they are, so drop every callback (pipelines share this map).
        self.redis.response_callbacks.clear()
        self.scripts = ScriptShas()

    def prepare(self, raw: Any) -> tuple[list[bytes], ReplyFix | None]:
        args = command_args(raw)
        if args[0].upper() in UNSUPPORTED:
            raise BadCommand(f"ERR command {args[0].decode(errors='replace')} is not supported")
        return self.scripts.translate(args)

    async def single(self, raw: Any) -> Any:
        args, fix = self.prepare(raw)
        reply = await self.redis.execute_command(*args)
        return fix(reply) if fix else reply

    async def pipeline(self, raws: Any) -> list[Any]:
        """Every reply, or the error in its place; not atomic, as Upstash's /pipeline."""
        prepared = [self.prepare(raw) for raw in _commands(raws)]
        pipe = self.redis.pipeline(transaction=False)
        for args, _ in prepared:
            pipe.execute_command(*args)
        replies = await pipe.execute(raise_on_error=False)
        return [_fixed(reply, fix) for reply, (_, fix) in zip(replies, prepared, strict=True)]

    async def transaction(self, raws: Any) -> tuple[list[Any], bool]:
        """MULTI ... EXEC on one connection: the replies, and whether Redis refused to queue
        a command (then nothing ran, and each command's place holds an error)."""
        prepared = [self.prepare(raw) for raw in _commands(raws)]
        async with self.redis.client() as conn:
            conn.response_callbacks.clear()
            try:
                replies, aborted = await _multi_exec(conn, [args for args, _ in prepared])
            except BaseException:
                # A connection left inside MULTI must never go back to the pool.
                if conn.connection is not None:
                    await conn.connection.disconnect()
                raise
        fixes = [fix for _, fix in prepared]
        return [_fixed(reply, fix) for reply, fix in zip(replies, fixes, strict=True)], aborted


async def _multi_exec(conn: aioredis.Redis, commands: list[list[bytes]]) -> tuple[list[Any], bool]:
    await conn.execute_command("MULTI")
    refused: list[ResponseError | None] = []
    for args in commands:
        try:
            await conn.execute_command(*args)
            refused.append(None)
        except ResponseError as exc:
            refused.append(exc)
    if any(refused):
        await conn.execute_command("DISCARD")
        aborted = ResponseError("Transaction discarded because of previous errors.")
        aborted.status_code = "EXECABORT"
        return [exc or aborted for exc in refused], True
    return list(await conn.execute_command("EXEC")), False


def _commands(raws: Any) -> list[Any]:
    if not isinstance(raws, list) or not raws:
        raise BadCommand("ERR a pipeline is a non-empty JSON array of commands")
    return raws


def _fixed(reply: Any, fix: ReplyFix | None) -> Any:
    return reply if fix is None or isinstance(reply, Exception) else fix(reply)


def build_app(redis_url: str, token: str) -> Starlette:
    """The REST face as an ASGI app; every endpoint but /health wants `Bearer <token>`."""
    rest = UpstashRest(redis_url)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await rest.redis.aclose()

    def authorised(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        given = (
            header[7:]
            if header[:7].lower() == "bearer "
            else request.query_params.get("_token", "")
        )
        return hmac.compare_digest(given.encode(), token.encode())

    async def health(_request: Request) -> Response:
        try:
            await rest.redis.ping()
        except RedisError as exc:
            return JSONResponse({"status": "down", "error": error_message(exc)}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def endpoint(request: Request) -> Response:
        if not authorised(request):
            return JSONResponse({"error": "Unauthorized"}, status_code=401)
        encode = request.headers.get("upstash-encoding", "").lower() == "base64"
        try:
            return await _answer(rest, request, encode)
        except (BadCommand, json.JSONDecodeError) as exc:
            message = str(exc) if isinstance(exc, BadCommand) else "ERR request is not JSON"
            return JSONResponse({"error": message}, status_code=400)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            return JSONResponse({"error": error_message(exc)}, status_code=503)
        except RedisError as exc:
            return JSONResponse({"error": error_message(exc)}, status_code=400)

    methods = ["GET", "POST"]
    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/{path:path}", endpoint, methods=methods),
        ],
        lifespan=lifespan,
    )


async def _answer(rest: UpstashRest, request: Request, encode: bool) -> Response:
    path = request.url.path.strip("/")
    if path == "pipeline":
        replies = await rest.pipeline(await _json(request))
        return JSONResponse([_item(reply, encode) for reply in replies])
    if path == "multi-exec":
        replies, aborted = await rest.transaction(await _json(request))
        status = 400 if aborted else 200
        return JSONResponse([_item(reply, encode) for reply in replies], status_code=status)
    if path == "":
        command = await _json(request)
    else:
        # Path style: `/set/key/value?EX=10`, a POST body being the last argument.
        command = [unquote(part) for part in request.url.path.strip("/").split("/")]
        for key, value in request.query_params.multi_items():
            if key != "_token":
                command.extend([key, value] if value else [key])
        body = await request.body()
        if request.method == "POST" and body:
            command.append(body.decode("utf-8"))
    reply = await rest.single(command)
    return JSONResponse({"result": reply_json(reply, encode_base64=encode)})


async def _json(request: Request) -> Any:
    return json.loads(await request.body())


def _item(reply: Any, encode: bool) -> dict[str, Any]:
    if isinstance(reply, Exception):
        return {"error": error_message(reply)}
    return {"result": reply_json(reply, encode_base64=encode)}


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m dotline_local.upstash_rest --port 8079 --redis-url redis://127.0.0.1:6379/0`."""
    import uvicorn

    from dotline.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--token", default=get_settings().upstash_redis_rest_token.get_secret_value()
    )
    args = parser.parse_args(argv)
    app = build_app(args.redis_url, args.token)
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
