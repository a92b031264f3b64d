"""Fisheye display values and map projection of single frames (compute only; no plotting)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._registry import AsiError
from ._skymap import Skymap

__all__ = [
    "DEFAULT_ALTITUDE_KM",
    "DEFAULT_MIN_ELEVATION_DEG",
    "FISHEYE_PERCENTILES",
    "Fisheye",
    "MappedFrame",
    "default_altitude_km",
    "make_fisheye",
    "project_frame",
    "rgb_levels",
]

# Emission altitudes asilib and the UCalgary teams assume: 557.7 nm / white light (THEMIS) and
# 630.0 nm (REGO) (Donovan et al. 2006; Liang et al. 2016).
DEFAULT_ALTITUDE_KM = {"themis": 110.0, "rego": 230.0}
# Pixels below this elevation look through trees and buildings and stretch over hundreds of km.
DEFAULT_MIN_ELEVATION_DEG = 10.0
# Colour limits of a fisheye: these percentiles of the pixels that see the sky. The dark corners
# outside the lens circle are excluded so they do not pull the lower limit down; 99.5 rather than
# the maximum keeps one saturated star or the moon from washing out the aurora.
FISHEYE_PERCENTILES = (1.0, 99.5)


def default_altitude_km(program: str) -> float:
    """Default emission altitude (km) of an imager program; 110 km when it is not known."""
    return DEFAULT_ALTITUDE_KM.get(program.lower(), 110.0)


def resolve_altitude(
    skymap: Skymap, altitude_km: float | None, compute: bool
) -> tuple[float, bool]:
    """The altitude to map at and whether its vertices may be computed.

    An explicit altitude the skymap does not store is an error unless ``compute``; the program's
    default altitude is computed when absent (UCalgary REGO skymaps store 90/110/150 km, while
    630.0 nm emission is mapped at 230 km).
    """
    if altitude_km is not None:
        return float(altitude_km), compute
    alt = default_altitude_km(skymap.program)
    stored = any(abs(a - alt) < 1e-6 for a in skymap.altitudes_km)
    return alt, compute or not stored


@dataclass(frozen=True, eq=False)
class Fisheye:
    """One frame as the camera saw it, ready for ``imshow``.

    ``image`` has dims (y, x) with row 0 = north edge and x eastward (north up, east right when
    drawn with the first row at the top), or (y, x, channel) for colour imagers (TREx RGB: red,
    green, blue). ``vmin``/``vmax`` are the default colour limits (:data:`FISHEYE_PERCENTILES` of
    the pixels inside ``sky``, all channels together so the colour balance is kept).
    """

    time: pd.Timestamp
    image: np.ndarray
    vmin: float
    vmax: float
    sky: np.ndarray  # bool (y, x): pixels with a finite elevation (whole frame if no skymap)


@dataclass(frozen=True, eq=False)
class MappedFrame:
    """A frame projected to an emission altitude, for ``pcolormesh``-style drawing.

    ``lat``/``lon`` are pixel vertices (y+1, x+1) in degrees (lon -180..180), ``values`` the pixel
    counts (y, x) (or (y, x, channel) for colour frames) as float with NaN where the pixel is below ``min_elevation_deg`` or any of its
    vertices is unknown. Vertices of masked pixels are left as the skymap has them (possibly NaN).
    """

    time: pd.Timestamp
    altitude_km: float
    min_elevation_deg: float
    lat: np.ndarray
    lon: np.ndarray
    values: np.ndarray


def make_fisheye(
    frame, time, skymap: Skymap | None = None, percentiles=FISHEYE_PERCENTILES
) -> Fisheye:
    """Wrap a frame with its default colour limits (see :data:`FISHEYE_PERCENTILES`)."""
    frame = np.asarray(frame)
    if skymap is not None:
        if skymap.shape != frame.shape[:2]:
            raise AsiError(f"frame shape {frame.shape} does not match skymap shape {skymap.shape}")
        sky = np.isfinite(skymap.elevation)
    else:
        sky = np.ones(frame.shape[:2], dtype=bool)
    lo, hi = np.percentile(frame[sky], percentiles) if sky.any() else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    return Fisheye(pd.Timestamp(time), frame, float(lo), float(hi), sky)


def rgb_levels(frame, vmin: float, vmax: float, sky=None) -> np.ndarray:
    """A colour frame as display levels: the three channels scaled together from ``vmin`` to
    ``vmax`` (in counts) onto 0-1 and clipped.

    One scale for all three channels keeps the camera's colour balance (a green arc stays
    green), as TREx RGB pictures are shown; a per-channel stretch would not.

    Parameters
    ----------
    frame : ndarray (y, x, 3)
        Red, green, blue counts.
    vmin, vmax : float
        Counts shown as black (0) and as full brightness (1); e.g. ``Fisheye.vmin/vmax``.
    sky : ndarray (y, x) of bool, optional
        Pixels that see the sky; the others become NaN.

    Returns
    -------
    ndarray (y, x, 3) float32
        Levels 0-1 (NaN outside ``sky``).

    Raises
    ------
    ValueError
        ``frame`` is not ``(y, x, 3)``.
    """
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"a colour frame is (y, x, 3) red, green, blue; got shape {frame.shape}")
    span = float(vmax) - float(vmin)
    level = (frame.astype(np.float32) - np.float32(vmin)) / np.float32(span if span > 0 else 1.0)
    level = np.clip(level, 0.0, 1.0)
    if sky is not None:
        level[~np.asarray(sky, dtype=bool)] = np.nan
    return level


def valid_pixels(skymap: Skymap, lat: np.ndarray, lon: np.ndarray, min_elevation_deg: float):
    """Pixels at or above ``min_elevation_deg`` whose four vertices are all finite."""
    ok = np.isfinite(lat) & np.isfinite(lon)
    corners = ok[:-1, :-1] & ok[1:, :-1] & ok[:-1, 1:] & ok[1:, 1:]
    with np.errstate(invalid="ignore"):
        return corners & (skymap.elevation >= min_elevation_deg)


def project_frame(
    skymap: Skymap,
    frame,
    time,
    altitude_km: float | None = None,
    min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG,
    compute: bool = False,
) -> MappedFrame:
    """Project a frame onto the map at ``altitude_km`` using the skymap's pixel vertices.

    Parameters
    ----------
    skymap : Skymap
        Geometry of the imager (same shape as ``frame``).
    frame : ndarray (y, x) or (y, x, channel)
        Counts in aurorax orientation; a colour frame keeps its channels.
    time : datetime-like
        Frame time, carried into the result.
    altitude_km : float, optional
        Emission altitude; default by program (110 km THEMIS, 230 km REGO), computed from the
        line-of-sight geometry when the skymap does not store it.
    min_elevation_deg : float
        Pixels looking lower than this are masked (NaN).
    compute : bool
        Allow an altitude the skymap does not store (see :meth:`Skymap.vertices`).
    """
    frame = np.asarray(frame)
    if frame.shape[:2] != skymap.shape or frame.ndim not in (2, 3):
        raise AsiError(
            f"frame shape {frame.shape} does not match skymap {skymap.source or skymap.site_uid} "
            f"shape {skymap.shape}"
        )
    alt, compute = resolve_altitude(skymap, altitude_km, compute)
    lat, lon = skymap.vertices(alt, compute=compute)
    keep = valid_pixels(skymap, lat, lon, min_elevation_deg)
    keep = keep if frame.ndim == 2 else keep[..., np.newaxis]
    values = np.where(keep, frame.astype(np.float32), np.float32(np.nan))
    return MappedFrame(pd.Timestamp(time), alt, float(min_elevation_deg), lat, lon, values)
