"""Interpolation of a ground track (latitude/longitude against time) along great circles."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["interpolate_great_circle"]


def _seconds(times) -> np.ndarray:
    index = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(times), utc=True))
    return index.as_unit("ns").asi8.astype(float) / 1e9


def _unit_vectors(lat, lon) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def interpolate_great_circle(
    times, lat, lon, new_times, max_gap_s: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A track of points interpolated to new times along the great circle between neighbours.

    Between two consecutive track points the position moves along the great circle joining them
    at a constant angular rate (spherical linear interpolation), so a footprint track sampled
    once a minute becomes a smooth curve at any finer step, with no kinks at the samples and no
    cut across the antimeridian or a pole.

    Parameters
    ----------
    times
        UTC times of the track points, increasing (naive times are UTC).
    lat, lon
        Latitude and longitude of the track points, degrees.
    new_times
        Times to interpolate to.
    max_gap_s
        Longest gap between track points, in seconds, to interpolate across (None: any).

    Returns
    -------
    lat, lon : numpy.ndarray
        Degrees (longitude in -180..180) at ``new_times``; NaN outside ``[times[0], times[-1]]``
        (no extrapolation), inside a gap longer than ``max_gap_s``, or next to a NaN point.

    Raises
    ------
    ValueError
        ``times``, ``lat`` and ``lon`` differ in length, or ``times`` is not increasing.
    """
    t = _seconds(times)
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    if not (len(t) == len(lat) == len(lon)):
        raise ValueError(
            f"times, lat and lon must have the same length; got {len(t)}, {len(lat)}, {len(lon)}"
        )
    if len(t) > 1 and not (np.diff(t) > 0).all():
        raise ValueError("times must be increasing")
    tn = _seconds(new_times)
    out = np.full((len(tn), 3), np.nan)
    if len(t) == 0:
        return out[:, 0], out[:, 0].copy()
    units = _unit_vectors(lat, lon)
    exact = np.searchsorted(t, tn)
    hit = (exact < len(t)) & (t[np.minimum(exact, len(t) - 1)] == tn)
    out[hit] = units[exact[hit]]
    if len(t) > 1:
        i = np.clip(np.searchsorted(t, tn, side="right") - 1, 0, len(t) - 2)
        inner = (tn > t[0]) & (tn < t[-1]) & ~hit
        gap = t[i + 1] - t[i]
        if max_gap_s is not None:
            inner &= gap <= max_gap_s
        w = ((tn - t[i]) / gap)[:, None]
        a, b = units[i], units[i + 1]
        omega = np.arccos(np.clip((a * b).sum(axis=1), -1.0, 1.0))[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            sin_o = np.sin(omega)
            slerp = (np.sin((1 - w) * omega) * a + np.sin(w * omega) * b) / sin_o
        # Nearly coincident points (or antipodal ones, where the great circle is undefined):
        # the normalised chord, which is the same to rounding for the first.
        chord = (1 - w) * a + w * b
        small = (sin_o[:, 0] < 1e-9) | ~np.isfinite(slerp).all(axis=1)
        slerp[small] = chord[small]
        out[inner] = slerp[inner]
    with np.errstate(invalid="ignore"):
        norm = np.linalg.norm(out, axis=1)
        new_lat = np.degrees(np.arcsin(np.clip(out[:, 2] / norm, -1.0, 1.0)))
        new_lon = np.degrees(np.arctan2(out[:, 1], out[:, 0]))
    return new_lat, new_lon
