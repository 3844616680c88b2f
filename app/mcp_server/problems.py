"""What a failed MCP call answers: the RFC 9457 problem details the REST API would have
answered for the same failure, as a tool error's content (or a JSON-RPC error's data)."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from app.api.errors import (
    database_fault_problem,
    fields_detail,
    problem_document,
    validation_errors,
)
from app.db.faults import classify
from app.errors import AppError, FieldError

logger = logging.getLogger("followup.errors")

# Where the REST API says a field came from. An MCP tool's arguments are one flat object
# (the path, query and body fields of the route it mirrors), so its fields go unprefixed.
_LOCATIONS = ("body.", "query.", "path.")


def argument_name(field: str) -> str:
    """A REST field path as the tool argument it stands for: `body.until` is `until`."""
    for location in _LOCATIONS:
        if field.startswith(location):
            return field.removeprefix(location)
    return field


def problem_of(error: BaseException) -> dict[str, Any]:
    """The problem document for an error raised while serving an MCP call: a service's
    :class:`AppError`, arguments that failed validation, a database fault (503), or a bug
    (500, logged)."""
    if isinstance(error, AppError):
        return document(error.status, error.slug, error.title, error.detail, error.errors)
    if isinstance(error, ValidationError):
        errors = [
            FieldError(e.field or "arguments", e.message, e.code)
            for e in validation_errors(error.errors())
        ]
        return document(422, "validation-error", "Invalid input", None, errors)
    fault = classify(error)
    if fault is not None:
        # The REST API's own answer to the fault (its detail and its log line).
        return problem_document(503, *database_fault_problem(fault, error, "an MCP call"))
    logger.error("unhandled error serving an MCP call", exc_info=error)
    return document(
        500,
        "internal-error",
        "Internal server error",
        "The server failed to handle this call; it has been logged with its request ID.",
        None,
    )


def document(
    status: int, slug: str, title: str, detail: str | None, errors: list[FieldError] | None
) -> dict[str, Any]:
    """A problem document, its fields named as the tool's arguments."""
    fields = [FieldError(argument_name(e.field), e.message, e.code) for e in errors or ()]
    if fields:
        # The detail names the fields too: say them as the caller passed them.
        detail = fields_detail(fields)
    return problem_document(status, slug, title, detail, fields)
