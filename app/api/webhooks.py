"""Webhook endpoints: where the tenant's events are POSTed, signed, and what became of them."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Query, Request, Response, status

from app.api.contract_headers import location_header, secret_not_kept_conflict
from app.api.deps import ReaderDep, SessionDep, WriterDep
from app.api.errors import problem_responses
from app.api.etags import ETAG_HEADER, IfMatch, shown
from app.api.params import PageDep, page_of
from app.api.records.routes import READ_ERRORS, WRITE_ERRORS, ResourceRouter
from app.domain.events import DeliveryStatus
from app.schemas import webhooks as schemas
from app.schemas.common import Page
from app.services.webhooks import endpoints as service
from app.settings import Settings

router = ResourceRouter("webhooks", schemas.WebhookEndpointRead, prefix="/v1")


CREATE_DOC = """Register a URL for the tenant's events. The response carries the signing
`secret`, shown this once. The URL must be https and resolve to public addresses only (422
on `body.url` otherwise); the check is repeated on every connection.

Each delivery is a POST of the event as JSON (the shape `GET /v1/events` lists) with:
`Followup-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` keyed with the
endpoint's secret (a second `v1` follows for a while after a rotation), `Followup-Event-Id`
(the same on every retry: drop duplicates by it), `Followup-Event-Type` and
`Followup-Delivery-Id`. Answer 2xx within 5 seconds; anything else (redirects included) is
retried with exponential backoff for about three days."""


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _shown_once(
    response: Response, created: service.EndpointWithSecret
) -> schemas.WebhookEndpointWithSecret:
    """The endpoint with its secret, in an answer that points at it and is never stored."""
    read = shown(response, created.endpoint, schemas.WebhookEndpointRead)
    response.headers["Location"] = f"/v1/webhook-endpoints/{created.endpoint.id}"
    response.headers["Cache-Control"] = "no-store"  # it carries the secret
    return schemas.WebhookEndpointWithSecret(**read.model_dump(), secret=created.secret)


@router.post(
    "/webhook-endpoints",
    summary="Register a webhook endpoint",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.WebhookEndpointWithSecret,
    description=CREATE_DOC,
    responses={
        201: {"headers": {**ETAG_HEADER, **location_header("the new endpoint")}},
        **WRITE_ERRORS,
        **secret_not_kept_conflict("the endpoint"),
    },
)
async def create_webhook_endpoint(
    body: schemas.WebhookEndpointCreate,
    principal: WriterDep,
    session: SessionDep,
    request: Request,
    response: Response,
) -> schemas.WebhookEndpointWithSecret:
    """Register a URL for the tenant's events (see the route description for the format)."""
    created = await service.create_endpoint(
        session,
        _settings(request),
        request.app.state.secret_key,
        principal.tenant_id,
        url=body.url,
        event_types=[t.value for t in body.event_types],
        enabled=body.enabled,
        description=body.description,
    )
    return _shown_once(response, created)


@router.get(
    "/webhook-endpoints",
    summary="List webhook endpoints",
    response_model=Page[schemas.WebhookEndpointRead],
    responses=problem_responses(401, 403, 422),
)
async def list_webhook_endpoints(
    principal: ReaderDep, session: SessionDep, page: PageDep
) -> Page[schemas.WebhookEndpointRead]:
    """The tenant's webhook endpoints, oldest first (secrets are never listed)."""
    result = await service.list_endpoints(
        session, principal.tenant_id, cursor=page.cursor, limit=page.limit
    )
    return page_of(result, schemas.WebhookEndpointRead)


@router.reads("/webhook-endpoints/{endpoint_id}", "Get a webhook endpoint")
async def get_webhook_endpoint(
    endpoint_id: str, principal: ReaderDep, session: SessionDep, response: Response
) -> schemas.WebhookEndpointRead:
    """One webhook endpoint, with its failure count and why it is disabled, if it is."""
    endpoint = await service.get_endpoint(session, principal.tenant_id, endpoint_id)
    return shown(response, endpoint, schemas.WebhookEndpointRead)


