"""Operational endpoints: liveness, readiness, metrics and the caller's identity."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from app.api.deps import CandidateReaderDep, SessionDep
from app.api.errors import problem_responses
from app.db.migrations import current_revision, head_revision
from app.errors import NotFound, ServiceUnavailable, Unauthorized
from app.schemas.system import Health, Me, Readiness
from app.services.api_keys import get_tenant

# Each handler's name is its operation ID.
router = APIRouter(tags=["system"])


@router.get("/healthz", summary="Check the process is alive", response_model=Health)
async def get_health() -> Health:
    """Liveness probe: answers 200 as long as the process serves requests."""
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Check the service is ready to serve",
    response_model=Readiness,
    responses=problem_responses(503),
)
async def get_readiness(request: Request) -> Readiness:
    """Readiness probe: 200 when the database answers and its schema is at head, else 503."""
    engine = request.app.state.engine
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        revision = await current_revision(engine)
    except Exception as exc:  # any driver error means "not ready", never a 500
        raise ServiceUnavailable(f"The database is unreachable: {type(exc).__name__}.") from exc
    if revision != head_revision():
        raise ServiceUnavailable(
            f"The database schema is at {revision or 'nothing'}, not at head: "
            "run `followup migrate`."
        )
    return Readiness(status="ready", database=engine.dialect.name, schema_revision=revision)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics in the text exposition format, summed over server processes."""
    token = request.app.state.settings.metrics_token
    if token is not None and not _bearer_matches(request, token.get_secret_value()):
        raise Unauthorized("Send the metrics token as `Authorization: Bearer <token>`.")
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def _bearer_matches(request: Request, expected: str) -> bool:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    # Compared in constant time, so the answer's timing does not leak the token.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        credentials.strip().encode(), expected.encode()
    )


@router.get(
    "/v1/me",
    summary="Show whom the credential belongs to",
    response_model=Me,
    responses=problem_responses(401, 403, 503),
)
async def get_me(principal: CandidateReaderDep, session: SessionDep) -> Me:
    """Who the credential belongs to: a quick way to check a key or a token works, and, for
    a candidate token, which candidate it acts for and until when."""
    tenant = await get_tenant(session, principal.tenant_id)
    if tenant is None:
        raise NotFound("The credential's tenant no longer exists.")
    return Me(
        credential_type=principal.credential_type,
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        key_id=principal.key_id,
        scopes=sorted(principal.scopes),
        candidate_id=principal.candidate_id,
        expires_at=principal.expires_at,
    )
