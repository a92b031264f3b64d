"""Keograms: the intensity along one line through the sky (a meridian or a path) versus time."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._imager import Imager
from ._projection import DEFAULT_MIN_ELEVATION_DEG
from ._registry import AsiError

__all__ = ["Keogram", "KEOGRAM_AXES", "make_keogram"]

KEOGRAM_AXES = ("pixel", "geo", "aacgm")


@dataclass(frozen=True, eq=False)
class Keogram:
    """A keogram: ``values[i, k]`` is the counts at ``times[i]`` and position ``y[k]``.

    Attributes
    ----------
    times : pandas.DatetimeIndex
        Frame times, UTC.
    y : ndarray (n_y,)
        Vertical-axis values: image row index (``axis="pixel"``, meridian; row 0 = north edge) or
        position along a custom path, geographic latitude (``"geo"``) or AACGM magnetic latitude
        (``"aacgm"``) in degrees at ``altitude_km``. Ordered as the image rows / path points.
    values : ndarray (n_time, n_y), uint16, or (n_time, n_y, channel)
        Counts; row ``i`` is the slice of frame ``i``. Colour imagers keep their channels (TREx
        RGB: uint8 red, green, blue).
    axis : str
        One of :data:`KEOGRAM_AXES`.
    pixel_rows, pixel_cols : ndarray (n_y,)
        The image pixels sampled.
    altitude_km : float or None
        Mapping altitude of ``y`` (None for the pixel axis of a meridian).
    site_uid : str
    """

    times: pd.DatetimeIndex
    y: np.ndarray
    values: np.ndarray
    axis: str
    pixel_rows: np.ndarray
    pixel_cols: np.ndarray
    altitude_km: float | None
    site_uid: str


def _magnetic_latitude(lat, lon, altitude_km, time):
    from aurorax import geo

    convert = getattr(geo, "geo_to_aacgm", None)
    if convert is None:
        raise AsiError("axis='aacgm' needs aurorax.geo.geo_to_aacgm, which is not available")
    mlat, _ = convert(lat, lon, altitude_km, time)
    return np.asarray(mlat, dtype=float)


def make_keogram(
    imager: Imager,
    path=None,
    axis: str = "pixel",
    altitude_km: float | None = None,
    min_elevation_deg: float | None = None,
    max_frames: int | None = None,
    workers: int | None = None,
) -> Keogram:
    """Build a keogram by streaming through the imager's files once.

    Parameters
    ----------
    imager : Imager
        Frames to slice (read chunk by chunk; memory stays bounded for a whole night).
    path : (lat, lon) arrays, optional
        Custom path of points (degrees) at ``altitude_km``, e.g. a satellite footprint; each point
        takes the pixel whose look direction is nearest. Points the imager does not see (or sees
        below ``min_elevation_deg``) are dropped. Default: the image's central column (the
        camera's meridian, ``x = nx // 2``, all rows).
    axis : {"pixel", "geo", "aacgm"}
        Vertical axis: pixel row (meridian) or point index (path); geographic latitude of each
        pixel's line of sight at ``altitude_km``; AACGM latitude of the same (computed at the
        imager's first frame time with :func:`aurorax.geo.geo_to_aacgm`).
    altitude_km : float, optional
        Mapping altitude; default 110 km THEMIS, 230 km REGO. Needed for "geo", "aacgm" and paths.
    min_elevation_deg : float, optional
        Drop pixels looking lower than this. Default: none dropped for a pixel-axis meridian,
        10 degrees otherwise (low pixels span huge latitude ranges).
    max_frames : int, optional
        Frames decompressed per read (default :meth:`Imager.chunk_size`).
    workers : int, optional
        Threads decompressing concurrently (libdeflate and zlib release the GIL); default: the
        number of CPUs, at most 4. Memory stays a few MiB per worker.
    """
    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    if axis not in KEOGRAM_AXES:
        raise AsiError(f"keogram axis must be one of {KEOGRAM_AXES}, got {axis!r}")
    ny, nx = imager.shape
    mapped = axis != "pixel" or path is not None
    alt = imager.default_altitude_km if altitude_km is None else float(altitude_km)
    if min_elevation_deg is None:
        min_elevation_deg = DEFAULT_MIN_ELEVATION_DEG if mapped else None
    if mapped and imager.skymap is None:
        raise AsiError(f"a keogram with axis={axis!r} or a path needs a skymap")
    skymap = imager.skymap
    if path is None:
        rows = np.arange(ny)
        cols = np.full(ny, nx // 2)
        y = rows.astype(float)
        lat = lon = None
        if skymap is not None and (mapped or min_elevation_deg is not None):
            el = skymap.elevation[rows, cols]
            with np.errstate(invalid="ignore"):
                seen = np.isfinite(el) & (el >= (min_elevation_deg or -90.0))
            rows, cols, y = rows[seen], cols[seen], y[seen]
            if mapped:
                clat, clon = skymap.pixel_centres(alt)
                lat, lon = clat[rows, cols], clon[rows, cols]
    else:
        lat, lon = (np.atleast_1d(np.asarray(p, dtype=float)) for p in path)
        if lat.shape != lon.shape or lat.ndim != 1:
            raise AsiError(
                f"path must be two 1-D arrays (lat, lon) of equal length, got {lat.shape}, {lon.shape}"
            )
        rows, cols = skymap.lla_to_pixel(lat, lon, alt)
        _, el = skymap.lla_to_azel(lat, lon, alt)
        seen = (rows >= 0) & (el >= min_elevation_deg)
        if not seen.any():
            raise AsiError(
                f"no point of the path is seen by {imager.site_uid!r} above {min_elevation_deg} degrees"
            )
        y = np.flatnonzero(seen).astype(float)
        rows, cols, lat, lon = rows[seen], cols[seen], lat[seen], lon[seen]
    if axis == "geo":
        y = np.asarray(lat, dtype=float)
    elif axis == "aacgm":
        y = _magnetic_latitude(lat, lon, alt, imager.times[0])
    parts = list(imager.iter_pixels(rows, cols, max_frames, workers))
    # (time, y) for monochrome frames, (time, y, channel) for colour: the dtype and the channel
    # axis are the reader's (uint16 counts; uint8 red, green, blue for TREx RGB).
    data = np.concatenate([p for _, p in parts]) if parts else np.empty((0, len(rows)), np.uint16)
    return Keogram(
        imager.times, y, data, axis, rows, cols, alt if mapped else None, imager.site_uid
    )
