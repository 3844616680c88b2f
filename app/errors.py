"""The errors the service reports on purpose; the API turns each into problem+json."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class FieldError:
    """One input field that failed: its dotted path, why, and a machine-readable code."""

    field: str
    message: str
    code: str


class AppError(Exception):
    """Base of errors the API reports on purpose."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: Sequence[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors else None
        # Response headers the error's answer carries (Retry-After, say).
        self.headers: dict[str, str] = {}


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Not found"


def found(value: T | None, detail: str) -> T:
    """``value``, or NotFound saying ``detail`` when there is none."""
    if value is None:
        raise NotFound(detail)
    return value


class Unauthorized(AppError):
    status, slug, title = 401, "unauthorized", "Unauthorized"


class Forbidden(AppError):
    status, slug, title = 403, "forbidden", "Forbidden"


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(AppError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class ContentTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Content Too Large"


class UnsupportedMediaType(AppError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported Media Type"


class InvalidInput(AppError):
    status, slug, title = 422, "validation-error", "Invalid input"

    @classmethod
    def on_field(cls, field: str, message: str, code: str = "invalid") -> InvalidInput:
        return cls(f"{field}: {message}", errors=[FieldError(field, message, code)])


class RateLimited(AppError):
    status, slug, title = 429, "rate-limited", "Too Many Requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.headers["Retry-After"] = str(retry_after_seconds)


class ServiceUnavailable(AppError):
    status, slug, title = 503, "unavailable", "Service unavailable"


class DeadlineExceeded(AppError):
    status, slug, title = 504, "deadline-exceeded", "Gateway Timeout"
