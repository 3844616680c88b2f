"""The database fault classifier on real errors of real databases, and the time limits
and pool hygiene it relies on: connection-level failures are faults, SQL errors are not."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db import migrations
from app.db.engine import create_engine
from app.db.faults import DatabaseFault, classify
from app.settings import Settings
from tests import conftest


def _raised(call: object) -> BaseException:
    try:
        call()  # type: ignore[operator]
    except BaseException as exc:
        return exc
    raise AssertionError("nothing was raised")


async def test_sql_errors_are_not_faults(connection: AsyncConnection) -> None:
    await connection.execute(text("CREATE TEMPORARY TABLE fault_probe (id INTEGER PRIMARY KEY)"))
    await connection.execute(text("INSERT INTO fault_probe VALUES (1)"))
    nested = await connection.begin_nested()
    with pytest.raises(IntegrityError) as duplicate:
        await connection.execute(text("INSERT INTO fault_probe VALUES (1)"))
    await nested.rollback()
    assert classify(duplicate.value) is None
    with pytest.raises(DBAPIError) as unknown:
        await connection.execute(text("SELECT * FROM no_such_table"))
    assert classify(unknown.value) is None


def test_socket_errors_outside_the_driver_are_not_faults() -> None:
    # A webhook receiver refusing, say: nothing to do with the database.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    refused = _raised(lambda: socket.create_connection(("127.0.0.1", port), timeout=1))
    assert isinstance(refused, ConnectionRefusedError)
    assert classify(refused) is None
    with pytest.raises(httpx.ConnectError) as sent:
        httpx.post(f"http://127.0.0.1:{port}/hook")
    assert classify(sent.value) is None


def test_sqlite_lock_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    waiter = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")
        locked = _raised(lambda: waiter.execute("BEGIN IMMEDIATE"))
    finally:
        holder.close()
        waiter.close()
    assert isinstance(locked, sqlite3.OperationalError)
    assert classify(locked) is DatabaseFault.BUSY


async def test_an_unreachable_database_is_unavailable(
    test_database: conftest.TestDatabase, tmp_path: Path
) -> None:
    if test_database.is_postgres:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/nothing"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'not-a-dir' / 'x' / 'followup.db'}"
    engine = create_engine(Settings(database_url=url, data_dir=tmp_path))
    try:
        with pytest.raises(Exception) as failed:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert classify(failed.value) is DatabaseFault.UNAVAILABLE


# --- PostgreSQL: the server's own time limits and terminations ---------------------------

postgres_only = pytest.mark.skipif(
    not os.environ.get(conftest.TEST_DATABASE_URL_VARIABLE, "").startswith("postgres"),
    reason="not applicable on SQLite: it has no server-side time limits or sessions to end",
)


def _limited(settings: Settings, **limits: float) -> AsyncEngine:
    return create_engine(settings.model_copy(update=limits))


@postgres_only
async def test_a_statement_past_the_timeout_is_stopped_by_the_server(settings: Settings) -> None:
    engine = _limited(settings, db_statement_timeout_seconds=0.2)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as stopped:
                await connection.execute(text("SELECT pg_sleep(2)"))
    finally:
        await engine.dispose()
    assert getattr(stopped.value.orig, "sqlstate", None) == "57014"
    assert classify(stopped.value) is DatabaseFault.TIMEOUT


@postgres_only
async def test_a_transaction_left_idle_is_ended_by_the_server(settings: Settings) -> None:
    engine = _limited(settings, db_idle_in_transaction_timeout_seconds=0.2)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))  # the transaction begins
            await asyncio.sleep(0.6)
            with pytest.raises(DBAPIError) as ended:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert classify(ended.value) is DatabaseFault.UNAVAILABLE


@postgres_only
async def test_migrations_run_without_the_time_limits(settings: Settings) -> None:
    engine = _limited(settings, db_statement_timeout_seconds=0.1)
    try:
        async with engine.begin() as connection:
            await migrations.without_time_limits(connection)
            await connection.execute(text("SELECT pg_sleep(0.3)"))  # past the 0.1 s limit
            limit = await connection.scalar(text("SHOW statement_timeout"))
        assert limit == "0"
        async with engine.connect() as connection:  # the next transaction has it again
            assert await connection.scalar(text("SHOW statement_timeout")) == "100ms"
    finally:
        await engine.dispose()


@postgres_only
async def test_a_server_shutdown_of_a_session_is_unavailable(
    settings: Settings, engine: AsyncEngine
) -> None:
    victim = create_engine(settings)
    try:
        async with victim.connect() as connection:
            pid = await connection.scalar(text("SELECT pg_backend_pid()"))
            async with engine.connect() as admin:
                await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(DBAPIError) as ended:
                await connection.execute(text("SELECT 1"))
    finally:
        await victim.dispose()
    assert classify(ended.value) is DatabaseFault.UNAVAILABLE


@postgres_only
async def test_pooled_connections_that_died_while_idle_are_replaced_unseen(
    settings: Settings, engine: AsyncEngine
) -> None:
    pooled = create_engine(settings.model_copy(update={"db_pool_size": 4}))
    try:

        async def backend_pid() -> int:
            async with pooled.connect() as connection:
                pid = await connection.scalar(text("SELECT pg_backend_pid(), pg_sleep(0.05)"))
                assert isinstance(pid, int)
                return pid

        before = set(await asyncio.gather(*(backend_pid() for _ in range(4))))
        assert len(before) == 4  # four connections now idle in the pool
        async with engine.connect() as admin:  # as a server restart would end them
            for pid in before:
                await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await asyncio.sleep(0.2)  # the pool's sockets have seen the end of stream
        after = set(await asyncio.gather(*(backend_pid() for _ in range(4))))
    finally:
        await pooled.dispose()
    assert not before & after  # every query ran, each on a fresh connection
