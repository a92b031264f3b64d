"""The shipped table of demo imager sites (``data/sites.csv``) and its loader."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["SITES_COLUMNS", "SitesFileError", "load_sites", "sites_csv_candidates"]

#: Columns of :func:`load_sites`, in order.
SITES_COLUMNS = (
    "program",
    "site_uid",
    "platform",
    "instrument_type",
    "display_name",
    "lat",
    "lon",
    "alt_km",
)

_STRING_COLUMNS = SITES_COLUMNS[:5]
_FLOAT_COLUMNS = SITES_COLUMNS[5:]


class SitesFileError(ValueError):
    """The sites table is missing or has a row aurorax cannot use."""


def sites_csv_candidates() -> tuple[Path, ...]:
    """Places :func:`load_sites` looks for ``sites.csv``, in order.

    1. ``data/sites.csv`` at the root of a source checkout (beside the ``aurorax`` package);
    2. ``<prefix>/share/aurorax/sites.csv`` where an installed wheel puts it (the
       ``[tool.setuptools.data-files]`` entry ``"share/aurorax" = ["data/sites.csv"]``), for both the
       interpreter prefix and the ``data`` scheme path of the running environment.
    """
    checkout = Path(__file__).resolve().parents[2] / "data" / "sites.csv"
    prefixes = [Path(sysconfig.get_path("data")), Path(sys.prefix)]
    installed = [p / "share" / "aurorax" / "sites.csv" for p in prefixes]
    ordered: list[Path] = []
    for path in (checkout, *installed):
        if path not in ordered:
            ordered.append(path)
    return tuple(ordered)


def _find_sites_csv() -> Path:
    candidates = sites_csv_candidates()
    for path in candidates:
        if path.is_file():
            return path
    searched = ", ".join(str(p) for p in candidates)
    raise SitesFileError(f"cannot find the demo sites table sites.csv; looked in: {searched}")


def load_sites(path: str | Path | None = None) -> pd.DataFrame:
    """Read the demo imager sites table.

    Parameters
    ----------
    path
        CSV file to read; by default the shipped ``data/sites.csv`` (see
        :func:`sites_csv_candidates` for where it is looked for).

    Returns
    -------
    pandas.DataFrame
        One row per imager (program + site), columns :data:`SITES_COLUMNS`: ``program``
        (``themis-asi``, ``rego``, ``trex``), ``site_uid`` (4-letter code), ``platform`` (lower-case
        site name as AuroraX uses it), ``instrument_type``, ``display_name``, geodetic ``lat`` and
        ``lon`` (degrees, lon in -180..180) and ``alt_km`` (site altitude, km).

    Raises
    ------
    SitesFileError
        If the file cannot be found, lacks a column, has an empty or non-numeric value, a
        coordinate out of range, or a duplicate (program, site_uid) pair. The message names the
        file, the row (1-based data row) and the column.
    """
    csv = Path(path) if path is not None else _find_sites_csv()
    if not csv.is_file():
        raise SitesFileError(f"sites table {csv} does not exist")
    table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    missing = [c for c in SITES_COLUMNS if c not in table.columns]
    if missing:
        raise SitesFileError(
            f"sites table {csv} lacks column(s) {missing}; expected {list(SITES_COLUMNS)}"
        )
    table = table[list(SITES_COLUMNS)].copy()
    for column in SITES_COLUMNS:
        blank = np.flatnonzero(table[column].str.strip() == "")
        if blank.size:
            raise SitesFileError(f"sites table {csv} row {blank[0] + 1}: column {column} is empty")
    for column in _STRING_COLUMNS:
        table[column] = table[column].str.strip()
    for column in _FLOAT_COLUMNS:
        values = pd.to_numeric(table[column], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if bad.size:
            raise SitesFileError(
                f"sites table {csv} row {bad[0] + 1}: column {column} is not a number "
                f"({table[column].iloc[bad[0]]!r})"
            )
        table[column] = values.astype("float64")
    limits = {"lat": (-90.0, 90.0), "lon": (-180.0, 180.0), "alt_km": (-1.0, 10.0)}
    for column, (low, high) in limits.items():
        bad = np.flatnonzero(~table[column].between(low, high).to_numpy())
        if bad.size:
            raise SitesFileError(
                f"sites table {csv} row {bad[0] + 1}: column {column} = "
                f"{table[column].iloc[bad[0]]} is outside [{low}, {high}]"
            )
    duplicated = np.flatnonzero(table.duplicated(["program", "site_uid"]).to_numpy())
    if duplicated.size:
        row = table.iloc[duplicated[0]]
        raise SitesFileError(
            f"sites table {csv} row {duplicated[0] + 1}: duplicate program/site_uid "
            f"{row['program']}/{row['site_uid']}"
        )
    return table.reset_index(drop=True)
