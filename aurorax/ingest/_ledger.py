"""The ingest ledger: which units of work (files, imager-days) are stored, in the repository file.

Table ``ingest_ledger`` (created by the first ``aurorax ingest``; the engine ignores tables it does
not own)::

    unit VARCHAR PRIMARY KEY   -- 'file:<path relative to the archive>' or
                               -- 'day:<program>/<site_uid>/<YYYY-MM-DD>'
    signature VARCHAR          -- file: '<size>:<mtime_ns>'; day: hash of its files' signatures
    records INTEGER            -- ephemeris (file) or data-product (day) records stored

A unit's row is written right after the transaction that stored its records commits. If the
process dies between the two, the unit is done again on the next run and its records *replace*
the stored ones (the repository keys ephemeris by (data_source, epoch) and products by URL), so a
rerun never duplicates and never misses a record.
"""

from __future__ import annotations

__all__ = ["LEDGER_TABLE", "read_ledger", "write_ledger"]

LEDGER_TABLE = "ingest_ledger"
_DDL = f"""
CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (
    unit VARCHAR PRIMARY KEY,
    signature VARCHAR NOT NULL,
    records INTEGER NOT NULL
)
"""


def read_ledger(repo) -> dict[str, str]:
    """``unit -> signature`` of the units stored in the repository (creating the table)."""
    cursor = repo.cursor()
    try:
        cursor.execute(_DDL)
        rows = cursor.execute(f"SELECT unit, signature FROM {LEDGER_TABLE}").fetchall()
    finally:
        cursor.close()
    return dict(rows)


def write_ledger(repo, unit: str, signature: str, records: int) -> None:
    """Record ``unit`` as stored (replacing an older row of it), in one transaction."""
    cursor = repo.cursor()
    try:
        cursor.execute(
            f"INSERT OR REPLACE INTO {LEDGER_TABLE} VALUES (?, ?, ?)",
            [unit, signature, int(records)],
        )
    finally:
        cursor.close()
