"""Domain errors: what services raise; the resolver maps each to one problem response."""

from __future__ import annotations

from typing import Any, ClassVar


class DotlineError(Exception):
    """Base of every error that becomes an RFC 9457 problem response."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extensions = extensions


class InvalidRequest(DotlineError):
    """The request is well-formed but a value in it is not acceptable."""

    status = 422
    slug = "validation-error"
    title = "Your request is not valid"


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


class PayloadTooLarge(DotlineError):
    """The request body exceeds what this endpoint accepts."""

    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class RateLimited(DotlineError):
    """The caller sent more requests than allowed in the window."""

    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class ServiceUnavailable(DotlineError):
    """A backend this request needs is unreachable; retrying later may succeed."""

    status = 503
    slug = "service-unavailable"
    title = "Service temporarily unavailable"


class Misconfigured(DotlineError):
    """This function may not serve: a setting it needs is missing or unsafe (see its log)."""

    status = 500
    slug = "misconfigured"
    title = "Service not configured"
