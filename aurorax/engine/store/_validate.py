"""Vectorised validation of columnar record batches against their data sources' schemas.

Every check works on whole columns (numpy / pandas), so a batch of 1.5 million ephemeris
records is validated in about a second; a Python loop only runs to *describe* an error once a
vectorised check has found one. The first offending record (0-based position in the batch) and
the number of other offending records are named in the message, e.g.::

    ephemeris record 17: field 'metadata.calgary_apa_ml_v1_confidence' must be double,
    got 'high'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ._errors import NotFoundError, ValidationError
from ._records import DATA_PRODUCT_TYPES, DataSource, MetadataField
from ._schema import EPHEMERIS_LOCATION_COLUMNS

__all__ = [
    "PreparedBatch",
    "prepare_ephemeris",
    "prepare_data_products",
    "to_utc_naive",
    "describe_source",
]

_METADATA_PREFIX = "metadata."
_LOCATION_PAIRS = tuple(
    (EPHEMERIS_LOCATION_COLUMNS[i], EPHEMERIS_LOCATION_COLUMNS[i + 1])
    for i in range(0, len(EPHEMERIS_LOCATION_COLUMNS), 2)
)


@dataclass(frozen=True)
class PreparedBatch:
    """A validated batch ready for DuckDB.

    ``table`` holds the fixed columns with DuckDB-ready Arrow types, then one column per
    metadata field named ``m0, m1, ...`` (so no user text ever reaches the SQL);
    ``metadata_fields`` gives the field name of each ``m<i>`` column in order.
    """

    table: pa.Table
    metadata_fields: tuple[str, ...]

    @property
    def num_rows(self) -> int:
        return self.table.num_rows


def describe_source(source: DataSource) -> str:
    """``3 (themis-asi/gillam/panchromatic ASI)``: how error messages name a data source."""
    return f"{source.identifier} ({source.program}/{source.platform}/{source.instrument_type})"


def _py(value):
    """Plain Python value for error messages (``np.float64(95.0)`` reads badly)."""
    return value.item() if isinstance(value, np.generic) else value


def _fail(kind: str, mask: np.ndarray, problem: str, values=None, error=ValidationError):
    """Raise ``error`` naming the first record where ``mask`` is true and how many others.

    ``values`` (a Series or array aligned with the records) supplies the offending value for
    the message; only that one element is converted, since converting a whole column of a
    1.5-million-record batch would cost seconds.
    """
    bad = np.flatnonzero(np.asarray(mask, dtype=bool))
    if bad.size == 0:
        return
    first = int(bad[0])
    message = f"{kind} record {first}: {problem}"
    if values is not None:
        value = values.iloc[first] if isinstance(values, pd.Series) else values[first]
        if isinstance(value, pd.Timestamp | np.datetime64):
            shown = pd.Timestamp(value).isoformat() + " UTC"  # stored times are naive UTC
        else:
            shown = repr(_py(value))
        message += f", got {shown}"
    if bad.size > 1:
        message += f" ({bad.size - 1} more record(s) have the same problem)"
    raise error(message)


#: Times the repository takes: ``EARLIEST <= t < LATEST`` (UTC). Wide enough for any satellite
#: or imager record, narrow enough for nanosecond timestamps (pandas: 1677 to 2262).
EARLIEST = pd.Timestamp("1900-01-01")
LATEST = pd.Timestamp("2200-01-01")
TIME_RANGE_TEXT = "1900-01-01T00:00:00 to 2200-01-01T00:00:00 UTC"


def check_time_range(stamp: pd.Timestamp, name: str) -> pd.Timestamp:
    """``stamp`` (naive UTC) if it lies in ``[EARLIEST, LATEST)``; else a ValidationError
    naming ``name`` and the range."""
    if not EARLIEST <= stamp < LATEST:
        raise ValidationError(
            f"{name}: {stamp.isoformat()} is outside the times the repository takes "
            f"({TIME_RANGE_TEXT})"
        )
    return stamp


def to_utc_naive(value, name: str = "time") -> pd.Timestamp:
    """One time as a naive-UTC :class:`pandas.Timestamp` (naive input is taken as UTC).

    Accepts ``datetime``/``date``, ``numpy.datetime64``, ``pandas.Timestamp`` and ISO-8601
    strings; raises :class:`ValidationError` naming ``name`` otherwise.
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name} must be a UTC time, got {value!r} ({exc})") from None
    if pd.isna(stamp):
        raise ValidationError(f"{name} must be a UTC time, got {value!r}")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return check_time_range(stamp, name)


