"""The coarse location index of the ephemeris: one row per data source and time bin.

``ephemeris_index`` summarises the ephemeris table so that a conjunction search can skip the
minutes where no pair of sources can be within the distance before reading any of them
(``aurorax/engine/search/_index.py``). One row per (data source, bin):

* ``bin`` is the start of a bin of ``bin_minutes`` minutes inside one UTC hour: 60 for ground
  sources (a site's footprints change once a day), 10 for the others (a LEO footprint moves
  about 4000 km in 10 minutes; finer bins would make the index as big as the table);
* ``n`` is the number of records in the bin (whatever their metadata);
* per location kind ``geo``, ``nbtrace``, ``sbtrace``: the min/max of latitude and longitude
  (degrees, as stored) and of the unit vector ``x, y, z`` of the locations in the bin (null
  when no record of the bin has a location of that kind). A box in ``x, y, z`` has no trouble
  at the poles or the dateline: the straight-line (chord) distance between any two points of
  two boxes is at least the distance between the boxes.

The rows of every (data source, hour) a write or delete touches are recomputed from the
ephemeris inside the same transaction (:func:`refresh_index`), so the index is never stale.
"""

from __future__ import annotations

import duckdb
import pandas as pd

__all__ = [
    "INDEX_TABLE",
    "INDEX_KINDS",
    "INDEX_DDL",
    "GROUND_BIN_MINUTES",
    "OTHER_BIN_MINUTES",
    "refresh_index",
    "rebuild_index",
]

INDEX_TABLE = "ephemeris_index"
#: Column prefix in the index -> (latitude, longitude) columns of the ephemeris table.
INDEX_KINDS = {
    "geo": ("geo_lat", "geo_lon"),
    "nbtrace": ("nbtrace_lat", "nbtrace_lon"),
    "sbtrace": ("sbtrace_lat", "sbtrace_lon"),
}
GROUND_BIN_MINUTES = 60
OTHER_BIN_MINUTES = 10
_BOUNDS = ("lat", "lon", "x", "y", "z")

INDEX_DDL = (
    f"CREATE TABLE IF NOT EXISTS {INDEX_TABLE} (\n"
    "    data_source INTEGER NOT NULL,\n"
    "    bin TIMESTAMP NOT NULL,\n"
    "    bin_minutes SMALLINT NOT NULL,\n"
    "    n INTEGER NOT NULL,\n"
    + ",\n".join(
        f"    {k}_{b}_{m} DOUBLE" for k in INDEX_KINDS for b in _BOUNDS for m in ("min", "max")
    )
    + "\n)"
)


def _aggregates() -> str:
    out = []
    for k, (lat, lon) in INDEX_KINDS.items():
        rlat, rlon = f"radians(e.{lat})", f"radians(e.{lon})"
        values = {
            "lat": f"e.{lat}",
            "lon": f"e.{lon}",
            "x": f"cos({rlat}) * cos({rlon})",
            "y": f"cos({rlat}) * sin({rlon})",
            "z": f"sin({rlat})",
        }
        for b in _BOUNDS:
            out += [f"min({values[b]}) AS {k}_{b}_min", f"max({values[b]}) AS {k}_{b}_max"]
    return ", ".join(out)


_SELECT = f"""
    INSERT INTO {INDEX_TABLE}
    SELECT e.data_source,
           date_trunc('hour', e.epoch) + to_minutes(minute(e.epoch) // s.w * s.w) AS bin,
           s.w::SMALLINT AS bin_minutes,
           count(*)::INTEGER AS n,
           {_aggregates()}
    FROM ephemeris AS e
    JOIN (SELECT identifier,
                 CASE WHEN source_type = 'ground' THEN {GROUND_BIN_MINUTES}
                      ELSE {OTHER_BIN_MINUTES} END AS w
          FROM data_sources) AS s ON s.identifier = e.data_source
"""


def refresh_index(
    con: duckdb.DuckDBPyConnection, ids, first: pd.Timestamp, last: pd.Timestamp
) -> None:
    """Recompute the index rows of sources ``ids`` for every hour that holds a time of
    ``[first, last]`` (naive UTC), from the ephemeris as it is now in the caller's transaction."""
    ids = [int(i) for i in ids]
    if not ids:
        return
    h0 = pd.Timestamp(first).floor("h")
    h1 = pd.Timestamp(last).floor("h") + pd.Timedelta(hours=1)
    marks = ", ".join("?" for _ in ids)
    con.execute(
        f"DELETE FROM {INDEX_TABLE} WHERE data_source IN ({marks}) AND bin >= ? AND bin < ?",
        [*ids, h0, h1],
    )
    con.execute(
        _SELECT + f" WHERE e.data_source IN ({marks}) AND e.epoch >= ? AND e.epoch < ? "
        "GROUP BY ALL ORDER BY 1, 2",
        [*ids, h0, h1],
    )


def rebuild_index(con: duckdb.DuckDBPyConnection) -> None:
    """Create (if needed) and recompute the whole index from the ephemeris table."""
    con.execute(INDEX_DDL)
    con.execute(f"DELETE FROM {INDEX_TABLE}")
    con.execute(_SELECT + " GROUP BY ALL ORDER BY 1, 2")
