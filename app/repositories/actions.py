"""Queries on stored actions: the feed is an indexed query on windows and marks, never a re-plan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    tuple_,
    union,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Action, Application
from app.domain import CLOSED_STATUSES, ActionStatus, ActionType, ApplicationStatus
from app.repositories.owners import Owner, owned_by
from app.repositories.pagination import PageResult, decode_cursor, encode_cursor


def status_condition(
    status: ActionStatus, as_of: datetime | ColumnElement[Any]
) -> ColumnElement[bool]:
    """SQL for "has this status at as_of"; mirrors ``app.domain.status_of`` (a test checks)."""
    if status in CLOSED_STATUSES:
        return Action.resolution == status.value
    open_ = Action.resolution.is_(None)
    snoozing = and_(Action.snoozed_until.is_not(None), Action.snoozed_until > as_of)
    if status is ActionStatus.SNOOZED:
        return and_(open_, snoozing)
    awake = or_(Action.snoozed_until.is_(None), Action.snoozed_until <= as_of)
    if status is ActionStatus.UPCOMING:
        return and_(open_, awake, Action.available_from > as_of)
    if status is ActionStatus.DUE:
        return and_(open_, awake, Action.available_from <= as_of, Action.due_by > as_of)
    if status is ActionStatus.OVERDUE:
        return and_(open_, awake, Action.due_by <= as_of)
    return false()


@dataclass(frozen=True)
class ActionFilter:
    """What a caller may narrow the feed by."""

    as_of: datetime
    statuses: Sequence[ActionStatus] = ()
    types: Sequence[ActionType] = ()
    candidate_id: str | None = None
    application_id: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None

    def admits(self, status: ActionStatus) -> bool:
        """Whether an action with ``status`` at ``as_of`` meets the status filter: for a row
        that changed between a page's query and the read of its rows."""
        return not self.statuses or status in self.statuses


def any_status(
    statuses: Sequence[ActionStatus], as_of: datetime | ColumnElement[Any]
) -> ColumnElement[bool]:
    """SQL for "has one of these statuses at as_of"."""
    return or_(*(status_condition(status, as_of) for status in statuses))


def status_case(as_of: datetime | ColumnElement[Any]) -> ColumnElement[str]:
    """SQL for the status at ``as_of``, one of ActionStatus's values; mirrors ``status_of``."""
    return case(*((status_condition(status, as_of), status.value) for status in ActionStatus))


# The feed's cursor is the (due_by, id) of the last row of a page.
FEED_ORDER = (Action.due_by, Action.id)


@lru_cache(maxsize=512)
def _feed_statement(
    statuses: tuple[ActionStatus, ...],
    *,
    owner_candidate: bool,
    types: bool,
    candidate: bool,
    application: bool,
    due_before: bool,
    due_after: bool,
    after: bool,
) -> Select[str, datetime, int, str]:
    """The feed's query for one combination of filters, with every value a bound parameter.

    Built once per combination and reused: SQLAlchemy then finds its compiled form by a
    key memoised on the statement object, instead of rebuilding and hashing a new
    statement on every request (the feed is the API's hottest query).
    """
    as_of = bindparam("as_of", type_=Action.due_by.type)
    conditions: list[ColumnElement[bool]] = [Action.tenant_id == bindparam("tenant_id")]
    if owner_candidate:  # a candidate token's feed: its candidate's actions alone
        conditions.append(Action.candidate_id == bindparam("owner_candidate_id"))
    if statuses:
        conditions.append(any_status(statuses, as_of))
    if types:
        conditions.append(Action.type.in_(bindparam("types", expanding=True)))
    if candidate:
        conditions.append(Action.candidate_id == bindparam("candidate_id"))
    if application:
        conditions.append(Action.application_id == bindparam("application_id"))
    if due_before:
        conditions.append(Action.due_by < bindparam("due_before", type_=Action.due_by.type))
    if due_after:
        conditions.append(Action.due_by >= bindparam("due_after", type_=Action.due_by.type))
    if after:
        conditions.append(
            tuple_(*FEED_ORDER)
            > tuple_(
                bindparam("after_due_by", type_=Action.due_by.type),
                bindparam("after_id", type_=Action.id.type),
            )
        )
    return (
        select(
            Action.id,
            Action.due_by,
            Action.version,
            status_case(as_of).label("status"),
        )
        .where(*conditions)
        .order_by(*FEED_ORDER)
        .limit(bindparam("limit"))
    )


