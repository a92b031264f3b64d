"""The Repository: one DuckDB file holding data sources, ephemeris, data products and
availability, with validated, transactional ingest.

Concurrency follows DuckDB's model: one process may open the file for writing; inside that
process, readers take their own cursor (:meth:`Repository.cursor`) and see committed data.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from ._errors import ConflictError, StoreError, ValidationError
from ._index import INDEX_TABLE, rebuild_index
from ._ingest import (
    data_product_records_to_frame,
    delete_data_products,
    delete_ephemeris,
    ephemeris_records_to_frame,
    write_data_products,
    write_ephemeris,
)
from ._pairs import PAIRS_TABLE, rebuild_pairs
from ._records import DataSource
from ._schema import DDL, TABLES
from ._sources import DataSources
from ._store import MEMORY, open_store
from ._validate import prepare_data_products, prepare_ephemeris, to_utc_naive

__all__ = ["Repository"]


def _to_frame(kind: str, records, sources: dict[int, DataSource]) -> pd.DataFrame:
    if isinstance(records, pd.DataFrame):
        return records
    if isinstance(records, Mapping) or not isinstance(records, Sequence | Iterable):
        raise ValidationError(
            f"{kind} records must be a pandas DataFrame or a list of dicts, got "
            f"{type(records).__name__}"
        )
    records = list(records)
    if kind == "ephemeris":
        return ephemeris_records_to_frame(records, sources)
    return data_product_records_to_frame(records, sources)


def _prepared(kind: str, prepare, records, sources: dict[int, DataSource]):
    """``prepare(frame, sources)`` of the records; an integer no float or BIGINT holds is a
    ValidationError (pandas raises a bare OverflowError deep in its conversions)."""
    try:
        return prepare(_to_frame(kind, records, sources), sources)
    except OverflowError as exc:
        raise ValidationError(
            f"{kind} records: a number is out of range ({exc}); integers must lie in "
            "[-2**63, 2**63) and other numbers be finite"
        ) from None


def _utc(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column]).dt.tz_localize("UTC")
    return frame


class Repository(DataSources):
    """The aurorax data repository: a DuckDB file at ``path``.

    Parameters
    ----------
    path
        The DuckDB file (created with its parent directories unless ``read_only``), or
        ``":memory:"`` for a throw-away in-memory store.
    read_only
        Open without the ability to write; the file must already be a repository.

    Raises
    ------
    StoreError
        If the file is missing (read-only), corrupt, not an aurorax repository, of another
        schema version, or locked by another process.

    Examples
    --------
    >>> with Repository("/tmp/aurorax.duckdb") as repo:  # doctest: +SKIP
    ...     gill = repo.add_data_source(DataSource("themis-asi", "gillam",
    ...         "panchromatic ASI", "ground", "THEMIS-ASI GILL"))
    ...     repo.ingest_ephemeris(frame)
    """

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = path if str(path) == MEMORY else Path(path).expanduser()
        self.read_only = bool(read_only)
        self._write_lock = threading.Lock()
        self._changes = 0
        self._con = open_store(self.path, self.read_only)

    @property
    def changes(self) -> int:
        """Write transactions committed through this object so far.

        Caches of reads key on it (with the file's modification time): in-process writes do
        not always change the file's mtime before a checkpoint.
        """
        return self._changes

    def close(self) -> None:
        """Close the connection (cursors handed out become unusable)."""
        self._con.close()

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = ", read_only=True" if self.read_only else ""
        return f"Repository({str(self.path)!r}{mode})"

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new DuckDB cursor on this repository for read queries (one per reader/thread)."""
        return self._con.cursor()

    @contextmanager
    def _reading(self, action: str) -> Iterator[None]:
        """Report DuckDB failures while reading (e.g. a block failing its checksum in a
        corrupt file) as :class:`StoreError` naming the file."""
        try:
            yield
        except duckdb.Error as exc:
            raise StoreError(f"{action} failed in repository {self.path}: {exc}") from exc

    def _query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        cursor = self.cursor()
        try:
            return cursor.execute(sql, params or []).df()
        finally:
            cursor.close()

    def verify(self) -> None:
        """Read every stored value once, so a damaged file is found now rather than mid-search.

        DuckDB checks a block's checksum only when the block is read, so opening a damaged
        file succeeds. This reads all columns of all tables (about a second per 10 million
        ephemeris rows).

        Raises
        ------
        StoreError
            ``repository <path> is corrupt (table <name>): ...`` with DuckDB's finding.
        """
        present = set(self._query("SELECT table_name FROM duckdb_tables()")["table_name"])
        for table in TABLES:
            if table in (INDEX_TABLE, PAIRS_TABLE) and table not in present:
                continue  # an older file opened read-only lacks the tables added since
            try:
                self._query(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {table}")
            except duckdb.Error as exc:
                raise StoreError(
                    f"repository {self.path} is corrupt (table {table}): {exc}"
                ) from exc

    def _transaction(self, kind: str, work) -> None:
        """Run ``work(connection)`` in one transaction; on any failure nothing changes."""
        if self.read_only:
            raise StoreError(f"repository {self.path} is open read-only; cannot {kind}")
        # One writer: threads sharing this Repository take turns on the write connection.
        with self._write_lock:
            self._con.begin()
            try:
                work(self._con)
                self._con.commit()
                self._changes += 1
            except BaseException as exc:
                try:
                    self._con.rollback()
                except duckdb.Error:
                    pass  # a failed COMMIT has already ended (and discarded) the transaction
                if isinstance(exc, duckdb.Error):
                    raise StoreError(
                        f"{kind} failed in repository {self.path}, nothing was stored: {exc}"
                    ) from exc
                raise

    # -- records --------------------------------------------------------------------------

    def ingest_ephemeris(self, records: pd.DataFrame | Sequence[Mapping]) -> int:
        """Validate and store ephemeris records; a minute already stored is replaced.

        Parameters
        ----------
        records
            The columnar frame (``data_source, epoch, geo_lat ... sbtrace_lon`` in degrees,
            metadata as ``metadata`` dicts or ``metadata.<field>`` columns) or a list of
            AuroraX-shaped dicts.

        Returns
        -------
        int
            Number of records stored.

        Raises
        ------
        ValidationError, NotFoundError
            Naming the first bad record, the field and how many others; nothing is stored.
        StoreError
            If the write fails; the transaction is rolled back so nothing changes.
        """
        sources = self._sources()
        batch = _prepared("ephemeris", prepare_ephemeris, records, sources)
        if batch.num_rows:
            self._transaction("ephemeris ingest", lambda con: write_ephemeris(con, batch))
        return batch.num_rows

    def ingest_data_products(self, records: pd.DataFrame | Sequence[Mapping]) -> int:
        """Validate and store data-product records; an already stored ``url`` is replaced.

        ``records`` is a frame with ``data_source, data_product_type, start, end, url`` and
        metadata, or a list of AuroraX-shaped dicts. Returns the number stored; raises like
        :meth:`ingest_ephemeris`.
        """
        sources = self._sources()
        batch = _prepared("data product", prepare_data_products, records, sources)
        if batch.num_rows:
            self._transaction("data product ingest", lambda con: write_data_products(con, batch))
        return batch.num_rows

    def delete_ephemeris(self, data_source: int | DataSource, start, end) -> int:
        """Delete a data source's ephemeris records with ``start <= epoch < end`` (UTC).

        Returns the number of records deleted; availability is recounted for those days.
        """
        source_id = self._source_id(data_source)
        first, last = to_utc_naive(start, "start"), to_utc_naive(end, "end")
        if first >= last:
            raise ValidationError(f"end {last} must be after start {first} (UTC, [start, end))")
        counted: list[int] = []
        self._transaction(
            "ephemeris delete",
            lambda con: counted.append(delete_ephemeris(con, source_id, first, last)),
        )
        return counted[0]

    def delete_data_products(
        self, urls: Iterable[str], data_source: int | DataSource | None = None
    ) -> int:
        """Delete the data products with these URLs (unknown URLs are ignored); returns how
        many were deleted.

        With ``data_source``, the URLs must be that source's products: a URL stored under
        another source raises :class:`ConflictError` (naming it) and nothing is deleted.
        """
        if isinstance(urls, str):
            urls = [urls]
        urls = list(urls)
        bad = [u for u in urls if not isinstance(u, str)]
        if bad:
            raise ValidationError(f"urls must be strings, got {bad[0]!r}")
        if not urls:
            return 0
        source_id = None if data_source is None else self._source_id(data_source)
        counted: list[int] = []

        def work(con):
            # Checked inside the delete's transaction, so no product can move in between.
            other = None
            if source_id is not None:
                other = con.execute(
                    "SELECT url, data_source FROM data_products "
                    "WHERE list_contains(?::VARCHAR[], url) AND data_source <> ? "
                    "ORDER BY url LIMIT 1",
                    [urls, source_id],
                ).fetchone()
            if other is not None:
                raise ConflictError(
                    f"data product {other[0]!r} belongs to data source {other[1]}, not "
                    f"{source_id}; nothing was deleted"
                )
            counted.append(delete_data_products(con, urls))

        self._transaction("data product delete", work)
        return counted[0]

    def optimize(self) -> None:
        """Rewrite the ephemeris table clustered by (data_source, epoch), rebuild the ephemeris
        index and the ground-space pair table from it, and checkpoint.

        Ingest sorts each batch, but many small batches interleave sources; one rewrite
        restores tight zone maps (fast per-source time-range scans). Takes roughly as long
        as ingesting the table once.
        """
        ephemeris_ddl = next(s for s in DDL if "TABLE IF NOT EXISTS ephemeris" in s)

        def work(con):
            con.execute("ALTER TABLE ephemeris RENAME TO _ephemeris_unsorted")
            con.execute(ephemeris_ddl)
            con.execute(
                "INSERT INTO ephemeris SELECT * FROM _ephemeris_unsorted "
                "ORDER BY data_source, epoch"
            )
            con.execute("DROP TABLE _ephemeris_unsorted")
            rebuild_index(con)
            rebuild_pairs(con)

        self._transaction("optimize", work)
        with self._write_lock:
            self._con.execute("CHECKPOINT")  # write the rewritten table out, free old blocks

    # -- summaries ------------------------------------------------------------------------

    def counts(self) -> pd.DataFrame:
        """Records per data source.

        Returns
        -------
        pandas.DataFrame
            ``identifier, program, platform, instrument_type, display_name, source_type,
            ephemeris_count, data_product_count, first_epoch, last_epoch`` (UTC, NaT when a
            source has no ephemeris), one row per data source ordered by identifier.
        """
        with self._reading("counts"):
            frame = self._query(
                """
            SELECT s.identifier, s.program, s.platform, s.instrument_type, s.display_name,
                   s.source_type,
                   coalesce(e.n, 0)::BIGINT AS ephemeris_count,
                   coalesce(p.n, 0)::BIGINT AS data_product_count,
                   e.first_epoch, e.last_epoch
            FROM data_sources AS s
            LEFT JOIN (SELECT data_source, count(*) AS n, min(epoch) AS first_epoch,
                              max(epoch) AS last_epoch
                       FROM ephemeris GROUP BY data_source) AS e
              ON e.data_source = s.identifier
            LEFT JOIN (SELECT data_source, count(*) AS n FROM data_products
                       GROUP BY data_source) AS p
              ON p.data_source = s.identifier
            ORDER BY s.identifier
            """
            )
        return _utc(frame, ["first_epoch", "last_epoch"])

    def availability(self, start=None, end=None, data_sources=None) -> pd.DataFrame:
        """Daily record counts per data source (the AuroraX availability view).

        Parameters
        ----------
        start, end
            UTC times; days overlapping ``[start, end)`` are returned. ``None`` = unbounded.
        data_sources
            Identifiers or :class:`DataSource` objects; ``None`` = all.

        Returns
        -------
        pandas.DataFrame
            ``data_source, day`` (UTC midnight), ``ephemeris_count, data_product_count``, only
            for days that have records, ordered by data source and day.
        """
        first_day = None if start is None else to_utc_naive(start, "start").floor("D")
        end_day = None if end is None else to_utc_naive(end, "end").ceil("D")
        ids = None
        if data_sources is not None:
            if isinstance(data_sources, int | DataSource):
                data_sources = [data_sources]
            ids = [s.identifier if isinstance(s, DataSource) else int(s) for s in data_sources]
        with self._reading("availability"):
            frame = self._query(
                """
            SELECT data_source, day, ephemeris_count::BIGINT AS ephemeris_count,
                   data_product_count::BIGINT AS data_product_count
            FROM availability
            WHERE ($1 IS NULL OR day >= CAST($1 AS DATE))
              AND ($2 IS NULL OR day < CAST($2 AS DATE))
              AND ($3 IS NULL OR list_contains($3::INTEGER[], data_source))
            ORDER BY data_source, day
            """,
                [first_day, end_day, ids],
            )
        return _utc(frame, ["day"])