def _time_column(kind: str, frame: pd.DataFrame, column: str) -> pd.Series:
    """Parse a time column to naive-UTC ``datetime64[us]`` (naive input taken as UTC)."""
    raw = frame[column]
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        times = raw.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_dtype(raw.dtype):
        times = raw
    else:
        times = pd.to_datetime(raw, utc=True, format="ISO8601", errors="coerce")
        unparsed = times.isna().to_numpy() & raw.notna().to_numpy()
        _fail(kind, unparsed, f"field '{column}' must be a UTC time", raw)
        times = times.dt.tz_localize(None)
    _fail(kind, times.isna().to_numpy(), f"field '{column}' is missing")
    outside = ((times < EARLIEST) | (times >= LATEST)).to_numpy()
    _fail(kind, outside, f"field '{column}' must be within {TIME_RANGE_TEXT}", times)
    return times


def _off_minute(times: pd.Series) -> np.ndarray:
    """True where a time is not exactly on a minute, checked at the column's own resolution
    (before DuckDB's microseconds could hide a stray nanosecond)."""
    values = times.to_numpy()
    unit = np.datetime_data(values.dtype)[0]
    per_minute = int(np.timedelta64(1, "m") / np.timedelta64(1, unit))
    return values.view(np.int64) % per_minute != 0


def _data_source_column(
    kind: str, frame: pd.DataFrame, sources: Mapping[int, DataSource]
) -> np.ndarray:
    raw = frame["data_source"]
    _fail(kind, raw.isna().to_numpy(), "field 'data_source' is missing")
    numbers = pd.to_numeric(raw, errors="coerce") if raw.dtype == object else raw
    if not pd.api.types.is_numeric_dtype(numbers) or pd.api.types.is_bool_dtype(numbers):
        _fail(
            kind,
            np.ones(len(raw), bool),
            "field 'data_source' must be an integer identifier",
            raw,
        )
    values = numbers.to_numpy(dtype=float)
    _fail(
        kind,
        ~np.isfinite(values) | (values != np.round(values)),
        "field 'data_source' must be an integer identifier",
        raw,
    )
    ids = values.astype(np.int64)
    unknown = ~np.isin(ids, np.fromiter(sources, dtype=np.int64, count=len(sources)))
    if unknown.any():
        programs = sorted({s.program for s in sources.values()})
        _fail(
            kind,
            unknown,
            f"data_source {int(ids[np.argmax(unknown)])} does not exist (identifiers in the "
            f"repository: {_id_ranges(sources)}); programs that exist: {programs}",
            error=NotFoundError,
        )
    return ids


def _id_ranges(sources: Mapping[int, DataSource]) -> str:
    """``1-40, 53``: the identifiers, compact however many sources there are."""
    ids = sorted(sources)
    if not ids:
        return "none"
    runs, begin = [], ids[0]
    for previous, current in zip(ids, [*ids[1:], None], strict=True):
        if current is None or current != previous + 1:
            runs.append(str(begin) if begin == previous else f"{begin}-{previous}")
            begin = current
    return ", ".join(runs)