async def feed(
    session: AsyncSession,
    owner: Owner,
    criteria: ActionFilter,
    *,
    cursor: str | None,
    limit: int,
) -> PageResult[Any]:
    """A page of the owner's actions in due order, filtered by status at ``as_of`` and more.

    Items are slim rows ``(id, due_by, version, status)``, in that order: ``version``
    changes whenever anything shown about the action does, ``status`` is the one at
    ``as_of``; :func:`by_ids` loads whole
    ones. Raises InvalidCursor (a 422) for a cursor this API did not issue.
    """
    after = decode_cursor(cursor, FEED_ORDER) if cursor else None
    statement = _feed_statement(
        tuple(sorted(set(criteria.statuses))),
        owner_candidate=owner.candidate_id is not None,
        types=bool(criteria.types),
        candidate=bool(criteria.candidate_id),
        application=bool(criteria.application_id),
        due_before=criteria.due_before is not None,
        due_after=criteria.due_after is not None,
        after=after is not None,
    )
    parameters: dict[str, Any] = {
        "tenant_id": owner.tenant_id,
        "owner_candidate_id": owner.candidate_id,
        "as_of": criteria.as_of,
        "limit": limit + 1,  # one more tells whether another page follows
        "types": [t.value for t in criteria.types],
        "candidate_id": criteria.candidate_id,
        "application_id": criteria.application_id,
        "due_before": criteria.due_before,
        "due_after": criteria.due_after,
    }
    if after is not None:
        parameters["after_due_by"], parameters["after_id"] = after
    # Core, not the ORM: these are plain rows, and the ORM's per-execution setup is a
    # third of the cost of this query.
    connection = await session.connection()
    rows = list((await connection.execute(statement, parameters)).all())
    if len(rows) <= limit:
        return PageResult(items=rows, next_cursor=None)
    last = rows[limit - 1]
    return PageResult(items=rows[:limit], next_cursor=encode_cursor([last.due_by, last.id]))


async def next_status_change(
    session: AsyncSession, tenant_id: str, as_of: datetime
) -> datetime | None:
    """The first moment after ``as_of`` at which any of the tenant's actions changes status
    by the clock alone (a window opens or closes, a snooze ends), or None if none will.

    Until then, every feed query of the tenant answers the same at any moment from
    ``as_of`` on; only a change to its actions can alter it. Closed actions keep their
    status whatever the time. Three index reads, one per kind of moment.
    """
    open_ = and_(Action.tenant_id == tenant_id, Action.resolution.is_(None))
    moments = [
        select(func.min(column)).where(open_, column > as_of).scalar_subquery()
        for column in (Action.due_by, Action.available_from, Action.snoozed_until)
    ]
    connection = await session.connection()
    row = (await connection.execute(select(*moments))).one()
    upcoming = [moment for moment in row if moment is not None]
    return min(upcoming) if upcoming else None


async def by_ids(session: AsyncSession, owner: Owner, action_ids: Sequence[str]) -> list[Any]:
    """The owner's actions with these IDs, as plain rows with every column of Action."""
    if not action_ids:
        return []
    query = select(*Action.__table__.columns).where(
        *owned_by(Action, owner), Action.id.in_(action_ids)
    )
    connection = await session.connection()
    return list((await connection.execute(query)).all())


async def for_interview(
    session: AsyncSession,
    owner: Owner,
    application_id: str,
    interview_id: str,
    *,
    types: Sequence[ActionType],
    limit: int,
) -> list[Any]:
    """The owner's actions of these types planned for one interview of an application,
    whatever their status, in the feed's order, at most ``limit``: plain rows with every
    column of Action. Narrowed by the application too, whose index finds its actions
    (none covers the interview alone)."""
    query = (
        select(*Action.__table__.columns)
        .where(
            *owned_by(Action, owner),
            Action.application_id == application_id,
            Action.interview_id == interview_id,
            Action.type.in_([action_type.value for action_type in types]),
        )
        .order_by(*FEED_ORDER)
        .limit(limit)
    )
    connection = await session.connection()
    return list((await connection.execute(query)).all())


async def first_per_application(
    session: AsyncSession,
    owner: Owner,
    application_ids: Sequence[str],
    *,
    statuses: Sequence[ActionStatus],
    as_of: datetime,
    per_application: int,
) -> dict[str, list[Any]]:
    """Each of these applications' first ``per_application`` actions with one of
    ``statuses`` at ``as_of`` (any, when none are given, as in the feed), in the feed's
    order, as plain rows with every column of Action; keyed by application ID (one with
    none is missing).

    One query for any number of applications: each one's rows are numbered in the feed's
    order and only the first few kept, where one feed query per application would cost a
    round trip each. It reads no more than those applications' actions.
    """
    if not application_ids or per_application < 1:
        return {}
    place = (
        func.row_number()
        .over(partition_by=Action.application_id, order_by=FEED_ORDER)
        .label("place")
    )
    conditions = [*owned_by(Action, owner), Action.application_id.in_(application_ids)]
    if statuses:
        conditions.append(any_status(statuses, as_of))
    numbered = select(*Action.__table__.columns, place).where(*conditions).subquery()
    columns = [numbered.c[column.name] for column in Action.__table__.columns]
    query = (
        select(*columns)
        .where(numbered.c.place <= per_application)
        .order_by(numbered.c.application_id, numbered.c.due_by, numbered.c.id)
    )
    connection = await session.connection()
    first: dict[str, list[Any]] = {}
    for row in await connection.execute(query):
        first.setdefault(row.application_id, []).append(row)
    return first


