"""What the record resources' routes share: their error lists, the five kinds of route,
how a record is shown, and the three routes on one record by its ID."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel

from app.api.contract_headers import location_header
from app.api.deps import CandidateReaderDep, SessionDep
from app.api.errors import problem_responses
from app.api.etags import ETAG_HEADER, IfMatch, set_etag, shown
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service

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

    def __init__(self, tag: str, read: type[BaseModel], prefix: str = "") -> None:
        super().__init__(prefix=prefix, tags=[tag])
        self.read = read

    def creates(self, path: str, summary: str, **details: Any) -> Route:
        return self.post(
            path,
            summary=summary,
            status_code=status.HTTP_201_CREATED,
            response_model=self.read,
            responses=CREATED,
            **details,
        )

    def lists(self, path: str, summary: str) -> Route:
        page: Any = Page[self.read]  # type: ignore[name-defined]
        return self.get(path, summary=summary, response_model=page, responses=READ_ERRORS)

    def reads(self, path: str, summary: str, **details: Any) -> Route:
        return self.get(
            path, summary=summary, response_model=self.read, responses=SINGLE_READ, **details
        )

    def changes(self, path: str, summary: str, **details: Any) -> Route:
        return self.patch(
            path, summary=summary, response_model=self.read, responses=SINGLE_WRITE, **details
        )

    def deletes(self, path: str, summary: str, **details: Any) -> Route:
        return self.delete(
            path,
            summary=summary,
            status_code=status.HTTP_204_NO_CONTENT,
            response_class=Response,
            responses=WRITE_ERRORS,
            **details,
        )


def located(response: Response, path: str) -> None:
    """Where a new resource lives, for the 201's `Location`."""
    response.headers["Location"] = path


def shown_interview(response: Response, interview: Any, panel: list[str]) -> schemas.InterviewRead:
    """The round as the API shows it, with its panel and its ETag."""
    set_etag(response, interview.version)
    return service.interview_read(interview, panel)


async def shown_record(
    session: SessionDep, response: Response, read: type[BaseModel], row: Any
) -> BaseModel:
    """A stored record as its resource shows it (``read``), with its ETag; an interview
    with its panel."""
    if read is schemas.InterviewRead:
        return shown_interview(response, row, await service.panel_of(session, row.id))
    return shown(response, row, read)


@dataclass(frozen=True)
class Operation:
    """One route on a record: the service call behind it, and its summary and description
    as integrators read them in the API document."""

    call: Callable[..., Awaitable[Any]]
    summary: str
    description: str


@dataclass(frozen=True)
class ItemRoutes:
    """How one kind of record is read, changed and deleted by its ID (see :func:`item_routes`)."""

    # Names the ID parameter (`contact_id`) and the handlers (`get_contact`...), which
    # are the operation IDs.
    noun: str
    update: type[BaseModel]  # the PATCH body
    writer: Any  # the credential check a change or a deletion needs (a `*WriterDep`)
    get: Operation
    change: Operation
    delete: Operation


def item_routes(resource: str, read: type[BaseModel], kind: ItemRoutes) -> ResourceRouter:
    """``GET``, ``PATCH`` and ``DELETE`` on ``/{resource}/{<noun>_id}``: every kind of record
    takes the same parameters, calls its service the same way and answers alike."""
    router = ResourceRouter(resource, read)
    id_name = f"{kind.noun}_id"
    path = f"/{resource}/{{{id_name}}}"
    RecordId = Annotated[str, Path(alias=id_name)]

    async def get(
        record_id: str, principal: CandidateReaderDep, session: SessionDep, response: Response
    ) -> Any:
        row = await kind.get.call(session, principal.owner, record_id)
        return await shown_record(session, response, read, row)

    async def change(
        record_id: str,
        body: BaseModel,
        principal: CandidateReaderDep,
        session: SessionDep,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        row = await kind.change.call(session, principal.owner, record_id, body, if_match=if_match)
        return await shown_record(session, response, read, row)

    async def delete(
        record_id: str, principal: CandidateReaderDep, session: SessionDep, if_match: IfMatch = None
    ) -> None:
        await kind.delete.call(session, principal.owner, record_id, if_match=if_match)

    # FastAPI reads each parameter from its annotation: the ID under this kind's name, the
    # body's model and the credential check this kind's own, so that requests are checked,
    # and documented, as this kind's.
    for handler in (get, change, delete):
        handler.__annotations__["record_id"] = RecordId
    change.__annotations__.update(body=kind.update, principal=kind.writer)
    delete.__annotations__["principal"] = kind.writer
    for verb, operation, declare, handler in (
        ("get", kind.get, router.reads, get),
        ("update", kind.change, router.changes, change),
        ("delete", kind.delete, router.deletes, delete),
    ):
        declare(
            path, operation.summary, name=f"{verb}_{kind.noun}", description=operation.description
        )(handler)
    return router
