"""Bulk lookups for the ATS sync: many records by external ID or ID in one query each."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Application, Candidate, Contact, Interview, Panelist, Tenant

Synced = TypeVar("Synced", Candidate, Application, Contact, Interview)


async def lock_tenant(session: AsyncSession, tenant_id: str) -> None:
    """Serialise syncs of one tenant (PostgreSQL row lock; SQLite has one writer anyway).

    Two overlapping batches would otherwise both insert the same external IDs.
    """
    await session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())


async def by_external_ids(
    session: AsyncSession, model: type[Synced], tenant_id: str, external_ids: Collection[str]
) -> dict[str, Synced]:
    if not external_ids:
        return {}
    column: Any = model.external_id
    rows = await session.scalars(
        select(model).where(model.tenant_id == tenant_id, column.in_(list(external_ids)))
    )
    return {row.external_id: row for row in rows if row.external_id is not None}


async def by_ids(
    session: AsyncSession, model: type[Synced], tenant_id: str, ids: Collection[str]
) -> dict[str, Synced]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(model).where(model.tenant_id == tenant_id, model.id.in_(list(ids)))
    )
    return {row.id: row for row in rows}


async def contact_application_ids(
    session: AsyncSession, contact_ids: Collection[str]
) -> dict[str, str]:
    if not contact_ids:
        return {}
    rows = await session.execute(
        select(Contact.id, Contact.application_id).where(Contact.id.in_(list(contact_ids)))
    )
    return {row.id: row.application_id for row in rows}


async def replace_panels(session: AsyncSession, panels: dict[str, list[str]]) -> None:
    """Set the panels of many interviews with one delete and one insert."""
    if not panels:
        return
    await session.execute(delete(Panelist).where(Panelist.interview_id.in_(list(panels))))
    session.add_all(
        Panelist(interview_id=interview_id, contact_id=contact_id, position=position)
        for interview_id, contact_ids in panels.items()
        for position, contact_id in enumerate(contact_ids)
    )
    await session.flush()
