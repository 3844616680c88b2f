"""Queries on tenants and their API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import new_id
from app.db.models import ApiKey, Tenant


async def count_tenants(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Tenant)) or 0)


async def add_tenant(session: AsyncSession, name: str) -> Tenant:
    tenant = Tenant(id=new_id("ten"), name=name)
    session.add(tenant)
    await session.flush()
    return tenant


async def get_tenant(session: AsyncSession, tenant_id: str) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def list_tenants(session: AsyncSession) -> list[Tenant]:
    return list(await session.scalars(select(Tenant).order_by(Tenant.created_at, Tenant.id)))


async def add_api_key(
    session: AsyncSession,
    *,
    tenant_id: str,
    name: str,
    lookup: str,
    secret_hash: str,
    scopes: list[str],
) -> ApiKey:
    key = ApiKey(
        id=new_id("key"),
        tenant_id=tenant_id,
        name=name,
        lookup=lookup,
        secret_hash=secret_hash,
        scopes=" ".join(sorted(scopes)),
    )
    session.add(key)
    await session.flush()
    return key


async def find_api_key(session: AsyncSession, lookup: str) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.lookup == lookup))


async def list_api_keys(session: AsyncSession, tenant_id: str | None = None) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if tenant_id is not None:
        query = query.where(ApiKey.tenant_id == tenant_id)
    return list(await session.scalars(query))


async def get_api_key(session: AsyncSession, key_id: str) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def revoke_api_key(session: AsyncSession, key: ApiKey, at: datetime) -> None:
    key.revoked_at = at
    await session.flush()
