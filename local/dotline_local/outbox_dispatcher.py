"""The outbox dispatcher as the local gateway runs it: the sweeper function, woken by NOTIFY.

In AWS a schedule invokes `OutboxSweeperFunction` every minute. Locally the gateway invokes the
same function whenever the trigger's `pg_notify('dotline_outbox', ...)` arrives and, as a
safety net and for retries coming due, every `TICK_S`; sweeps never overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg

from dotline.settings import get_settings
from dotline_local.function_host import FunctionHost
from dotline_local.request_log import logger

SWEEPER_ID = "OutboxSweeperFunction"
CHANNEL = "dotline_outbox"
TICK_S = 1.0
RECONNECT_S = 1.0


async def dispatch_outbox(host: FunctionHost) -> None:
    """Run sweeps for the gateway's lifetime (a gateway background task)."""
    wake = asyncio.Event()
    listener = asyncio.create_task(_listen(get_settings().database_url.get_secret_value(), wake))
    logger.info("outbox dispatcher running (LISTEN %s, every %.1f s)", CHANNEL, TICK_S)
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), TICK_S)
            wake.clear()
            await _sweep(host)
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)


async def _sweep(host: FunctionHost) -> None:
    request_id = str(uuid.uuid4())
    try:
        result = await host.invoke(SWEEPER_ID, scheduled_event(), request_id)
    except Exception:
        logger.exception("outbox sweep failed")
        return
    if isinstance(result, dict) and result.get("claimed"):
        logger.info("outbox sweep %s", result)


async def _listen(conninfo: str, wake: asyncio.Event) -> None:
    """Set wake on every notification; reconnect when the connection drops."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"listen {CHANNEL}")
                wake.set()  # changes made while we were not listening
                async for _notification in conn.notifies():
                    wake.set()
        except psycopg.Error as exc:
            logger.warning("outbox LISTEN connection lost (%s); reconnecting", exc)
        await asyncio.sleep(RECONNECT_S)


def scheduled_event() -> dict[str, Any]:
    """The event EventBridge Scheduler hands a `Schedule` function."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "local",
        "resources": [],
        "detail": {},
    }
