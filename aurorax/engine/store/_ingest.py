"""Record conversion (AuroraX-shaped dicts <-> columnar frames) and the SQL of an ingest.

The columnar frame is the fast path; lists of AuroraX-shaped dicts (what the AuroraX upload
API and pyaurorax use) are converted to it first, so both go through the same vectorised
validation and the same SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd

from ._errors import ConflictError, NotFoundError, ValidationError
from ._index import refresh_index
from ._pairs import refresh_pairs
from ._records import DataSource
from ._schema import EPHEMERIS_LOCATION_COLUMNS
from ._validate import PreparedBatch

__all__ = [
    "ephemeris_records_to_frame",
    "ephemeris_frame_to_records",
    "data_product_records_to_frame",
    "data_product_frame_to_records",
    "write_ephemeris",
    "write_data_products",
    "delete_ephemeris",
    "delete_data_products",
]

_LOCATION_KEYS = {
    "location_geo": "geo",
    "location_gsm": "gsm",
    "nbtrace": "nbtrace",
    "sbtrace": "sbtrace",
}
_EPHEMERIS_KEYS = frozenset(("data_source", "epoch", "metadata", *_LOCATION_KEYS))
_DATA_PRODUCT_KEYS = frozenset(
    ("data_source", "data_product_type", "start", "end", "url", "metadata")
)
_BATCH = "_aurorax_batch"  # name the batch is registered under on the writer connection


def _source_map(data_sources) -> dict[int, DataSource]:
    if isinstance(data_sources, Mapping):
        return dict(data_sources)
    return {s.identifier: s for s in data_sources}


class _SourceResolver:
    """Identifier of a record's ``data_source`` (an int or an AuroraX dict), with the
    (program, platform, instrument_type) lookup table built once per batch."""

    def __init__(self, kind: str, sources: Mapping[int, DataSource]) -> None:
        self.kind = kind
        self.sources = sources
        self.by_triple = {
            (s.program, s.platform, s.instrument_type): int(i) for i, s in sources.items()
        }

    def __call__(self, index: int, value) -> int:
        if type(value) is int:
            return value
        if isinstance(value, Mapping):
            if value.get("identifier") is not None:
                return self(index, value["identifier"])
            triple = tuple(value.get(k) for k in ("program", "platform", "instrument_type"))
            if triple in self.by_triple:
                return self.by_triple[triple]
            if None in triple:
                raise ValidationError(
                    f"{self.kind} record {index}: field 'data_source' needs an 'identifier' or "
                    f"all of 'program', 'platform' and 'instrument_type', got {dict(value)!r}"
                )
            programs = sorted({s.program for s in self.sources.values()})
            raise NotFoundError(
                f"{self.kind} record {index}: no data source with program={triple[0]!r}, "
                f"platform={triple[1]!r}, instrument_type={triple[2]!r}; "
                f"programs that exist: {programs}"
            )
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValidationError(
                f"{self.kind} record {index}: field 'data_source' must be an identifier or a "
                f"mapping with program/platform/instrument_type, got {value!r}"
            )
        return int(value)


def _check_keys(kind: str, index: int, record, known: frozenset[str]) -> None:
    if type(record) is dict and record.keys() <= known:
        return
    if not isinstance(record, Mapping):
        raise ValidationError(f"{kind} record {index} must be a mapping, got {record!r}")
    unknown = sorted(set(record) - known)
    if unknown:
        raise ValidationError(
            f"{kind} record {index} has unknown key(s) {unknown}; known keys are {sorted(known)}"
        )


_LAT_LON = frozenset(("lat", "lon"))


def _location(kind: str, index: int, key: str, value) -> tuple:
    if value is None:
        return (None, None)
    if not isinstance(value, Mapping) or not value.keys() <= _LAT_LON:
        raise ValidationError(
            f"{kind} record {index}: field '{key}' must be null or a mapping with 'lat' and "
            f"'lon' (degrees), got {value!r}"
        )
    return (value.get("lat"), value.get("lon"))


def ephemeris_records_to_frame(
    records: Sequence[Mapping], data_sources: Iterable[DataSource] | Mapping[int, DataSource]
) -> pd.DataFrame:
    """Convert AuroraX-shaped ephemeris dicts to the columnar frame.

    Parameters
    ----------
    records
        Dicts ``{"data_source": {...}, "epoch", "location_geo": {"lat", "lon"}, "location_gsm",
        "nbtrace", "sbtrace", "metadata": {...}}``. ``data_source`` is an identifier or a
        mapping with ``identifier`` or ``program``/``platform``/``instrument_type``; locations
        may be null or missing (= null).
    data_sources
        The known data sources (used to resolve program/platform/instrument_type).

    Returns
    -------
    pandas.DataFrame
        Columns ``data_source, epoch, geo_lat, ..., sbtrace_lon, metadata`` (unvalidated: the
        repository validates the frame on ingest).
    """
    kind = "ephemeris"
    resolve = _SourceResolver(kind, _source_map(data_sources))
    rows = []
    for index, record in enumerate(records):
        _check_keys(kind, index, record, _EPHEMERIS_KEYS)
        if "data_source" not in record or "epoch" not in record:
            raise ValidationError(f"{kind} record {index} needs 'data_source' and 'epoch'")
        row = [resolve(index, record["data_source"]), record["epoch"]]
        for key in _LOCATION_KEYS:
            row.extend(_location(kind, index, key, record.get(key)))
        row.append(record.get("metadata") or {})
        rows.append(row)
    columns = ["data_source", "epoch", *EPHEMERIS_LOCATION_COLUMNS, "metadata"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in EPHEMERIS_LOCATION_COLUMNS:
        # None -> NaN; anything non-numeric stays as object and fails validation by name.
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if (numbers.isna() == frame[column].isna()).all():
            frame[column] = numbers.astype(float)
    return frame


def data_product_records_to_frame(
    records: Sequence[Mapping], data_sources: Iterable[DataSource] | Mapping[int, DataSource]
) -> pd.DataFrame:
    """Convert AuroraX-shaped data-product dicts (``data_source, data_product_type, start, end,
    url, metadata``) to the columnar frame."""
    kind = "data product"
    resolve = _SourceResolver(kind, _source_map(data_sources))
    rows = []
    for index, record in enumerate(records):
        _check_keys(kind, index, record, _DATA_PRODUCT_KEYS)
        missing = sorted(_DATA_PRODUCT_KEYS - {"metadata"} - set(record))
        if missing:
            raise ValidationError(f"{kind} record {index} is missing key(s) {missing}")
        rows.append(
            [
                resolve(index, record["data_source"]),
                record["data_product_type"],
                record["start"],
                record["end"],
                record["url"],
                record.get("metadata") or {},
            ]
        )
    columns = ["data_source", "data_product_type", "start", "end", "url", "metadata"]
    return pd.DataFrame(rows, columns=columns)


def _metadata_dicts(frame: pd.DataFrame) -> list[dict]:
    if "metadata" in frame:
        return [json.loads(v) if isinstance(v, str) else dict(v or {}) for v in frame["metadata"]]
    prefixed = [c for c in frame.columns if str(c).startswith("metadata.")]
    names = [c[len("metadata.") :] for c in prefixed]
    columns = [_python_values(frame[c]) for c in prefixed]
    return [
        {k: v for k, v in zip(names, values, strict=True) if v is not None}
        for values in zip(*columns, strict=True)
    ] or [{} for _ in range(len(frame))]


def _python_values(column: pd.Series) -> list:
    """Plain Python values with ``None`` for missing ones (NaN, NA, NaT)."""
    values = column.to_numpy(dtype=object)
    values[column.isna().to_numpy()] = None
    return [v.item() if isinstance(v, np.generic) else v for v in values.tolist()]


def _time_strings(values: pd.Series) -> list[str]:
    """``YYYY-MM-DDTHH:MM:SS`` UTC strings (numpy formats them without a per-value call)."""
    times = pd.to_datetime(values, utc=True).dt.tz_localize(None).to_numpy()
    return np.datetime_as_string(times.astype("datetime64[s]")).tolist()


def _location_lists(frame: pd.DataFrame) -> dict[str, list]:
    out = {}
    for column in EPHEMERIS_LOCATION_COLUMNS:
        if column not in frame:
            out[column] = [None] * len(frame)
            continue
        numbers = frame[column].to_numpy(dtype=float, na_value=np.nan)
        out[column] = np.where(np.isnan(numbers), None, numbers).tolist()
    return out


def ephemeris_frame_to_records(
    frame: pd.DataFrame, data_sources: Iterable[DataSource] | Mapping[int, DataSource]
) -> list[dict]:
    """Turn stored ephemeris rows back into AuroraX-shaped dicts.

    Parameters
    ----------
    frame
        Rows as selected from the ``ephemeris`` table (``metadata`` as JSON text) or a columnar
        ingest frame.
    data_sources
        Data sources by identifier (e.g. ``repo.list_data_sources()``).

    Returns
    -------
    list of dict
        ``{"data_source": <basic_info>, "epoch": "YYYY-MM-DDTHH:MM:SS" (UTC),
        "location_geo": {"lat", "lon"}, "location_gsm", "nbtrace", "sbtrace", "metadata"}``;
        null locations are ``{"lat": None, "lon": None}`` as AuroraX returns them.
    """
    sources = _source_map(data_sources)
    infos = {}
    for source_id in np.unique(frame["data_source"].to_numpy()).tolist():
        if source_id not in sources:
            row = int(np.argmax(frame["data_source"].to_numpy() == source_id))
            raise NotFoundError(f"ephemeris row {row}: data_source {source_id} is not known")
        infos[source_id] = sources[source_id].basic_info()
    epochs = _time_strings(frame["epoch"])
    loc = _location_lists(frame)
    metadata = _metadata_dicts(frame)
    return [
        {
            "data_source": dict(infos[source_id]),
            "epoch": epochs[i],
            "location_geo": {"lat": loc["geo_lat"][i], "lon": loc["geo_lon"][i]},
            "location_gsm": {"lat": loc["gsm_lat"][i], "lon": loc["gsm_lon"][i]},
            "nbtrace": {"lat": loc["nbtrace_lat"][i], "lon": loc["nbtrace_lon"][i]},
            "sbtrace": {"lat": loc["sbtrace_lat"][i], "lon": loc["sbtrace_lon"][i]},
            "metadata": metadata[i],
        }
        for i, source_id in enumerate(frame["data_source"].to_numpy().tolist())
    ]


def data_product_frame_to_records(
    frame: pd.DataFrame, data_sources: Iterable[DataSource] | Mapping[int, DataSource]
) -> list[dict]:
    """Turn stored data-product rows back into AuroraX-shaped dicts (times as UTC
    ``YYYY-MM-DDTHH:MM:SS`` strings, ``data_source`` as basic info)."""
    sources = _source_map(data_sources)
    starts, ends = _time_strings(frame["start"]), _time_strings(frame["end"])
    metadata = _metadata_dicts(frame)
    out = []
    for i, (source_id, product_type, url) in enumerate(
        zip(frame["data_source"], frame["data_product_type"], frame["url"], strict=True)
    ):
        source = sources.get(int(source_id))
        if source is None:
            raise NotFoundError(f"data product row {i}: data_source {int(source_id)} is not known")
        out.append(
            {
                "data_source": source.basic_info(),
                "data_product_type": product_type,
                "start": starts[i],
                "end": ends[i],
                "url": url,
                "metadata": metadata[i],
            }
        )
    return out


def _metadata_sql(batch: PreparedBatch) -> tuple[str, list[str]]:
    """SQL building the metadata JSON from the ``m<i>`` columns, keys as bound parameters.

    ``json_merge_patch('{}', ...)`` drops null members (RFC 7396), so a record stores only
    the fields it has, and a multi-source batch does not give one source another's keys.
    """
    if not batch.metadata_fields:
        return "'{}'::JSON", []
    pairs = ", ".join(f"?, m{i}" for i in range(len(batch.metadata_fields)))
    sql = f"json_object({pairs})"
    columns = [batch.table.column(f"m{i}") for i in range(len(batch.metadata_fields))]
    if any(column.null_count for column in columns):
        sql = f"json_merge_patch('{{}}', {sql})"  # costs ~40 % more, so only when needed
    return sql, list(batch.metadata_fields)


def _is_sorted(batch: PreparedBatch) -> bool:
    """Whether the batch is already ordered by (data_source, epoch): then the INSERT skips
    its ORDER BY (a sort of the whole batch) and still writes clustered row groups."""
    ids = batch.table.column("data_source").to_numpy()
    epochs = batch.table.column("epoch").to_numpy().view(np.int64)
    later = (ids[1:] > ids[:-1]) | ((ids[1:] == ids[:-1]) & (epochs[1:] > epochs[:-1]))
    return bool(later.all())


def write_ephemeris(con: duckdb.DuckDBPyConnection, batch: PreparedBatch) -> None:
    """Replace-or-insert a validated ephemeris batch and refresh its availability days, the
    ephemeris index rows of the hours it touched and the ground-space pairs of its minutes.

    Runs inside the caller's transaction. Existing rows with the same (data_source, epoch)
    are deleted first. Every statement on the big table is bounded by the batch's data
    sources and time span, so DuckDB skips row groups outside them by their zone maps; and
    when nothing stored overlaps (the common case of loading new data) the delete's join
    is skipped altogether.
    """
    con.register(_BATCH, batch.table)
    try:
        first, last = con.execute(f"SELECT min(epoch), max(epoch) FROM {_BATCH}").fetchone()
        ids = np.unique(batch.table.column("data_source").to_numpy()).tolist()
        in_batch_sources = f"ephemeris.data_source IN ({', '.join('?' * len(ids))})"
        scope = f"{in_batch_sources} AND ephemeris.epoch BETWEEN ? AND ?"
        overlapping = con.execute(
            f"SELECT count(*) FROM ephemeris WHERE {scope}", [*ids, first, last]
        ).fetchone()[0]
        if overlapping:
            con.execute(
                f"""
                DELETE FROM ephemeris USING {_BATCH} AS b
                WHERE {scope}
                  AND ephemeris.data_source = b.data_source AND ephemeris.epoch = b.epoch
                """,
                [*ids, first, last],
            )
        metadata_sql, params = _metadata_sql(batch)
        locations = ", ".join(EPHEMERIS_LOCATION_COLUMNS)
        con.execute(
            f"""
            INSERT INTO ephemeris (data_source, epoch, {locations}, metadata)
            SELECT data_source, epoch, {locations}, {metadata_sql}
            FROM {_BATCH} {"" if _is_sorted(batch) else "ORDER BY data_source, epoch"}
            """,
            params,
        )
        refresh_index(con, ids, first, last)
        refresh_pairs(con, ids, first, last)
        day_first = pd.Timestamp(first).floor("D")
        day_end = pd.Timestamp(last).floor("D") + pd.Timedelta(days=1)
        con.execute(
            f"""
            INSERT INTO availability (data_source, day, ephemeris_count)
            SELECT ephemeris.data_source, CAST(ephemeris.epoch AS DATE) AS day, count(*)
            FROM ephemeris
            WHERE {in_batch_sources} AND ephemeris.epoch >= ? AND ephemeris.epoch < ?
            GROUP BY ALL
            ON CONFLICT (data_source, day) DO UPDATE SET ephemeris_count = excluded.ephemeris_count
            """,
            [*ids, day_first, day_end],
        )
    finally:
        con.unregister(_BATCH)


def write_data_products(con: duckdb.DuckDBPyConnection, batch: PreparedBatch) -> None:
    """Replace-or-insert a validated data-product batch (``url`` is the key) and refresh the
    availability of every (data_source, day) it touched, including the days a replaced URL
    used to count on. A product counts on the UTC day of its ``start``.

    A URL is replaced only by a record of the data source that holds it: a URL stored under
    another source raises :class:`ConflictError` (URLs are unique across the repository, and
    an upload must never take another source's product over).
    """
    con.register(_BATCH, batch.table)
    try:
        taken = con.execute(
            f"""
            SELECT b.url, b.data_source, p.data_source, s.display_name
            FROM {_BATCH} AS b
            JOIN data_products AS p ON p.url = b.url AND p.data_source <> b.data_source
            JOIN data_sources AS s ON s.identifier = p.data_source
            ORDER BY b.url LIMIT 1
            """
        ).fetchall()  # (fetchone would leave the result open, and the connection busy)
        if taken:
            url, wanted, holder, name = taken[0]
            raise ConflictError(
                f"data product url {url!r} belongs to another data source ({holder}, {name}), "
                f"not to data source {wanted}; nothing of this batch was stored"
            )
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _aurorax_touched AS
            SELECT DISTINCT data_source, CAST(start AS DATE) AS day FROM {_BATCH}
            UNION
            SELECT DISTINCT data_source, CAST(start AS DATE) AS day FROM data_products
            WHERE url IN (SELECT url FROM {_BATCH})
            """
        )
        con.execute(f"DELETE FROM data_products WHERE url IN (SELECT url FROM {_BATCH})")
        metadata_sql, params = _metadata_sql(batch)
        con.execute(
            f"""
            INSERT INTO data_products (url, data_source, data_product_type, start, "end", metadata)
            SELECT url, data_source, data_product_type, start, "end", {metadata_sql}
            FROM {_BATCH} ORDER BY data_source, start
            """,
            params,
        )
        _refresh_product_availability(con)
    finally:
        con.unregister(_BATCH)


