"""Webhook endpoints, the tenant's use cases: register, change, rotate the secret, delete,
ping, and list endpoints and their deliveries."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import models
from app.db.base import new_id
from app.domain.events import DisabledReason
from app.errors import InvalidInput, found
from app.repositories import webhooks as repo
from app.repositories.pagination import PageResult
from app.services import ssrf
from app.services.preconditions import check_if_match
from app.services.webhooks.delivery import CANCELLED_ON_DISABLE, PING, new_delivery
from app.services.webhooks.signing import derive_secret
from app.settings import Settings


async def check_url(settings: Settings, url: str, field: str = "body.url") -> None:
    try:
        await ssrf.check_url(
            url,
            allow_http=settings.webhook_allow_http,
            allow_private_networks=settings.webhook_allow_private_networks,
        )
    except ssrf.ForbiddenDestination as exc:
        raise InvalidInput.on_field(field, exc.message, exc.code) from exc


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: models.WebhookEndpoint
    secret: str


def _with_secret(endpoint: models.WebhookEndpoint, service_key: bytes) -> EndpointWithSecret:
    return EndpointWithSecret(
        endpoint, derive_secret(service_key, endpoint.id, endpoint.secret_salt)
    )


async def get_endpoint(
    session: AsyncSession, tenant_id: str, endpoint_id: str
) -> models.WebhookEndpoint:
    endpoint = await repo.get_endpoint(session, tenant_id, endpoint_id)
    return found(endpoint, f"No webhook endpoint {endpoint_id}.")


async def create_endpoint(
    session: AsyncSession,
    settings: Settings,
    service_key: bytes,
    tenant_id: str,
    *,
    url: str,
    event_types: list[str],
    enabled: bool,
    description: str | None,
) -> EndpointWithSecret:
    await check_url(settings, url)
    now = utcnow()
    endpoint = models.WebhookEndpoint(
        id=new_id("whe"),
        tenant_id=tenant_id,
        url=url,
        description=description,
        event_types=list(dict.fromkeys(event_types)),
        enabled=enabled,
        disabled_reason=None if enabled else DisabledReason.MANUAL,
        disabled_at=None if enabled else now,
        secret_salt=secrets.token_hex(16),
        consecutive_failures=0,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    return _with_secret(endpoint, service_key)


async def update_endpoint(
    session: AsyncSession,
    settings: Settings,
    tenant_id: str,
    endpoint_id: str,
    changes: dict[str, Any],
    *,
    if_match: str | None = None,
) -> models.WebhookEndpoint:
    """Apply the given fields; disabling cancels what waits, enabling clears the failures."""
    endpoint = await get_endpoint(session, tenant_id, endpoint_id)
    check_if_match(if_match, endpoint.version)
    if changes.get("url") is not None and changes["url"] != endpoint.url:
        await check_url(settings, changes["url"])
        endpoint.url = changes["url"]
    if changes.get("event_types") is not None:
        endpoint.event_types = list(dict.fromkeys(changes["event_types"]))
    if "description" in changes:
        endpoint.description = changes["description"]
    enabled = changes.get("enabled")
    if enabled is True and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_reason = None
        endpoint.disabled_at = None
        endpoint.consecutive_failures = 0
    elif enabled is False and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_reason = DisabledReason.MANUAL
        endpoint.disabled_at = utcnow()
        await repo.cancel_pending(session, endpoint.id, CANCELLED_ON_DISABLE)
    await session.flush()
    return endpoint


async def rotate_secret(
    session: AsyncSession,
    service_key: bytes,
    tenant_id: str,
    endpoint_id: str,
    *,
    keep_previous_for: timedelta,
) -> EndpointWithSecret:
    """A new secret; the old one keeps signing alongside it for ``keep_previous_for``."""
    endpoint = await get_endpoint(session, tenant_id, endpoint_id)
    if keep_previous_for > timedelta(0):
        endpoint.previous_secret_salt = endpoint.secret_salt
        endpoint.previous_secret_expires_at = utcnow() + keep_previous_for
    else:
        endpoint.previous_secret_salt = None
        endpoint.previous_secret_expires_at = None
    endpoint.secret_salt = secrets.token_hex(16)
    await session.flush()
    return _with_secret(endpoint, service_key)


async def delete_endpoint(
    session: AsyncSession, tenant_id: str, endpoint_id: str, *, if_match: str | None = None
) -> None:
    endpoint = await get_endpoint(session, tenant_id, endpoint_id)
    check_if_match(if_match, endpoint.version)
    await session.delete(endpoint)
    await session.flush()


async def ping(session: AsyncSession, tenant_id: str, endpoint_id: str) -> models.WebhookDelivery:
    """Queue a `ping` delivery (one attempt, no retries), even to a disabled endpoint."""
    endpoint = await get_endpoint(session, tenant_id, endpoint_id)
    now = utcnow()
    delivery = new_delivery(endpoint, None, PING, now)
    session.add(delivery)
    await session.flush()
    return delivery


async def list_endpoints(
    session: AsyncSession, tenant_id: str, *, cursor: str | None, limit: int
) -> PageResult[models.WebhookEndpoint]:
    return await repo.page_endpoints(session, tenant_id, cursor=cursor, limit=limit)


async def list_deliveries(
    session: AsyncSession,
    tenant_id: str,
    endpoint_id: str,
    *,
    statuses: list[str],
    cursor: str | None,
    limit: int,
) -> PageResult[models.WebhookDelivery]:
    """A page of one endpoint's deliveries (404 when the endpoint is not the tenant's)."""
    await get_endpoint(session, tenant_id, endpoint_id)
    return await repo.page_deliveries(
        session, endpoint_id, statuses=statuses, cursor=cursor, limit=limit
    )
