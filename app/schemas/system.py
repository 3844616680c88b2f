"""Bodies of the operational endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.domain.credentials import CredentialType
from app.schemas.common import ReadModel


class Health(ReadModel):
    """Liveness: the process is up and serving."""

    status: Literal["ok"] = Field(description="Always `ok` when the process answers.")


class Readiness(ReadModel):
    """Readiness: the database answers and its schema is the one this code needs."""

    status: Literal["ready"] = Field(description="`ready` when the instance can take traffic.")
    database: str = Field(description="The database backend in use, e.g. `sqlite`.")
    schema_revision: str = Field(description="The Alembic revision the database is at.")


class Me(ReadModel):
    """The caller, as identified by the credential it sent."""

    credential_type: CredentialType = Field(
        description="The kind of credential used for this request: `api_key` (acts for the "
        "whole tenant) or `candidate_token` (acts for one candidate until it expires)."
    )
    tenant_id: str = Field(description="The workspace the credential belongs to.")
    tenant_name: str = Field(description="The workspace's name.")
    key_id: str = Field(
        description="ID of the credential used for this request: the API key's (`key_…`), "
        "or the candidate token's (`tok_…`, as its tenant's access-token list shows it)."
    )
    scopes: list[str] = Field(description="What the credential may do: `read`, `write`.")
    candidate_id: str | None = Field(
        description="For a candidate token, the candidate whose records alone it reaches; "
        "null for an API key."
    )
    expires_at: datetime | None = Field(
        description="For a candidate token, when it stops working (RFC 3339, UTC); null "
        "for an API key, which works until it is revoked."
    )
