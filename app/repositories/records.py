"""Queries on the tenant's records: candidates, applications, contacts, interviews, replies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import (
    Action,
    Application,
    Candidate,
    Contact,
    Interview,
    Panelist,
    Reply,
    TenantPolicy,
)
from app.repositories.owners import Owner, owned_by
from app.repositories.pagination import PageResult, paginate

Owned = TypeVar("Owned", Candidate, Application, Contact, Interview, Reply, Action)


async def get_owned(
    session: AsyncSession, model: type[Owned], owner: Owner, record_id: str
) -> Owned | None:
    """The record with this ID within the owner's reach; another tenant's record, or
    another candidate's for an owner narrowed to one, is simply not found."""
    return await session.scalar(select(model).where(model.id == record_id, *owned_by(model, owner)))


async def get_by_external_id(
    session: AsyncSession, model: type[Owned], tenant_id: str, external_id: str
) -> Owned | None:
    column: Any = getattr(model, "external_id")  # noqa: B009 (not every Owned model has it)
    return await session.scalar(
        select(model).where(model.tenant_id == tenant_id, column == external_id)
    )


async def add(session: AsyncSession, row: Any) -> None:
    session.add(row)
    await session.flush()


async def remove(session: AsyncSession, row: Any) -> None:
    await session.delete(row)
    await session.flush()


async def remove_with_dependents(session: AsyncSession, row: Candidate | Application) -> None:
    """Delete a candidate or an application with everything under it.

    Panel seats and replies point at contacts without ON DELETE, so that a contact on a
    panel cannot vanish alone. PostgreSQL checks those references while its cascades
    run, before the cascade from interviews has removed the panel seats, and refuses;
    removing seats and replies first lets the cascades finish on every database.
    """
    if isinstance(row, Candidate):
        applications: Any = select(Application.id).where(Application.candidate_id == row.id)
    else:
        applications = select(Application.id).where(Application.id == row.id)
    interviews = select(Interview.id).where(Interview.application_id.in_(applications))
    await session.execute(delete(Panelist).where(Panelist.interview_id.in_(interviews)))
    await session.execute(delete(Reply).where(Reply.application_id.in_(applications)))
    await remove(session, row)


async def page_of(
    session: AsyncSession,
    model: type[Owned],
    owner: Owner,
    equal_to: Mapping[str, Any],
    *,
    cursor: str | None,
    limit: int,
) -> PageResult[Owned]:
    """A page of the owner's records in creation order, those whose columns hold the values
    of ``equal_to``; an empty value there narrows nothing."""
    filters = [getattr(model, column) == value for column, value in equal_to.items() if value]
    query = select(model).where(*owned_by(model, owner), *filters)
    return await paginate(session, query, [model.created_at, model.id], cursor=cursor, limit=limit)


# --- panels -----------------------------------------------------------------------------


async def panels_of(session: AsyncSession, interview_ids: Sequence[str]) -> dict[str, list[str]]:
    """Contact IDs on each interview's panel, in the caller's order."""
    if not interview_ids:
        return {}
    rows = await session.execute(
        select(Panelist.interview_id, Panelist.contact_id)
        .where(Panelist.interview_id.in_(interview_ids))
        .order_by(Panelist.interview_id, Panelist.position)
    )
    panels: dict[str, list[str]] = defaultdict(list)
    for interview_id, contact_id in rows:
        panels[interview_id].append(contact_id)
    return {interview_id: panels.get(interview_id, []) for interview_id in interview_ids}


async def set_panel(session: AsyncSession, interview_id: str, contact_ids: Sequence[str]) -> None:
    await session.execute(delete(Panelist).where(Panelist.interview_id == interview_id))
    session.add_all(
        Panelist(interview_id=interview_id, contact_id=contact_id, position=position)
        for position, contact_id in enumerate(contact_ids)
    )
    await session.flush()


async def interviews_with_contact(session: AsyncSession, contact_id: str) -> list[str]:
    return list(
        await session.scalars(
            select(Panelist.interview_id).where(Panelist.contact_id == contact_id)
        )
    )


async def replies_from_contact(session: AsyncSession, contact_id: str) -> list[str]:
    return list(await session.scalars(select(Reply.id).where(Reply.contact_id == contact_id)))


async def existing_contact_ids(
    session: AsyncSession, application_id: str, contact_ids: Sequence[str]
) -> set[str]:
    if not contact_ids:
        return set()
    return set(
        await session.scalars(
            select(Contact.id).where(
                Contact.application_id == application_id, Contact.id.in_(contact_ids)
            )
        )
    )


# --- a candidate's applications ---------------------------------------------------------


async def application_ids_of_candidates(
    session: AsyncSession, candidate_ids: Collection[str]
) -> list[str]:
    if not candidate_ids:
        return []
    return list(
        await session.scalars(
            select(Application.id).where(Application.candidate_id.in_(list(candidate_ids)))
        )
    )


async def application_counts(
    session: AsyncSession, candidate_ids: Collection[str]
) -> list[tuple[str, int]]:
    """How many applications each of these candidates holds."""
    if not candidate_ids:
        return []
    rows = await session.execute(
        select(Application.candidate_id, func.count())
        .where(Application.candidate_id.in_(list(candidate_ids)))
        .group_by(Application.candidate_id)
    )
    return [(candidate_id, count) for candidate_id, count in rows]


# --- policy -----------------------------------------------------------------------------


async def policy_values(session: AsyncSession, tenant_id: str) -> dict[str, int]:
    row = await session.get(TenantPolicy, tenant_id)
    return dict(row.values) if row else {}


async def save_policy_values(session: AsyncSession, tenant_id: str, values: dict[str, int]) -> None:
    row = await session.get(TenantPolicy, tenant_id)
    if row is None:
        session.add(TenantPolicy(tenant_id=tenant_id, values=values))
    else:
        row.values = values
    await session.flush()


async def policy_version(session: AsyncSession, tenant_id: str) -> int:
    row = await session.get(TenantPolicy, tenant_id)
    return row.version if row else 0