@router.changes("/webhook-endpoints/{endpoint_id}", "Change or disable a webhook endpoint")
async def update_webhook_endpoint(
    endpoint_id: str,
    body: schemas.WebhookEndpointUpdate,
    principal: WriterDep,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.WebhookEndpointRead:
    """Change the URL, the event types or the description, or disable (`enabled: false`,
    which cancels the deliveries still waiting) and re-enable an endpoint. Events that
    happen while it is disabled are not queued for it; `GET /v1/events` still has them."""
    endpoint = await service.update_endpoint(
        session,
        _settings(request),
        principal.tenant_id,
        endpoint_id,
        body.model_dump(exclude_unset=True, mode="json"),
        if_match=if_match,
    )
    return shown(response, endpoint, schemas.WebhookEndpointRead)


@router.deletes("/webhook-endpoints/{endpoint_id}", "Delete a webhook endpoint")
async def delete_webhook_endpoint(
    endpoint_id: str, principal: WriterDep, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Delete an endpoint with its delivery history; nothing more is sent to it."""
    await service.delete_endpoint(session, principal.tenant_id, endpoint_id, if_match=if_match)


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    summary="Rotate a webhook endpoint's signing secret",
    response_model=schemas.WebhookEndpointWithSecret,
    responses={
        200: {"headers": {**ETAG_HEADER, **location_header("the endpoint")}},
        **WRITE_ERRORS,
        **secret_not_kept_conflict("the endpoint"),
    },
)
async def rotate_webhook_secret(
    endpoint_id: str,
    principal: WriterDep,
    session: SessionDep,
    request: Request,
    response: Response,
    body: schemas.SecretRotation | None = None,
) -> schemas.WebhookEndpointWithSecret:
    """Issue a new signing secret, shown this once. For `keep_previous_hours` (default 24)
    deliveries carry two `v1` signatures, new and old, so a receiver can switch secrets
    without refusing a single event."""
    rotation = body or schemas.SecretRotation()
    rotated = await service.rotate_secret(
        session,
        request.app.state.secret_key,
        principal.tenant_id,
        endpoint_id,
        keep_previous_for=timedelta(hours=rotation.keep_previous_hours),
    )
    return _shown_once(response, rotated)


@router.post(
    "/webhook-endpoints/{endpoint_id}/ping",
    summary="Send a test delivery to a webhook endpoint",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=schemas.WebhookDeliveryRead,
    responses=WRITE_ERRORS,
)
async def ping_webhook_endpoint(
    endpoint_id: str, principal: WriterDep, session: SessionDep
) -> schemas.WebhookDeliveryRead:
    """Queue a test delivery of type `ping`, signed like any other, for the worker to send
    (once, without retries, even to a disabled endpoint). Follow it under
    `/deliveries`."""
    delivery = await service.ping(session, principal.tenant_id, endpoint_id)
    return schemas.WebhookDeliveryRead.model_validate(delivery)


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    summary="List a webhook endpoint's deliveries",
    response_model=Page[schemas.WebhookDeliveryRead],
    responses=READ_ERRORS,
)
async def list_webhook_deliveries(
    endpoint_id: str,
    principal: ReaderDep,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[
        list[DeliveryStatus] | None,
        Query(alias="status", description="Only in these statuses (repeatable)."),
    ] = None,
) -> Page[schemas.WebhookDeliveryRead]:
    """The endpoint's deliveries, oldest first, each with its attempts, the status codes
    the receiver answered and the errors met."""
    result = await service.list_deliveries(
        session,
        principal.tenant_id,
        endpoint_id,
        statuses=[s.value for s in status_ or ()],
        cursor=page.cursor,
        limit=page.limit,
    )
    return page_of(result, schemas.WebhookDeliveryRead)
