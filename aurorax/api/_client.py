"""The Python client: the library's verbs against a server URL (HTTP) or a local DuckDB file,
with the same signatures and the same results.

>>> from aurorax.client import connect
>>> aurorax = connect("http://127.0.0.1:5006")          # or connect("~/aurorax.duckdb")  # doctest: +SKIP
>>> result = aurorax.search_conjunctions(query_json)    # doctest: +SKIP
>>> result.data                                          # the library's DataFrame  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from aurorax.engine import (
    ConjunctionQuery,
    ConjunctionResult,
    DataProductQuery,
    DataSource,
    DuplicateError,
    EphemerisQuery,
    NotFoundError,
    Repository,
    ValidationError,
    availability_summary,
    data_product_frame_to_records,
    data_product_records_to_frame,
    ephemeris_frame_to_records,
    ephemeris_records_to_frame,
    search_conjunctions,
    search_data_products,
    search_ephemeris,
)

from ._base import API_KEY_HEADER
from ._convert import availability_frame, conjunction_frame, data_product_frame, ephemeris_frame
from ._errors import APIError, error_for_status

__all__ = ["connect", "HttpClient", "LocalClient", "RemoteConjunctionResult"]


def _query_dict(query, cls) -> dict:
    """A query given as the typed object, a mapping, or JSON text (as the web page shows it)."""
    if isinstance(query, cls):
        return query.to_json()
    if isinstance(query, str | bytes):
        try:
            query = json.loads(query)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"query: not valid JSON ({exc})") from None
    if not isinstance(query, Mapping):
        raise ValidationError(
            f"query: expected a {cls.__name__}, a dict or JSON text, got {type(query).__name__}"
        )
    return dict(query)


def connect(target: str | Path, api_key: str | None = None, **kwargs):
    """A client of a server (``http://...`` / ``https://...``) or of a local repository file.

    Parameters
    ----------
    target
        Server base URL (``http://127.0.0.1:5006``) or DuckDB file path.
    api_key
        Key for writes through a server (``aurorax keys create``); unused for a file.
    **kwargs
        Passed to :class:`HttpClient` or :class:`LocalClient`.
    """
    text = str(target)
    if text.startswith(("http://", "https://")):
        return HttpClient(text, api_key=api_key, **kwargs)
    return LocalClient(target, **kwargs)


class LocalClient:
    """The client verbs on a DuckDB repository file, through the library in this process.

    Parameters
    ----------
    path
        The repository file.
    read_only
        Open without writing (other processes may read the file meanwhile).
    """

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.repository = Repository(path, read_only=read_only)

    def close(self) -> None:
        self.repository.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def list_data_sources(
        self, program=None, platform=None, instrument_type=None, source_type=None
    ):
        """As :meth:`Repository.list_data_sources`."""
        return self.repository.list_data_sources(program, platform, instrument_type, source_type)

    def get_data_source(
        self, identifier=None, *, program=None, platform=None, instrument_type=None
    ):
        """As :meth:`Repository.get_data_source`."""
        return self.repository.get_data_source(
            identifier, program=program, platform=platform, instrument_type=instrument_type
        )

    def add_data_source(self, data_source, exist_ok: bool = False) -> DataSource:
        """As :meth:`Repository.add_data_source`."""
        return self.repository.add_data_source(data_source, exist_ok=exist_ok)

    def update_data_source(self, data_source, changes, replace: bool = False) -> DataSource:
        """As :meth:`Repository.update_data_source`."""
        return self.repository.update_data_source(data_source, changes, replace=replace)

    def delete_data_source(self, data_source) -> None:
        """As :meth:`Repository.delete_data_source`."""
        self.repository.delete_data_source(data_source)

    def delete_ephemeris(self, data_source, start, end) -> int:
        """As :meth:`Repository.delete_ephemeris`."""
        return self.repository.delete_ephemeris(data_source, start, end)

    def delete_data_products(self, urls, data_source=None) -> int:
        """As :meth:`Repository.delete_data_products`."""
        return self.repository.delete_data_products(urls, data_source=data_source)

    def ingest_ephemeris(self, records) -> int:
        """As :meth:`Repository.ingest_ephemeris`."""
        return self.repository.ingest_ephemeris(records)

    def ingest_data_products(self, records) -> int:
        """As :meth:`Repository.ingest_data_products`."""
        return self.repository.ingest_data_products(records)

    def search_conjunctions(self, query, progress: bool = False) -> ConjunctionResult:
        """As :func:`aurorax.engine.search_conjunctions`; ``query`` may also be JSON text."""
        return search_conjunctions(self.repository, _query_dict(query, ConjunctionQuery))

    def search_ephemeris(self, query, progress: bool = False) -> pd.DataFrame:
        """As :func:`aurorax.engine.search_ephemeris`; ``query`` may also be JSON text."""
        return search_ephemeris(self.repository, _query_dict(query, EphemerisQuery))

    def search_data_products(self, query, progress: bool = False) -> pd.DataFrame:
        """As :func:`aurorax.engine.search_data_products`; ``query`` may also be JSON text."""
        return search_data_products(self.repository, _query_dict(query, DataProductQuery))

    def availability_summary(
        self, start, end, programs=(), platforms=(), instrument_types=(), source_type=None
    ) -> pd.DataFrame:
        """As :func:`aurorax.engine.availability_summary`."""
        return availability_summary(
            self.repository, start, end, programs, platforms, instrument_types, source_type
        )

    def describe_conjunction_query(self, query) -> str:
        """The query in plain text (``ConjunctionQuery.describe``)."""
        return ConjunctionQuery.from_json(_query_dict(query, ConjunctionQuery)).describe()


@dataclass(frozen=True, eq=False)
class RemoteConjunctionResult(ConjunctionResult):
    """A :class:`ConjunctionResult` fetched from a server: the same ``data``, ``query`` and
    ``notes`` (so ``page``, ``n_pages``, ``to_csv``, ``to_json``, ``to_parquet`` behave the same),
    plus the server's ``request_id``. ``to_aurorax_json`` fetches AuroraX's shape from the
    server; ``distance_series`` needs the members' tracks, which stay on the server."""

    request_id: str = ""
    _client: Any = field(default=None, repr=False)

    def to_aurorax_json(self) -> dict:
        return {"result": self._client._all_pages("conjunctions", self.request_id, "aurorax")}

    def distance_series(self, index: int) -> pd.DataFrame:
        raise APIError(
            "distance_series needs the members' per-minute tracks, which a server does not send; "
            "use a LocalClient on the repository file, or search_ephemeris for the members",
            status=501,
            error_code="NotImplemented",
        )


class HttpClient:
    """The client verbs against an aurorax server.

    Parameters
    ----------
    url
        Base URL of the server, e.g. ``http://127.0.0.1:5006``.
    api_key
        Key for writes (sent in the ``x-aurorax-api-key`` header); reads are anonymous.
    timeout_s
        Timeout of each HTTP request, seconds.
    poll_interval_s
        Wait between polls of an asynchronous search's status, seconds.
    page_size
        Rows per page when fetching a result.
    upload_chunk
        Records per upload request. Each request is stored whole or not at all; a batch larger
        than one chunk is several transactions (the error names how many were stored).
    busy_retries
        How often a search the server refuses as busy (HTTP 429) is sent again, each time
        after the ``Retry-After`` it names (at most 60 s); 0 raises the 429 at once.
    """

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        poll_interval_s: float = 0.2,
        page_size: int = 10_000,
        upload_chunk: int = 10_000,
        busy_retries: int = 5,
    ) -> None:
        import requests

        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.poll_interval_s = poll_interval_s
        self.page_size = page_size
        self.upload_chunk = upload_chunk
        self.busy_retries = busy_retries
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- HTTP -----------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, body=None, params=None, write=False, raw=False):
        headers = {"Content-Type": "application/json"}
        if write and self.api_key:
            headers[API_KEY_HEADER] = self.api_key
        url = path if path.startswith("http") else f"{self.url}/api/v1{path}"
        data = None if body is None else json.dumps(body, allow_nan=False)
        for attempt in range(self.busy_retries + 1):
            response = self._session.request(
                method, url, data=data, params=params, headers=headers, timeout=self.timeout_s
            )
            if response.status_code != 429 or attempt == self.busy_retries:
                break
            # The server is busy with other searches: wait as long as it says, then ask again.
            try:
                wait = float(response.headers.get("Retry-After", 1))
            except ValueError:
                wait = 1.0
            time.sleep(min(max(wait, 0.1), 60.0))
        if response.status_code >= 400:
            try:
                error = response.json()
                code, message = error["error_code"], error["error_message"]
            except (ValueError, KeyError, TypeError):
                code, message = "Other", response.text[:500] or response.reason
            raise error_for_status(response.status_code, code, message)
        if raw:
            return response
        return response.json()

    # -- data sources -----------------------------------------------------------------------------
    def list_data_sources(
        self, program=None, platform=None, instrument_type=None, source_type=None
    ):
        """As :meth:`Repository.list_data_sources` (exact matches), over HTTP."""
        params = {"format": "full_record", "program": program, "platform": platform}
        params |= {"instrument_type": instrument_type, "source_type": source_type}
        found = self._call("GET", "/data_sources", params={k: v for k, v in params.items() if v})
        return [DataSource.from_dict(d) for d in found]

    def get_data_source(
        self, identifier=None, *, program=None, platform=None, instrument_type=None
    ):
        """As :meth:`Repository.get_data_source`, over HTTP."""
        if identifier is not None:
            found = self._call(
                "GET", f"/data_sources/{int(identifier)}", params={"format": "full_record"}
            )
            return DataSource.from_dict(found)
        if None in (program, platform, instrument_type):
            raise ValidationError(
                "get_data_source needs an identifier or all of program, platform and instrument_type"
            )
        found = self.list_data_sources(program, platform, instrument_type)
        if not found:
            programs = sorted({s.program for s in self.list_data_sources()})
            raise NotFoundError(
                f"no data source with program={program!r}, platform={platform!r}, "
                f"instrument_type={instrument_type!r}; programs that exist: {programs}"
            )
        return found[0]

    def add_data_source(self, data_source, exist_ok: bool = False) -> DataSource:
        """As :meth:`Repository.add_data_source`, over HTTP (needs a key)."""
        if not isinstance(data_source, DataSource):
            data_source = DataSource.from_dict(data_source)
        body = {k: v for k, v in data_source.to_dict().items() if v is not None}
        if not body.get("owner"):
            body.pop("owner", None)  # the server fills in the key's owner
        try:
            return DataSource.from_dict(self._call("POST", "/data_sources", body=body, write=True))
        except DuplicateError:
            if not exist_ok:
                raise
            stored = self.get_data_source(
                program=data_source.program,
                platform=data_source.platform,
                instrument_type=data_source.instrument_type,
            )
            wanted = data_source.to_dict() | {"identifier": stored.identifier}
            if not data_source.owner:
                wanted["owner"] = stored.owner
            if data_source.identifier in (None, stored.identifier) and stored.to_dict() == wanted:
                return stored
            raise

    @staticmethod
    def _source_path(data_source) -> str:
        ident = data_source.identifier if isinstance(data_source, DataSource) else data_source
        if isinstance(ident, bool) or not isinstance(ident, int):
            raise ValidationError(f"data source: expected an identifier (int), got {ident!r}")
        return f"/data_sources/{ident}"

    def update_data_source(self, data_source, changes, replace: bool = False) -> DataSource:
        """As :meth:`Repository.update_data_source`, over HTTP (``PATCH``, or ``PUT`` with
        ``replace``; needs a key that may write the source)."""
        if not isinstance(changes, Mapping):
            raise ValidationError(
                f"data source changes: expected a mapping of fields, got {type(changes).__name__}"
            )
        method = "PUT" if replace else "PATCH"
        path = self._source_path(data_source)
        return DataSource.from_dict(self._call(method, path, body=dict(changes), write=True))

    def delete_data_source(self, data_source) -> None:
        """As :meth:`Repository.delete_data_source`, over HTTP (needs a key); a source that
        still has records raises :class:`aurorax.engine.ConflictError`."""
        self._call("DELETE", self._source_path(data_source), write=True, raw=True)

    def delete_ephemeris(self, data_source, start, end) -> int:
        """As :meth:`Repository.delete_ephemeris`, over HTTP (needs a key)."""
        # Text goes as it is (the server names what is wrong with it); times as ISO text.
        body = {
            name: value if isinstance(value, str) else pd.Timestamp(value).isoformat()
            for name, value in (("start", start), ("end", end))
        }
        path = f"{self._source_path(data_source)}/ephemeris"
        return int(self._call("DELETE", path, body=body, write=True)["result_count"])

    def delete_data_products(self, urls, data_source=None) -> int:
        """As :meth:`Repository.delete_data_products`, over HTTP (needs a key). The server
        deletes per data source, so ``data_source`` is required here."""
        if data_source is None:
            raise ValidationError("data_source: required over HTTP (the products' data source)")
        urls = [urls] if isinstance(urls, str) else list(urls)
        if not urls:
            return 0
        path = f"{self._source_path(data_source)}/data_products"
        return int(self._call("DELETE", path, body={"urls": urls}, write=True)["result_count"])

    # -- uploads ----------------------------------------------------------------------------------
    def _upload(self, kind: str, records, to_frame, to_records) -> int:
        sources = self.list_data_sources()
        if isinstance(records, pd.DataFrame):
            frame = records
        elif isinstance(records, Mapping) or not isinstance(records, Iterable):
            raise ValidationError(
                f"{kind} records must be a pandas DataFrame or a list of dicts, got "
                f"{type(records).__name__}"
            )
        else:
            frame = to_frame(list(records), sources)
        if frame.empty:
            return 0
        if "data_source" not in frame:
            raise ValidationError(f"{kind} records need a data_source column")
        dicts = to_records(frame, sources)
        stored = 0
        segment = "ephemeris" if kind == "ephemeris" else "data_products"
        by_source: dict[int, list] = {}
        for record in dicts:
            by_source.setdefault(int(record["data_source"]["identifier"]), []).append(record)
        for source_id, group in by_source.items():
            for first in range(0, len(group), self.upload_chunk):
                chunk = group[first : first + self.upload_chunk]
                try:
                    done = self._call(
                        "POST", f"/data_sources/{source_id}/{segment}", body=chunk, write=True
                    )
                except APIError as exc:
                    if stored:
                        exc.args = (
                            f"{exc} ({stored} {kind} records were stored before this chunk)",
                        )
                    raise
                stored += int(done["result_count"])
        return stored

    def ingest_ephemeris(self, records) -> int:
        """As :meth:`Repository.ingest_ephemeris`, over HTTP (needs a key)."""
        return self._upload(
            "ephemeris", records, ephemeris_records_to_frame, ephemeris_frame_to_records
        )

    def ingest_data_products(self, records) -> int:
        """As :meth:`Repository.ingest_data_products`, over HTTP (needs a key)."""
        return self._upload(
            "data product", records, data_product_records_to_frame, data_product_frame_to_records
        )

    # -- searches ---------------------------------------------------------------------------------
    def _wait(self, segment: str, body: dict, progress: bool) -> tuple[str, dict]:
        """Start an asynchronous search and poll it to the end, showing progress."""
        from tqdm.auto import tqdm

        accepted = self._call("POST", f"/{segment}/search", body=body)
        request_id, url = accepted["request_id"], accepted["request_url"]
        bar = tqdm(desc=f"{segment} search", unit=" polls", disable=not progress, leave=False)
        try:
            while True:
                status = self._call("GET", url)
                logs = status["logs"]
                bar.set_postfix_str(f"{status['status']}: {logs[-1]['summary']}" if logs else "")
                bar.update(1)
                if status["status"] == "completed":
                    return request_id, status
                if status["status"] in ("failed", "cancelled", "deleted"):
                    summary = logs[-1]["summary"] if logs else status["status"]
                    raise ValidationError(
                        f"search request {request_id} {status['status']}: {summary}"
                    )
                time.sleep(self.poll_interval_s)
        finally:
            bar.close()

    def _all_pages(self, segment: str, request_id: str, fmt: str, progress: bool = False) -> list:
        from tqdm.auto import tqdm

        rows: list = []
        page, n_pages = 1, 1
        with tqdm(
            desc="downloading result", unit=" rows", disable=not progress, leave=False
        ) as bar:
            while page <= n_pages:
                got = self._call(
                    "GET",
                    f"/{segment}/requests/{request_id}/data",
                    params={"page": page, "page_size": self.page_size, "format": fmt},
                )
                bar.total = got["result_count"]
                rows += got["result"]
                bar.update(len(got["result"]))
                n_pages, page = got["n_pages"], page + 1
        return rows

    def _notes(self, segment: str, request_id: str) -> list:
        got = self._call("GET", f"/{segment}/requests/{request_id}/data", params={"page_size": 1})
        return got.get("notes", [])

    def search_conjunctions(self, query, progress: bool = True) -> RemoteConjunctionResult:
        """As :func:`aurorax.engine.search_conjunctions`, run asynchronously on the server.

        ``query`` is a :class:`ConjunctionQuery`, AuroraX's JSON body as a dict, or JSON text
        (as the conjunction page shows it). Progress is shown while the search runs.
        """
        body = _query_dict(query, ConjunctionQuery)
        typed = ConjunctionQuery.from_json(body)
        request_id, _ = self._wait("conjunctions", body, progress)
        rows = self._all_pages("conjunctions", request_id, "rows", progress)
        notes = self._notes("conjunctions", request_id)
        data = conjunction_frame(rows, typed.block_names)
        return RemoteConjunctionResult(
            query=typed, data=data, notes=tuple(notes), request_id=request_id, _client=self
        )

    def search_ephemeris(self, query, progress: bool = True) -> pd.DataFrame:
        """As :func:`aurorax.engine.search_ephemeris`, run asynchronously on the server."""
        body = _query_dict(query, EphemerisQuery)
        request_id, _ = self._wait("ephemeris", body, progress)
        return ephemeris_frame(self._all_pages("ephemeris", request_id, "aurorax", progress))

    def search_data_products(self, query, progress: bool = True) -> pd.DataFrame:
        """As :func:`aurorax.engine.search_data_products`, run asynchronously on the server."""
        body = _query_dict(query, DataProductQuery)
        request_id, _ = self._wait("data_products", body, progress)
        records = self._all_pages("data_products", request_id, "aurorax", progress)
        return data_product_frame(records)

    def availability_summary(
        self,
        start,
        end,
        programs: Sequence[str] = (),
        platforms: Sequence[str] = (),
        instrument_types: Sequence[str] = (),
        source_type: str | None = None,
    ) -> pd.DataFrame:
        """As :func:`aurorax.engine.availability_summary`, from the availability endpoints."""
        params: dict[str, Any] = {
            "start": pd.Timestamp(start).isoformat(),
            "end": pd.Timestamp(end).isoformat(),
            "program": list(programs),
            "platform": list(platforms),
            "instrument_type": list(instrument_types),
        }
        if source_type is not None:
            params["source_type"] = source_type
        eph = self._call("GET", "/availability/ephemeris", params=params)
        products = self._call("GET", "/availability/data_products", params=params)
        return availability_frame(eph, products)

    def describe_conjunction_query(self, query) -> str:
        """The server's plain-text description of a conjunction query."""
        body = _query_dict(query, ConjunctionQuery)
        return self._call("POST", "/utils/describe/query/conjunction", body=body, raw=True).text
