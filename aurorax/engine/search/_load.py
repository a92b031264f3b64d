"""Loading a conjunction search's tracks from DuckDB: the SQL, per-source stats, the prefilter.

Two phases keep the rows pulled out of DuckDB few:

1. A statistics query per criteria block (rows and the location bounding box of each source, under
   the block's filters) picks the *driver*: the block with the fewest rows among those in a
   constrained pair. The driver is loaded whole.
2. Another block constrained against the driver is loaded only at the (source, minute) pairs where
   some driver footprint lies inside the source's reach: its latitude range widened by the maximum
   distance and, when its longitudes span a few degrees only (a ground site), its longitude range
   widened by ``asin(sin(d / R) / cos(lat))``. A footprint outside that box cannot be within the
   distance, so no conjunction is lost; the candidate pairs are joined to the ephemeris table in
   DuckDB. When the box does not prune (moving sources, 30 s precision) the block is loaded whole.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from aurorax.geo import EARTH_RADIUS_KM, FOOTPRINT_ALTITUDE_KM

from ._algorithm import Track

__all__ = [
    "LOCATION_COLUMNS",
    "compile_ephemeris_sql",
    "SourceStats",
    "candidate_pairs",
    "tracks_from_table",
]

LOCATION_COLUMNS = {
    "nbtrace": ("nbtrace_lat", "nbtrace_lon"),
    "sbtrace": ("sbtrace_lat", "sbtrace_lon"),
    "geographic": ("geo_lat", "geo_lon"),
}
_HEMISPHERE_SQL = {"northern": "geo_lat >= 0", "southern": "geo_lat < 0"}
CANDIDATES_TABLE = "_aurorax_candidates"  # name under which candidate pairs are registered
SLOTS_TABLE = "_aurorax_slots"  # name under which a block's kept index slots are registered
_TIGHT_LON_DEG = 10.0  # longitude spans up to this are boxed; wider ones (moving sources) are not
_PAD_DEG = 1e-6  # float margin so boxes never cut a footprint at exactly the maximum distance
_SPHERE_KM = EARTH_RADIUS_KM + FOOTPRINT_ALTITUDE_KM


def compile_ephemeris_sql(
    data_sources: Sequence[int],
    start: pd.Timestamp,
    end: pd.Timestamp,
    conjunction_types: Sequence[str],
    metadata_sql: str = "TRUE",
    metadata_params: Sequence = (),
    hemisphere: Sequence[str] = (),
    kind: str = "rows",
    slot_minutes: int = 10,
) -> tuple[str, list]:
    """The SQL that reads one criteria block (pure function, bound parameters only).

    Parameters
    ----------
    data_sources : sequence of int
        Identifiers of the block's matched data sources.
    start, end : pandas.Timestamp
        Naive-UTC window ``[start, end)``.
    conjunction_types : sequence of str
        Which location columns to read (``lat_<type>``, ``lon_<type>``).
    metadata_sql, metadata_params
        Output of :func:`aurorax.engine.compile_metadata_filter`.
    hemisphere : sequence of str
        ``northern``/``southern``: spacecraft geographic hemisphere; empty or both = no condition.
    kind : {"rows", "stats", "candidates", "slots"}
        ``rows``: ``data_source, epoch, lat_<type>, lon_<type>...`` in table order.
        ``stats``: per data source ``n`` and ``lat_min_<type>, lat_max_<type>, lon_min_<type>,
        lon_max_<type>``. ``candidates``: like ``rows`` but only at the (data_source, epoch) pairs
        of the registered table ``_aurorax_candidates``. ``slots``: like ``rows`` but only in the
        ``(data_source, slot)`` of the registered table ``_aurorax_slots`` (slots of
        ``slot_minutes`` minutes, from the ephemeris index).
    slot_minutes : int
        Slot size of a ``slots`` read (a divisor of 60).

    Returns
    -------
    sql : str
    params : list
        Bound values in placeholder order.
    """
    if not data_sources:
        raise ValueError("compile_ephemeris_sql: data_sources must not be empty")
    if kind not in ("rows", "stats", "candidates", "slots"):
        raise ValueError(
            f"compile_ephemeris_sql: kind must be rows, stats, candidates or slots, got {kind!r}"
        )
    marks = ", ".join("?" for _ in data_sources)
    where = [f"e.data_source IN ({marks})", "e.epoch >= ?", "e.epoch < ?", metadata_sql]
    hemis = sorted(set(hemisphere))
    if len(hemis) == 1:
        where.append(_HEMISPHERE_SQL[hemis[0]])
    cols = []
    for t in conjunction_types:
        lat, lon = LOCATION_COLUMNS[t]
        if kind == "stats":
            cols += [f"min({lat}) AS lat_min_{t}", f"max({lat}) AS lat_max_{t}"]
            cols += [f"min({lon}) AS lon_min_{t}", f"max({lon}) AS lon_max_{t}"]
        else:
            cols += [f"{lat} AS lat_{t}", f"{lon} AS lon_{t}"]
    if kind == "stats":
        head = "SELECT e.data_source, count(*) AS n, " + ", ".join(cols) + " FROM ephemeris AS e"
        tail = " GROUP BY e.data_source"
    else:
        head = "SELECT e.data_source, e.epoch, " + ", ".join(cols) + " FROM ephemeris AS e"
        tail = ""
    if kind == "candidates":
        head += (
            f" JOIN {CANDIDATES_TABLE} AS c ON e.data_source = c.data_source AND e.epoch = c.epoch"
        )
    join_params = []
    if kind == "slots":
        head += (
            f" JOIN {SLOTS_TABLE} AS k ON e.data_source = k.data_source"
            " AND time_bucket(to_minutes(CAST(? AS BIGINT)), e.epoch) = k.slot"
        )
        join_params = [int(slot_minutes)]
    sql = head + " WHERE " + " AND ".join(where) + tail
    params = [*join_params, *map(int, data_sources), start.to_pydatetime(), end.to_pydatetime()]
    return sql, params + list(metadata_params)


class SourceStats:
    """Rows and location bounds of each source of a block (from a ``stats`` query)."""

    def __init__(self, table: pa.Table, types: Sequence[str]) -> None:
        self.rows: dict[int, int] = {}
        self.box: dict[tuple[int, str], tuple[float, float, float, float]] = {}
        data = table.to_pydict()
        for r, ds in enumerate(data["data_source"]):
            self.rows[int(ds)] = int(data["n"][r])
            for t in types:
                vals = tuple(
                    data[f"{k}_{t}"][r] for k in ("lat_min", "lat_max", "lon_min", "lon_max")
                )
                if None not in vals:
                    self.box[(int(ds), t)] = tuple(float(v) for v in vals)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def candidate_pairs(
    driver: dict[str, list[Track]],
    stats: SourceStats,
    ids: Sequence[int],
    limit_km: float,
    origin: pd.Timestamp,
) -> pa.Table | None:
    """(data_source, epoch) pairs of another block worth loading, or None if nothing is pruned.

    A source is worth loading at a minute when some driver location of some conjunction type is
    inside the source's box widened by ``limit_km`` (see the module docstring).
    """
    delta = limit_km / _SPHERE_KM  # radians
    band = math.degrees(delta) + _PAD_DEG
    out_ds, out_min = [], []
    for t, tracks in driver.items():
        if not tracks:
            continue
        d_lat = np.concatenate([tr.lat for tr in tracks])
        d_lon = np.concatenate([tr.lon for tr in tracks])
        d_min = np.concatenate([tr.steps for tr in tracks])
        boxes = [(ds, stats.box[(ds, t)]) for ds in ids if (ds, t) in stats.box]
        if not boxes:
            continue
        lo = min(b[0] for _, b in boxes) - band
        hi = max(b[1] for _, b in boxes) + band
        near = (d_lat >= lo) & (d_lat <= hi)
        if not any(_tight(box, delta) for _, box in boxes):
            # Latitude bands only (moving sources): skip the sort when they would not prune.
            n = sum(int(((d_lat >= b[0] - band) & (d_lat <= b[1] + band)).sum()) for _, b in boxes)
            if n >= 0.5 * max(stats.total, 1):
                return None
        # Sorted by latitude, each source's band is one contiguous slice (searchsorted).
        by_lat = np.argsort(d_lat[near], kind="stable")
        d_lat, d_lon, d_min = d_lat[near][by_lat], d_lon[near][by_lat], d_min[near][by_lat]
        for ds, (lat_min, lat_max, lon_min, lon_max) in boxes:
            a = np.searchsorted(d_lat, lat_min - band, side="left")
            b = np.searchsorted(d_lat, lat_max + band, side="right")
            lons, mins = d_lon[a:b], d_min[a:b]
            if _tight((lat_min, lat_max, lon_min, lon_max), delta):
                phi = math.radians(max(abs(lat_min), abs(lat_max)))
                dlon = math.degrees(math.asin(math.sin(delta) / math.cos(phi)))
                centre = 0.5 * (lon_min + lon_max)
                half = 0.5 * (lon_max - lon_min) + dlon + _PAD_DEG
                mins = mins[np.abs((lons - centre + 180.0) % 360.0 - 180.0) <= half]
            out_ds.append(np.full(mins.size, ds, dtype=np.int32))
            out_min.append(mins)
    n = sum(m.size for m in out_min)
    if n >= 0.5 * max(stats.total, 1):
        return None
    ds = np.concatenate(out_ds) if out_ds else np.empty(0, np.int32)
    minutes = np.concatenate(out_min) if out_min else np.empty(0, np.int64)
    # One row per pair even when several driver members or types selected the same minute.
    key = np.unique(ds.astype(np.int64) << 32 | minutes)
    ds, minutes = (key >> 32).astype(np.int32), key & 0xFFFFFFFF
    epoch = _us(origin) + minutes * 60_000_000
    return pa.table(
        {"data_source": pa.array(ds), "epoch": pa.array(epoch, type=pa.timestamp("us"))}
    )


def _tight(box: tuple[float, float, float, float], delta: float) -> bool:
    """Whether a source box gets a longitude bound (narrow in longitude, cap clear of the pole)."""
    lat_min, lat_max, lon_min, lon_max = box
    phi = math.radians(max(abs(lat_min), abs(lat_max)))
    return lon_max - lon_min <= _TIGHT_LON_DEG and math.cos(phi) > math.sin(delta)


def _us(t: pd.Timestamp) -> int:
    """Microseconds since 1970 of a naive-UTC timestamp (DuckDB's TIMESTAMP unit)."""
    return int(np.datetime64(t.to_datetime64(), "us").astype(np.int64))


def tracks_from_table(
    table: pa.Table, ids: Sequence[int], types: Sequence[str], origin: pd.Timestamp
) -> dict[str, list[Track]]:
    """Split one block's rows into ``{type: [Track per source]}`` (sorted by source and minute)."""
    ds = table.column("data_source").to_numpy().astype(np.int64)
    epoch_us = table.column("epoch").to_numpy().astype("datetime64[us]").astype(np.int64)
    minute = (epoch_us - _us(origin)) // 60_000_000
    cols = {
        c: np.asarray(table.column(c).to_numpy(), dtype=np.float64)
        for t in types
        for c in (f"lat_{t}", f"lon_{t}")
    }
    d_ds, d_min = np.diff(ds), np.diff(minute)
    if ds.size and not np.all((d_ds > 0) | ((d_ds == 0) & (d_min > 0))):
        # Scans keep table order, and ingest clusters by (data_source, epoch); joins and stores
        # written otherwise need this sort.
        order = np.lexsort((minute, ds))
        ds, minute = ds[order], minute[order]
        cols = {k: v[order] for k, v in cols.items()}
    ids64 = np.asarray(ids, dtype=np.int64)
    first = np.searchsorted(ds, ids64)
    last = np.searchsorted(ds, ids64, side="right")
    return {
        t: [
            Track(minute[a:b], cols[f"lat_{t}"][a:b], cols[f"lon_{t}"][a:b])
            for a, b in zip(first, last, strict=True)
        ]
        for t in types
    }
