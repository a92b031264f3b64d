"""The API's errors: AuroraX's ``{error_code, error_message}`` JSON with an HTTP status.

The same classes are raised by the client, so code written against a local repository and
against a server catches the same things: a 400 becomes :class:`aurorax.engine.ValidationError`,
a 404 :class:`~aurorax.engine.NotFoundError`, a 409 :class:`~aurorax.engine.DuplicateError`
(or :class:`~aurorax.engine.ConflictError`, when the server's error code is ``Conflict``).
"""

from __future__ import annotations

from aurorax.engine import (
    AuroraXError,
    ConflictError,
    DuplicateError,
    NotFoundError,
    ValidationError,
)

__all__ = [
    "APIError",
    "AuthenticationError",
    "PermissionDeniedError",
    "PayloadTooLargeError",
    "error_for_status",
]


class APIError(AuroraXError):
    """An HTTP API request failed.

    Attributes
    ----------
    status : int
        HTTP status code.
    error_code : str
        AuroraX's error code (``NotFound``, ``NotAuthenticated`` ...).
    """

    status = 500
    error_code = "ApplicationError"

    def __init__(self, message: str, status: int | None = None, error_code: str | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status
        if error_code is not None:
            self.error_code = error_code


class AuthenticationError(APIError, PermissionError):
    """No API key, or a key the server does not know (HTTP 401)."""

    status = 401
    error_code = "NotAuthenticated"


class PermissionDeniedError(APIError, PermissionError):
    """The key may not write this data source, or the server serves no writes (HTTP 403)."""

    status = 403
    error_code = "NotPermitted"


class PayloadTooLargeError(APIError):
    """The request body or the number of records is over the server's limit (HTTP 413)."""

    status = 413
    error_code = "PayloadTooLarge"


class _ClientValidationError(APIError, ValidationError):
    status = 400
    error_code = "AssertionError"


class _ClientNotFoundError(APIError, NotFoundError):
    status = 404
    error_code = "NotFound"


class _ClientDuplicateError(APIError, DuplicateError):
    status = 409
    error_code = "Duplicate"


class _ClientConflictError(APIError, ConflictError):
    status = 409
    error_code = "Conflict"


_BY_STATUS = {
    400: _ClientValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: _ClientNotFoundError,
    409: _ClientDuplicateError,
    413: PayloadTooLargeError,
}


def error_for_status(status: int, error_code: str, message: str) -> APIError:
    """The exception the client raises for an error response (engine classes where they exist)."""
    cls = _BY_STATUS.get(status, APIError)
    if status == 409 and error_code == "Conflict":
        cls = _ClientConflictError
    return cls(message, status=status, error_code=error_code or cls.error_code)
