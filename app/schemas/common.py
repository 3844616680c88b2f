"""Schema building blocks shared by every resource."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ReadModel(BaseModel):
    """Base of response bodies: built from ORM rows or domain objects."""

    model_config = ConfigDict(from_attributes=True)


class WriteModel(BaseModel):
    """Base of request bodies: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
