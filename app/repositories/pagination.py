"""Keyset (cursor) pagination: pages stay fast however deep, and the order is stable."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator

from app.errors import FieldError, InvalidInput

T = TypeVar("T")

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


# What issued cursors can hold: IDs such as "act_3f…" and UTC times of stored rows.
_CURSOR_ID = re.compile(r"[A-Za-z0-9_.:-]{1,200}")


class InvalidCursor(InvalidInput):
    """The cursor was not produced by this API (or belongs to another list).

    A 422 on `query.cursor` wherever it is raised: every list reads its cursor from there,
    so no caller translates it.
    """

    def __init__(self, message: str) -> None:
        field = "query.cursor"
        super().__init__(
            f"{field}: {message}", errors=[FieldError(field, message, "invalid_cursor")]
        )


@dataclass(frozen=True)
class PageResult(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(values: Sequence[Any]) -> str:
    payload = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, columns: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("cursor is not one this API issued") from exc
    if not isinstance(raw, list) or len(raw) != len(columns):
        raise InvalidCursor("cursor is not one this API issued")
    values = []
    for column, value in zip(columns, raw, strict=True):
        python_type = _python_type(column)
        if python_type is datetime:
            if not isinstance(value, str):
                raise InvalidCursor("cursor is not one this API issued")
            try:
                instant = datetime.fromisoformat(value)
            except ValueError as exc:
                raise InvalidCursor("cursor is not one this API issued") from exc
            # This API issues UTC timestamps of stored rows only; another offset is forged
            # and could overflow when converted for binding. Any UTC time is taken, whatever
            # its year: rows hold times past the accepted input range (an action is due some
            # days after a late-2199 interview), and a UTC value binds unconverted on both
            # backends, so every cursor the API issues is accepted back.
            if instant.utcoffset() != timedelta(0):
                raise InvalidCursor("cursor is not one this API issued")
            values.append(instant)
        elif not isinstance(value, python_type) or (
            isinstance(value, str) and not _CURSOR_ID.fullmatch(value)
        ):
            raise InvalidCursor("cursor is not one this API issued")
        else:
            values.append(value)
    return values


def _python_type(column: InstrumentedAttribute[Any]) -> type[Any]:
    # A TypeDecorator (such as UTCDateTime) reports `object`; its underlying type knows.
    column_type = column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    python_type: type[Any] = column_type.python_type
    return python_type


def _after(columns: Sequence[InstrumentedAttribute[Any]], values: Sequence[Any]) -> Any:
    # A row-value comparison, which PostgreSQL and SQLite (3.15+) both answer from a
    # matching index, so page 1,000 costs what page 1 costs. Each value is bound with its
    # column's type, so a timestamp is stored-format UTC on SQLite and timestamptz on
    # PostgreSQL rather than a bare string.
    bound = [literal(value, column.type) for column, value in zip(columns, values, strict=True)]
    return tuple_(*columns) > tuple_(*bound)


async def paginate(
    session: AsyncSession,
    query: Select[Any],
    order: Sequence[InstrumentedAttribute[Any]],
    *,
    cursor: str | None,
    limit: int,
    entities: bool = True,
) -> PageResult[Any]:
    """One page of ``query`` in ``order`` (ascending, unique), after ``cursor``.

    Items are ORM entities, or plain rows when ``entities`` is False (cheaper to load).
    """
    if cursor:
        query = query.where(_after(order, decode_cursor(cursor, order)))
    statement = query.order_by(*order).limit(limit + 1)
    result = await (session.scalars(statement) if entities else session.execute(statement))
    rows: list[Any] = list(result.all())
    if len(rows) <= limit:
        return PageResult(items=rows, next_cursor=None)
    last = rows[limit - 1]
    return PageResult(
        items=rows[:limit],
        next_cursor=encode_cursor([getattr(last, column.key) for column in order]),
    )
