"""What the record resources' routes share: their error lists, the five kinds of route,
how a record is shown, and ``record_router``, which builds a kind's five routes alike."""

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

    def lists(self, path: str, summary: str, **details: Any) -> Route:
        page: Any = Page[self.read]  # type: ignore[name-defined]
        return self.get(
            path, summary=summary, response_model=page, responses=READ_ERRORS, **details
        )

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
    """One route of a kind of record: what answers it (a service call; for a list, the
    route's handler), and its summary and description as integrators read them in the API
    document (a list's description is its handler's docstring)."""

    call: Callable[..., Awaitable[Any]]
    summary: str
    description: str | None = None


@dataclass(frozen=True)
class RecordRoutes:
    """The five routes of one kind of record (see :func:`record_router`)."""

    resource: str  # the path's collection and the tag: `contacts`
    noun: str  # names the ID parameter (`contact_id`) and the handlers (`get_contact`...)
    read: type[BaseModel]
    create_body: type[BaseModel]
    update_body: type[BaseModel]
    # The credential check a create, a change or a deletion needs (a `*WriterDep`).
    writer: Any
    # Whether a record is created under its application
    # (`/applications/{application_id}/contacts`) rather than at the top (`/candidates`).
    of_application: bool
    create: Operation
    list: Operation
    get: Operation
    change: Operation
    delete: Operation


def record_router(kind: RecordRoutes) -> ResourceRouter:
    """A kind of record's routes: create it, list them, and read, change and delete one
    by its ID. Every kind takes the same parameters (but for a list's filters), calls its
    service the same way and answers alike."""
    router = ResourceRouter(kind.resource, kind.read)
    read = kind.read
    id_name = f"{kind.noun}_id"
    one = f"/{kind.resource}/{{{id_name}}}"
    many = (
        f"/applications/{{application_id}}/{kind.resource}"
        if kind.of_application
        else f"/{kind.resource}"
    )

    async def create_at_top(
        body: BaseModel, principal: CandidateReaderDep, session: SessionDep, response: Response
    ) -> Any:
        row = await kind.create.call(session, principal.owner, body)
        located(response, f"/v1/{kind.resource}/{row.id}")
        return await shown_record(session, response, read, row)

    async def create_of_application(
        application_id: str,
        body: BaseModel,
        principal: CandidateReaderDep,
        session: SessionDep,
        response: Response,
    ) -> Any:
        row = await kind.create.call(session, principal.owner, application_id, body)
        located(response, f"/v1/{kind.resource}/{row.id}")
        if isinstance(body, schemas.InterviewCreate):
            # The panel just written is the body's: no need to read it back.
            return shown_interview(response, row, list(body.panel))
        return await shown_record(session, response, read, row)

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

    create = create_of_application if kind.of_application else create_at_top
    # FastAPI reads each parameter from its annotation: the ID under this kind's name, the
    # bodies' models and the credential checks this kind's own, so that requests are
    # checked, and documented, as this kind's.
    record_id = Annotated[str, Path(alias=id_name)]
    for handler in (get, change, delete):
        handler.__annotations__["record_id"] = record_id
    create.__annotations__.update(body=kind.create_body, principal=kind.writer)
    change.__annotations__.update(body=kind.update_body, principal=kind.writer)
    delete.__annotations__["principal"] = kind.writer
    routes: tuple[tuple[str, str, Operation, Callable[..., Route], Callable[..., Any]], ...] = (
        (many, "create", kind.create, router.creates, create),
        (many, "list", kind.list, router.lists, kind.list.call),
        (one, "get", kind.get, router.reads, get),
        (one, "update", kind.change, router.changes, change),
        (one, "delete", kind.delete, router.deletes, delete),
    )
    for path, verb, operation, declare, handler in routes:
        name = kind.resource if verb == "list" else kind.noun
        declare(path, operation.summary, name=f"{verb}_{name}", description=operation.description)(
            handler
        )
    return router
