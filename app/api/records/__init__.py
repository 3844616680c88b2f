"""The tenant's records, one module per resource: candidates, applications, contacts,
interviews, replies (create, read, list, change, delete). ``routes`` holds what their
routes share."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.records import applications, candidates, contacts, interviews, replies

router = APIRouter(prefix="/v1")
for resource in (candidates, applications, contacts, interviews, replies):
    router.include_router(resource.router)
