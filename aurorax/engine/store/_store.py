"""Opening the DuckDB file: clear errors for missing, corrupt, locked or foreign files, and
creation of the tables in a new file."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ._errors import StoreError
from ._index import INDEX_TABLE, rebuild_index
from ._pairs import PAIRS_TABLE, rebuild_pairs
from ._schema import ADDED_SINCE, DDL, MIGRATABLE_VERSIONS, SCHEMA_VERSION, TABLES

__all__ = ["MEMORY", "open_store"]

MEMORY = ":memory:"


def _open_error(path: str, read_only: bool, exc: duckdb.Error) -> StoreError:
    """Translate DuckDB's open errors into messages that say what is wrong and what to do."""
    text = str(exc)
    if "not a valid DuckDB database file" in text:
        return StoreError(f"repository {path} is corrupt or not a DuckDB database file ({text})")
    if "Corrupt database file" in text or "checksum" in text:
        return StoreError(f"repository {path} is corrupt: {text}")
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = re.search(r"PID (\d+)", text)
        holder = f" (PID {pid.group(1)})" if pid else ""
        return StoreError(
            f"repository {path} is locked by another process{holder}: DuckDB allows one "
            "process to write a file, and no other process to open it meanwhile; close that "
            "process or query through it"
        )
    if read_only and "does not exist" in text:
        return StoreError(f"repository {path} does not exist (opened read-only, so not created)")
    return StoreError(f"cannot open repository {path}: {text}")


def _create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.begin()
    try:
        for statement in DDL:
            con.execute(statement)
        con.execute("INSERT INTO aurorax_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _migrate(con: duckdb.DuckDBPyConnection, name: str, version: str) -> None:
    """Version 1 or 2 -> 3: build the tables the file lacks (the ephemeris index, the
    ground-space pair table) from its ephemeris, in one transaction."""
    added = ADDED_SINCE[version]
    what = " and ".join(
        {INDEX_TABLE: "the ephemeris index", PAIRS_TABLE: "the ground-space pair table"}[t]
        for t in added
    )
    con.begin()
    try:
        if INDEX_TABLE in added:
            rebuild_index(con)
        if PAIRS_TABLE in added:
            rebuild_pairs(con)
        con.execute(
            "UPDATE aurorax_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)]
        )
        con.commit()
    except BaseException as exc:
        con.rollback()
        if isinstance(exc, duckdb.Error):
            raise StoreError(
                f"repository {name}: upgrading schema version {version} to {SCHEMA_VERSION} "
                f"(building {what}) failed, nothing was changed: {exc}"
            ) from exc
        raise


def _check_schema(con: duckdb.DuckDBPyConnection, name: str, read_only: bool) -> None:
    """Accept an aurorax file of this schema version; give an empty file the tables."""
    try:
        tables = {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        }
        if "aurorax_meta" not in tables:
            if tables:
                raise StoreError(
                    f"{name} is a DuckDB file but not an aurorax repository "
                    f"(it has tables {sorted(tables)} and no aurorax_meta)"
                )
            if read_only:
                raise StoreError(
                    f"{name} is an empty DuckDB file; open it once without read_only to "
                    "create the repository tables"
                )
            _create_schema(con)
            return
        row = con.execute("SELECT value FROM aurorax_meta WHERE key = 'schema_version'").fetchone()
        version = None if row is None else row[0]
        # Older versions lack the tables added since; every other table is required.
        required = set(TABLES) - set(ADDED_SINCE.get(version, ()))
        missing = sorted(required - tables)
        if missing:
            raise StoreError(f"repository {name} is incomplete: table(s) {missing} missing")
    except duckdb.Error as exc:
        raise StoreError(f"repository {name} is corrupt: {exc}") from exc
    if version in MIGRATABLE_VERSIONS and not read_only:
        _migrate(con, name, version)
        return
    if version in MIGRATABLE_VERSIONS:
        return  # readable as it is; searches do without the tables it lacks
    if version != str(SCHEMA_VERSION):
        raise StoreError(
            f"repository {name} has schema version {version}; this aurorax reads version "
            f"{SCHEMA_VERSION}"
        )


def open_store(path: str | Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Connect to the repository file (creating it, its directory and tables unless
    ``read_only``) and check that it is an aurorax repository of this schema version.

    Raises
    ------
    StoreError
        Naming the path and the problem: missing, corrupt, locked, foreign, other version.
    """
    name = str(path)
    if name != MEMORY and not read_only:
        try:
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the directory of repository {name}: {exc}") from exc
    try:
        con = duckdb.connect(name, read_only=read_only)
    except duckdb.Error as exc:
        raise _open_error(name, read_only, exc) from exc
    try:
        # DuckDB's own progress bar would print over ours (and into captured output) during
        # long statements such as Repository.optimize().
        try:
            con.execute("SET enable_progress_bar = false")
        except duckdb.InvalidInputException:
            # In Jupyter without ipywidgets DuckDB refuses to touch the setting at all (its bar
            # is off there already): only a bar that is still on is a failure.
            if con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]:
                raise
        _check_schema(con, name, read_only)
    except BaseException:
        con.close()
        raise
    return con
