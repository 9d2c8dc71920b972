"""A local Supabase Realtime face: Broadcast on private channels, for Supabase's own clients.

Served on SUPABASE_URL's port (54321) beside the Auth admin emulation, where the clients look for
it: `ws://127.0.0.1:54321/realtime/v1/websocket?apikey=...&vsn=1.0.0` (the Phoenix channel
protocol, JSON serializer) and `POST /realtime/v1/api/broadcast`. What it does, as Realtime does:

- refuses a socket whose `apikey` is not a JWT signed with the project's secret (403);
- answers `heartbeat` on `phoenix`;
- `phx_join` of `realtime:{topic}`: the token (the join's `access_token`, else the socket's
  `apikey`) must be a JWT signed with the project's secret and not expired. A private channel
  (`config.private`) is authorised by the policies on `realtime.messages`, run the way Realtime
  runs them: in a transaction, insert a probe message for the topic, become the token's role with
  its claims in `request.jwt.claims` and the topic in `realtime.topic`, select the probe back,
  roll back. Not readable: `phx_reply` with status `error`. A public channel joins as is;
  private and public channels of one topic are separate (a private message reaches only private
  subscribers);
- delivers each broadcast as `{"event": "broadcast", "payload": {"type": "broadcast",
  "event", "payload"}}`: sent from SQL (`realtime.send` inserts into `realtime.messages`; the
  emulation's trigger notifies `realtime_local_face` with the row's id at commit) or through the
  REST API (the service-role key sends on any topic; another token only where the insert policies
  let its role write, checked like a join);
- a client's own `broadcast` on a private channel goes out only where the insert policies allow.

Presence and Postgres Changes are not emulated.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
import psycopg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from dotline.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "realtime_local_face"
TOPIC_PREFIX = "realtime:"
_PROBE = """
insert into realtime.messages (topic, extension) values (%(topic)s, 'broadcast') returning id
"""
_BECOME = """
select set_config('role', %(role)s, true), set_config('realtime.topic', %(topic)s, true),
       set_config('request.jwt.claims', %(claims)s, true)
