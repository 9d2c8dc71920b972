"""Upstash Redis's REST protocol in front of a real redis-server, for the production SDKs."""

from __future__ import annotations

import argparse
import hmac
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

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


def build_app(redis_url: str, token: str) -> Asgi:
    """The REST face as an ASGI app; every endpoint but /health wants `Bearer <token>`.

    Plain ASGI rather than a framework: every rate-limit check of every request comes through
    here, on the same cores as the gateway, and Starlette's routing, request and response
    objects cost a third of this process's CPU a call."""
    rest = UpstashRest(redis_url)
    expected = token.encode()

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(rest, receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path == "/health" and scope["method"] == "GET":
            status, payload = await _health(rest)
        elif scope["method"] not in ("GET", "POST"):
            status, payload = 405, {"error": "Method Not Allowed"}
        else:
            headers = dict(scope["headers"])
            query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            if not _authorised(headers.get(b"authorization", b""), query, expected):
                status, payload = 401, {"error": "Unauthorized"}
            else:
                encode = headers.get(b"upstash-encoding", b"").lower() == b"base64"
                body = await _body(receive)
                status, payload = await _guarded(_answer(rest, scope, query, body, encode))
        content = json.dumps(payload, separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(content)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})

    return app


Asgi = Callable[[dict[str, Any], "Receive", "Send"], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def _lifespan(rest: UpstashRest, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await rest.redis.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _health(rest: UpstashRest) -> tuple[int, Any]:
    try:
        await rest.redis.ping()
    except RedisError as exc:
        return 503, {"status": "down", "error": error_message(exc)}
    return 200, {"status": "ok"}


def _authorised(header: bytes, query: list[tuple[str, str]], expected: bytes) -> bool:
    if header[:7].lower() == b"bearer ":
        given = header[7:]
    else:
        given = next((v for k, v in query if k == "_token"), "").encode()
    return hmac.compare_digest(given, expected)


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _guarded(answer: Awaitable[tuple[int, Any]]) -> tuple[int, Any]:
    """The answer, or Redis's errors and malformed commands as Upstash reports them."""
    try:
        return await answer
    except (BadCommand, json.JSONDecodeError, UnicodeDecodeError) as exc:
        message = str(exc) if isinstance(exc, BadCommand) else "ERR request is not JSON"
        return 400, {"error": message}
    except (RedisConnectionError, RedisTimeoutError) as exc:
        return 503, {"error": error_message(exc)}
    except RedisError as exc:
        return 400, {"error": error_message(exc)}


async def _answer(
    rest: UpstashRest,
    scope: dict[str, Any],
    query: list[tuple[str, str]],
    body: bytes,
    encode: bool,
) -> tuple[int, Any]:
    # Split the path as sent, then decode each part: a key may hold an encoded "/".
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    path = raw_path.decode("latin-1").strip("/")
    if path == "pipeline":
        replies = await rest.pipeline(json.loads(body))
        return 200, [_item(reply, encode) for reply in replies]
    if path == "multi-exec":
        replies, aborted = await rest.transaction(json.loads(body))
        return (400 if aborted else 200), [_item(reply, encode) for reply in replies]
    if path == "":
        command = json.loads(body)
    else:
        # Path style: `/set/key/value?EX=10`, a POST body being the last argument.
        command = [unquote(part) for part in path.split("/")]
        for key, value in query:
            if key != "_token":
                command.extend([key, value] if value else [key])
        if scope["method"] == "POST" and body:
            command.append(body.decode("utf-8"))
    reply = await rest.single(command)
    return 200, {"result": reply_json(reply, encode_base64=encode)}


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
