"""Which exceptions mean "the database cannot be reached right now", as opposed to a bug.

An outage (a restart, a failover, a dropped network) surfaces in many shapes: the driver's
own exceptions, SQLAlchemy's wrappers around them, or a bare ``OSError`` from the socket.
:func:`classify` looks through the whole chain (``__cause__``, ``__context__`` and
SQLAlchemy's ``orig``) and names the fault, or answers None for everything else, so that
a constraint violation or a syntax error is never mistaken for an outage.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from enum import StrEnum
from types import TracebackType

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class DatabaseFault(StrEnum):
    """What went wrong with the database; each is worth retrying a little later."""

    UNAVAILABLE = "database-unavailable"  # unreachable, restarting, or the connection died
    BUSY = "database-busy"  # every pooled connection in use, or SQLite's write lock held
    TIMEOUT = "database-timeout"  # a statement ran past the database-side timeout


# SQLSTATE codes of connection-level failures: class 08 (connection exception) in full;
# the server shutting down, crashing or still starting (57P01, 57P02, 57P03); a session
# the server ended for idling in a transaction (25P03).
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "57P04", "57P05", "25P03"})
_BUSY_STATES = frozenset({"53300"})  # too_many_connections
_TIMEOUT_STATES = frozenset({"57014"})  # query_canceled: statement_timeout
# Messages of driver errors that carry no SQLSTATE.
_CLOSED_MESSAGES = ("connection is closed", "connection was closed", "connection has been closed")
_SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked")
_SQLITE_UNAVAILABLE_MESSAGES = ("unable to open database file", "disk i/o error")
# Where an OSError must have been raised to count: inside a database driver or SQLAlchemy,
# not, say, while a webhook was sent or a file was read.
_DRIVER_MODULES = ("asyncpg", "sqlalchemy", "aiosqlite", "sqlite3")


# The drivers' exception roots, for handlers to register: an asyncpg error can escape
# SQLAlchemy's wrapping (while a connection is being opened, say).
DRIVER_ERRORS: tuple[type[Exception], ...] = (asyncpg.PostgresError, asyncpg.InterfaceError)


def classify(exc: BaseException) -> DatabaseFault | None:
    """The database fault behind ``exc``, or None when it is no connection-level fault."""
    for error in _chain(exc):
        fault = _classify_one(error)
        if fault is not None:
            return fault
    return None


def _classify_one(error: BaseException) -> DatabaseFault | None:
    if isinstance(error, PoolTimeout):
        return DatabaseFault.BUSY
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return DatabaseFault.UNAVAILABLE
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if isinstance(state, str):
        if state.startswith("08") or state in _UNAVAILABLE_STATES:
            return DatabaseFault.UNAVAILABLE
        if state in _BUSY_STATES:
            return DatabaseFault.BUSY
        if state in _TIMEOUT_STATES:
            return DatabaseFault.TIMEOUT
        return None  # a genuine SQL error: a constraint, a syntax error, a deadlock...
    message = str(error).lower()
    if isinstance(error, sqlite3.OperationalError):
        if any(text in message for text in _SQLITE_BUSY_MESSAGES):
            return DatabaseFault.BUSY
        if any(text in message for text in _SQLITE_UNAVAILABLE_MESSAGES):
            return DatabaseFault.UNAVAILABLE
        return None
    if type(error).__name__ == "InterfaceError" and any(
        text in message for text in _CLOSED_MESSAGES
    ):
        # asyncpg's own, and SQLAlchemy's adapted copy of it: a closed connection.
        return DatabaseFault.UNAVAILABLE
    if isinstance(error, OSError) and _raised_in_driver(error.__traceback__):
        # Refused, reset, unreachable, or the connect timeout (TimeoutError is an OSError).
        return DatabaseFault.UNAVAILABLE
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it was raised from or while handling, each once."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        error = pending.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        for linked in (error.__cause__, error.__context__, getattr(error, "orig", None)):
            if isinstance(linked, BaseException):
                pending.append(linked)


def _raised_in_driver(traceback: TracebackType | None) -> bool:
    while traceback is not None:
        module = str(traceback.tb_frame.f_globals.get("__name__", ""))
        if module.split(".", 1)[0] in _DRIVER_MODULES:
            return True
        traceback = traceback.tb_next
    return False


def first_line(exc: BaseException) -> str:
    """What to log of a database error: its first line, without the statement and its
    parameters (personal data) that SQLAlchemy's message goes on to show."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
