"""Ephemeris search, data product search and the per-day availability summary.

Request bodies follow AuroraX (API notes §4d, §4e, §6) and are accepted unchanged by
``EphemerisQuery.from_json`` and ``DataProductQuery.from_json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..store import DATA_PRODUCT_TYPES, EPHEMERIS_LOCATION_COLUMNS, ValidationError
from ._conjunction_search import match_data_sources, merged_allowed_values, merged_schema
from ._filters import MetadataFilter, compile_metadata_filter
from ._util import as_strings, check_keys, to_utc_timestamp

__all__ = [
    "EphemerisQuery",
    "DataProductQuery",
    "search_ephemeris",
    "search_data_products",
    "availability_summary",
]

_SOURCE_COLUMNS = ("program", "platform", "instrument_type", "display_name")


@dataclass(frozen=True)
class _RecordQuery:
    start: Any
    end: Any
    programs: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    instrument_types: tuple[str, ...] = ()
    metadata_filter: MetadataFilter = field(default_factory=MetadataFilter)

    _filter_key = ""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "start", to_utc_timestamp(self.start, "start"))
        set_(self, "end", to_utc_timestamp(self.end, "end"))
        if self.end <= self.start:
            raise ValidationError(
                f"end: {self.end.isoformat()} is not after start {self.start.isoformat()}"
            )
        for name in ("programs", "platforms", "instrument_types"):
            set_(self, name, as_strings(getattr(self, name), name))
        flt = self.metadata_filter
        if flt is None or isinstance(flt, Mapping):
            set_(self, "metadata_filter", MetadataFilter.from_json(flt))

    @classmethod
    def _kwargs(cls, body: Mapping, extra: tuple[str, ...]) -> dict:
        check_keys(body, ("start", "end", "data_sources", *extra), "query")
        for required in ("start", "end"):
            if required not in body:
                raise ValidationError(f"query: missing required field {required!r}")
        ds = body.get("data_sources") or {}
        keys = ("programs", "platforms", "instrument_types", cls._filter_key)
        check_keys(ds, keys, "data_sources")
        flt = MetadataFilter.from_json(ds.get(cls._filter_key), f"data_sources.{cls._filter_key}")
        return {
            "start": body["start"],
            "end": body["end"],
            **{k: as_strings(ds.get(k), f"data_sources.{k}") for k in keys[:3]},
            "metadata_filter": flt,
        }

    def _json(self) -> dict:
        return {
            "start": self.start.strftime("%Y-%m-%dT%H:%M:%S"),
            "end": self.end.strftime("%Y-%m-%dT%H:%M:%S"),
            "data_sources": {
                "programs": list(self.programs),
                "platforms": list(self.platforms),
                "instrument_types": list(self.instrument_types),
                self._filter_key: self.metadata_filter.to_json(),
            },
        }


@dataclass(frozen=True)
class EphemerisQuery(_RecordQuery):
    """An ephemeris search: records of matching data sources with ``start <= epoch < end``.

    Parameters
    ----------
    start, end : time
        UTC window ``[start, end)`` (naive = UTC).
    programs, platforms, instrument_types : sequence of str
        OR'd within a field, AND'd across; empty = any. Case-insensitive.
    metadata_filter : MetadataFilter or dict
        Filter on the records' metadata (AuroraX ``ephemeris_metadata_filters``).
    """

    _filter_key = "ephemeris_metadata_filters"

    @classmethod
    def from_json(cls, body: Mapping) -> EphemerisQuery:
        """Build from AuroraX's ``/ephemeris/search`` body."""
        return cls(**cls._kwargs(body, ()))

    def to_json(self) -> dict:
        """AuroraX's body shape."""
        return self._json()


@dataclass(frozen=True)
class DataProductQuery(_RecordQuery):
    """A data product search: products with ``start >= query start`` and ``end <= query end``.

    Parameters
    ----------
    start, end, programs, platforms, instrument_types
        As for :class:`EphemerisQuery`; a product matches when it lies inside the window.
    metadata_filter : MetadataFilter or dict
        Filter on the products' metadata (AuroraX ``data_product_metadata_filters``).
    data_product_types : sequence of str
        Any of ``keogram, montage, movie, summary_plot, data_availability``; empty = all.
    """

    data_product_types: tuple[str, ...] = ()

    _filter_key = "data_product_metadata_filters"

    def __post_init__(self) -> None:
        super().__post_init__()
        types = as_strings(self.data_product_types, "data_product_types")
        bad = [t for t in types if t not in DATA_PRODUCT_TYPES]
        if bad:
            raise ValidationError(
                f"data_product_types: {bad[0]!r} is not allowed; allowed: {', '.join(DATA_PRODUCT_TYPES)}"
            )
        object.__setattr__(self, "data_product_types", types)

    @classmethod
    def from_json(cls, body: Mapping) -> DataProductQuery:
        """Build from AuroraX's ``/data_products/search`` body."""
        kwargs = cls._kwargs(body, ("data_product_type_filters",))
        return cls(
            **kwargs,
            data_product_types=as_strings(
                body.get("data_product_type_filters"), "data_product_type_filters"
            ),
        )

    def to_json(self) -> dict:
        return {**self._json(), "data_product_type_filters": list(self.data_product_types)}


