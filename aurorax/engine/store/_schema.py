"""DDL of the DuckDB repository file (the authoritative table definitions).

Design (measured with ``benchmarks/bench_ingest.py``; see ``docs/repository.md``):

* ``ephemeris`` has no PRIMARY KEY or ART index. On the tens of millions of rows of a
  multi-year store an ART index over (data_source, epoch) costs memory on every open and slows
  every ingest; the searches are time-range scans per data source, which DuckDB's zone maps
  (min/max per row group) already prune when the rows are clustered by (data_source, epoch).
  Ingest therefore sorts every batch by (data_source, epoch) and replaces existing minutes
  with an explicit delete-then-insert inside one transaction; ``Repository.optimize()``
  rewrites the whole table clustered after many small ingests.
* ``data_products`` (thousands of rows, one per URL) and ``availability`` (sources x days) are
  small, so they keep primary keys and the uniqueness guarantees that come with them.
* Times are ``TIMESTAMP`` holding naive UTC (DuckDB's ``TIMESTAMPTZ`` would make every query
  depend on the session's ``TimeZone`` setting).
* Metadata are DuckDB ``JSON`` values (the json extension is built into the duckdb wheel and
  loads offline); the data source's schema says which keys exist and what type they hold.
* ``ephemeris_index`` (version 2) summarises the ephemeris per data source and 10- or 60-minute
  bin (record count, location bounds) for the conjunction search's pruning; see ``_index.py``.
  A version-1 file gains it (built from its ephemeris) when opened for writing; opened
  read-only it stays at version 1 and searches scan it whole.
* ``ephemeris_pairs`` (version 3) lists every minute a ground source and a spacecraft are
  within 1,000 km, for the two-block search's fast path; see ``_pairs.py``. Older files gain
  it when opened for writing; read-only they are searched without it.
"""

from __future__ import annotations

from ._index import INDEX_DDL, INDEX_TABLE
from ._pairs import PAIRS_DDL, PAIRS_TABLE

__all__ = ["SCHEMA_VERSION", "DDL", "TABLES"]

SCHEMA_VERSION = 3
#: Older versions this aurorax opens (read-only as they are; migrated when opened for writing).
MIGRATABLE_VERSIONS = ("1", "2")
#: The tables each older version lacks.
ADDED_SINCE = {"1": (INDEX_TABLE, PAIRS_TABLE), "2": (PAIRS_TABLE,)}

TABLES = (
    "aurorax_meta",
    "data_sources",
    "ephemeris",
    "data_products",
    "availability",
    INDEX_TABLE,
    PAIRS_TABLE,
)

DDL = (
    """
    CREATE TABLE IF NOT EXISTS aurorax_meta (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS data_sources (
        identifier INTEGER PRIMARY KEY,
        program VARCHAR NOT NULL,
        platform VARCHAR NOT NULL,
        instrument_type VARCHAR NOT NULL,
        source_type VARCHAR NOT NULL CHECK (source_type IN
            ('ground', 'leo', 'heo', 'lunar', 'event_list', 'not_applicable')),
        display_name VARCHAR NOT NULL,
        owner VARCHAR NOT NULL DEFAULT '',
        metadata JSON NOT NULL DEFAULT '{}',
        ephemeris_metadata_schema JSON NOT NULL DEFAULT '[]',
        data_product_metadata_schema JSON NOT NULL DEFAULT '[]',
        UNIQUE (program, platform, instrument_type)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS ephemeris (
        data_source INTEGER NOT NULL,
        epoch TIMESTAMP NOT NULL,
        geo_lat DOUBLE,
        geo_lon DOUBLE,
        gsm_lat DOUBLE,
        gsm_lon DOUBLE,
        nbtrace_lat DOUBLE,
        nbtrace_lon DOUBLE,
        sbtrace_lat DOUBLE,
        sbtrace_lon DOUBLE,
        metadata JSON NOT NULL DEFAULT '{}'
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS data_products (
        url VARCHAR PRIMARY KEY,
        data_source INTEGER NOT NULL,
        data_product_type VARCHAR NOT NULL CHECK (data_product_type IN
            ('keogram', 'montage', 'movie', 'summary_plot', 'data_availability')),
        start TIMESTAMP NOT NULL,
        "end" TIMESTAMP NOT NULL,
        metadata JSON NOT NULL DEFAULT '{}',
        CHECK (start <= "end")
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS availability (
        data_source INTEGER NOT NULL,
        day DATE NOT NULL,
        ephemeris_count INTEGER NOT NULL DEFAULT 0,
        data_product_count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (data_source, day)
    )
    """,
    INDEX_DDL,
    PAIRS_DDL,
)

# Column order of the ephemeris table, shared by ingest and the record converters.
EPHEMERIS_LOCATION_COLUMNS = (
    "geo_lat",
    "geo_lon",
    "gsm_lat",
    "gsm_lon",
    "nbtrace_lat",
    "nbtrace_lon",
    "sbtrace_lat",
    "sbtrace_lon",
)
