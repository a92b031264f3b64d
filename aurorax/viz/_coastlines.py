"""GSHHS coastlines read offline from cartopy's data directory, as NaN-separated polylines.

Debian's ``python-cartopy-data`` installs the GSHHS shapefiles under ``/usr/share/cartopy/data``;
nothing is ever downloaded. The globe projects these lines itself; the conjunction map draws the
part of them inside its longitude-latitude window.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "CARTOPY_DATA_DIR",
    "collapse_breaks",
    "coastline_lonlat",
    "coastlines_joined",
    "coastlines_within",
    "join_polylines",
    "joined_lonlat",
]

CARTOPY_DATA_DIR = Path("/usr/share/cartopy/data")


@functools.lru_cache(maxsize=4)
def coastline_lonlat(scale: str = "c") -> tuple[np.ndarray, ...]:
    """GSHHS level-1 coastlines as a tuple of ``(n, 2)`` arrays of ``(lon, lat)`` degrees.

    ``scale`` is GSHHS's resolution letter (``"c"`` coarse, ``"l"`` low, ... as installed). The
    shapefiles come from cartopy's data directory; Debian's ``python-cartopy-data`` installs
    them under ``/usr/share/cartopy/data``, so nothing is downloaded.
    """
    import cartopy
    import shapefile  # pyshp: reading the rings directly avoids its GeoJSON conversion warnings

    relative = Path("shapefiles", "gshhs", scale, f"GSHHS_{scale}_L1.shp")
    folders = [cartopy.config.get(k) for k in ("pre_existing_data_dir", "data_dir")]
    candidates = [Path(f) / relative for f in [*folders, CARTOPY_DATA_DIR] if f]
    path = next((p for p in candidates if p.exists()), None)
    if path is None:
        # Never download: the dashboard must work offline.
        raise FileNotFoundError(
            f"GSHHS coastlines not found (looked for {', '.join(map(str, candidates))}); "
            "install Debian's python-cartopy-data"
        )
    rings = []
    with shapefile.Reader(str(path)) as reader:
        for shape in reader.iterShapes():
            points = np.asarray(shape.points, dtype=float)
            bounds = [*shape.parts, len(points)]
            rings += [points[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
    return tuple(rings)


def join_polylines(pieces: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate ``(n, 2)`` polylines with a NaN row between them (one HoloViews path)."""
    pieces = [p for p in pieces if np.isfinite(p).any()]
    if not pieces:
        return np.empty((0, 2))
    gap = np.full((1, 2), np.nan)
    return np.concatenate([part for p in pieces for part in (p, gap)][:-1])


def joined_lonlat(rings: Sequence[np.ndarray]) -> np.ndarray:
    """The ``(lon, lat)`` rings as one ``(n, 2)`` array, a NaN row between rings."""
    return join_polylines([np.asarray(r, dtype=float) for r in rings])


def collapse_breaks(xy: np.ndarray) -> np.ndarray:
    """A NaN-separated ``(n, 2)`` polyline with each run of NaN rows collapsed to one (the
    breaks left where points were dropped; the shapefile's rings are long)."""
    finite = np.isfinite(xy).all(axis=1)
    return xy[finite | np.concatenate([[False], finite[:-1]])]


@functools.lru_cache(maxsize=4)
def coastlines_joined(scale: str = "c") -> np.ndarray:
    """Every GSHHS ring of ``scale`` as one NaN-separated ``(n, 2)`` array of ``(lon, lat)``."""
    joined = joined_lonlat(coastline_lonlat(scale))
    joined.setflags(write=False)
    return joined


def coastlines_within(
    lon_range: tuple[float, float], lat_range: tuple[float, float], scale: str = "c"
) -> np.ndarray:
    """The coastlines inside a longitude-latitude window, NaN-separated ``(n, 2)`` ``(lon, lat)``.

    ``lon_range`` may leave [-180, 180] (a window unwrapped across the antimeridian, as the
    conjunction map's fields of view are); the coastlines are shifted by 360 degrees to match.
    Points outside the window become breaks, so no line is drawn across the window's edge.
    """
    (lon0, lon1), (lat0, lat1) = sorted(lon_range), sorted(lat_range)
    pieces = []
    for shift in (-360.0, 0.0, 360.0):
        xy = coastlines_joined(scale) + (shift, 0.0)
        inside = (xy[:, 0] >= lon0) & (xy[:, 0] <= lon1) & (xy[:, 1] >= lat0) & (xy[:, 1] <= lat1)
        if not inside.any():
            continue
        pieces.append(collapse_breaks(np.where(inside[:, None], xy, np.nan)))
    return join_polylines(pieces)
