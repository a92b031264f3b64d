"""JSON shapes of the API, both ways: library results to AuroraX JSON (server) and back to the
library's DataFrames (client), so the client returns what the library returns."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from aurorax.engine import (
    ConjunctionResult,
    DataSource,
    ValidationError,
    data_product_frame_to_records,
    ephemeris_frame_to_records,
)

__all__ = [
    "SOURCE_FORMATS",
    "source_json",
    "ephemeris_records",
    "data_product_records",
    "ephemeris_frame",
    "data_product_frame",
    "conjunction_frame",
    "availability_json",
    "availability_frame",
]

SOURCE_FORMATS = ("identifier_only", "basic_info", "with_metadata", "full_record")
_LOCATIONS = (
    ("location_geo", "geo"),
    ("location_gsm", "gsm"),
    ("nbtrace", "nbtrace"),
    ("sbtrace", "sbtrace"),
)
_SOURCE_COLUMNS = ("program", "platform", "instrument_type", "display_name")
# The dtypes the engine's searches return (DuckDB's INTEGER and TIMESTAMP).
_ID_DTYPE = "int32"
_RECORD_TIME = "datetime64[us, UTC]"
_CONJUNCTION_TIME = "datetime64[ns, UTC]"


def source_json(source: DataSource, fmt: str = "basic_info", stats: Mapping | None = None) -> dict:
    """A data source in one of AuroraX's record formats (``SOURCE_FORMATS``), with ``stats``
    (record counts, earliest/latest epoch) when given."""
    if fmt == "identifier_only":
        out = {"identifier": source.identifier}
    elif fmt == "basic_info":
        out = source.basic_info()
    elif fmt == "with_metadata":
        out = {**source.basic_info(), "owner": source.owner, "metadata": dict(source.metadata)}
    elif fmt == "full_record":
        out = source.to_dict()
    else:
        raise ValidationError(
            f"format: {fmt!r} is not allowed; allowed: {', '.join(SOURCE_FORMATS)}"
        )
    if stats is not None:
        out["stats"] = dict(stats)
    return out


def ephemeris_records(frame: pd.DataFrame, sources: Sequence[DataSource]) -> list[dict]:
    """``search_ephemeris`` rows as AuroraX ephemeris records."""
    if frame.empty:
        return []
    return ephemeris_frame_to_records(frame, sources)


def data_product_records(frame: pd.DataFrame, sources: Sequence[DataSource]) -> list[dict]:
    """``search_data_products`` rows as AuroraX data product records."""
    if frame.empty:
        return []
    return data_product_frame_to_records(frame, sources)


def _source_columns(records: list[dict]) -> dict:
    return {
        "data_source": [r["data_source"]["identifier"] for r in records],
        **{c: [r["data_source"][c] for r in records] for c in _SOURCE_COLUMNS},
    }


def _typed(columns: dict, times: Sequence[str], strings: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    frame["data_source"] = frame["data_source"].astype(_ID_DTYPE)
    for c in times:
        frame[c] = pd.to_datetime(frame[c], utc=True).astype(_RECORD_TIME)
    return frame.astype({c: "str" for c in strings})


def ephemeris_frame(records: list[dict]) -> pd.DataFrame:
    """AuroraX ephemeris records back to the ``search_ephemeris`` frame (same columns, dtypes)."""
    columns = _source_columns(records)
    columns["epoch"] = [r["epoch"] for r in records]
    for key, prefix in _LOCATIONS:
        for part in ("lat", "lon"):
            values = [(r.get(key) or {}).get(part) for r in records]
            columns[f"{prefix}_{part}"] = np.array(
                [np.nan if v is None else v for v in values], dtype=float
            )
    columns["metadata"] = [r.get("metadata") or {} for r in records]
    return _typed(columns, ("epoch",), _SOURCE_COLUMNS)


def data_product_frame(records: list[dict]) -> pd.DataFrame:
    """AuroraX data product records back to the ``search_data_products`` frame."""
    columns = _source_columns(records)
    for c in ("data_product_type", "start", "end", "url"):
        columns[c] = [r[c] for r in records]
    columns["metadata"] = [r.get("metadata") or {} for r in records]
    return _typed(columns, ("start", "end"), (*_SOURCE_COLUMNS, "data_product_type", "url"))


def conjunction_frame(rows: list[dict], block_names: Sequence[str]) -> pd.DataFrame:
    """``ConjunctionResult.to_json()`` rows back to ``ConjunctionResult.data``."""
    columns = ["conjunction_type", "start", "end", "duration_min", "min_distance_km"]
    columns += ["max_distance_km", "closest_epoch", "farthest_epoch"]
    for name in block_names:
        columns += [name, f"{name}_identifier"]
    columns.append("events")
    frame = pd.DataFrame({c: [r.get(c) for r in rows] for c in columns}, columns=columns)
    for c in ("start", "end", "closest_epoch", "farthest_epoch"):
        frame[c] = pd.to_datetime(frame[c], utc=True).astype(_CONJUNCTION_TIME)
    for c in ("duration_min", "min_distance_km", "max_distance_km"):
        frame[c] = pd.to_numeric(frame[c]).astype(float)
    for name in block_names:
        frame[name] = frame[name].astype("str")
        frame[f"{name}_identifier"] = pd.array(
            [None if v is None else int(v) for v in frame[f"{name}_identifier"]], dtype="Int64"
        )
    frame["conjunction_type"] = frame["conjunction_type"].astype("str")
    frame["events"] = pd.array(
        [list(e or []) for e in frame["events"]], dtype=ConjunctionResult.EVENTS_DTYPE
    )
    return frame


def availability_json(
    summary: pd.DataFrame, sources: Sequence[DataSource], kind: str, fmt: str = "basic_info"
) -> list[dict]:
    """AuroraX's availability shape: per data source, ``available_<kind>`` = ``{day: count}``
    for the days with records (``kind`` is ``ephemeris`` or ``data_products``)."""
    column = "ephemeris_count" if kind == "ephemeris" else "data_product_count"
    by_source: dict[int, dict] = {s.identifier: {} for s in sources}
    for source_id, day, count in zip(
        summary["data_source"].tolist(), summary["day"], summary[column].tolist(), strict=True
    ):
        if count and int(source_id) in by_source:
            by_source[int(source_id)][day.strftime("%Y-%m-%d")] = int(count)
    return [
        {"data_source": source_json(s, fmt), f"available_{kind}": by_source[s.identifier]}
        for s in sources
    ]


def availability_frame(ephemeris: list[dict], data_products: list[dict]) -> pd.DataFrame:
    """The two availability responses back to the ``availability_summary`` frame."""
    rows: dict[tuple[int, str], dict] = {}
    for entries, column, key in (
        (ephemeris, "ephemeris_count", "available_ephemeris"),
        (data_products, "data_product_count", "available_data_products"),
    ):
        for entry in entries:
            source = entry["data_source"]
            for day, count in entry[key].items():
                row = rows.setdefault(
                    (int(source["identifier"]), day),
                    {
                        "data_source": int(source["identifier"]),
                        **{c: source[c] for c in ("display_name", *_SOURCE_COLUMNS[:3])},
                        "day": day,
                        "ephemeris_count": 0,
                        "data_product_count": 0,
                    },
                )
                row[column] = int(count)
    columns = ["data_source", "display_name", "program", "platform", "instrument_type", "day"]
    columns += ["ephemeris_count", "data_product_count"]
    frame = pd.DataFrame([rows[k] for k in sorted(rows)], columns=columns)
    frame["data_source"] = frame["data_source"].astype(_ID_DTYPE)
    frame["day"] = pd.to_datetime(frame["day"], utc=True).astype(_RECORD_TIME)
    for c in ("ephemeris_count", "data_product_count"):
        frame[c] = frame[c].astype("int64")
    return frame.astype({c: "str" for c in columns[1:5]})


def dumps(value) -> str:
    """Compact JSON (NaN never appears: payloads use None for missing values)."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False)
