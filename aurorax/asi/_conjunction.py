"""Conjunction tools: a satellite's footprint seen through an all-sky imager.

The paper's workflow (section 3.5): trace the satellite to its footprint at the emission altitude
(:func:`lla_to_footprint`), locate the footprint in the imager's sky (:func:`lla_to_azel_pixel`), and take a
statistic of the pixels inside an equal-area box around it (:func:`equal_area_mask`,
:func:`footprint_intensity`). For a colour imager (TREx RGB) the statistic is taken of each channel
and of the pixels' mean of the three (see :data:`CHANNEL_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._geometry import EARTH_RADIUS_KM
from ._skymap import Skymap
from ._time import to_utc

__all__ = [
    "AzEl",
    "lla_to_footprint",
    "lla_to_azel_pixel",
    "equal_area_mask",
    "footprint_intensity",
    "CHANNEL_COLUMNS",
]

# The THEMIS green-line emission altitude (aurorax.geo.FOOTPRINT_ALTITUDE_KM), in km.
FOOTPRINT_ALTITUDE_KM = 110.0
#: The columns :func:`footprint_intensity` adds for colour frames ``(y, x, 3)``: the statistic of
#: the red, green and blue counts inside the box, channel by channel. Its ``intensity`` column is
#: then the statistic of each pixel's mean of the three channels (R + G + B) / 3: one brightness
#: in counts, the colour camera's stand-in for a panchromatic imager's (with the mean statistic,
#: the mean of the three channel columns).
CHANNEL_COLUMNS = ("intensity_r", "intensity_g", "intensity_b")


@dataclass(frozen=True)
class AzEl:
    """Where points appear in an imager's sky.

    Attributes
    ----------
    azimuth_deg, elevation_deg
        Look direction from the site (degrees; azimuth clockwise from geographic north).
    row, col
        Index of the pixel whose centre is nearest in angle (image array ``[row, col]``, aurorax
        orientation: row 0 north edge, x eastward); ``-1`` outside the field of view or not finite.
    """

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    row: np.ndarray
    col: np.ndarray


def lla_to_footprint(
    lat,
    lon,
    alt_km,
    time,
    *,
    footprint_altitude_km: float = FOOTPRINT_ALTITUDE_KM,
    hemisphere: str = "north",
) -> tuple[np.ndarray, np.ndarray]:
    """Trace satellite positions along the magnetic field to the emission altitude.

    A thin wrapper over :func:`aurorax.geo.trace_footprint` (its field model and tracing), named
    after the step it performs in a conjunction analysis.

    Parameters
    ----------
    lat, lon, alt_km
        Satellite geographic latitude/longitude (degrees) and altitude (km); broadcast together.
    time
        UTC time of each position (scalar or array).
    footprint_altitude_km
        Altitude of the footprint, km (110 for THEMIS green line, 230 for REGO red line).
    hemisphere
        ``"north"`` or ``"south"``: which end of the field line.

    Returns
    -------
    lat, lon
        Footprint latitude and longitude in degrees (longitude -180..180), NaN where the field
        line does not reach the footprint altitude.
    """
    from aurorax.geo import trace_footprint  # deferred: only this tool needs field-line tracing

    return trace_footprint(
        np.asarray(lat, dtype=float),
        np.asarray(lon, dtype=float),
        np.asarray(alt_km, dtype=float),
        time,
        hemisphere=hemisphere,
        footprint_altitude_km=footprint_altitude_km,
    )


def _unit(lat_deg, lon_deg) -> np.ndarray:
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def lla_to_azel_pixel(skymap: Skymap, lat, lon, alt_km) -> AzEl:
    """Azimuth, elevation and nearest pixel of geographic points seen from an imager.

    Parameters
    ----------
    skymap
        The imager's skymap (its site location and per-pixel azimuth/elevation).
    lat, lon, alt_km
        Points in geographic coordinates (degrees, degrees, km), e.g. a footprint track at
        110 km; broadcast together.

    Returns
    -------
    AzEl
        Azimuth/elevation of each point (from the skymap's site, spherical Earth) and the row/col
        of the pixel whose centre is nearest in angle (``-1`` outside the field of view: farther
        from every pixel centre than the pixel spacing, see ``Skymap.azel_to_pixel``).
    """
    lat, lon, alt_km = np.broadcast_arrays(
        np.asarray(lat, dtype=float), np.asarray(lon, dtype=float), np.asarray(alt_km, dtype=float)
    )
    azimuth, elevation = skymap.lla_to_azel(lat, lon, alt_km)
    row, col = skymap.azel_to_pixel(azimuth, elevation)
    return AzEl(
        azimuth_deg=np.asarray(azimuth, dtype=float),
        elevation_deg=np.asarray(elevation, dtype=float),
        row=np.asarray(row, dtype=np.int64),
        col=np.asarray(col, dtype=np.int64),
    )


def _validate_box(box_km) -> tuple[float, float]:
    try:
        width, height = (float(v) for v in box_km)
    except (TypeError, ValueError):
        raise ValueError(
            f"box_km must be (east_west_km, north_south_km), two positive numbers; got {box_km!r}"
        ) from None
    if not (width > 0 and height > 0 and np.isfinite(width) and np.isfinite(height)):
        raise ValueError(
            f"box_km must be (east_west_km, north_south_km), two positive numbers; got {box_km!r}"
        )
    return width, height


def _box_mask(
    centre_units: np.ndarray,
    lat: float,
    lon: float,
    altitude_km: float,
    width: float,
    height: float,
) -> np.ndarray:
    """Boolean mask of pixel centres inside a ``width x height`` km box centred on (lat, lon).

    Offsets are the azimuthal-equidistant (north, east) coordinates of each pixel centre around
    the box centre on the sphere of radius ``R_E + altitude_km``: distance along the great circle
    and its bearing. At 10-100 km scales this is the local tangent plane to better than 0.1 %.
    """
    if not (np.isfinite(lat) and np.isfinite(lon)):
        return np.zeros(centre_units.shape[:-1], dtype=bool)
    radius = EARTH_RADIUS_KM + altitude_km
    c = _unit(lat, lon)
    east_dir = np.array([-np.sin(np.radians(lon)), np.cos(np.radians(lon)), 0.0])
    north_dir = np.cross(c, east_dir)
    cos_psi = np.clip(centre_units @ c, -1.0, 1.0)
    psi = np.arccos(cos_psi)
    # Tangent-plane direction of each pixel, rescaled so its length is the great-circle distance.
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(psi > 0, psi / np.sin(psi), 1.0) * radius
    north = (centre_units @ north_dir) * scale
    east = (centre_units @ east_dir) * scale
    inside = (np.abs(east) <= width / 2) & (np.abs(north) <= height / 2) & (cos_psi > 0)
    return inside


def equal_area_mask(
    skymap: Skymap,
    lat: float,
    lon: float,
    box_km=(20.0, 20.0),
    altitude_km: float = FOOTPRINT_ALTITUDE_KM,
) -> np.ndarray:
    """Mask of the pixels that see a ``box_km`` area centred on a point at the emission altitude.

    A pixel is inside when its centre, mapped to ``altitude_km`` through the skymap, lies within
    the box (east-west and north-south half-widths measured along the sphere at that altitude).

    Parameters
    ----------
    skymap
        The imager's skymap (pixel centres are mapped to ``altitude_km`` from their azimuth and
        elevation, so any altitude above the site works).
    lat, lon
        Box centre, degrees (e.g. a satellite's footprint).
    box_km
        ``(east_west_km, north_south_km)`` size of the box, km.
    altitude_km
        Emission altitude in km at which the box is drawn.

    Returns
    -------
    numpy.ndarray
        Float array of the image shape: ``1.0`` inside the box, ``NaN`` outside, so that
        ``np.nanmean(frame * mask)`` is the mean intensity inside the box (as in the paper).
    """
    width, height = _validate_box(box_km)
    centre_lat, centre_lon = skymap.pixel_centres(altitude_km)
    units = _unit(centre_lat, centre_lon)
    inside = _box_mask(units, float(lat), float(lon), altitude_km, width, height)
    inside &= np.isfinite(centre_lat)
    return np.where(inside, 1.0, np.nan)


def _interpolate_track(track_times, lat, lon, frame_times, max_gap_s: float):
    """Great-circle-safe linear interpolation of a track to frame times (no extrapolation)."""
    # as_unit: pandas indexes carry s/ms/us/ns resolutions; asi8 counts in that unit.
    t = track_times.as_unit("ns").asi8.astype(float) / 1e9
    tf = pd.DatetimeIndex(frame_times).as_unit("ns").asi8.astype(float) / 1e9
    units = _unit(lat, lon)
    out = np.full((len(tf), 3), np.nan)
    i = np.searchsorted(t, tf, side="right") - 1
    exact = (i >= 0) & (i < len(t)) & (tf == t[np.clip(i, 0, len(t) - 1)])
    inner = (i >= 0) & (i < len(t) - 1)
    j = np.clip(i, 0, max(len(t) - 2, 0))
    if len(t) > 1:
        gap = t[j + 1] - t[j]
        w = np.where(gap > 0, (tf - t[j]) / np.where(gap > 0, gap, 1.0), 0.0)[:, None]
        blend = (1 - w) * units[j] + w * units[j + 1]
        usable = inner & (gap <= max_gap_s)
        out[usable] = blend[usable]
    out[exact] = units[np.clip(i, 0, len(t) - 1)][exact]
    norm = np.linalg.norm(out, axis=1)
    with np.errstate(invalid="ignore"):
        ilat = np.degrees(np.arcsin(out[:, 2] / norm))
        ilon = np.degrees(np.arctan2(out[:, 1], out[:, 0]))
    return ilat, ilon


def _channel_values(values: np.ndarray, statistic) -> tuple[float, float, float]:
    # The statistic of each channel of the (pixels, 3) counts inside the box; NaN when empty.
    if not len(values):
        return (np.nan, np.nan, np.nan)
    return tuple(float(statistic(values[:, c])) for c in range(3))


def footprint_intensity(
    imager,
    track_times,
    track_lat,
    track_lon,
    track_alt_km,
    box_km=(20.0, 20.0),
    statistic: Callable[[np.ndarray], float] = np.nanmean,
    *,
    max_gap_s: float = 120.0,
) -> pd.DataFrame:
    """A statistic of the imager's pixels inside a box around a footprint track, frame by frame.

    Time alignment: the track is interpolated to each frame time of the imager (linearly along the
    great circle between the two neighbouring track points), so every frame inside the track's
    time span gets one value. Frames outside ``[track_times[0], track_times[-1]]`` are left out
    (no extrapolation), and frames falling in a track gap longer than ``max_gap_s`` get NaN.

    Parameters
    ----------
    imager
        The ASI core's :class:`~aurorax.asi.Imager` (only its frames inside the track's span are read).
    track_times
        UTC times of the track points (increasing).
    track_lat, track_lon
        Footprint latitude/longitude, degrees (from :func:`lla_to_footprint`).
    track_alt_km
        Altitude of the footprint track in km (a single value: the emission altitude at which the
        box is drawn, e.g. 110).
    box_km
        ``(east_west_km, north_south_km)`` of the box.
    statistic
        Function of the 1-D float array of pixel values inside the box (NaN-aware, e.g.
        ``np.nanmean``, ``np.nanmedian``, ``np.nanmax``); NaN when the box is empty. For colour
        frames it is called once per channel and once on the pixels' channel means.
    max_gap_s
        Longest track gap, in seconds, across which the track is interpolated.

    Returns
    -------
    pandas.DataFrame
        One row per frame: ``time`` (UTC), ``lat``, ``lon``, ``alt_km`` (footprint at the frame
        time), ``azimuth_deg``, ``elevation_deg``, ``row``, ``col`` (nearest pixel, -1 outside),
        ``n_pixels`` (pixels inside the box) and ``intensity`` (the statistic, in counts). Colour
        frames (TREx RGB, ``(y, x, 3)``) add :data:`CHANNEL_COLUMNS` ``intensity_r``,
        ``intensity_g``, ``intensity_b`` (the statistic of each channel's counts), and their
        ``intensity`` is the statistic of each pixel's mean of the three channels.

    Raises
    ------
    ValueError
        Track arrays of different lengths, an empty or decreasing track, more than one
        footprint altitude, a bad ``box_km``, or colour frames without exactly 3 channels.
    """
    width, height = _validate_box(box_km)
    times = pd.DatetimeIndex([to_utc(t) for t in np.atleast_1d(track_times)])
    lat = np.atleast_1d(np.asarray(track_lat, dtype=float))
    lon = np.atleast_1d(np.asarray(track_lon, dtype=float))
    if not (len(times) == len(lat) == len(lon)):
        raise ValueError(
            f"track_times, track_lat and track_lon must have the same length; got "
            f"{len(times)}, {len(lat)}, {len(lon)}"
        )
    if len(times) == 0:
        raise ValueError("the track is empty: track_times has no points")
    if not times.is_monotonic_increasing:
        raise ValueError("track_times must be increasing")
    alts = np.unique(np.atleast_1d(np.asarray(track_alt_km, dtype=float)))
    if len(alts) != 1:
        raise ValueError(
            f"track_alt_km must be one footprint altitude (the box is drawn there); got {alts}"
        )
    altitude_km = float(alts[0])

    skymap = imager.skymap
    centre_lat, centre_lon = skymap.pixel_centres(altitude_km)
    units = _unit(centre_lat, centre_lon)
    in_sky = np.isfinite(centre_lat)

    rows = []
    colour = False
    end = times[-1] + pd.Timedelta(microseconds=1)
    for frame_times, frames in imager[times[0] : end].iter_chunks():
        colour = frames.ndim == 4
        if colour and frames.shape[3] != 3:
            raise ValueError(
                f"colour frames must have 3 channels (red, green, blue); got {frames.shape[3]}"
            )
        flat, flon = _interpolate_track(times, lat, lon, frame_times, max_gap_s)
        az, el = skymap.lla_to_azel(flat, flon, altitude_km)
        prow, pcol = skymap.azel_to_pixel(az, el)
        for k, t in enumerate(frame_times):
            inside = _box_mask(units, flat[k], flon[k], altitude_km, width, height) & in_sky
            values = frames[k][inside].astype(float)
            channels = ()
            if colour:
                channels = _channel_values(values, statistic)
                values = values.mean(axis=1)  # (R + G + B) / 3 of each pixel
            value = float(statistic(values)) if values.size else np.nan
            rows.append(
                (
                    t,
                    flat[k],
                    flon[k],
                    altitude_km,
                    az[k],
                    el[k],
                    prow[k],
                    pcol[k],
                    values.size,
                    value,
                    *channels,
                )
            )
    columns = [
        "time",
        "lat",
        "lon",
        "alt_km",
        "azimuth_deg",
        "elevation_deg",
        "row",
        "col",
        "n_pixels",
        "intensity",
        *(CHANNEL_COLUMNS if colour else ()),
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["time"] = pd.DatetimeIndex(frame["time"], tz="UTC") if len(frame) else frame["time"]
    return frame