"""
_SENT = "select topic, event, payload, private from realtime.messages where id = %(id)s"


class Unauthorized(Exception):
    """A token or a topic the caller may not use; the message is what the client is told."""


@dataclass(eq=False)
class _Socket:
    """One client connection: its outgoing queue and the channels it joined."""

    outbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    apikey: str | None = None
    joined: dict[str, _Join] = field(default_factory=dict)


@dataclass(frozen=True)
class _Join:
    topic: str  # without the `realtime:` prefix
    private: bool
    join_ref: str | None
    claims: dict[str, Any]


class RealtimeFace:
    """The hub: who joined what, the database checks and the fan-out."""

    def __init__(self, settings: Settings) -> None:
        self._dsn = settings.database_url.get_secret_value()
        self._secret = (
            settings.supabase_jwt_secret.get_secret_value() if settings.supabase_jwt_secret else ""
        )
        self._subscribers: dict[tuple[str, bool], set[_Socket]] = defaultdict(set)

    # --- the routes ---------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            WebSocketRoute("/realtime/v1/websocket", self.websocket),
            Route("/realtime/v1/api/broadcast", self.rest_broadcast, methods=["POST"]),
        ]

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Listen for broadcasts sent from SQL while the server runs."""
        listener = asyncio.create_task(self._listen())
        try:
            yield
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def websocket(self, ws: WebSocket) -> None:
        apikey = ws.query_params.get("apikey") or ""
        try:
            self._claims(apikey)
        except Unauthorized:
            await ws.close(code=1008)  # before the upgrade: a 403, as Realtime refuses a bad key
            return
        await ws.accept()
        socket = _Socket(apikey=apikey)
        writer = asyncio.create_task(_write(ws, socket.outbox))
        try:
            while True:
                try:
                    message = json.loads(await ws.receive_text())
                except (ValueError, KeyError):
                    continue  # not a Phoenix JSON frame: ignored, as Phoenix ignores it
                if isinstance(message, dict):
                    await self._handle(socket, message)
        except WebSocketDisconnect:
            pass
        finally:
            for join in socket.joined.values():
                self._subscribers[(join.topic, join.private)].discard(socket)
            writer.cancel()

    async def rest_broadcast(self, request: Request) -> Response:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        try:
            claims = self._claims(bearer or request.headers.get("apikey", ""))
            body = json.loads(await request.body())
            messages = body["messages"]
            if not isinstance(messages, list):
                raise TypeError
        except Unauthorized as exc:
            return JSONResponse({"message": str(exc)}, status_code=401)
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"message": 'expected {"messages": [...]}'}, status_code=400)
        for message in messages:
            if not isinstance(message, dict) or not isinstance(message.get("topic"), str):
                return JSONResponse({"message": "each message needs a topic"}, status_code=400)
        for message in messages:
            topic, private = message["topic"], bool(message.get("private", False))
            service = claims.get("role") == "service_role"
            if private and not service and not await self._may(claims, topic, write=True):
                continue  # Realtime drops what the policies do not let the sender write
            self._fan_out(topic, private, str(message.get("event", "")), message.get("payload"))
        return Response(status_code=202)

    # --- the protocol -------------------------------------------------------------------------

    async def _handle(self, socket: _Socket, message: dict[str, Any]) -> None:
        event, topic, ref = message.get("event"), str(message.get("topic", "")), message.get("ref")
        payload = message.get("payload") if isinstance(message.get("payload"), dict) else {}
        assert isinstance(payload, dict)
        if event == "heartbeat":
            _reply(socket, topic, ref, None, "ok", {})
        elif event == "phx_join":
            await self._join(socket, topic, ref, message.get("join_ref"), payload)
        elif event == "phx_leave":
            join = socket.joined.pop(topic, None)
            if join is not None:
                self._subscribers[(join.topic, join.private)].discard(socket)
            _reply(socket, topic, ref, message.get("join_ref"), "ok", {})
        elif event == "access_token":
            await self._refresh(socket, topic, str(payload.get("access_token") or ""))
        elif event == "broadcast":
            await self._client_broadcast(socket, topic, payload)

    async def _join(
        self, socket: _Socket, topic: str, ref: Any, join_ref: Any, payload: dict[str, Any]
    ) -> None:
        config = payload.get("config") if isinstance(payload.get("config"), dict) else {}
        assert isinstance(config, dict)
        private = bool(config.get("private", False))
        sub_topic = topic.removeprefix(TOPIC_PREFIX)
        try:
            claims = self._claims(str(payload.get("access_token") or socket.apikey or ""))
            if private and not await self._may(claims, sub_topic, write=False):
                raise Unauthorized(
                    "Unauthorized: You do not have permissions to read from this Channel topic: "
                    + sub_topic
                )
        except Unauthorized as exc:
            _reply(socket, topic, ref, join_ref, "error", {"reason": str(exc)})
            return
        previous = socket.joined.get(topic)
        if previous is not None:
            self._subscribers[(previous.topic, previous.private)].discard(socket)
        join = _Join(sub_topic, private, None if join_ref is None else str(join_ref), claims)
        socket.joined[topic] = join
        self._subscribers[(sub_topic, private)].add(socket)
        _reply(socket, topic, ref, join_ref, "ok", {"postgres_changes": []})

    async def _refresh(self, socket: _Socket, topic: str, token: str) -> None:
        """A new access token for a joined channel: kept when it still may read, else the channel
        is closed with a system error, as Realtime does."""
        join = socket.joined.get(topic)
        if join is None:
            return
        try:
            claims = self._claims(token)
            if join.private and not await self._may(claims, join.topic, write=False):
                raise Unauthorized("Unauthorized: the new token may not read this topic")
        except Unauthorized as exc:
            socket.joined.pop(topic, None)
            self._subscribers[(join.topic, join.private)].discard(socket)
            socket.outbox.put_nowait(
                {
                    "event": "system",
                    "topic": topic,
                    "payload": {
                        "channel": join.topic,
                        "extension": "system",
                        "message": str(exc),
                        "status": "error",
                    },
                    "ref": None,
                }
            )
            return
        socket.joined[topic] = _Join(join.topic, join.private, join.join_ref, claims)

    async def _client_broadcast(self, socket: _Socket, topic: str, payload: dict[str, Any]) -> None:
        join = socket.joined.get(topic)
        if join is None:
            return
        if join.private and not await self._may(join.claims, join.topic, write=True):
            return
        self._fan_out(
            join.topic, join.private, str(payload.get("event", "")), payload.get("payload")
        )

    def _fan_out(self, topic: str, private: bool, event: str, payload: Any) -> None:
        for socket in list(self._subscribers.get((topic, private), ())):
            join = socket.joined.get(TOPIC_PREFIX + topic)
            socket.outbox.put_nowait(
                {
                    "event": "broadcast",
                    "topic": TOPIC_PREFIX + topic,
                    "payload": {"type": "broadcast", "event": event, "payload": payload},
                    "ref": None,
                    "join_ref": join.join_ref if join else None,
                }
            )

    # --- tokens and policies ------------------------------------------------------------------

    def _claims(self, token: str) -> dict[str, Any]:
        if not token or not self._secret:
            raise Unauthorized("Unauthorized: no valid token")
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], options={"verify_aud": False}
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("Token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("Unauthorized: invalid token") from exc
        if not isinstance(claims.get("role"), str):
            raise Unauthorized("Unauthorized: the token has no role")
        return claims

    async def _may(self, claims: dict[str, Any], topic: str, *, write: bool) -> bool:
        """Whether the policies on realtime.messages let the token's role read (or write)
        broadcasts on the topic, checked in a transaction that is rolled back."""
        role = claims["role"]
        if role not in ("anon", "authenticated", "service_role"):
            return False
        params = {"role": role, "topic": topic, "claims": json.dumps(claims)}
        async with await psycopg.AsyncConnection.connect(self._dsn) as conn:
            try:
                async with conn.transaction(force_rollback=True):
                    if write:
                        await conn.execute(_BECOME, params)
                        await conn.execute(_PROBE, params)
                        return True
                    probe = await (await conn.execute(_PROBE, params)).fetchone()
                    assert probe is not None
                    await conn.execute(_BECOME, params)
                    found = await (
                        await conn.execute(
                            "select 1 from realtime.messages"
                            " where topic = %(topic)s and extension = 'broadcast' and id = %(id)s",
                            {"topic": topic, "id": probe[0]},
                        )
                    ).fetchone()
                    return found is not None
            except psycopg.errors.InsufficientPrivilege:
                return False

    # --- broadcasts sent from SQL ---------------------------------------------------------------

    async def _listen(self) -> None:
        """LISTEN for the ids of messages inserted into realtime.messages; reconnect on loss."""
        while True:
            try:
                # Two connections: `notifies()` holds its connection while it waits.
                async with (
                    await psycopg.AsyncConnection.connect(self._dsn, autocommit=True) as conn,
                    await psycopg.AsyncConnection.connect(self._dsn, autocommit=True) as reader,
                ):
                    await conn.execute(f"listen {CHANNEL}")
                    async for notice in conn.notifies():
                        await self._deliver_sent(reader, notice.payload)
            except asyncio.CancelledError:
                raise
            except psycopg.Error as exc:
                logger.warning("realtime face: listening again after %s", type(exc).__name__)
                await asyncio.sleep(1)

    async def _deliver_sent(self, conn: psycopg.AsyncConnection[Any], message_id: str) -> None:
        try:
            uuid.UUID(message_id)
        except ValueError:
            return
        row = await (await conn.execute(_SENT, {"id": message_id})).fetchone()
        if row is not None:
            topic, event, payload, private = row
            self._fan_out(topic, bool(private), event or "", payload)


def _reply(
    socket: _Socket, topic: str, ref: Any, join_ref: Any, status: str, response: dict[str, Any]
) -> None:
    socket.outbox.put_nowait(
        {
            "event": "phx_reply",
            "topic": topic,
            "payload": {"status": status, "response": response},
            "ref": ref,
            "join_ref": join_ref,
        }
    )


async def _write(ws: WebSocket, outbox: asyncio.Queue[dict[str, Any]]) -> None:
    """The connection's one writer: frames go out in order, one at a time."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await ws.send_text(json.dumps(await outbox.get(), default=str))


def lifespan_of(
    face: RealtimeFace,
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """A Starlette lifespan that runs the face's listener."""

    def lifespan(app: Any) -> contextlib.AbstractAsyncContextManager[None]:
        return face.running()

    return lifespan
