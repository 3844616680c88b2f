"""What the record resources' routes share: their error lists and the five kinds of route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from app.api.contract_headers import location_header
from app.api.errors import problem_responses
from app.api.etags import ETAG_HEADER
from app.schemas.common import Page

READ_ERRORS = problem_responses(401, 403, 404, 422)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 422)
SINGLE_READ = {200: {"headers": ETAG_HEADER}, **READ_ERRORS}
SINGLE_WRITE = {200: {"headers": ETAG_HEADER}, **WRITE_ERRORS}
CREATED = {
    201: {"headers": {**ETAG_HEADER, **location_header("the new resource")}},
    **WRITE_ERRORS,
}

Route = Callable[[Callable[..., Any]], Callable[..., Any]]


class ResourceRouter(APIRouter):
    """One record resource's routes, each kind (create, list, get, change, delete) declared
    with the same status, answer and errors as the other resources'."""

    def __init__(self, tag: str, read: type[BaseModel]) -> None:
        super().__init__(tags=[tag])
        self.read = read

    def creates(self, path: str, summary: str) -> Route:
        return self.post(
            path,
            summary=summary,
            status_code=status.HTTP_201_CREATED,
            response_model=self.read,
            responses=CREATED,
        )

    def lists(self, path: str, summary: str) -> Route:
        page: Any = Page[self.read]  # type: ignore[name-defined]
        return self.get(path, summary=summary, response_model=page, responses=READ_ERRORS)

    def reads(self, path: str, summary: str) -> Route:
        return self.get(path, summary=summary, response_model=self.read, responses=SINGLE_READ)

    def changes(self, path: str, summary: str) -> Route:
        return self.patch(path, summary=summary, response_model=self.read, responses=SINGLE_WRITE)

    def deletes(self, path: str, summary: str) -> Route:
        return self.delete(
            path,
            summary=summary,
            status_code=status.HTTP_204_NO_CONTENT,
            response_class=Response,
            responses=WRITE_ERRORS,
        )


def located(response: Response, path: str) -> None:
    """Where a new resource lives, for the 201's `Location`."""
    response.headers["Location"] = path
