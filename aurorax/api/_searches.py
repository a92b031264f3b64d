"""Handlers of the searches (asynchronous as AuroraX's, and synchronous), their requests and
results, the availability views and the query description."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aurorax.engine import (
    AuroraXError,
    ConjunctionQuery,
    DataProductQuery,
    EphemerisQuery,
    ValidationError,
    availability_summary,
    records_to_read,
    search_conjunctions,
    search_data_products,
    search_ephemeris,
)

from ._base import ApiHandler
from ._convert import (
    availability_json,
    data_product_records,
    ephemeris_records,
    source_json,
)
from ._errors import PayloadTooLargeError
from ._jobs import Payload, page_of
from ._sources import match_sources

__all__ = [
    "SEARCHES",
    "SearchHandler",
    "SyncSearchHandler",
    "RequestHandler",
    "RequestDataHandler",
    "AvailabilityHandler",
    "DescribeConjunctionHandler",
    "parse_query",
]


def _conjunctions(repo, query, formats=("aurorax", "rows")) -> tuple[Payload, str]:
    """Search and keep the result in the formats asked for (a synchronous search needs one;
    an asynchronous one keeps both, since its reader chooses later)."""
    result = search_conjunctions(repo, query)
    records = result.to_aurorax_json()["result"] if "aurorax" in formats else []
    rows = json.loads(result.to_json()) if "rows" in formats else None
    payload = Payload.of(records, rows, result.notes)
    return payload, f"found {len(result)} conjunction(s)"


def _ephemeris(repo, query, formats=("aurorax",)) -> tuple[Payload, str]:
    records = ephemeris_records(search_ephemeris(repo, query), repo.list_data_sources())
    return Payload.of(records), f"found {len(records)} ephemeris record(s)"


def _data_products(repo, query, formats=("aurorax",)) -> tuple[Payload, str]:
    records = data_product_records(search_data_products(repo, query), repo.list_data_sources())
    return Payload.of(records), f"found {len(records)} data product(s)"


@dataclass(frozen=True)
class Search:
    """One kind of search: its URL segment, AuroraX request type, parser and runner."""

    segment: str
    request_type: str
    parse: Callable[[Mapping], object]
    run: Callable


SEARCHES = {
    "conjunctions": Search(
        "conjunctions", "conjunction", ConjunctionQuery.from_json, _conjunctions
    ),
    "ephemeris": Search("ephemeris", "ephemeris", EphemerisQuery.from_json, _ephemeris),
    "data_products": Search(
        "data_products", "data_product", DataProductQuery.from_json, _data_products
    ),
}


def parse_query(search: Search, body: Mapping):
    """The typed query of a JSON body; anything wrong with it is a ValidationError (HTTP 400)."""
    try:
        return search.parse(body)
    except AuroraXError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        # The engine's parsers name the field for the inputs they expect; JSON of the wrong
        # shape further in can still trip a conversion, which is the caller's input too.
        raise ValidationError(f"query: {type(exc).__name__}: {exc}") from None


class _SearchBase(ApiHandler):
    def initialize(self, context, search: Search) -> None:
        super().initialize(context)
        self.search = search

    def body_limit(self) -> int:
        # Parsing JSON holds the interpreter: a few MiB of search body per request, from many
        # clients, would keep every other request waiting. No valid search needs more.
        return self.context.config.max_search_body_bytes

    def request_url(self, request_id: str) -> str:
        return (
            f"{self.request.protocol}://{self.request.host}/api/v1/{self.search.segment}"
            f"/requests/{request_id}"
        )

    def result_format(self) -> str:
        fmt = self.get_query_argument("format", "aurorax")
        allowed = ("aurorax", "rows") if self.search.segment == "conjunctions" else ("aurorax",)
        if fmt not in allowed:
            raise ValidationError(f"format: {fmt!r} is not allowed; allowed: {', '.join(allowed)}")
        return fmt

    def data_response(self, payload: Payload) -> str:
        """The JSON text of ``{"result": [...], <pagination>, "notes"}`` for the request's
        format and page; 413 if it would be larger than the server sends in one answer."""
        fmt = self.result_format()
        items = payload.records if fmt == "aurorax" else payload.rows
        page = self.int_argument("page")
        page_size = self.int_argument("page_size")
        if page_size is not None and page_size > 100_000:
            raise ValidationError(f"page_size: at most 100000, got {page_size}")
        chosen, info = page_of(items, page, page_size)
        size = sum(map(len, chosen)) + len(chosen)
        limit = self.context.config.max_response_bytes
        if size > limit:
            raise PayloadTooLargeError(
                f"the result is {size} bytes of JSON ({len(chosen)} records), more than the "
                f"{limit} bytes ({limit / 2**20:g} MiB) the server sends in one answer; ask "
                "for it in pages (page=1&page_size=...) or narrow the search"
            )
        tail = json.dumps({**info, "notes": payload.notes}, separators=(",", ":"))
        return '{"result":[' + ",".join(chosen) + "]," + tail[1:]

    def send_data(self, payload: Payload) -> None:
        text = self.data_response(payload)
        self.set_header("Content-Type", "application/json")
        self.finish(text)

    async def checked_query(self):
        """The request's query, refused (400) before it takes a search thread if it lists too
        many filter values or would read too many records."""
        body = self.json_object()
        config = self.context.config
        values = filter_value_count(body)
        if values > config.max_filter_values:
            raise ValidationError(
                f"metadata filters: {values} values in all; a search may list at most "
                f"{config.max_filter_values} (split it into several searches)"
            )
        query = parse_query(self.search, body)
        records = await self.run(records_to_read, self.context.repository, query)
        if records > config.max_search_records:
            raise ValidationError(
                f"start, end: the search would read {records} records of the data sources it "
                f"selects; the server reads at most {config.max_search_records} per search "
                "(a shorter time range or fewer data sources)"
            )
        return query


def filter_value_count(body) -> int:
    """Values listed by every metadata filter expression of a JSON query body (any
    ``*_metadata_filters`` object, in any block)."""
    total = 0
    stack = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key.endswith("metadata_filters") and isinstance(value, dict):
                    expressions = value.get("expressions")
                    for expression in expressions if isinstance(expressions, list) else ():
                        listed = expression.get("values") if isinstance(expression, dict) else None
                        total += len(listed) if isinstance(listed, list) else 0
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return total


class SearchHandler(_SearchBase):
    """``POST /{search}/search``: 202 with ``Location: .../requests/{request_id}``."""

    async def post(self) -> None:
        query = await self.checked_query()
        repo = self.context.repository
        request = self.context.requests.submit(
            self.search.request_type, query.to_json(), lambda: self.search.run(repo, query)
        )
        url = self.request_url(request.request_id)
        self.set_header("Location", url)
        self.send_json({"request_id": request.request_id, "request_url": url}, status=202)


class SyncSearchHandler(_SearchBase):
    """``POST /{search}/search_synchronous``: the result in the response (paginated on request)."""

    async def post(self) -> None:
        query = await self.checked_query()
        fmt = self.result_format()
        self.int_argument("page")  # a bad page is a 400 before the search, not after it
        self.int_argument("page_size")
        payload, _ = await self.run_search(self.search.run, self.context.repository, query, (fmt,))
        self.send_data(payload)


class RequestHandler(_SearchBase):
    """``GET /{search}/requests/{request_id}`` (status with logs) and ``DELETE`` (cancel)."""

    async def get(self, request_id: str) -> None:
        request = self.context.requests.get(request_id)
        self.send_json(request.status_json(self.request_url(request_id) + "/data"))

    async def delete(self, request_id: str) -> None:
        request = self.context.requests.cancel(request_id)
        self.send_json({"request_id": request.request_id, "status": request.status})


class RequestDataHandler(_SearchBase):
    """``GET /{search}/requests/{request_id}/data``: ``{"result": [...]}``, paginated with
    ``page`` and ``page_size``."""

    async def get(self, request_id: str) -> None:
        payload = self.context.requests.payload(request_id)
        self.send_data(payload)


class AvailabilityHandler(ApiHandler):
    """``GET /availability/ephemeris`` and ``/availability/data_products``: per data source,
    ``{day: count}`` of the days in ``[start, end)`` with records."""

    def initialize(self, context, kind: str) -> None:
        super().initialize(context)
        self.kind = kind

    async def get(self) -> None:
        this_year = dt.date.today().replace(month=1, day=1)
        start = self.get_query_argument("start", this_year.isoformat())
        end = self.get_query_argument("end", this_year.replace(year=this_year.year + 1).isoformat())
        lists = {
            name + "s": self.get_query_arguments(name)
            for name in ("program", "platform", "instrument_type")
        }
        source_type = self.get_query_argument("source_type", None)
        owner = self.get_query_argument("owner", None)
        fmt = self.get_query_argument("format", "basic_info")
        source_json(_PROBE, fmt)  # 400 for an unknown format before any work

        def work():
            repo = self.context.repository
            summary = availability_summary(repo, start, end, source_type=source_type, **lists)
            sources = match_sources(
                repo.list_data_sources(), **lists, source_type=source_type, owner=owner
            )
            return availability_json(summary, sources, self.kind, fmt)

        self.send_json(await self.run(work))


class DescribeConjunctionHandler(ApiHandler):
    """``POST /utils/describe/query/conjunction``: the query in plain text."""

    def body_limit(self) -> int:
        return self.context.config.max_search_body_bytes

    async def post(self) -> None:
        query = parse_query(SEARCHES["conjunctions"], self.json_object())
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(query.describe())


def _probe():
    from aurorax.engine import DataSource

    return DataSource("probe", "probe", "probe", "ground", "probe", identifier=0)


_PROBE = _probe()
