"""The ground-space pair table: every minute a ground source and a spacecraft are close.

``ephemeris_pairs`` holds one row per (ground source, space source, location kind, minute)
where both have a record at that minute, both have a location of that kind, and the
great-circle distance between the two is at most :data:`PAIR_MAX_KM` (1,000 km: more than an
all-sky imager's field of view, 756 km at 5 degrees elevation). Columns:

* ``ground``, ``space``: data source identifiers (``source_type`` ground; leo, heo or lunar);
* ``kind``: 0 geographic, 1 nbtrace, 2 sbtrace (:data:`PAIR_KINDS`);
* ``epoch``: the minute;
* ``ground_lat, ground_lon, space_lat, space_lon``: the two locations, degrees, as stored in
  the ephemeris (so a search can rebuild both tracks and recompute every distance exactly);
* ``distance_km``: the distance computed in SQL (haversine on the footprint sphere), used only
  to select rows; a search recomputes it with :func:`aurorax.geo.great_circle_distance_km`.

A conjunction search of one ground block against one space block within ``PAIR_MAX_KM`` then
reads only the minutes where some pair is close, instead of every record of both blocks
(``aurorax/engine/search/_pairs.py``). Rows are written inside the transaction of every
ephemeris write, delete, or source-type change (:func:`refresh_pairs`), so the table always
matches the ephemeris. :func:`rebuild_pairs` recomputes it whole, in 30-day chunks, and then
writes it in one (kind, space, ground, epoch) order: a search's rows (one kind, a few spacecraft)
then lie in a few row groups instead of a slice of every chunk's, so the scan reads (and DuckDB
caches) only those. Rows written later by ingest follow, each batch in the same order, until the
next ``optimize``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from aurorax.geo import EARTH_RADIUS_KM, FOOTPRINT_ALTITUDE_KM

__all__ = [
    "PAIRS_TABLE",
    "PAIRS_DDL",
    "PAIR_MAX_KM",
    "PAIR_KINDS",
    "SPACE_SOURCE_TYPES",
    "refresh_pairs",
    "rebuild_pairs",
]

PAIRS_TABLE = "ephemeris_pairs"
#: The largest distance the table answers; longer searches read the ephemeris.
PAIR_MAX_KM = 1000.0
#: kind code -> (conjunction type, latitude column, longitude column) of the ephemeris.
PAIR_KINDS = {
    0: ("geographic", "geo_lat", "geo_lon"),
    1: ("nbtrace", "nbtrace_lat", "nbtrace_lon"),
    2: ("sbtrace", "sbtrace_lat", "sbtrace_lon"),
}
SPACE_SOURCE_TYPES = ("leo", "heo", "lunar")
_SPHERE_KM = EARTH_RADIUS_KM + FOOTPRINT_ALTITUDE_KM
# Rows within PAIR_MAX_KM plus this margin are kept: SQL's and numpy's haversines may differ in
# the last bits, and a search recomputes the distance anyway.
_PAD_KM = 1e-3
# Latitude band (degrees) no pair within PAIR_MAX_KM can leave; lets the join skip the
# haversine for most pairs of a minute.
_BAND_DEG = (PAIR_MAX_KM + _PAD_KM) / _SPHERE_KM * 180.0 / 3.141592653589793 + 1e-6
_REBUILD_CHUNK = pd.Timedelta(days=30)
_STAGING_TABLE = "ephemeris_pairs_staging"

PAIRS_DDL = f"""
CREATE TABLE IF NOT EXISTS {PAIRS_TABLE} (
    ground INTEGER NOT NULL,
    space INTEGER NOT NULL,
    kind TINYINT NOT NULL,
    epoch TIMESTAMP NOT NULL,
    ground_lat DOUBLE NOT NULL,
    ground_lon DOUBLE NOT NULL,
    space_lat DOUBLE NOT NULL,
    space_lon DOUBLE NOT NULL,
    distance_km FLOAT NOT NULL
)
"""


def _haversine_sql(lat1: str, lon1: str, lat2: str, lon2: str) -> str:
    return (
        f"2 * {_SPHERE_KM!r} * asin(sqrt(least(1.0, "
        f"pow(sin(radians({lat2} - {lat1}) / 2), 2) + cos(radians({lat1})) * "
        f"cos(radians({lat2})) * pow(sin(radians({lon2} - {lon1}) / 2), 2))))"
    )


def _kind_select(kind: int) -> str:
    """The rows of one kind from the joined minutes ``j`` (columns ``g_<lat>``, ``s_<lat>``...)."""
    _, lat, lon = PAIR_KINDS[kind]
    distance = _haversine_sql(f"g_{lat}", f"g_{lon}", f"s_{lat}", f"s_{lon}")
    return f"""
        SELECT ground, space, {kind}::TINYINT AS kind, epoch, g_{lat}, g_{lon}, s_{lat}, s_{lon},
               {distance} AS distance_km
        FROM j
        WHERE g_{lat} IS NOT NULL AND g_{lon} IS NOT NULL
          AND s_{lat} IS NOT NULL AND s_{lon} IS NOT NULL
          AND abs(g_{lat} - s_{lat}) <= {_BAND_DEG!r}
          AND {distance} <= {PAIR_MAX_KM + _PAD_KM!r}
    """


def _insert(
    con: duckdb.DuckDBPyConnection, where: str, params: list, into: str = PAIRS_TABLE
) -> None:
    """Insert the pairs of the minutes ``where`` selects (``g``/``s`` aliases), sorted.

    The ground-space join on epoch runs once (materialised, only the minutes where some kind's
    latitudes are within the band), and each kind is read from it.
    """
    columns = [c for _, lat, lon in PAIR_KINDS.values() for c in (lat, lon)]
    picked = ", ".join(f"g.{c} AS g_{c}, s.{c} AS s_{c}" for c in columns)
    near = " OR ".join(
        f"abs(g.{lat} - s.{lat}) <= {_BAND_DEG!r}" for _, lat, _ in PAIR_KINDS.values()
    )
    union = " UNION ALL ".join(_kind_select(k) for k in PAIR_KINDS)
    con.execute(
        f"""
        INSERT INTO {into}
        WITH j AS MATERIALIZED (
            SELECT g.data_source AS ground, s.data_source AS space, g.epoch, {picked}
            FROM ephemeris AS g JOIN ephemeris AS s ON g.epoch = s.epoch
            WHERE g.data_source IN (SELECT identifier FROM data_sources
                                    WHERE source_type = 'ground')
              AND s.data_source IN (SELECT identifier FROM data_sources
                                    WHERE source_type IN {SPACE_SOURCE_TYPES!r})
              AND ({near})
              AND {where}
        )
        SELECT * FROM ({union}) ORDER BY kind, space, ground, epoch
        """,
        params,
    )


def refresh_pairs(
    con: duckdb.DuckDBPyConnection, ids, first: pd.Timestamp, last: pd.Timestamp
) -> None:
    """Recompute the pairs of sources ``ids`` (as ground or as space) at the minutes of
    ``[first, last]`` (naive UTC), from the ephemeris and source types as they are now in the
    caller's transaction."""
    ids = [int(i) for i in ids]
    if not ids:
        return
    marks = ", ".join("?" for _ in ids)
    first, last = pd.Timestamp(first).to_pydatetime(), pd.Timestamp(last).to_pydatetime()
    con.execute(
        f"DELETE FROM {PAIRS_TABLE} WHERE (ground IN ({marks}) OR space IN ({marks})) "
        "AND epoch >= ? AND epoch <= ?",
        [*ids, *ids, first, last],
    )
    span = "g.epoch >= ? AND g.epoch <= ? AND s.epoch >= ? AND s.epoch <= ?"
    times = [first, last, first, last]
    # Two inserts, not one with "g IN ids OR s IN ids": each condition then bounds one side of
    # the join (a spacecraft's month against every imager, not every pair of that month).
    _insert(con, f"g.data_source IN ({marks}) AND {span}", [*ids, *times])
    _insert(
        con,
        f"s.data_source IN ({marks}) AND g.data_source NOT IN ({marks}) AND {span}",
        [*ids, *ids, *times],
    )


