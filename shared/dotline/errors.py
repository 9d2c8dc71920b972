"""Domain errors: what services raise; the resolver maps each to one problem response."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pydantic import ValidationError


class DotlineError(Exception):
    """Base of every error that becomes an RFC 9457 problem response."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extensions = extensions


class BadRequest(DotlineError):
    """The request carries something that is not ours to accept (a forged or altered cursor)."""

    status = 400
    slug = "bad-request"
    title = "Bad request"


class InvalidRequest(DotlineError):
    """The request is well-formed but a value in it is not acceptable."""

    status = 422
    slug = "validation-error"
    title = "Your request is not valid"


class MissingReference(InvalidRequest):
    """A value names an item that does not exist (or no longer does, when a delete raced)."""


class Unauthenticated(DotlineError):
    """No valid access token came with the request."""

    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class Forbidden(DotlineError):
    """The caller is known but may not do this."""

    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(DotlineError):
    """No such resource for this caller (also what another user's ids look like)."""

    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DotlineError):
    """The request clashes with the resource's current state."""

    status = 409
    slug = "conflict"
    title = "Conflict"


class ReplayedDelivery(Conflict):
    """A signed webhook delivery already received and applied: its signature is spent."""

    slug = "replayed-delivery"
    title = "Delivery already received"


class PayloadTooLarge(DotlineError):
    """The request body exceeds what this endpoint accepts."""

    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(DotlineError):
    """The request body is not in a media type the API accepts (JSON in UTF-8)."""

    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class RateLimited(DotlineError):
    """The caller sent more requests than allowed in the window."""

    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class ServiceUnavailable(DotlineError):
    """A backend this request needs is unreachable or too slow; trying again after
    `retry_after_s` (the Retry-After header) may succeed."""

    status = 503
    slug = "service-unavailable"
    title = "Service temporarily unavailable"
    retry_after_s: ClassVar[int] = 5  # the Retry-After a client is told to wait


class Misconfigured(DotlineError):
    """This function may not serve: a setting it needs is missing or unsafe (see its log)."""

    status = 500
    slug = "misconfigured"
    title = "Service not configured"


def invalid_body(exc: ValidationError) -> InvalidRequest:
    """The 422 for a body pydantic refused: one field error per pydantic error (the first leads);
    unreadable JSON is the body's fault, a missing field "is required"."""
    errors = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "body"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "json_invalid":
            field = "body"
        elif error["type"] == "missing":
            message = "is required"
        errors.append({"field": field, "message": message})
    return InvalidRequest(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors)
