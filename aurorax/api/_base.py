"""What every API handler shares: the server's context, JSON bodies with a size limit, API
keys (checked before a write's body is read), errors as AuroraX's ``{error_code,
error_message}`` JSON, and work in the thread pools (reads, writes and searches apart)."""

from __future__ import annotations

import asyncio
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
from ._json import loads_request
from ._keys import ApiKey, KeyStore
from ._pool import BusyError, SearchPool

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
    max_search_body_bytes
        Largest body of a search (default 1 MiB: 10,000 filter values fit many times over);
        larger ones get 413 before a byte of them is parsed.
    max_records
        Most ephemeris or data product records in one upload (default 50,000); more get 413.
    max_stored_results
        Search requests (and their results) kept; the oldest finished ones are evicted.
    max_stored_bytes
        Bytes of JSON all stored search results may hold together (default 256 MiB); the
        oldest finished ones are evicted, and one result larger than this fails.
    max_pending
        Queued plus running asynchronous searches allowed at once (more get HTTP 429).
    workers
        Threads answering reads (data sources, availability, results); never used by searches.
    search_workers
        Threads running searches, synchronous and asynchronous (default 2).
    search_queue
        Searches that may wait for a search thread (default 16); more get HTTP 429 with
        ``Retry-After``.
    max_filter_values
        Values all metadata filter expressions of one query may list together (default
        10,000); more are a 400.
    max_search_records
        Records one search may have to read, counted from the availability table for the data
        sources and days it selects (default 50 million); more are a 400.
    max_response_bytes
        Largest search result sent in one response (default 32 MiB); a larger one is a 413
        that asks for pages (``page``, ``page_size``).
    """

    max_body_bytes: int = 16 * 2**20
    max_search_body_bytes: int = 2**20
    max_records: int = 50_000
    max_stored_results: int = 128
    max_stored_bytes: int = 256 * 2**20
    max_pending: int = 64
    workers: int = 4
    search_workers: int = 2
    search_queue: int = 16
    max_filter_values: int = 10_000
    max_search_records: int = 50_000_000
    max_response_bytes: int = 32 * 2**20

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")


@dataclass
class ApiContext:
    """The server's state shared by all handlers: the repository (shared with the dashboard
    pages), the keys file, the limits, the thread pools and the search requests."""

    repository: Repository
    keys: KeyStore
    config: ApiConfig = field(default_factory=ApiConfig)
    pool: ThreadPoolExecutor | None = None
    requests: SearchRequests | None = None
    search_pool: SearchPool | None = None
    write_pool: ThreadPoolExecutor | None = None

    def __post_init__(self) -> None:
        c = self.config
        if self.pool is None:
            self.pool = ThreadPoolExecutor(c.workers, thread_name_prefix="aurorax-api")
        if self.write_pool is None:
            # Writes take turns on the repository's one write connection anyway; their own
            # threads keep a long upload from holding a reader's.
            self.write_pool = ThreadPoolExecutor(2, thread_name_prefix="aurorax-write")
        if self.search_pool is None:
            self.search_pool = SearchPool(c.search_workers, c.search_queue)
        if self.requests is None:
            self.requests = SearchRequests(
                self.search_pool, c.max_stored_results, c.max_pending, c.max_stored_bytes
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

    #: HTTP methods of this handler that write: their key is checked before the body is read,
    #: and a request without a valid one has its body thrown away unparsed.
    write_methods: frozenset[str] = frozenset()

    def initialize(self, context: ApiContext) -> None:
        self.context = context

    # -- body with a limit ------------------------------------------------------------------
    def prepare(self) -> None:
        self._chunks: list[bytes] = []
        self._received = 0
        self._too_large = False
        self._key: ApiKey | None = None
        self._key_error: APIError | None = None
        if self.request.method in self.write_methods:
            try:
                self._key = self._authenticate()
            except APIError as exc:
                self._key_error = exc
        limit = self.body_limit()
        declared = self.request.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            self._too_large = True
            if int(declared) > _DRAIN_LIMIT_BYTES:
                raise self._too_large_error()
            self.request.connection.set_max_body_size(int(declared))

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._key_error is not None:
            return  # no key: the body is neither kept nor parsed
        if self._received > self.body_limit():
            self._too_large = True
            self._chunks = []
        elif not self._too_large:
            self._chunks.append(chunk)

    def body_limit(self) -> int:
        """Largest body this request may have, bytes."""
        return self.context.config.max_body_bytes

    def _too_large_error(self) -> PayloadTooLargeError:
        limit = self.body_limit()
        return PayloadTooLargeError(
            f"request body is larger than the server's limit of {limit} bytes "
            f"({limit / 2**20:g} MiB)"
        )

    def json_body(self):
        """The request body parsed as JSON (413 if over the limit, 400 if not JSON)."""
        if self._too_large:
            raise self._too_large_error()
        if self._key_error is not None:
            raise self._key_error
        raw = b"".join(self._chunks)
        if not raw.strip():
            raise ValidationError("request body: expected a JSON document, got an empty body")
        return loads_request(raw)

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
        if self._key_error is not None:
            raise self._key_error
        if self._key is None:
            self._key = self._authenticate()
        return self._key

    def _authenticate(self) -> ApiKey:
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
        """``func(*args)`` in the readers' thread pool (DuckDB never blocks the event loop)."""
        return await IOLoop.current().run_in_executor(self.context.pool, func, *args)

    async def run_write(self, func, *args):
        """``func(*args)`` in the writers' thread pool."""
        return await IOLoop.current().run_in_executor(self.context.write_pool, func, *args)

    async def run_search(self, func, *args):
        """``func(*args)`` in the searches' bounded pool (429 with ``Retry-After`` when full)."""
        return await asyncio.wrap_future(self.context.search_pool.submit(func, *args))

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
        if isinstance(exc, BusyError):
            self.set_header("Retry-After", str(exc.retry_after_s))
        self.finish(json.dumps({"error_code": code, "error_message": message}))

    def log_exception(self, typ, value, tb) -> None:
        status = _status_of(value)[0]
        if status >= 500 and not isinstance(value, APIError):
            _log.error(
                "%s %s failed", self.request.method, self.request.uri, exc_info=(typ, value, tb)
            )
        if isinstance(value, StoreError):
            _log.error("repository error: %s", value)
