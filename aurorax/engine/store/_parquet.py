"""The repository as month-partitioned Parquet: export, and a read-only Repository over it.

Layout of an export directory (``aurorax db export --parquet DIR``)::

    DIR/aurorax_export.json                    manifest: format, schema version, files, rows
    DIR/<table>.parquet                        every small table (data_sources, availability...)
    DIR/ephemeris/year=YYYY/month=M/*.parquet  the ephemeris, one folder per UTC month, each
                                               file sorted by (data_source, epoch)

The manifest lists every file, so a reader needs no directory listing: the same export can be
read from a local directory or from an object-store URL (``s3://``, ``gs://``, ``https://``)
that DuckDB's ``httpfs`` extension reads. :class:`ParquetRepository` opens an in-memory DuckDB
database with one view per table, named like the store's tables, so every search runs on it
unchanged; the partition columns are not stored in the files (DuckDB's partitioned write leaves
them in the folder names), so the views have exactly the store's columns. The searches' ephemeris
index is only used on a DuckDB file (see ``aurorax/engine/search/_index.py``): over Parquet,
DuckDB skips row groups by the epoch statistics of each file instead.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import duckdb

from ._errors import StoreError
from ._pairs import PAIRS_TABLE
from ._repository import Repository
from ._schema import DDL, SCHEMA_VERSION, TABLES

__all__ = ["MANIFEST", "export_parquet", "ParquetRepository", "open_repository", "is_url"]

MANIFEST = "aurorax_export.json"
FORMAT = "aurorax-parquet"
_URL_SCHEMES = ("s3://", "s3a://", "gs://", "gcs://", "r2://", "http://", "https://", "az://")


def is_url(location: str | os.PathLike) -> bool:
    """Whether ``location`` is an object-store or HTTP URL rather than a local path."""
    return str(location).lower().startswith(_URL_SCHEMES)


def export_parquet(repository: Repository, directory: str | Path) -> dict:
    """Write every table of ``repository`` to month-partitioned Parquet under ``directory``.

    Parameters
    ----------
    repository : Repository
        An open repository (read-only is enough).
    directory : path
        A new or empty directory (created with its parents). The export is written to a
        sibling ``<name>.partial`` directory and renamed when complete, so a failed export
        leaves nothing behind.

    Returns
    -------
    dict
        The manifest (also written to ``DIR/aurorax_export.json``): ``format``,
        ``schema_version``, ``tables`` (table -> files relative to ``DIR``) and ``rows``
        (table -> row count).

    Raises
    ------
    StoreError
        If ``directory`` exists and is not empty, or the write fails.
    """
    target = Path(directory).expanduser()
    if is_url(directory):
        raise StoreError(
            f"export target {directory}: write the export to a local directory and copy it to "
            "the object store (e.g. with the store's own sync tool)"
        )
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise StoreError(
            f"export target {target} exists and is not an empty directory; nothing was written"
        )
    partial = target.with_name(target.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    cursor = repository.cursor()
    try:
        present = {
            r[0]
            for r in cursor.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = 'main'"
            ).fetchall()
        }
        tables, rows = {}, {}
        for table in TABLES:
            if table not in present or table == PAIRS_TABLE:
                # An older file opened read-only lacks the tables added since; the pair table
                # serves only searches of the DuckDB file (it is as big as the ephemeris).
                continue
            rows[table] = int(cursor.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
            if table == "ephemeris":
                tables[table] = _export_ephemeris(cursor, partial, rows[table])
            else:
                cursor.table(table).write_parquet(str(partial / f"{table}.parquet"))
                tables[table] = [f"{table}.parquet"]
        manifest = {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "source": str(repository.path),
            "tables": tables,
            "rows": rows,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1))
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, duckdb.Error):
            raise StoreError(
                f"Parquet export of {repository.path} to {target} failed, nothing was written: "
                f"{exc}"
            ) from exc
        raise
    finally:
        cursor.close()
    if target.exists():
        target.rmdir()
    partial.rename(target)
    return manifest


def _export_ephemeris(cursor, out: Path, n_rows: int) -> list[str]:
    if n_rows == 0:
        return []
    rel = cursor.sql(
        "SELECT *, year(epoch) AS year, month(epoch) AS month FROM ephemeris "
        "ORDER BY data_source, epoch"
    )
    rel.write_parquet(str(out / "ephemeris"), partition_by=["year", "month"])
    files = sorted(p.relative_to(out).as_posix() for p in (out / "ephemeris").rglob("*.parquet"))
    # Folder order: month=10 sorts before month=2 as text; order by the numbers.
    return sorted(files, key=_partition_key)


def _partition_key(name: str) -> tuple:
    parts = dict(p.split("=", 1) for p in name.split("/") if "=" in p)
    return int(parts.get("year", 0)), int(parts.get("month", 0)), name


def _join(location: str, name: str) -> str:
    if is_url(location):
        return location.rstrip("/") + "/" + name
    return str(Path(location) / name)


def _read_manifest(con: duckdb.DuckDBPyConnection, location: str) -> dict:
    name = _join(location, MANIFEST)
    if is_url(location):
        try:
            text = con.execute("SELECT content FROM read_text(?)", [name]).fetchall()[0][0]
        except duckdb.Error as exc:
            raise StoreError(
                f"Parquet export {location}: cannot read {MANIFEST} ({exc}); is it an aurorax "
                "Parquet export (aurorax db export --parquet DIR)?"
            ) from exc
    else:
        path = Path(location)
        if not path.exists():
            raise StoreError(f"Parquet export {location} does not exist")
        if not path.is_dir():
            raise StoreError(f"Parquet export {location} is not a directory")
        if not (path / MANIFEST).is_file():
            raise StoreError(
                f"{location} is not an aurorax Parquet export: it has no {MANIFEST} "
                "(make one with `aurorax db export --parquet DIR`)"
            )
        text = (path / MANIFEST).read_text()
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise StoreError(f"{name}: not an aurorax Parquet manifest (format is not {FORMAT!r})")
    # Version 3 added only the pair table, which exports leave out: version 2 reads the same.
    if manifest.get("schema_version") not in (2, SCHEMA_VERSION):
        raise StoreError(
            f"{name}: export of schema version {manifest.get('schema_version')}; this aurorax "
            f"reads version {SCHEMA_VERSION} (export the store again with this version)"
        )
    tables = manifest.get("tables")
    missing = [t for t in TABLES if not isinstance(tables, dict) or t not in tables]
    required = [t for t in missing if t in ("aurorax_meta", "data_sources", "ephemeris")]
    if required:
        raise StoreError(f"{name}: the export lists no table(s) {required}")
    return manifest


def _load_httpfs(con: duckdb.DuckDBPyConnection, location: str) -> None:
    try:
        con.execute("LOAD httpfs")
    except duckdb.Error:
        try:
            con.execute("INSTALL httpfs")
            con.execute("LOAD httpfs")
        except duckdb.Error as exc:
            raise StoreError(
                f"Parquet export {location}: reading an object-store URL needs DuckDB's httpfs "
                f"extension, which is not installed and could not be downloaded ({exc}); "
                "install it where the network allows (INSTALL httpfs) or copy the export to a "
                "local directory"
            ) from exc


class ParquetRepository(Repository):
    """A read-only :class:`Repository` over a Parquet export (local directory or URL).

    Every read (``list_data_sources``, ``counts``, ``availability``, the searches) works as on
    the DuckDB file it was exported from; every write raises :class:`StoreError`.

    Parameters
    ----------
    location : str or path
        The export directory, or its URL on an object store DuckDB's ``httpfs`` reads
        (``s3://bucket/prefix``, ``https://host/prefix``; credentials as DuckDB's secrets).

    Raises
    ------
    StoreError
        If the location does not exist, is not an aurorax Parquet export, is of another schema
        version, lists a file that is missing, or is a URL and ``httpfs`` cannot be loaded.
    """

    def __init__(self, location: str | Path) -> None:  # noqa: D107 - documented on the class
        url = is_url(location)
        self.location = str(location) if url else str(Path(location).expanduser())
        self.path = self.location
        self.read_only = True
        self._write_lock = threading.Lock()
        self._changes = 0
        con = duckdb.connect()
        try:
            if url:
                _load_httpfs(con, self.location)
            self.manifest = _read_manifest(con, self.location)
            for table, files in self.manifest["tables"].items():
                if table not in TABLES:
                    continue
                self._view(con, table, [_join(self.location, f) for f in files])
        except BaseException:
            con.close()
            raise
        self._con = con

    def _view(self, con, table: str, files: list[str]) -> None:
        if not is_url(self.location):
            absent = [f for f in files if not Path(f).is_file()]
            if absent:
                raise StoreError(
                    f"Parquet export {self.location} is incomplete: {len(absent)} file(s) of "
                    f"table {table} listed in {MANIFEST} are missing, first {absent[0]}"
                )
        if not files:
            # An empty table (no ephemeris yet): the store's own DDL gives its columns.
            ddl = next(s for s in DDL if f"TABLE IF NOT EXISTS {table} " in s)
            con.execute(ddl)
            return
        try:
            con.read_parquet(files, hive_partitioning=False).create_view(table)
        except duckdb.Error as exc:
            raise StoreError(
                f"Parquet export {self.location}: table {table} cannot be read: {exc}"
            ) from exc

    def __repr__(self) -> str:
        return f"ParquetRepository({self.location!r})"

    def optimize(self) -> None:
        """Not available: a Parquet export is read-only."""
        raise StoreError(f"repository {self.location} is a Parquet export (read-only)")


def open_repository(location: str | Path, read_only: bool = True) -> Repository:
    """Open a repository by location: a DuckDB file, a Parquet export directory, or a URL.

    Parameters
    ----------
    location : str or path
        ``*.duckdb`` (or any file): :class:`Repository`; a directory or an object-store URL:
        :class:`ParquetRepository`.
    read_only : bool
        For a DuckDB file (a Parquet export is always read-only).
    """
    if is_url(location) or Path(location).expanduser().is_dir():
        return ParquetRepository(location)
    return Repository(location, read_only=read_only)