def _query_records(
    repository,
    query: _RecordQuery,
    kind: str,
    table: str,
    select: str,
    extra_sql: str,
    extra_params: list,
    time_sql: str,
    order: str,
):
    sources = match_data_sources(query, repository.list_data_sources(), "data_sources", "any")
    if not sources:
        return None, {}
    where = f"data_sources.{query._filter_key}"
    meta_sql, meta_params = compile_metadata_filter(
        query.metadata_filter,
        merged_schema(sources, where, kind),
        where=where,
        allowed_values=merged_allowed_values(sources, kind),
    )
    marks = ", ".join("?" for _ in sources)
    sql = (
        f"SELECT {select} FROM {table} WHERE data_source IN ({marks}) AND {time_sql} "
        f"AND {meta_sql}{extra_sql} ORDER BY {order}"
    )
    params = [s.identifier for s in sources]
    params += [query.start.to_pydatetime(), query.end.to_pydatetime(), *meta_params, *extra_params]
    cursor = repository.cursor()
    try:
        frame = cursor.execute(sql, params).df()
    finally:
        cursor.close()
    return frame, {s.identifier: s for s in sources}


def _finish(
    frame: pd.DataFrame, by_id: dict, time_columns: Sequence[str], columns: Sequence[str]
) -> pd.DataFrame:
    for c in time_columns:
        frame[c] = pd.to_datetime(frame[c]).dt.tz_localize("UTC")
    for c in _SOURCE_COLUMNS:
        frame[c] = [getattr(by_id[int(i)], c) for i in frame["data_source"]]
    frame["metadata"] = [json.loads(m) if isinstance(m, str) else m for m in frame["metadata"]]
    return frame[list(columns)]


def search_ephemeris(repository, query: EphemerisQuery | Mapping) -> pd.DataFrame:
    """Ephemeris records matching ``query``.

    Returns
    -------
    pandas.DataFrame
        ``data_source, program, platform, instrument_type, display_name, epoch`` (UTC),
        ``geo_lat ... sbtrace_lon`` (degrees, NaN = null) and ``metadata`` (dict), ordered by
        data source and epoch.
    """
    if isinstance(query, Mapping):
        query = EphemerisQuery.from_json(query)
    columns = ("data_source", *_SOURCE_COLUMNS, "epoch", *EPHEMERIS_LOCATION_COLUMNS, "metadata")
    select = (
        "data_source, epoch, "
        + ", ".join(EPHEMERIS_LOCATION_COLUMNS)
        + ", CAST(metadata AS VARCHAR) AS metadata"
    )
    frame, by_id = _query_records(
        repository,
        query,
        "ephemeris",
        "ephemeris",
        select,
        "",
        [],
        "epoch >= ? AND epoch < ?",
        "data_source, epoch",
    )
    if frame is None:
        return _empty(columns, ("epoch",))
    return _finish(frame, by_id, ("epoch",), columns)


def search_data_products(repository, query: DataProductQuery | Mapping) -> pd.DataFrame:
    """Data products matching ``query``.

    Returns
    -------
    pandas.DataFrame
        ``data_source, program, platform, instrument_type, display_name, data_product_type,
        start, end`` (UTC), ``url`` and ``metadata`` (dict), ordered by start, data source, url.
    """
    if isinstance(query, Mapping):
        query = DataProductQuery.from_json(query)
    columns = (
        "data_source",
        *_SOURCE_COLUMNS,
        "data_product_type",
        "start",
        "end",
        "url",
        "metadata",
    )
    extra_sql, extra = "", []
    if query.data_product_types:
        extra_sql = (
            f" AND data_product_type IN ({', '.join('?' for _ in query.data_product_types)})"
        )
        extra = list(query.data_product_types)
    select = (
        'data_source, data_product_type, start, "end", url, CAST(metadata AS VARCHAR) AS metadata'
    )
    frame, by_id = _query_records(
        repository,
        query,
        "data_product",
        "data_products",
        select,
        extra_sql,
        extra,
        'start >= ? AND "end" <= ?',
        "start, data_source, url",
    )
    if frame is None:
        return _empty(columns, ("start", "end"))
    return _finish(frame, by_id, ("start", "end"), columns)


def _empty(columns, time_columns) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series(dtype="datetime64[ns, UTC]" if c in time_columns else "object")
            for c in columns
        }
    )


def availability_summary(
    repository,
    start,
    end,
    programs: Sequence[str] = (),
    platforms: Sequence[str] = (),
    instrument_types: Sequence[str] = (),
    source_type: str | None = None,
) -> pd.DataFrame:
    """Records per data source per day, with the sources' names (AuroraX's availability view).

    Parameters
    ----------
    start, end : time
        Days overlapping ``[start, end)`` (UTC).
    programs, platforms, instrument_types : sequence of str
        Which data sources (OR within a field, AND across; empty = all; case-insensitive).
    source_type : str, optional
        Keep only this source type (``ground``, ``leo``...).

    Returns
    -------
    pandas.DataFrame
        ``data_source, display_name, program, platform, instrument_type, day`` (UTC midnight),
        ``ephemeris_count, data_product_count``; only days with records.
    """
    query = EphemerisQuery(start, end, programs, platforms, instrument_types)
    sources = match_data_sources(query, repository.list_data_sources(), "availability", "any")
    if source_type is not None:
        sources = [s for s in sources if s.source_type == source_type]
    columns = (
        "data_source",
        "display_name",
        "program",
        "platform",
        "instrument_type",
        "day",
        "ephemeris_count",
        "data_product_count",
    )
    if not sources:
        return _empty(columns, ("day",))
    frame = repository.availability(query.start, query.end, [s.identifier for s in sources])
    by_id = {s.identifier: s for s in sources}
    for c in ("display_name", "program", "platform", "instrument_type"):
        frame[c] = [getattr(by_id[int(i)], c) for i in frame["data_source"]]
    return frame[list(columns)].reset_index(drop=True)
