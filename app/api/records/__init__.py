"""The tenant's records, one module per resource: candidates, applications, contacts,
interviews, replies (create and list); ``items`` declares how each is read, changed and
deleted by its ID, and ``routes`` holds what their routes share."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.records import applications, candidates, contacts, interviews, items, replies
from app.api.records.routes import item_routes

router = APIRouter(prefix="/v1")
for resource, kind in (
    (candidates, items.CANDIDATE),
    (applications, items.APPLICATION),
    (contacts, items.CONTACT),
    (interviews, items.INTERVIEW),
    (replies, items.REPLY),
):
    router.include_router(resource.router)
    router.include_router(item_routes(resource.router.tags[0], resource.router.read, kind))
