"""The Repository: one DuckDB file holding data sources, ephemeris, data products and
availability, with validated, transactional ingest.

Concurrency follows DuckDB's model: one process may open the file for writing; inside that
process, readers take their own cursor (:meth:`Repository.cursor`) and see committed data.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from ._errors import ConflictError, DuplicateError, NotFoundError, StoreError, ValidationError
from ._ingest import (
    data_product_records_to_frame,
    delete_data_products,
    delete_ephemeris,
    ephemeris_records_to_frame,
    write_data_products,
    write_ephemeris,
)
from ._records import DataSource
from ._schema import DDL, TABLES
from ._store import MEMORY, open_store
from ._validate import describe_source, prepare_data_products, prepare_ephemeris, to_utc_naive

__all__ = ["Repository"]

_SOURCE_COLUMNS = (
    "identifier, program, platform, instrument_type, source_type, display_name, owner, "
    "metadata, ephemeris_metadata_schema, data_product_metadata_schema"
)


def _source_values(record: dict) -> list:
    """The data_sources columns after ``identifier``, in ``_SOURCE_COLUMNS`` order."""
    return [
        record["program"],
        record["platform"],
        record["instrument_type"],
        record["source_type"],
        record["display_name"],
        record["owner"],
        json.dumps(record["metadata"]),
        json.dumps(record["ephemeris_metadata_schema"]),
        json.dumps(record["data_product_metadata_schema"]),
    ]


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


def _utc(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column]).dt.tz_localize("UTC")
    return frame


class Repository:
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
        for table in TABLES:
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

    # -- data sources -------------------------------------------------------------------

    @staticmethod
    def _source_from_row(row: tuple) -> DataSource:
        (identifier, program, platform, instrument_type, source_type, display_name, owner,
         metadata, ephemeris_schema, product_schema) = row  # fmt: skip
        return DataSource(
            program=program,
            platform=platform,
            instrument_type=instrument_type,
            source_type=source_type,
            display_name=display_name,
            identifier=identifier,
            owner=owner,
            metadata=json.loads(metadata),
            ephemeris_metadata_schema=json.loads(ephemeris_schema),
            data_product_metadata_schema=json.loads(product_schema),
        )

    def _sources(self) -> dict[int, DataSource]:
        cursor = self.cursor()  # not the write connection, which another thread may hold
        with self._reading("reading data sources"):
            try:
                rows = cursor.execute(
                    f"SELECT {_SOURCE_COLUMNS} FROM data_sources ORDER BY identifier"
                ).fetchall()
            finally:
                cursor.close()
        return {row[0]: self._source_from_row(row) for row in rows}

    def add_data_source(self, data_source: DataSource, exist_ok: bool = False) -> DataSource:
        """Store a new data source and return it with its identifier.

        Parameters
        ----------
        data_source
            The source; without an ``identifier`` the next free one (max + 1, starting at 1)
            is assigned.
        exist_ok
            If the same (program, platform, instrument_type) is already stored with identical
            fields, return the stored source instead of raising.

        Raises
        ------
        DuplicateError
            If the identifier or the (program, platform, instrument_type) triple is taken.
        """
        if not isinstance(data_source, DataSource):
            data_source = DataSource.from_dict(data_source)
        sources = self._sources()
        triple = (data_source.program, data_source.platform, data_source.instrument_type)
        for stored in sources.values():
            if (stored.program, stored.platform, stored.instrument_type) != triple:
                continue
            wanted = data_source.to_dict() | {"identifier": stored.identifier}
            if data_source.identifier in (None, stored.identifier) and exist_ok:
                if stored.to_dict() == wanted:
                    return stored
            raise DuplicateError(
                f"data source program={triple[0]!r}, platform={triple[1]!r}, "
                f"instrument_type={triple[2]!r} already exists as identifier "
                f"{stored.identifier}" + (" with different fields" if exist_ok else "")
            )
        identifier = data_source.identifier
        if identifier is None:
            identifier = max((i for i in sources if i > 0), default=0) + 1
        elif identifier in sources:
            raise DuplicateError(
                f"data source identifier {identifier} is already used by "
                f"{describe_source(sources[identifier])}"
            )
        record = data_source.to_dict() | {"identifier": identifier}
        self._transaction(
            "add data source",
            lambda con: con.execute(
                f"INSERT INTO data_sources ({_SOURCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [identifier, *_source_values(record)],
            ),
        )
        return DataSource.from_dict(record)

    def update_data_source(
        self, data_source: int | DataSource, changes: Mapping, replace: bool = False
    ) -> DataSource:
        """Change the fields of a stored data source; returns the source as stored.

        Parameters
        ----------
        data_source
            The stored source (or its identifier).
        changes
            Fields to change (``program``, ``display_name``, ``metadata``, the metadata
            schemas, ...), validated as :meth:`add_data_source` validates a new source. An
            ``identifier`` in it must be the source's own: identifiers never change (the
            records point at them).
        replace
            False: the fields not in ``changes`` keep their stored values (HTTP PATCH). True:
            ``changes`` is the whole new source and absent fields take their defaults (PUT).

        Raises
        ------
        NotFoundError
            No such source.
        ValidationError
            A field fails validation, or the identifier would change.
        DuplicateError
            The new (program, platform, instrument_type) belongs to another source.
        """
        stored = self.get_data_source(self._source_id(data_source))
        if not isinstance(changes, Mapping):
            raise ValidationError(
                f"data source changes: expected a mapping of fields, got {type(changes).__name__}"
            )
        if changes.get("identifier", stored.identifier) != stored.identifier:
            raise ValidationError(
                f"identifier: data source {stored.identifier} cannot become "
                f"{changes['identifier']!r} (identifiers never change)"
            )
        record = ({} if replace else stored.to_dict()) | dict(changes)
        updated = DataSource.from_dict(record | {"identifier": stored.identifier})
        triple = (updated.program, updated.platform, updated.instrument_type)
        taken = [
            o.identifier
            for o in self._sources().values()
            if (o.program, o.platform, o.instrument_type) == triple
            and o.identifier != stored.identifier
        ]
        if taken:
            raise DuplicateError(
                f"data source program={triple[0]!r}, platform={triple[1]!r}, "
                f"instrument_type={triple[2]!r} already exists as identifier {taken[0]}"
            )
        self._transaction(
            "data source update",
            lambda con: con.execute(
                "UPDATE data_sources SET program = ?, platform = ?, instrument_type = ?, "
                "source_type = ?, display_name = ?, owner = ?, metadata = ?, "
                "ephemeris_metadata_schema = ?, data_product_metadata_schema = ? "
                "WHERE identifier = ?",
                [*_source_values(updated.to_dict()), stored.identifier],
            ),
        )
        return updated

    def get_data_source(
        self,
        identifier: int | None = None,
        *,
        program: str | None = None,
        platform: str | None = None,
        instrument_type: str | None = None,
    ) -> DataSource:
        """One data source by ``identifier`` or by its (program, platform, instrument_type).

        Raises
        ------
        NotFoundError
            Naming what was asked for and the programs that exist.
        """
        sources = self._sources()
        triple = (program, platform, instrument_type)
        if identifier is not None:
            if identifier in sources:
                return sources[identifier]
            wanted = f"identifier {identifier}"
        elif None not in triple:
            for source in sources.values():
                if (source.program, source.platform, source.instrument_type) == triple:
                    return source
            wanted = (
                f"program={program!r}, platform={platform!r}, instrument_type={instrument_type!r}"
            )
        else:
            raise ValidationError(
                "get_data_source needs an identifier or all of program, platform and "
                "instrument_type"
            )
        programs = sorted({s.program for s in sources.values()})
        raise NotFoundError(f"no data source with {wanted}; programs that exist: {programs}")

    def list_data_sources(
        self,
        program: str | None = None,
        platform: str | None = None,
        instrument_type: str | None = None,
        source_type: str | None = None,
    ) -> list[DataSource]:
        """Data sources matching every given field exactly, ordered by identifier."""
        wanted = {
            "program": program,
            "platform": platform,
            "instrument_type": instrument_type,
            "source_type": source_type,
        }
        return [
            s
            for s in self._sources().values()
            if all(v is None or getattr(s, k) == v for k, v in wanted.items())
        ]

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
        batch = prepare_ephemeris(_to_frame("ephemeris", records, sources), sources)
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
        batch = prepare_data_products(_to_frame("data product", records, sources), sources)
        if batch.num_rows:
            self._transaction("data product ingest", lambda con: write_data_products(con, batch))
        return batch.num_rows

    def _source_id(self, data_source: int | DataSource) -> int:
        identifier = data_source.identifier if isinstance(data_source, DataSource) else data_source
        return self.get_data_source(identifier).identifier  # NotFoundError if unknown

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
        if data_source is not None and urls:
            source_id = self._source_id(data_source)
            with self._reading("reading data products"):
                others = self._query(
                    "SELECT url, data_source FROM data_products "
                    "WHERE list_contains($1::VARCHAR[], url) AND data_source <> $2 "
                    "ORDER BY url LIMIT 1",
                    [urls, source_id],
                )
            if len(others):
                raise ConflictError(
                    f"data product {others['url'].iloc[0]!r} belongs to data source "
                    f"{int(others['data_source'].iloc[0])}, not {source_id}; nothing was deleted"
                )
        counted: list[int] = []
        if urls:
            self._transaction(
                "data product delete",
                lambda con: counted.append(delete_data_products(con, urls)),
            )
        return counted[0] if counted else 0

    def delete_data_source(self, data_source: int | DataSource) -> None:
        """Delete a data source that has no records left.

        Raises
        ------
        ConflictError
            If ephemeris or data products of the source are still stored (as AuroraX answers
            409 Conflict); delete those first.
        """
        source = self.get_data_source(self._source_id(data_source))
        with self._reading("counting records"):
            counts = self._query(
                "SELECT (SELECT count(*) FROM ephemeris WHERE data_source = $1) AS e, "
                "(SELECT count(*) FROM data_products WHERE data_source = $1) AS p",
                [source.identifier],
            ).iloc[0]
        if counts["e"] or counts["p"]:
            raise ConflictError(
                f"data source {describe_source(source)} still has {int(counts['e'])} ephemeris "
                f"record(s) and {int(counts['p'])} data product(s); delete them first"
            )

        def work(con):
            con.execute("DELETE FROM availability WHERE data_source = ?", [source.identifier])
            con.execute("DELETE FROM data_sources WHERE identifier = ?", [source.identifier])

        self._transaction("data source delete", work)

    def optimize(self) -> None:
        """Rewrite the ephemeris table clustered by (data_source, epoch) and checkpoint.

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
