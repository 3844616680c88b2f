"""RFC 9457 problem details: one exception hierarchy, one writer, every error response."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.db.faults import DRIVER_ERRORS, DatabaseFault, classify, first_line
from app.errors import AppError, FieldError, ServiceUnavailable
from app.observability import request_id_var

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://followup.dev/problems/"
# How long a client is asked to wait before retrying, per kind of database fault: a
# saturated pool frees up in moments; a restart or a failover takes seconds.
RETRY_AFTER_SECONDS = {
    DatabaseFault.BUSY: 1,
    DatabaseFault.UNAVAILABLE: 5,
    DatabaseFault.TIMEOUT: 5,
}
_FAULT_DETAILS = {
    DatabaseFault.BUSY: "Every database connection is in use; retry after the Retry-After seconds.",
    DatabaseFault.UNAVAILABLE: "The database cannot be reached right now; retry after the "
    "Retry-After seconds.",
    DatabaseFault.TIMEOUT: "A database statement ran past its time limit; retry after the "
    "Retry-After seconds.",
}

logger = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    """One input field that failed, and why."""

    field: str = Field(description="Dotted path of the field, e.g. `body.interviews.0.start`.")
    message: str = Field(description="What is wrong with it, for a person.")
    code: str = Field(description="Machine-readable reason, e.g. `missing`, `enum`.")


class Problem(BaseModel):
    """An RFC 9457 problem details object, as every error response carries."""

    type: str = Field(description="URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What happened this time.")
    instance: str | None = Field(default=None, description="The request path.")
    request_id: str | None = Field(default=None, description="ID of the request, also in logs.")
    errors: list[FieldProblem] | None = Field(
        default=None, description="The fields that failed validation, when any did."
    )


def problem_response(
    request: Request | None,
    status: int,
    *,
    slug: str,
    title: str,
    detail: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    instance = request.url.path if request is not None else None
    return JSONResponse(
        problem_document(status, slug, title, detail, errors, instance=instance),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def problem_document(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    errors: Sequence[FieldError] | None = None,
    *,
    instance: str | None = None,
) -> dict[str, Any]:
    """An RFC 9457 problem document as JSON data, whoever answers it (a route, a
    middleware, an MCP call)."""
    problem = Problem(
        type=PROBLEM_TYPE_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        request_id=request_id_var.get(),
        errors=[FieldProblem(**vars(e)) for e in errors] if errors else None,
    )
    return problem.model_dump(exclude_none=True)


def fields_detail(errors: Sequence[FieldError]) -> str:
    """A validation problem's detail: the first few fields and what is wrong with each."""
    return "; ".join(f"{e.field}: {e.message}" for e in errors[:5])


_STATUS_SLUGS = {
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


def _field_path(location: Sequence[Any]) -> str:
    return ".".join(str(part) for part in location)


def validation_errors(raw: Sequence[Any]) -> list[FieldError]:
    errors = []
    for error in raw:
        message = str(error.get("msg", "invalid"))
        context = error.get("ctx") or {}
        if "expected" in context:
            message = f"{message} (allowed: {context['expected']})"
        errors.append(
            FieldError(
                field=_field_path(error.get("loc", ())),
                message=message,
                code=str(error.get("type", "invalid")),
            )
        )
    return errors


async def _on_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return app_error_response(request, exc)


def app_error_response(request: Request, exc: AppError) -> JSONResponse:
    """``exc`` as problem+json with the headers its kind calls for (`WWW-Authenticate` on a
    401, `Retry-After` on a 503), whether a route or a middleware answers it."""
    headers = dict(exc.headers)
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, ServiceUnavailable):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS[DatabaseFault.UNAVAILABLE])
    return problem_response(
        request,
        exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=headers or None,
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    return problem_response(
        request,
        422,
        slug="validation-error",
        title="Invalid input",
        detail=fields_detail(errors),
        errors=errors,
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI answers 400 for a JSON body that is not UTF-8 but 422 `json_invalid` for
        # one that is text but not JSON; to a client both are the same mistake.
        errors = [FieldError("body", "is not UTF-8 encoded JSON", "json_invalid")]
        return problem_response(
            request,
            422,
            slug="validation-error",
            title="Invalid input",
            detail="body: is not UTF-8 encoded JSON",
            errors=errors,
        )
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    return problem_response(
        request,
        exc.status_code,
        slug=_STATUS_SLUGS.get(exc.status_code, phrase.lower().replace(" ", "-")),
        title=phrase,
        detail=detail,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    fault = classify(exc)
    if fault is not None:
        return database_fault_response(request, fault, exc)
    logger.exception("unhandled error serving %s %s", request.method, request.url.path)
    return problem_response(
        request,
        500,
        slug="internal-error",
        title="Internal server error",
        detail="The server failed to handle this request; it has been logged with its request ID.",
    )


def database_fault_response(
    request: Request | None, fault: DatabaseFault, exc: BaseException
) -> JSONResponse:
    """The 503 for a database fault, with the Retry-After that suits it."""
    where = f"{request.method} {request.url.path}" if request is not None else "-"
    slug, title, detail = database_fault_problem(fault, exc, where)
    return problem_response(
        request,
        503,
        slug=slug,
        title=title,
        detail=detail,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS[fault])},
    )


def database_fault_problem(
    fault: DatabaseFault, exc: BaseException, where: str
) -> tuple[str, str, str]:
    """The slug, title and detail of a database fault's 503, logged as serving ``where``."""
    # Not a bug: logged without a traceback, one line per request, to keep outages readable
    # (and without the statement's parameters, which SQLAlchemy's message goes on to show).
    logger.warning(
        "%s while serving %s: %s: %s", fault.value, where, type(exc).__name__, first_line(exc)
    )
    return fault.value, "Service Unavailable", _FAULT_DETAILS[fault]


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    fault = classify(exc)
    if fault is None:
        raise exc  # a genuine SQL error (or an unrelated OSError): a bug, answered 500
    return database_fault_response(request, fault, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _on_app_error)
    # Raised inside a route (its session dependency and authentication included); what the
    # middleware raises itself is classified by UnhandledErrorMiddleware the same way.
    app.add_exception_handler(SQLAlchemyError, _on_database_error)
    app.add_exception_handler(OSError, _on_database_error)
    for driver_error in DRIVER_ERRORS:
        app.add_exception_handler(driver_error, _on_database_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the problem+json errors a route may answer."""
    descriptions = {
        400: "The request is malformed.",
        401: "No credential, or a malformed, unknown, revoked or expired one.",
        403: "The credential lacks the scope this operation needs, or is a candidate token "
        "and the operation is not one a candidate token may call.",
        404: "No such resource in this tenant (for a candidate token: of its candidate).",
        409: "The request conflicts with the resource's current state.",
        412: "The `If-Match` ETag no longer matches the resource.",
        413: "The request body is larger than the configured limit.",
        415: "The body is not declared `application/json` (or `application/*+json`) in UTF-8.",
        422: "A field failed validation; `errors` names each one.",
        429: "The credential (API key or candidate token) or its tenant made more requests "
        "than its rate limit allows; "
        "`Retry-After` says in how many seconds to try again, and the `RateLimit` header "
        "which limit ran out.",
        503: "The database is unreachable, restarting, busy (every connection in use) or "
        "slow (a statement ran past `db_statement_timeout_seconds`), or its schema is not at "
        "head; `Retry-After` says when to try again.",
        504: "The request ran past the server's deadline (`request_deadline_seconds`) and was "
        "stopped; what it was writing was rolled back, unless its commit had already begun. "
        "Retry it, or make it smaller.",
    }
    return {
        status: {
            "description": descriptions[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
