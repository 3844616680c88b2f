"""The tenant's records, one module per resource: candidates, applications, contacts,
interviews, replies: how each is listed. ``kinds`` declares every kind's routes (create,
list, get, change, delete) and ``routes`` builds them alike."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.records.kinds import KINDS
from app.api.records.routes import record_router

router = APIRouter(prefix="/v1")
for kind in KINDS:
    router.include_router(record_router(kind))
