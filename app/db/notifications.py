"""Listening on PostgreSQL for the tenants whose actions changed.

A trigger on ``actions`` (migration 5b8e1c2d4f60) sends ``NOTIFY followup_actions,
'<tenant id>'`` for every tenant a statement touched, delivered when its transaction
commits. Each API process keeps one connection of its own (outside the pool) listening to
that channel, and hands each tenant to ``on_change``.

A notification sent while nobody listens is gone, so ``on_lost`` is called as soon as the
connection is known to be down (it closed, or a periodic check failed), before it is
opened again with a growing pause; ``on_listening`` once ``LISTEN`` is in effect again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

CHANNEL = "followup_actions"
# How the listening connection shows in pg_stat_activity.
APPLICATION_NAME = "followup-listener"
MAX_RETRY_PAUSE_SECONDS = 30.0

logger = logging.getLogger("followup.notifications")


def asyncpg_dsn(database_url: str) -> str:
    """The libpq-style DSN asyncpg takes, from this app's SQLAlchemy URL."""
    url = make_url(database_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class ActionChangeListener:
    """One connection listening on ``followup_actions``, reopened whenever it drops."""

    def __init__(
        self,
        dsn: str,
        *,
        on_change: Callable[[str], None],
        on_listening: Callable[[], None],
        on_lost: Callable[[], None],
        check_every: float,
    ) -> None:
        self._dsn = dsn
        self._on_change = on_change
        self._on_listening = on_listening
        self._on_lost = on_lost
        self._check_every = check_every
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        """Begin listening in the background, waiting a little for the first LISTEN.

        A database that does not answer in time is not fatal: requests are then served
        without the page cache until the connection succeeds.
        """
        self._task = asyncio.create_task(self._run(), name="followup-action-changes")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), self._check_every)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        pause = 0.1
        while True:
            dropped = asyncio.Event()
            try:
                self._connection = await asyncpg.connect(
                    self._dsn,
                    timeout=self._check_every,
                    server_settings={"application_name": APPLICATION_NAME},
                )
                self._connection.add_termination_listener(_setter(dropped))
                await self._connection.add_listener(CHANNEL, self._notified)
                self._on_listening()
                self.listening.set()
                pause = 0.1
                await self._watch(dropped)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure means notifications may be missed
                logger.warning("listening for action changes failed: %s", exc)
            finally:
                self.listening.clear()
                self._on_lost()
                await self._close()
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_RETRY_PAUSE_SECONDS)

    async def _watch(self, dropped: asyncio.Event) -> None:
        """Return when the connection is gone; a dropped network can look like silence."""
        assert self._connection is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(dropped.wait(), self._check_every)
            if dropped.is_set():
                raise ConnectionError("the listening connection closed")
            await self._connection.fetchval("SELECT 1", timeout=self._check_every)

    def _notified(self, _connection: Any, _pid: int, _channel: str, tenant_id: str) -> None:
        self._on_change(tenant_id)

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)
            if not connection.is_closed():
                connection.terminate()


def _setter(event: asyncio.Event) -> Callable[[Any], None]:
    return lambda _connection: event.set()
