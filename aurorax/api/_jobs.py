"""Asynchronous search requests (AuroraX's lifecycle): queued, run in a thread pool, kept for
a while, cancelled on request.

A request's result is stored as its JSON-ready payload, not as the library's result object:
a ``ConjunctionResult`` keeps the members' whole tracks for ``distance_series``, which would
make a bounded number of stored results an unbounded amount of memory.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from aurorax.engine import AuroraXError, NotFoundError, ValidationError

from ._errors import APIError
from ._pool import BusyError, SearchPool

__all__ = ["SearchRequest", "SearchRequests", "Payload"]

REQUEST_TYPES = ("conjunction", "ephemeris", "data_product")


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _encode(value) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


@dataclass
class Payload:
    """A finished search's result, kept as compact JSON text per record (what a response
    sends, and a bounded, measurable amount of memory: a list of dicts costs several times its
    JSON): ``records`` in AuroraX's shape and, for conjunctions, ``rows`` (the library's table).

    Build it with :meth:`of` from JSON-ready values.
    """

    records: list[str]
    rows: list[str] | None = None
    notes: list = field(default_factory=list)

    @classmethod
    def of(cls, records, rows=None, notes=()) -> Payload:
        """The payload of JSON-ready ``records`` (and ``rows``)."""
        encoded_rows = None if rows is None else [_encode(r) for r in rows]
        return cls([_encode(r) for r in records], encoded_rows, list(notes))

    @property
    def file_size(self) -> int:
        """Bytes of the records as one JSON list (AuroraX's ``file_size``)."""
        return _list_bytes(self.records)

    @property
    def nbytes(self) -> int:
        """Bytes held: the records' and the rows' JSON."""
        return _list_bytes(self.records) + (0 if self.rows is None else _list_bytes(self.rows))

    def decoded(self, fmt: str = "aurorax") -> list:
        """The records (or ``"rows"``) as Python values."""
        items = self.records if fmt == "aurorax" else self.rows
        return [json.loads(item) for item in items or ()]


def _list_bytes(items: list[str]) -> int:
    return sum(map(len, items)) + max(len(items) - 1, 0) + 2


@dataclass
class SearchRequest:
    """One search request and its state (``queued``, ``running``, ``completed``, ``failed``,
    ``cancelled``, or ``deleted`` once its result was removed)."""

    request_id: str
    request_type: str
    query: dict
    requested: str = field(default_factory=_now)
    status: str = "queued"
    logs: list = field(default_factory=list)
    payload: Payload | None = None
    completed: str | None = None
    duration_ms: float | None = None
    error: str | None = None
    deleted: str | None = None
    future: Future | None = None

    def log(self, level: str, summary: str) -> None:
        self.logs.append({"timestamp": _now(), "level": level, "summary": summary})

    @property
    def finished(self) -> bool:
        return self.status not in ("queued", "running")

    def status_json(self, data_uri: str) -> dict:
        """AuroraX's request status shape (API notes §5), plus ``status``."""
        done = self.status == "completed"
        return {
            "search_request": {
                "request_id": self.request_id,
                "query": self.query,
                "requested": self.requested,
                "request_type": self.request_type,
            },
            "search_result": {
                "data_uri": data_uri if done else None,
                "result_count": len(self.payload.records) if self.payload else None,
                "file_size": self.payload.file_size if self.payload else None,
                "completed_timestamp": self.completed,
                "query_duration": self.duration_ms,
                "error_condition": self.status == "failed",
                "result_file_deleted_timestamp": self.deleted,
            },
            "logs": list(self.logs),
            "status": self.status,
        }


class SearchRequests:
    """The server's search requests.

    Parameters
    ----------
    pool
        Where searches run (the searches' own bounded pool; full = HTTP 429).
    max_stored
        Requests kept; beyond it the oldest finished ones are forgotten (their ids then 404).
    max_pending
        Queued or running asynchronous requests allowed at once; more are refused (HTTP 429).
    max_stored_bytes
        Bytes of JSON the stored results may hold together; beyond it the oldest finished
        results are forgotten. A single result larger than this fails with a message saying so.
    """

    def __init__(
        self,
        pool: SearchPool,
        max_stored: int = 128,
        max_pending: int = 64,
        max_stored_bytes: int = 256 * 2**20,
    ) -> None:
        self._pool = pool
        self._max_stored = max_stored
        self._max_pending = max_pending
        self._max_bytes = max_stored_bytes
        self._lock = threading.Lock()
        self._requests: OrderedDict[str, SearchRequest] = OrderedDict()

    def __len__(self) -> int:
        return len(self._requests)

    @property
    def stored_bytes(self) -> int:
        """Bytes of JSON held by the stored results."""
        return sum(r.payload.nbytes for r in self._requests.values() if r.payload is not None)

    def submit(
        self, request_type: str, query: dict, run: Callable[[], tuple[Payload, str]]
    ) -> SearchRequest:
        """Queue ``run`` (returning the payload and a one-line summary) as a new request."""
        request = SearchRequest(uuid.uuid4().hex, request_type, query)
        with self._lock:
            pending = sum(not r.finished for r in self._requests.values())
            if pending >= self._max_pending:
                raise BusyError(
                    f"{pending} searches are queued or running (at most {self._max_pending}); "
                    "try again when one has finished",
                    self._pool.retry_after_s(),
                )
            request.log("info", f"{request_type} search queued")
            # The pool refuses (429) before the request is registered: nothing to clean up.
            request.future = self._pool.submit(self._run, request, run)
            self._requests[request.request_id] = request
            self._evict()
        return request

    def _evict(self) -> None:
        finished = [rid for rid, r in self._requests.items() if r.finished]
        excess = len(self._requests) - self._max_stored
        for request_id in finished[: max(excess, 0)]:
            del self._requests[request_id]
        held = self.stored_bytes
        for request_id in finished[max(excess, 0) :]:
            if held <= self._max_bytes:
                break
            request = self._requests.pop(request_id)
            held -= request.payload.nbytes if request.payload is not None else 0

    def _run(self, request: SearchRequest, run) -> None:
        with self._lock:
            if request.status != "queued":
                return
            request.status = "running"
            request.log("info", "search started")
        started = time.perf_counter()
        try:
            payload, summary = run()
        except (AuroraXError, ValueError) as exc:
            # Validation happens before queueing; what remains is e.g. an unreadable file.
            payload, summary, failure = None, None, f"search failed: {exc}"
        except Exception as exc:  # noqa: BLE001 - reported in the request's logs, not lost
            payload, summary, failure = None, None, f"search failed: {type(exc).__name__}: {exc}"
        else:
            failure = None
            if payload.nbytes > self._max_bytes:
                failure = (
                    f"search failed: its result is {payload.nbytes} bytes of JSON, more than "
                    f"the {self._max_bytes} bytes the server keeps for results; narrow the "
                    "search (a shorter time range, fewer data sources)"
                )
                payload = None
        duration = (time.perf_counter() - started) * 1000.0
        with self._lock:
            request.duration_ms = round(duration, 3)
            request.completed = _now()
            if request.status == "cancelled":
                request.log("info", "search finished after it was cancelled; result discarded")
            elif failure is not None:
                request.status, request.error = "failed", failure
                request.log("error", failure)
            else:
                request.status, request.payload = "completed", payload
                request.log("info", f"{summary} in {duration / 1000.0:.3f} s")
            self._evict()

    def get(self, request_id: str) -> SearchRequest:
        with self._lock:
            request = self._requests.get(request_id)
        if request is None:
            raise NotFoundError(
                f"no search request {request_id!r} (unknown, or evicted: the server keeps the "
                f"{self._max_stored} most recent)"
            )
        return request

    def cancel(self, request_id: str) -> SearchRequest:
        """Cancel a queued or running request, or delete a finished request's result."""
        request = self.get(request_id)
        with self._lock:
            if request.status == "queued":
                request.future.cancel()
                request.status = "cancelled"
                request.log("info", "search cancelled before it started")
            elif request.status == "running":
                # A running DuckDB/numpy search cannot be interrupted; its result is dropped.
                request.status = "cancelled"
                request.log("info", "search cancelled while running; its result will be dropped")
            elif request.status == "completed":
                request.status, request.payload = "deleted", None
                request.deleted = _now()
                request.log("info", "result deleted")
        return request

    def payload(self, request_id: str) -> Payload:
        """The finished result, or an error saying why there is none (yet)."""
        request = self.get(request_id)
        if request.status == "completed" and request.payload is not None:
            return request.payload
        if request.status in ("queued", "running"):
            raise APIError(
                f"search request {request_id} is still {request.status}; poll its status",
                status=409,
                error_code="Conflict",
            )
        if request.status == "failed":
            raise ValidationError(f"search request {request_id} failed: {request.error}")
        raise NotFoundError(f"search request {request_id} has no result ({request.status})")


def page_of(items: list, page: int | None, page_size: int | None) -> tuple[list, dict[str, Any]]:
    """``items`` of 1-based ``page`` of ``page_size`` (both None = everything), with the
    pagination fields of the response."""
    total = len(items)
    if page is None and page_size is None:
        return items, {"result_count": total}
    page = 1 if page is None else page
    page_size = 100 if page_size is None else page_size
    n_pages = max(1, -(-total // page_size))
    if not 1 <= page <= n_pages:
        raise ValidationError(f"page: {page} is out of range; pages: 1 to {n_pages}")
    first = (page - 1) * page_size
    return items[first : first + page_size], {
        "result_count": total,
        "page": page,
        "page_size": page_size,
        "n_pages": n_pages,
    }
