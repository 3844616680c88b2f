"""Declarative base, naming convention and column types shared by every table."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every ORM model; constraint names are deterministic for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware timestamp stored in UTC on every backend.

    SQLite has no time zone type, so values are stored naive in UTC there and come back
    aware; PostgreSQL uses ``timestamptz``. Naive input is a programming error.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        # Runs for every timestamp of every row read: the common cases return early.
        if value is None:
            return None
        tzinfo = value.tzinfo
        if tzinfo is UTC:  # asyncpg returns timestamptz in UTC already
            return value  # type: ignore[no-any-return]
        if tzinfo is None:  # SQLite stores naive UTC
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def new_id(prefix: str) -> str:
    """A random, URL-safe, prefixed identifier such as ``cand_3k9...``."""
    return f"{prefix}_{secrets.token_hex(12)}"
