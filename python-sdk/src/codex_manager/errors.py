"""Typed exceptions: one class per API error code (see docs/api.md), grouped by what a caller does.

Catch a family (`NotFoundError` also covers `gone`) or a precise code (`GoneError`). Every API error
keeps the server's `code`, `message`, `details`, `suggestion`, the HTTP `status` and the `trace_id`
to look the call up in the logs.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIError",
    "AlreadyResolvedError",
    "CodexManagerError",
    "CommandTimeoutError",
    "ConflictError",
    "ConnectionFailedError",
    "CursorExpiredError",
    "ExtensionReloadFailedError",
    "ForbiddenError",
    "GoneError",
    "IdempotencyInProgressError",
    "IdempotencyKeyReusedError",
    "InternalServerError",
    "InvalidJsonError",
    "InvalidRequestError",
    "LockedError",
    "NotFoundError",
    "NotSupportedError",
    "QueueFullError",
    "QueueUnavailableError",
    "RateLimitedError",
    "RuntimeFailedError",
    "RuntimeTimeoutError",
    "RuntimeUnavailableError",
    "ServerError",
    "ServiceUnavailableError",
    "StreamError",
    "TransportError",
    "UnauthorizedError",
    "UnknownOperationError",
    "WaitTimeoutError",
    "error_class_for",
]


class CodexManagerError(Exception):
    """Base of every exception the SDK raises on purpose."""


class UnknownOperationError(CodexManagerError, LookupError):
    """An operationId this SDK does not know (the server may be newer: regenerate the SDK)."""


class TransportError(CodexManagerError):
    """The request did not get an HTTP answer: connection refused or reset, DNS, TLS, timeout."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class ConnectionFailedError(TransportError):
    """Nothing was sent: the server is down or the address is wrong."""


class WaitTimeoutError(CodexManagerError, TimeoutError):
    """A wait helper (turn, request, stream event) ran out of time; the server state is untouched."""


class APIError(CodexManagerError):
    """The server answered with `{error: {code, message, details?, suggestion?}}`."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        details: dict[str, Any] | None = None,
        suggestion: str | None = None,
        method: str = "",
        url: str = "",
        trace_id: str | None = None,
        body: Any = None,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details or {}
        self.suggestion = suggestion
        self.method = method
        self.url = url
        self.trace_id = trace_id
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = f"{self.status} {self.code}: {self.message}"
        if self.suggestion:
            text += f" ({self.suggestion})"
        return text


class InvalidRequestError(APIError):
    """400: bad input; `details['issues']` lists each problem with its path. Nothing changed."""


class InvalidJsonError(InvalidRequestError):
    """400: the body was not JSON."""


class UnauthorizedError(APIError):
    """401: missing or wrong bearer token (profile `token`, `CM_TOKEN` or `token=`)."""


class ForbiddenError(APIError):
    """403: not allowed (e.g. a system-owned worker session, or a role too low)."""


class NotFoundError(APIError):
    """404: unknown route or id."""


class GoneError(NotFoundError):
    """410: it existed once (a deleted session, an expired request)."""


class ConflictError(APIError):
    """409: the state changed under you (e.g. a request already decided differently)."""


class AlreadyResolvedError(ConflictError):
    """`already_resolved` when a server reports it as an error; decisions usually return it as 200."""


class IdempotencyInProgressError(ConflictError):
    """409: the first call with this Idempotency-Key is still running (the SDK retries it)."""


class IdempotencyKeyReusedError(APIError):
    """422: the Idempotency-Key was used before for a different request."""


class LockedError(APIError):
    """423: locked by configuration (e.g. default controls)."""


class RateLimitedError(APIError):
    """429: too many requests, or a queue is full."""


class ServerError(APIError):
    """5xx: the service or the runtime failed."""


class InternalServerError(ServerError):
    """500: an unexpected failure; the service log has the details (look up `trace_id`)."""


class NotSupportedError(ServerError):
    """501: the runtime does not implement this method."""


class RuntimeFailedError(ServerError):
    """502 `runtime_error`: the runtime answered with an error."""


class RuntimeUnavailableError(ServerError):
    """503: no runtime-bridge took the command in time, or the runtime is restarting."""


class RuntimeTimeoutError(ServerError):
    """504 `runtime_timeout`: the runtime took the command but did not answer in time."""


class CommandTimeoutError(ServerError):
    """504 `command_timeout`."""


class StreamError(CodexManagerError):
    """The event stream cannot continue."""


class CursorExpiredError(GoneError, StreamError):
    """410 `cursor_expired`: the resume cursor is below the retained event log; events in between
    are gone. `details` has `resumeFrom`/`cursor`, `compactedBelow` and `head` when the server sends
    them."""

    @property
    def compacted_below(self) -> int | None:
        value = self.details.get("compactedBelow")
        return value if isinstance(value, int) else None


class QueueFullError(RateLimitedError):
    """429 `queue_full`: the job queue is at capacity."""


class QueueUnavailableError(ServerError):
    """503 `queue_unavailable`: the job queue is turned off or down."""


class ServiceUnavailableError(ServerError):
    """503 `service_unavailable`: a service this call needs is down."""


class ExtensionReloadFailedError(APIError):
    """422 `extension_reload_failed`: the new extension set was rejected; the old one keeps running."""


# The API's error codes (services/core/src/errors.ts, docs/api.md) with their status and class.
# A test compares this table with the server's; codes added later still map by status (below).
ERROR_CODES: dict[str, tuple[int, type[APIError]]] = {
    "invalid_request": (400, InvalidRequestError),
    "invalid_json": (400, InvalidJsonError),
    "unauthorized": (401, UnauthorizedError),
    "forbidden": (403, ForbiddenError),
    "not_found": (404, NotFoundError),
    "gone": (410, GoneError),
    "conflict": (409, ConflictError),
    "already_resolved": (200, AlreadyResolvedError),
    "idempotency_in_progress": (409, IdempotencyInProgressError),
    "idempotency_key_reused": (422, IdempotencyKeyReusedError),
    "locked": (423, LockedError),
    "too_many_requests": (429, RateLimitedError),
    "internal_error": (500, InternalServerError),
    "not_supported": (501, NotSupportedError),
    "runtime_error": (502, RuntimeFailedError),
    "runtime_unavailable": (503, RuntimeUnavailableError),
    "runtime_timeout": (504, RuntimeTimeoutError),
    "command_timeout": (504, CommandTimeoutError),
    "cursor_expired": (410, CursorExpiredError),
    "queue_full": (429, QueueFullError),
    "queue_unavailable": (503, QueueUnavailableError),
    "service_unavailable": (503, ServiceUnavailableError),
    "extension_reload_failed": (422, ExtensionReloadFailedError),
}

_BY_STATUS: dict[int, type[APIError]] = {
    400: InvalidRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    422: InvalidRequestError,
    423: LockedError,
    429: RateLimitedError,
    500: InternalServerError,
    501: NotSupportedError,
    502: RuntimeFailedError,
    503: RuntimeUnavailableError,
    504: RuntimeTimeoutError,
}


def error_class_for(status: int, code: str | None) -> type[APIError]:
    """The class for a response: by code when known, else by status, else by status family."""
    if code and code in ERROR_CODES:
        return ERROR_CODES[code][1]
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else APIError
