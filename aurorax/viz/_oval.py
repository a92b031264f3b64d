"""The statistical auroral oval (``aurorax.geo.feldstein_oval``) on the 1024 x 512 global grid."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from aurorax.asi import GlobalGrid
from aurorax.geo import feldstein_oval, geo_to_aacgm, magnetic_local_time

__all__ = ["OVAL_ALTITUDE_KM", "oval_grid"]

#: Height at which the grid cells are mapped to magnetic coordinates, km (the auroral emission
#: altitude the images are regridded at).
OVAL_ALTITUDE_KM = 110.0


@functools.lru_cache(maxsize=4)
def _magnetic_grid(day: pd.Timestamp, n_lat: int, n_lon: int):
    # AACGM latitude and longitude of every cell centre; they change with the day only (secular
    # variation), so one conversion serves every minute of it.
    grid = GlobalGrid(n_lon=n_lon, n_lat=n_lat)
    lon, lat = np.meshgrid(grid.lon_centres, grid.lat_centres)
    mlat, mlon = geo_to_aacgm(lat, lon, OVAL_ALTITUDE_KM, day + pd.Timedelta(hours=12))
    for a in (mlat, mlon):
        a.setflags(write=False)
    return mlat, mlon


def oval_grid(time, q: int = 3, grid: GlobalGrid | None = None) -> np.ndarray:
    """Where the statistical auroral oval is at a time, on the global grid.

    Each cell centre (at ``OVAL_ALTITUDE_KM``) is mapped to AACGM-v2 latitude and magnetic local
    time; it is in the oval when its ``|mlat|`` lies between the equatorward and poleward
    boundaries of :func:`aurorax.geo.feldstein_oval` at its MLT (both hemispheres).

    Parameters
    ----------
    time : datetime-like
        UTC (it sets the magnetic local time of every cell).
    q : int
        Activity level, Feldstein's Q index 0 (quiet) to 6 (active).
    grid
        The grid (default: the 1024 x 512 global grid).

    Returns
    -------
    numpy.ndarray
        ``(n_lat, n_lon)`` float32, row 0 southernmost: 1 inside the oval, NaN elsewhere (and
        where AACGM is undefined, near the magnetic equator).
    """
    grid = grid or GlobalGrid()
    time = pd.Timestamp(time)
    time = time.tz_localize("UTC") if time.tzinfo is None else time.tz_convert("UTC")
    mlat, mlon = _magnetic_grid(time.floor("D"), grid.n_lat, grid.n_lon)
    # MLT is linear in the magnetic longitude at a fixed time: one aacgmv2 call for the offset.
    mlt = (float(magnetic_local_time(0.0, time)) + mlon / 15.0) % 24.0
    equatorward, poleward = feldstein_oval(mlt, q)
    with np.errstate(invalid="ignore"):
        inside = (np.abs(mlat) >= equatorward) & (np.abs(mlat) <= poleward)
    return np.where(inside, np.float32(1.0), np.float32(np.nan)).astype(np.float32)
