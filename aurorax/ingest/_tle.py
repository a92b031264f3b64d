"""Two-line element set files: parsing and mod-10 checksum verification.

The text format of public TLE catalogues (CelesTrak, Space-Track): an optional name line followed
by line 1 and line 2; a file may hold several element sets (epochs) for one or more satellites.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sgp4.api import Satrec

from aurorax.demo import ecef_to_geodetic, teme_to_ecef

__all__ = ["TLEError", "TwoLineElement", "read_tle", "tle_checksum", "tle_positions"]


class TLEError(ValueError):
    """A TLE file that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class TwoLineElement:
    """One element set: optional name, the two lines, and where it came from."""

    name: str | None
    line1: str
    line2: str
    catalog_number: str


def tle_checksum(line: str) -> int:
    """Return the mod-10 checksum of the first 68 characters of a TLE line.

    Digits count their value, a minus sign counts 1, everything else 0.
    """
    total = 0
    for char in line[:68]:
        if char.isdigit():
            total += int(char)
        elif char == "-":
            total += 1
    return total % 10


def _check(path: Path, number: int, line: str) -> None:
    if len(line) < 69 or not line[68].isdigit():
        raise TLEError(
            f"{path}: line {number}: TLE line must be 69 characters ending in a checksum digit"
        )
    expected = tle_checksum(line)
    if int(line[68]) != expected:
        raise TLEError(f"{path}: line {number}: bad TLE checksum {line[68]}, expected {expected}")


def read_tle(path: str | Path) -> list[TwoLineElement]:
    """Read every element set in a TLE file, verifying each line's checksum.

    Parameters
    ----------
    path : str or Path
        Text file of optional name lines and TLE line pairs.

    Returns
    -------
    list of TwoLineElement
        In file order.

    Raises
    ------
    TLEError
        A bad checksum (naming the file, the 1-based line number and the expected digit), a line 1
        without its line 2, or a file with no element sets.
    """
    path = Path(path)
    lines = path.read_text().splitlines()
    out: list[TwoLineElement] = []
    name: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
            continue
        if line.startswith("1 ") and len(line) >= 69:
            if i + 1 >= len(lines) or not lines[i + 1].startswith("2 "):
                raise TLEError(f"{path}: line {i + 1}: TLE line 1 without a following line 2")
            line2 = lines[i + 1].rstrip()
            _check(path, i + 1, line)
            _check(path, i + 2, line2)
            if line[2:7] != line2[2:7]:
                raise TLEError(f"{path}: line {i + 2}: catalogue number differs from line {i + 1}")
            out.append(TwoLineElement(name, line, line2, line[2:7].strip()))
            name = None
            i += 2
            continue
        name = line.strip().removeprefix("0 ")
        i += 1
    if not out:
        raise TLEError(f"{path}: no two-line element sets found")
    return out


def tle_positions(tles, times, max_backfill_days: float = 1.0):
    """Propagate element sets to geodetic positions, each time using the nearest preceding set.

    Parameters
    ----------
    tles : list of TwoLineElement
        Element sets of one satellite (any order).
    times : array-like of datetime
        UTC times (naive = UTC).
    max_backfill_days : float
        A time before the first epoch uses the first set only within this many days; otherwise
        it is skipped.

    Returns
    -------
    pandas.DataFrame
        Columns ``epoch`` (UTC), ``geo_lat`` / ``geo_lon`` (deg), ``altitude_km``; times skipped
        (too early, or SGP4 errors) are left out. ``DataFrame.attrs["skipped"]`` counts them.
    """
    index = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(times)))
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    sats = sorted(
        (Satrec.twoline2rv(t.line1, t.line2) for t in tles),
        key=lambda s: s.jdsatepoch + s.jdsatepochF,
    )
    epochs = np.array([s.jdsatepoch + s.jdsatepochF for s in sats])
    ns = index.as_unit("ns").asi8.astype(np.int64)
    days, rem = np.divmod(ns, 86_400_000_000_000)
    jd = 2440587.5 + days.astype(float)
    fr = rem / 86_400e9
    which = np.searchsorted(epochs, jd + fr, side="right") - 1
    early = which < 0
    keep = ~early | (epochs[0] - (jd + fr) <= max_backfill_days)
    which = np.clip(which, 0, None)
    r = np.full((len(index), 3), np.nan)
    err = np.zeros(len(index), dtype=int)
    for k, sat in enumerate(sats):
        sel = np.flatnonzero((which == k) & keep)
        if sel.size:
            e, rr, _ = sat.sgp4_array(jd[sel], fr[sel])
            r[sel], err[sel] = rr, e
    ok = keep & (err == 0) & np.isfinite(r).all(axis=1)
    lat, lon, alt = ecef_to_geodetic(teme_to_ecef(r[ok], index[ok]))
    frame = pd.DataFrame({"epoch": index[ok], "geo_lat": lat, "geo_lon": lon, "altitude_km": alt})
    frame.attrs["skipped"] = int((~ok).sum())
    return frame
