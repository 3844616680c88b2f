"""Engine and session factory; created by the app's lifespan or the CLI, never at import."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 5000
WRITE_TRANSACTION_OPTION = "followup_write_transaction"


def create_engine(settings: Settings, **overrides: Any) -> AsyncEngine:
    """An async engine for the configured database, tuned per backend."""
    url = settings.resolved_database_url
    options: dict[str, Any] = {
        "pool_pre_ping": False,
        "pool_timeout": settings.db_pool_timeout_seconds,
    }
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        options["connect_args"] = {
            # Opening a connection counts against the same wait as taking one from the
            # pool (asyncpg would otherwise wait 60 s for an unresponsive server).
            "timeout": settings.db_pool_timeout_seconds,
            "server_settings": server_settings(settings),
        }
        # A fixed pool: a request beyond it waits for a connection to come back. With an
        # overflow, a worker handed more concurrent requests than its pool (uvicorn does not
        # spread connections evenly) opened and closed a PostgreSQL connection per request,
        # each costing a backend process: a third of the feed's throughput under load.
        options["pool_size"] = settings.db_pool_size
        options["max_overflow"] = 0
    options.update(overrides)
    engine = create_async_engine(url, **options)
    if settings.is_sqlite:
        _configure_sqlite(engine)
    else:
        _discard_closed_connections(engine)
    return engine


def server_settings(settings: Settings) -> dict[str, str]:
    """PostgreSQL session settings every pooled connection starts with: the time limits
    (in milliseconds; 0 is none) that keep one statement or one forgotten transaction from
    holding a connection and its locks."""
    return {
        "statement_timeout": str(round(settings.db_statement_timeout_seconds * 1000)),
        "idle_in_transaction_session_timeout": str(
            round(settings.db_idle_in_transaction_timeout_seconds * 1000)
        ),
    }


def _discard_closed_connections(engine: AsyncEngine) -> None:
    # A pooled connection the server closed while it sat idle (a restart, a failover, a
    # proxy dropping it) is known closed as soon as the event loop read its end of stream.
    # Handing it out would fail the request that got it; raising DisconnectionError here
    # makes the pool open a fresh one instead. This costs no round trip, unlike
    # pool_pre_ping, which would add one to every request; a connection that dies while
    # in use is caught by SQLAlchemy's own disconnect handling, which invalidates the pool.
    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection._connection.is_closed():
            raise DisconnectionError("the pooled connection was closed by the server")


def _configure_sqlite(engine: AsyncEngine) -> None:
    # WAL lets readers proceed while one writer writes; the busy timeout makes a second
    # writer wait instead of failing with "database is locked"; foreign keys are off by
    # default in SQLite and the schema relies on them for cascades.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit transactions break SAVEPOINT and transactional DDL;
        # SQLAlchemy emits BEGIN itself instead (see the "begin" hook below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction takes the write lock up front (BEGIN IMMEDIATE): a deferred
        # one that reads first and writes later cannot wait for the lock, it fails at once
        # with "database is locked" when another writer got there in between.
        immediate = connection.get_execution_options().get(WRITE_TRANSACTION_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_sessionmaker(
    engine: AsyncEngine, *, for_writes: bool = False, read_only: bool = False
) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``.

    ``for_writes`` ones lock SQLite for writing from the start. ``read_only`` ones, on
    PostgreSQL, run in autocommit: a GET then costs no BEGIN and COMMIT round trips.
    """
    bind = engine
    if for_writes:
        bind = engine.execution_options(**{WRITE_TRANSACTION_OPTION: True})
    elif read_only and engine.dialect.name == "postgresql":
        bind = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=False)
