"""What every API handler shares: the server's context, JSON bodies with a size limit, API
keys, errors as AuroraX's ``{error_code, error_message}`` JSON, and work in the thread pool."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import tornado.web
from tornado.ioloop import IOLoop

from aurorax.engine import (
    ConflictError,
    DataSource,
    DuplicateError,
    NotFoundError,
    Repository,
    StoreError,
    ValidationError,
)

from ._errors import APIError, AuthenticationError, PayloadTooLargeError, PermissionDeniedError
from ._jobs import SearchRequests
from ._keys import ApiKey, KeyStore

__all__ = ["ApiConfig", "ApiContext", "ApiHandler", "API_KEY_HEADER"]

API_KEY_HEADER = "x-aurorax-api-key"
_log = logging.getLogger("aurorax.api")
# A declared body over the limit is still read (and thrown away) up to this size, so the client
# receives the 413 instead of a connection reset; beyond it the connection is simply closed.
_DRAIN_LIMIT_BYTES = 256 * 2**20


@dataclass(frozen=True)
class ApiConfig:
    """Limits of the HTTP API.

    Parameters
    ----------
    max_body_bytes
        Largest request body accepted, bytes (default 16 MiB); larger ones get HTTP 413.
    max_records
        Most ephemeris or data product records in one upload (default 50,000); more get 413.
    max_stored_results
        Search requests (and their results) kept; the oldest finished ones are evicted.
    max_pending
        Queued plus running asynchronous searches allowed at once (more get HTTP 429).
    workers
        Threads running searches and repository reads (the event loop never waits on DuckDB).
    """

    max_body_bytes: int = 16 * 2**20
    max_records: int = 50_000
    max_stored_results: int = 128
    max_pending: int = 64
    workers: int = 4

    def __post_init__(self) -> None:
        for name in (
            "max_body_bytes",
            "max_records",
            "max_stored_results",
            "max_pending",
            "workers",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")


@dataclass
class ApiContext:
    """The server's state shared by all handlers: the repository (shared with the dashboard
    pages), the keys file, the limits, the thread pool and the search requests."""

    repository: Repository
    keys: KeyStore
    config: ApiConfig = field(default_factory=ApiConfig)
    pool: ThreadPoolExecutor | None = None
    requests: SearchRequests | None = None

    def __post_init__(self) -> None:
        if self.pool is None:
            self.pool = ThreadPoolExecutor(self.config.workers, thread_name_prefix="aurorax-api")
        if self.requests is None:
            self.requests = SearchRequests(
                self.pool, self.config.max_stored_results, self.config.max_pending
            )

    @property
    def writable(self) -> bool:
        return not self.repository.read_only


def _status_of(exc: BaseException) -> tuple[int, str, str]:
    if isinstance(exc, APIError):
        return exc.status, exc.error_code, str(exc)
    if isinstance(exc, NotFoundError):
        return 404, "NotFound", str(exc)
    if isinstance(exc, DuplicateError):
        return 409, "Duplicate", str(exc)
    if isinstance(exc, ConflictError):
        return 409, "Conflict", str(exc)
    if isinstance(exc, ValidationError):
        return 400, "AssertionError", str(exc)
    if isinstance(exc, tornado.web.HTTPError):
        code = {404: "NotFound", 405: "NotImplemented"}.get(exc.status_code, "Other")
        return exc.status_code, code, exc.log_message or exc.reason or "request refused"
    return 500, "ApplicationError", "internal server error (logged on the server)"


@tornado.web.stream_request_body
class ApiHandler(tornado.web.RequestHandler):
    """Base class: JSON in, JSON out, AuroraX's errors."""

    def initialize(self, context: ApiContext) -> None:
        self.context = context

    # -- body with a limit ------------------------------------------------------------------
    def prepare(self) -> None:
        self._chunks: list[bytes] = []
        self._received = 0
        self._too_large = False
        limit = self.context.config.max_body_bytes
        declared = self.request.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            self._too_large = True
            if int(declared) > _DRAIN_LIMIT_BYTES:
                raise self._too_large_error()
            self.request.connection.set_max_body_size(int(declared))

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._received > self.context.config.max_body_bytes:
            self._too_large = True
            self._chunks = []
        elif not self._too_large:
            self._chunks.append(chunk)

    def _too_large_error(self) -> PayloadTooLargeError:
        limit = self.context.config.max_body_bytes
        return PayloadTooLargeError(
            f"request body is larger than the server's limit of {limit} bytes "
            f"({limit / 2**20:g} MiB)"
        )

    def json_body(self):
        """The request body parsed as JSON (413 if over the limit, 400 if not JSON)."""
        if self._too_large:
            raise self._too_large_error()
        raw = b"".join(self._chunks)
        if not raw.strip():
            raise ValidationError("request body: expected a JSON document, got an empty body")
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise ValidationError(f"request body: not valid JSON ({exc})") from None

    def json_object(self) -> dict:
        body = self.json_body()
        if not isinstance(body, dict):
            raise ValidationError(
                f"request body: expected a JSON object, got {type(body).__name__}"
            )
        return body

    # -- arguments ----------------------------------------------------------------------------
    def int_argument(self, name: str, minimum: int = 1) -> int | None:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError(f"{name}: {raw!r} is not an integer") from None
        if value < minimum:
            raise ValidationError(f"{name}: must be at least {minimum}, got {value}")
        return value

    def bool_argument(self, name: str) -> bool:
        raw = self.get_query_argument(name, "false").strip().lower()
        if raw not in ("true", "false", "1", "0"):
            raise ValidationError(f"{name}: {raw!r} is not a boolean (true or false)")
        return raw in ("true", "1")

    @staticmethod
    def identifier(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError(f"identifier: {raw!r} is not an integer") from None
        if not -(2**31) <= value < 2**31:
            raise NotFoundError(f"no data source with identifier {value}")
        return value

    # -- keys ---------------------------------------------------------------------------------
    def api_key(self) -> ApiKey:
        """The request's valid API key (401 without one; 403 on a read-only server)."""
        if not self.context.writable:
            raise PermissionDeniedError(
                "this server serves the repository read-only; writes are not possible"
            )
        token = self.request.headers.get(API_KEY_HEADER)
        if not token:
            raise AuthenticationError(f"writes need an API key in the {API_KEY_HEADER} header")
        key = self.context.keys.authenticate(token)
        if key is None:
            raise AuthenticationError("the API key is not valid (unknown or revoked)")
        return key

    @staticmethod
    def check_may_write(key: ApiKey, source: DataSource) -> None:
        if not key.may_write(source):
            raise PermissionDeniedError(
                f"the API key of {key.owner} may not write data source {source.identifier} "
                f"({source.display_name}), which is owned by another account"
            )

    # -- work off the event loop --------------------------------------------------------------
    async def run(self, func, *args):
        """``func(*args)`` in the server's thread pool (DuckDB and numpy never block the loop)."""
        return await IOLoop.current().run_in_executor(self.context.pool, func, *args)

    # -- responses ----------------------------------------------------------------------------
    def send_json(self, value, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(value, separators=(",", ":"), allow_nan=False))

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status, code, message = (
            _status_of(exc) if exc is not None else (status_code, "Other", self._reason)
        )
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error_code": code, "error_message": message}))

    def log_exception(self, typ, value, tb) -> None:
        status = _status_of(value)[0]
        if status >= 500 and not isinstance(value, APIError):
            _log.error(
                "%s %s failed", self.request.method, self.request.uri, exc_info=(typ, value, tb)
            )
        if isinstance(value, StoreError):
            _log.error("repository error: %s", value)