def rebuild_pairs(con: duckdb.DuckDBPyConnection, progress=None) -> None:
    """Create (if needed) and recompute the whole pair table from the ephemeris, in 30-day
    chunks (bounded memory) into a staging table, then write it in (kind, space, ground, epoch)
    order; ``progress(done, total)`` is called after each chunk and after the sorted write."""
    con.execute(PAIRS_DDL)
    con.execute(f"DELETE FROM {PAIRS_TABLE}")
    first, last = con.execute("SELECT min(epoch), max(epoch) FROM ephemeris").fetchall()[0]
    if first is None:
        return
    edges = list(pd.date_range(pd.Timestamp(first).floor("D"), last, freq=_REBUILD_CHUNK))
    edges.append(pd.Timestamp(last) + pd.Timedelta(minutes=1))
    where = "g.epoch >= ? AND g.epoch < ? AND s.epoch >= ? AND s.epoch < ?"
    con.execute(PAIRS_DDL.replace(PAIRS_TABLE, _STAGING_TABLE))
    try:
        for n, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True), start=1):
            a, b = a.to_pydatetime(), b.to_pydatetime()
            _insert(con, where, [a, b, a, b], into=_STAGING_TABLE)
            if progress is not None:
                progress(n, len(edges))
        con.execute(
            f"INSERT INTO {PAIRS_TABLE} SELECT * FROM {_STAGING_TABLE} "
            "ORDER BY kind, space, ground, epoch"
        )
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_STAGING_TABLE}")
    if progress is not None:
        progress(len(edges), len(edges))
