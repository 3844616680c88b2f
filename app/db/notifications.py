"""Listening on PostgreSQL for the tenants whose actions changed, and for revoked credentials.

Triggers on ``actions`` (migration 5b8e1c2d4f60) send ``NOTIFY followup_actions,
'<tenant id>'`` for every tenant a statement touched, and ``'*'`` when the table is
truncated; triggers on ``candidate_access_tokens`` (migration 4c7a2e9d1f38) send ``NOTIFY
followup_credentials, '<token id>'`` for every token revoked or deleted (a candidate's
erasure deletes theirs). PostgreSQL delivers them when the transaction commits. Each API
process keeps one connection of its own (outside the pool) listening to both channels,
and hands each tenant to ``on_change`` (``on_everything`` for ``'*'``) and each revoked
credential to ``on_credential_revoked``.

A notification sent while nobody listens is gone, so ``on_lost`` is called as soon as the
connection is known to be down, before it is opened again with a growing pause, and
``on_listening`` once ``LISTEN`` is in effect again. Every ``check_every`` seconds the
listener sends itself a notification and must hear it back within that time: a
connection that still answers queries but no longer delivers notifications counts as
down. It also refuses to count as listening where the triggers are missing (a database
restored without them, say), since nothing would ever be announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

CHANNEL = "followup_actions"
CREDENTIALS_CHANNEL = "followup_credentials"
EVERYTHING = "*"  # the payload of a TRUNCATE
TRIGGERS = (
    "actions_notify_insert",
    "actions_notify_update",
    "actions_notify_delete",
    "actions_notify_truncate",
    "candidate_access_tokens_notify_revoked",
    "candidate_access_tokens_notify_deleted",
)
# How the listening connection shows in pg_stat_activity.
APPLICATION_NAME = "followup-listener"
CONNECT_TIMEOUT_SECONDS = 10.0
MAX_RETRY_PAUSE_SECONDS = 30.0
# Connection options SQLAlchemy's asyncpg dialect reads itself rather than pass to asyncpg.
_SQLALCHEMY_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func")

logger = logging.getLogger("followup.notifications")


def connect_arguments(engine: AsyncEngine) -> dict[str, Any]:
    """What ``asyncpg.connect`` needs to reach the engine's database, as the engine does
    (TLS and multi-host options in the URL included)."""
    _, arguments = engine.dialect.create_connect_args(engine.url)
    for name in _SQLALCHEMY_ONLY:
        arguments.pop(name, None)
    return dict(arguments)


class ChangeListener:
    """One connection listening on ``followup_actions`` and ``followup_credentials``,
    reopened whenever it drops."""

    def __init__(
        self,
        connect: dict[str, Any],
        *,
        on_change: Callable[[str], None],
        on_everything: Callable[[], None],
        on_listening: Callable[[], None],
        on_lost: Callable[[], None],
        check_every: float,
        on_credential_revoked: Callable[[str], None] = lambda _credential_id: None,
    ) -> None:
        self._connect = connect
        self._on_change = on_change
        self._on_credential_revoked = on_credential_revoked
        self._on_everything = on_everything
        self._on_listening = on_listening
        self._on_lost = on_lost
        self._check_every = check_every
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None
        self._probe = ""
        self._probe_heard = asyncio.Event()
        self.listening = asyncio.Event()
        self._first_attempt_over = asyncio.Event()

    async def start(self) -> None:
        """Begin listening in the background, once the first attempt succeeded or failed.

        Failing is not fatal: requests are then served without the page cache until a
        later attempt succeeds.
        """
        self._task = asyncio.create_task(self._run(), name="followup-action-changes")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_attempt_over.wait(), 2 * CONNECT_TIMEOUT_SECONDS)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        pause = 0.1
        while True:
            dropped = asyncio.Event()
            try:
                self._connection = await asyncpg.connect(
                    **self._connect,
                    timeout=CONNECT_TIMEOUT_SECONDS,
                    server_settings={"application_name": APPLICATION_NAME},
                )
                self._connection.add_termination_listener(_setter(dropped))
                await self._require_triggers()
                await self._connection.add_listener(CHANNEL, self._notified)
                await self._connection.add_listener(CREDENTIALS_CHANNEL, self._credential_notified)
                await self._check()  # heard end to end before anything is served
                self._on_listening()
                self.listening.set()
                self._first_attempt_over.set()
                pause = 0.1
                await self._watch(dropped)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure means notifications may be missed
                logger.warning("listening for action changes failed: %s", exc)
            finally:
                self.listening.clear()
                self._on_lost()
                self._close()
                self._first_attempt_over.set()
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_RETRY_PAUSE_SECONDS)

    async def _require_triggers(self) -> None:
        assert self._connection is not None
        found = await self._connection.fetchval(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal "
            "AND tgrelid IN ('actions'::regclass, 'candidate_access_tokens'::regclass) "
            "AND tgname = ANY($1::text[])",
            list(TRIGGERS),
        )
        if found != len(TRIGGERS):
            raise LookupError("the triggers that announce changes are missing")

    async def _watch(self, dropped: asyncio.Event) -> None:
        """Return only by raising, once the connection is gone or has stopped delivering."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(dropped.wait(), self._check_every)
            if dropped.is_set():
                raise ConnectionError("the listening connection closed")
            await self._check()

    async def _check(self) -> None:
        """Notify ourselves and hear it back within ``check_every`` seconds."""
        assert self._connection is not None
        self._probe = "probe:" + secrets.token_hex(8)
        self._probe_heard.clear()
        await self._connection.execute(
            "SELECT pg_notify($1, $2)", CHANNEL, self._probe, timeout=self._check_every
        )
        try:
            await asyncio.wait_for(self._probe_heard.wait(), self._check_every)
        except TimeoutError:
            raise ConnectionError("the listening connection stopped delivering") from None

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        # Called by asyncpg outside any task: an error here would only be logged, and the
        # change it carried lost, so any failure drops everything instead.
        try:
            if payload == self._probe:
                self._probe_heard.set()
            elif payload == EVERYTHING:
                self._on_everything()
            elif not payload.startswith("probe:"):
                self._on_change(payload)
        except Exception:
            logger.exception("handling a change notification failed; forgetting every page")
            self._on_everything()

    def _credential_notified(
        self, _connection: Any, _pid: int, _channel: str, payload: str
    ) -> None:
        # As above: an error here would lose a revocation, so every page is dropped and the
        # listener is treated as lost, which drops every cached candidate token too.
        try:
            self._on_credential_revoked(payload)
        except Exception:
            logger.exception("handling a revoked credential failed; starting over")
            self._on_lost()
            self._on_listening()

    def _close(self) -> None:
        # Terminated rather than closed gracefully: nothing is pending on this connection,
        # and no await here means a cancellation cannot leave it open.
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            connection.terminate()


def _setter(event: asyncio.Event) -> Callable[[Any], None]:
    return lambda _connection: event.set()
