"""Bodies of the operational endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

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
    """The caller, as identified by its API key."""

    tenant_id: str = Field(description="The workspace the key belongs to.")
    tenant_name: str = Field(description="The workspace's name.")
    key_id: str = Field(description="ID of the key used for this request.")
    scopes: list[str] = Field(description="What the key may do: `read`, `write`.")
