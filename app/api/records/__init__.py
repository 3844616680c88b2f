"""The tenant's records, one module per resource: candidates, applications, contacts,
interviews, replies: how each is listed. ``kinds`` declares every kind's routes (create,
list, get, change, delete) and ``routes`` builds them alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from app.api.records.kinds import KINDS
from app.api.records.routes import record_router

_KIND_ROUTERS = [record_router(kind) for kind in KINDS]
router = APIRouter(prefix="/v1")
for kind_router in _KIND_ROUTERS:
    router.include_router(kind_router)


def record_endpoint(name: str) -> Callable[..., Any]:
    """The handler of one record route by its name (`create_interview`, `get_interview`...),
    for another entry point that must admit the same callers (see
    ``api.deps.credential_check_of``)."""
    for kind_router in _KIND_ROUTERS:
        for route in kind_router.routes:
            if isinstance(route, APIRoute) and route.name == name:
                return route.endpoint
    raise LookupError(f"no record route named {name}")