def _float_column(kind: str, frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    raw = frame[column]
    if pd.api.types.is_bool_dtype(raw.dtype) or not pd.api.types.is_numeric_dtype(raw.dtype):
        numbers = pd.to_numeric(raw, errors="coerce")
        bad = numbers.isna().to_numpy() & raw.notna().to_numpy()
        if pd.api.types.is_bool_dtype(raw.dtype):
            bad = raw.notna().to_numpy()
        _fail(kind, bad, f"field '{column}' must be a number in degrees", raw)
        raw = numbers
    return raw.to_numpy(dtype=float, na_value=np.nan)


def _locations(kind: str, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for lat_name, lon_name in _LOCATION_PAIRS:
        lat = _float_column(kind, frame, lat_name)
        lon = _float_column(kind, frame, lon_name)
        # AuroraX rule: a location is two numbers or two nulls, never half of one.
        _fail(
            kind,
            np.isnan(lat) != np.isnan(lon),
            f"fields '{lat_name}' and '{lon_name}' must both be numbers or both be null",
        )
        with np.errstate(invalid="ignore"):
            _fail(kind, np.abs(lat) > 90, f"field '{lat_name}' must be within -90..90", lat)
            _fail(
                kind,
                np.abs(lon) > 180,
                f"field '{lon_name}' must be within -180..180 (longitudes are -180..180)",
                lon,
            )
        out[lat_name], out[lon_name] = lat, lon
    return out


def _expand_metadata(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return the metadata as one column per field (``metadata.<field>`` columns stay)."""
    prefixed = [c for c in frame.columns if str(c).startswith(_METADATA_PREFIX)]
    if "metadata" not in frame:
        return frame[prefixed].rename(columns=lambda c: c[len(_METADATA_PREFIX) :])
    if prefixed:
        raise ValidationError(
            f"{kind} batch has both a 'metadata' column and 'metadata.<field>' columns "
            f"{prefixed}; give one or the other"
        )
    column = frame["metadata"]
    dicts = column.tolist()
    # A column of Python dicts can only be walked in Python; `type(v) is dict` keeps that
    # walk cheap (an isinstance check against the Mapping ABC costs ten times more).
    if not all([type(v) is dict for v in dicts]):
        is_mapping = column.map(lambda v: isinstance(v, Mapping), na_action="ignore")
        bad = ~is_mapping.fillna(True).to_numpy(dtype=bool)
        _fail(kind, bad, "field 'metadata' must be a mapping", column)
        dicts = [v if isinstance(v, Mapping) else {} for v in dicts]
    expanded = pd.DataFrame.from_records(dicts, index=frame.index)
    expanded.columns = [str(c) for c in expanded.columns]
    return expanded


def _type_mask(values: pd.Series, data_type: str) -> np.ndarray:
    """True where a non-null value does not have ``data_type`` (vectorised on typed columns)."""
    present = values.notna().to_numpy()
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return present if data_type != "bool" else np.zeros(len(values), bool)
    if pd.api.types.is_integer_dtype(dtype):
        return present if data_type in ("string", "bool") else np.zeros(len(values), bool)
    if pd.api.types.is_float_dtype(dtype):
        if data_type == "double":
            return present & ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if data_type == "int":
            numbers = values.to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                return present & ~(np.isfinite(numbers) & (numbers == np.round(numbers)))
        return present
    if isinstance(dtype, pd.StringDtype):
        return present if data_type != "string" else np.zeros(len(values), bool)
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    fine = {
        "string": ("string", "empty"),
        "bool": ("boolean", "empty"),
        "int": ("integer", "empty"),
        "double": ("integer", "floating", "mixed-integer-float", "empty"),
    }[data_type]
    if inferred in fine:
        if data_type == "double":
            numbers = values.to_numpy(dtype=float, na_value=np.nan)
            return present & ~np.isfinite(numbers)
        return np.zeros(len(values), bool)
    # Only reached when the column really mixes types: locate the offenders one by one.
    checks = {
        "string": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool | np.bool_),
        "int": lambda v: (
            (isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_))
            or (isinstance(v, float | np.floating) and float(v).is_integer())
        ),
        "double": lambda v: (
            isinstance(v, int | float | np.integer | np.floating)
            and not isinstance(v, bool | np.bool_)
            and np.isfinite(float(v))
        ),
    }
    ok = values.map(checks[data_type], na_action="ignore").fillna(True)
    return ~ok.to_numpy(dtype=bool)


def _typed_array(values: pd.Series, data_type: str) -> pa.Array:
    """Arrow array of the field's type from an already type-checked column."""
    mask = values.isna().to_numpy()
    if data_type == "int":
        if pd.api.types.is_integer_dtype(values.dtype) and not mask.any():
            return pa.array(values.to_numpy(dtype=np.int64))
        floats = values.to_numpy(dtype=float, na_value=np.nan)
        return pa.array(np.where(mask, 0, floats).astype(np.int64), mask=mask)
    if data_type == "double":
        return pa.array(values.to_numpy(dtype=float, na_value=np.nan), mask=mask)
    if data_type == "bool":
        flags = np.asarray(values.where(~mask, False).to_numpy(), dtype=bool)
        return pa.array(flags, mask=mask)
    if isinstance(values.dtype, pd.StringDtype):
        return pa.array(values).cast(pa.string())  # arrow-backed already: no copy per value
    return pa.array(values.to_numpy(dtype=object, na_value=None), type=pa.string(), mask=mask)


def _first_of(kind: str, masks: list[tuple[np.ndarray, str]], values: pd.Series) -> None:
    """Fail on the earliest record flagged by any of ``masks`` (each with its own problem
    text), counting the records flagged by all of them."""
    flagged = [(np.flatnonzero(mask), problem) for mask, problem in masks]
    flagged = [(rows, problem) for rows, problem in flagged if rows.size]
    if not flagged:
        return
    _, problem = min(flagged, key=lambda item: item[0][0])
    combined = np.zeros(len(values), bool)
    for rows, _ in flagged:
        combined[rows] = True
    _fail(kind, combined, problem, values)


def _metadata(
    kind: str,
    metadata: pd.DataFrame,
    ids: np.ndarray,
    sources: Mapping[int, DataSource],
    schema_attr: str,
) -> tuple[tuple[str, ...], list[pa.Array]]:
    """Check every metadata column against the schema of each record's data source.

    Sources that declare a field identically are checked together, so the usual batch (many
    sources of one program sharing a schema) costs one vectorised pass per field.
    """
    schema_label = schema_attr.replace("_", " ").replace(" schema", "")
    rows_of = {int(i): np.flatnonzero(ids == i) for i in np.unique(ids)}
    schemas = {i: {f.field_name: f for f in getattr(sources[i], schema_attr)} for i in rows_of}
    names, arrays = [], []
    for name in metadata.columns:
        column = metadata[name]
        present = column.notna().to_numpy()
        groups: dict[MetadataField, list[np.ndarray]] = {}
        unknown = []
        for source_id, rows in rows_of.items():
            spec = schemas[source_id].get(name)
            if spec is None:
                mask = np.zeros(len(column), bool)
                mask[rows] = present[rows]
                declared = sorted(schemas[source_id])
                problem = (
                    f"field 'metadata.{name}' is not in the {schema_label} schema of data "
                    f"source {describe_source(sources[source_id])}; declared fields are "
                    f"{declared}"
                )
                unknown.append((mask, problem))
            else:
                groups.setdefault(spec, []).append(rows)
        _first_of(kind, unknown, column)
        types = sorted({spec.data_type for spec in groups})
        if len(types) > 1:
            raise ValidationError(
                f"{kind} batch: field 'metadata.{name}' is {types} in the schemas of "
                "different data sources; ingest those sources separately"
            )
        if not types or not present.any():
            continue  # not declared by these sources or every value null: nothing to store
        checks = []
        for spec, parts in groups.items():
            rows = np.concatenate(parts)
            whole = rows.size == len(column)
            subset = column if whole else column.iloc[rows]
            bad = np.zeros(len(column), bool)
            bad[rows] = _type_mask(subset, spec.data_type)
            checks.append((spec, rows, subset, bad))
        _first_of(
            kind,
            [(bad, f"field 'metadata.{name}' must be {types[0]}") for *_, bad in checks],
            column,
        )
        outside = []
        for spec, rows, subset, _ in checks:
            if spec.allowed_values:
                typed = pd.Series(_typed_array(subset, spec.data_type).to_pandas())
                mask = np.zeros(len(column), bool)
                mask[rows] = ~typed.isin(list(spec.allowed_values)).to_numpy() & present[rows]
                problem = f"field 'metadata.{name}' must be one of {list(spec.allowed_values)}"
                outside.append((mask, problem))
        _first_of(kind, outside, column)
        names.append(name)
        arrays.append(_typed_array(column, types[0]))
    return tuple(names), arrays


def _duplicates(kind: str, keys: pd.DataFrame, what: str) -> None:
    dup = keys.duplicated(keep="first").to_numpy()
    if dup.any():
        later = int(np.argmax(dup))
        first = int(np.flatnonzero((keys == keys.iloc[later]).all(axis=1).to_numpy())[0])
        _fail(kind, dup, f"repeats the {what} of record {first} in the same batch")


def _check_columns(kind: str, frame: pd.DataFrame, required: Sequence[str], optional) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"{kind} records must be a pandas DataFrame or a list of dicts")
    columns = [str(c) for c in frame.columns]
    missing = [c for c in required if c not in columns]
    if missing:
        raise ValidationError(f"{kind} batch is missing column(s) {missing}")
    known = set(required) | set(optional) | {"metadata"}
    unknown = [c for c in columns if c not in known and not c.startswith(_METADATA_PREFIX)]
    if unknown:
        raise ValidationError(
            f"{kind} batch has unknown column(s) {unknown}; expected {list(required)}, "
            f"optionally {list(optional)} and metadata as 'metadata' or 'metadata.<field>'"
        )


def prepare_ephemeris(frame: pd.DataFrame, sources: Mapping[int, DataSource]) -> PreparedBatch:
    """Validate a columnar ephemeris batch and convert it to DuckDB-ready Arrow columns.

    Parameters
    ----------
    frame
        Columns ``data_source`` (int), ``epoch`` (UTC, on the minute), optionally the location
        columns ``geo_lat ... sbtrace_lon`` (degrees, NaN = null), and metadata as a
        ``metadata`` column of dicts or ``metadata.<field>`` columns.
    sources
        The repository's data sources by identifier.

    Raises
    ------
    ValidationError, NotFoundError
        Naming the first offending record (0-based position), the field and the problem.
    """
    kind = "ephemeris"
    _check_columns(kind, frame, ("data_source", "epoch"), EPHEMERIS_LOCATION_COLUMNS)
    frame = frame.reset_index(drop=True)
    ids = _data_source_column(kind, frame, sources)
    epoch = _time_column(kind, frame, "epoch")
    off_minute = _off_minute(epoch)
    _fail(
        kind,
        off_minute,
        "field 'epoch' must be exactly on a minute (seconds = 0)",
        epoch,
    )
    locations = _locations(kind, frame)
    epoch = epoch.astype("datetime64[us]")  # exact: every epoch is on a minute
    stamps = epoch.to_numpy().view(np.int64)
    increasing = (ids[1:] > ids[:-1]) | ((ids[1:] == ids[:-1]) & (stamps[1:] > stamps[:-1]))
    if not increasing.all():  # a batch in (data_source, epoch) order cannot repeat a key
        _duplicates(
            kind,
            pd.DataFrame({"data_source": ids, "epoch": epoch.to_numpy()}),
            "data_source and epoch",
        )
    names, arrays = _metadata(
        kind, _expand_metadata(kind, frame), ids, sources, "ephemeris_metadata_schema"
    )
    columns = {
        "data_source": pa.array(ids, type=pa.int32()),
        "epoch": pa.array(epoch.to_numpy(), type=pa.timestamp("us")),
        # NaN means "no location": store SQL NULL, which DuckDB's NaN would not be.
        **{
            name: pa.array(values, type=pa.float64(), mask=np.isnan(values))
            for name, values in locations.items()
        },
        **{f"m{i}": array for i, array in enumerate(arrays)},
    }
    return PreparedBatch(pa.table(columns), names)


def prepare_data_products(frame: pd.DataFrame, sources: Mapping[int, DataSource]) -> PreparedBatch:
    """Validate a columnar data-product batch (``data_source, data_product_type, start, end,
    url`` and metadata) and convert it to DuckDB-ready Arrow columns."""
    kind = "data product"
    _check_columns(kind, frame, ("data_source", "data_product_type", "start", "end", "url"), ())
    frame = frame.reset_index(drop=True)
    ids = _data_source_column(kind, frame, sources)
    product_type = frame["data_product_type"]
    _fail(
        kind,
        ~product_type.isin(DATA_PRODUCT_TYPES).to_numpy(),
        f"field 'data_product_type' must be one of {list(DATA_PRODUCT_TYPES)}",
        product_type,
    )
    # DuckDB TIMESTAMP holds microseconds; finer digits of product times are dropped.
    start = _time_column(kind, frame, "start").astype("datetime64[us]")
    end = _time_column(kind, frame, "end").astype("datetime64[us]")
    _fail(
        kind,
        (start > end).to_numpy(),
        "field 'end' must not be before 'start'",
        end,
    )
    url = frame["url"]
    not_text = _type_mask(url, "string") | url.isna().to_numpy()
    _fail(kind, not_text, "field 'url' must be a non-empty string", url)
    url = url.astype(str)
    _fail(kind, (url.str.strip() == "").to_numpy(), "field 'url' must be a non-empty string")
    _duplicates(kind, pd.DataFrame({"url": url}), "url")
    names, arrays = _metadata(
        kind, _expand_metadata(kind, frame), ids, sources, "data_product_metadata_schema"
    )
    columns = {
        "url": pa.array(url.to_numpy(dtype=object), type=pa.string()),
        "data_source": pa.array(ids, type=pa.int32()),
        "data_product_type": pa.array(product_type, type=pa.string()),
        "start": pa.array(start.to_numpy(), type=pa.timestamp("us")),
        "end": pa.array(end.to_numpy(), type=pa.timestamp("us")),
        **{f"m{i}": array for i, array in enumerate(arrays)},
    }
    return PreparedBatch(pa.table(columns), names)