def _refresh_product_availability(con: duckdb.DuckDBPyConnection) -> None:
    """Recount data products for the (data_source, day) pairs in ``_aurorax_touched``."""
    con.execute(
        """
        INSERT INTO availability (data_source, day, data_product_count)
        SELECT t.data_source, t.day, count(p.url)
        FROM _aurorax_touched AS t
        LEFT JOIN data_products AS p
          ON p.data_source = t.data_source AND CAST(p.start AS DATE) = t.day
        GROUP BY ALL
        ON CONFLICT (data_source, day)
        DO UPDATE SET data_product_count = excluded.data_product_count
        """
    )
    con.execute("DELETE FROM availability WHERE ephemeris_count = 0 AND data_product_count = 0")
    con.execute("DROP TABLE _aurorax_touched")


def delete_ephemeris(
    con: duckdb.DuckDBPyConnection, source_id: int, start: pd.Timestamp, end: pd.Timestamp
) -> int:
    """Delete one source's ephemeris in ``[start, end)`` (naive UTC) and recount the days (and
    the ephemeris index hours and ground-space pairs) of that span; runs inside the caller's
    transaction. Returns the number of rows deleted."""
    scope = "data_source = ? AND epoch >= ? AND epoch < ?"
    params = [source_id, start, end]
    deleted = con.execute(f"SELECT count(*) FROM ephemeris WHERE {scope}", params).fetchone()[0]
    if not deleted:
        return 0
    con.execute(f"DELETE FROM ephemeris WHERE {scope}", params)
    refresh_index(con, [source_id], start, end - pd.Timedelta(microseconds=1))
    refresh_pairs(con, [source_id], start, end - pd.Timedelta(microseconds=1))
    day_first = start.floor("D")
    day_end = (end - pd.Timedelta(microseconds=1)).floor("D") + pd.Timedelta(days=1)
    days = [source_id, day_first, day_end]
    con.execute(
        "UPDATE availability SET ephemeris_count = 0 "
        "WHERE data_source = ? AND day >= CAST(? AS DATE) AND day < CAST(? AS DATE)",
        days,
    )
    con.execute(
        """
        INSERT INTO availability (data_source, day, ephemeris_count)
        SELECT data_source, CAST(epoch AS DATE) AS day, count(*)
        FROM ephemeris WHERE data_source = ? AND epoch >= ? AND epoch < ?
        GROUP BY ALL
        ON CONFLICT (data_source, day) DO UPDATE SET ephemeris_count = excluded.ephemeris_count
        """,
        days,
    )
    con.execute("DELETE FROM availability WHERE ephemeris_count = 0 AND data_product_count = 0")
    return int(deleted)


def delete_data_products(con: duckdb.DuckDBPyConnection, urls: list[str]) -> int:
    """Delete the data products with these URLs (inside the caller's transaction) and
    recount the days they counted on. Returns the number of rows deleted."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _aurorax_touched AS
        SELECT DISTINCT data_source, CAST(start AS DATE) AS day FROM data_products
        WHERE list_contains(?::VARCHAR[], url)
        """,
        [urls],
    )
    deleted = con.execute(
        "SELECT count(*) FROM data_products WHERE list_contains(?::VARCHAR[], url)", [urls]
    ).fetchone()[0]
    con.execute("DELETE FROM data_products WHERE list_contains(?::VARCHAR[], url)", [urls])
    _refresh_product_availability(con)
    return int(deleted)