async def applications_to_replan(session: AsyncSession, tenant_id: str) -> list[str]:
    """Applications of the tenant a policy change can affect.

    Those with an open action, and every one still in progress (active or offer): a
    policy can call again for an action it had made obsolete (say, check-ins allowed
    again), even when nothing of that application is open any more.
    """
    in_progress = select(Application.id).where(
        Application.tenant_id == tenant_id,
        Application.status.in_([s.value for s in ApplicationStatus if not s.is_final]),
    )
    with_open_actions = select(Action.application_id).where(
        Action.tenant_id == tenant_id, Action.resolution.is_(None)
    )
    return sorted(set(await session.scalars(union(in_progress, with_open_actions))))


# --- texts written with an older catalogue ----------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredTexts:
    """What the worker needs to write an action's texts again: its version (for the
    compare-and-set), language, wording (JSON) and the texts as stored."""

    id: str
    version: int
    language: str
    wording: str
    title: str
    explanation: str
    guidance: str


async def with_stale_texts(
    session: AsyncSession, fingerprints: Mapping[str, str], limit: int
) -> list[StoredTexts]:
    """Up to ``limit`` actions with a wording whose texts were written with an older
    catalogue than ``fingerprints`` gives for their language, or with none recorded,
    locked for the caller's transaction.

    Fingerprints sort by catalogue edition, so a newer release's texts (a greater
    fingerprint) are never taken for stale: during a rolling deploy the older release's
    workers leave them be. Each language asks two ranges of ``ix_actions_texts_version``
    (NULL, and below its fingerprint), each limited: the cost follows the stale rows
    found, and is a few empty index probes once none are left, however many actions there
    are. Rows another worker holds are skipped (PostgreSQL), and rows are locked in ID
    order, so two workers neither wait on each other nor deadlock. Languages not in
    ``fingerprints`` are left alone.
    """
    ranges = []
    for language, fingerprint in fingerprints.items():
        for version in (Action.texts_version.is_(None), Action.texts_version < fingerprint):
            # The partial index's own condition, spelled out so SQLite can use it too.
            found = (
                select(Action.id)
                .where(Action.wording.is_not(None), Action.language == language, version)
                .limit(limit)
                .subquery()
            )
            ranges.append(select(found.c.id))
    if not ranges:
        return []
    query = (
        select(
            Action.id,
            Action.version,
            Action.language,
            Action.wording,
            Action.title,
            Action.explanation,
            Action.guidance,
        )
        .where(Action.id.in_(union_all(*ranges)))
        .order_by(Action.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [
        # The query asks for a wording, so `or ""` never applies: it only narrows the type.
        StoredTexts(
            r.id, r.version, r.language, r.wording or "", r.title, r.explanation, r.guidance
        )
        for r in await session.execute(query)
    ]


async def rewrite_texts(
    session: AsyncSession,
    stored: StoredTexts,
    texts: tuple[str, str, str],
    texts_version: str,
    now: datetime,
) -> bool:
    """Store ``texts`` as the action's title, explanation and guidance, written with the
    catalogue ``texts_version``, if its version is still the one read; False if it is not
    (a re-plan changed it meanwhile: the next pass looks at it again).

    A Core update, so it bumps ``version`` and ``updated_at`` itself, as the ORM would:
    the ETag, the per-process action documents (app/api/action_documents.py) and the
    calendar's SEQUENCE all follow the version.
    """
    title, explanation, guidance = texts
    result = await session.execute(
        update(Action)
        .where(Action.id == stored.id, Action.version == stored.version)
        .values(
            title=title,
            explanation=explanation,
            guidance=guidance,
            texts_version=texts_version,
            version=Action.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def confirm_texts(
    session: AsyncSession, stored: Sequence[StoredTexts], texts_version: str
) -> int:
    """Record that these actions' texts, unchanged, are what catalogue ``texts_version``
    writes; returns how many still had the version read (the others are left as they are).

    ``version`` and ``updated_at`` stay: nothing the action shows changed, so its ETag and
    a client's If-Match from a moment ago still hold.
    """
    if not stored:
        return 0
    result = await session.execute(
        update(Action)
        .where(tuple_(Action.id, Action.version).in_([(s.id, s.version) for s in stored]))
        .values(texts_version=texts_version, updated_at=Action.updated_at)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
