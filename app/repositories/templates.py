"""Queries on tenants' own draft templates."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import new_id
from app.db.models import DraftTemplate


async def get_template(
    session: AsyncSession, tenant_id: str, kind: str, language: str
) -> DraftTemplate | None:
    return await session.scalar(
        select(DraftTemplate).filter_by(tenant_id=tenant_id, kind=kind, language=language)
    )


async def list_templates(
    session: AsyncSession, tenant_id: str, language: str
) -> list[DraftTemplate]:
    return list(
        await session.scalars(
            select(DraftTemplate)
            .where(DraftTemplate.tenant_id == tenant_id, DraftTemplate.language == language)
            .order_by(DraftTemplate.kind)
        )
    )


async def save_template(
    session: AsyncSession,
    tenant_id: str,
    kind: str,
    language: str,
    subject: str | None,
    body: str,
) -> DraftTemplate:
    """Store the tenant's template for the kind and language, replacing any earlier one."""
    record = await get_template(session, tenant_id, kind, language)
    if record is None:
        record = DraftTemplate(id=new_id("tpl"), tenant_id=tenant_id, kind=kind, language=language)
        session.add(record)
    else:
        record.version += 1
    record.subject = subject
    record.body = body
    await session.flush()
    await session.refresh(record)
    return record


async def delete_template(session: AsyncSession, record: DraftTemplate) -> None:
    await session.delete(record)
    await session.flush()
