"""AACGM-v2 conversions (thin, vectorised wrappers over ``aacgmv2``) and the AuroraX ground B-trace rule."""

from __future__ import annotations

import logging
import warnings
from collections import namedtuple

import numpy as np

from ._constants import AACGM_MAX_ALTITUDE_KM
from ._time import day_groups, to_datetime64
from ._validate import as_float_array, check_finite_or_nan, check_latitude, wrap_longitude

Footprints = namedtuple("Footprints", ["nbtrace_lat", "nbtrace_lon", "sbtrace_lat", "sbtrace_lon"])
Footprints.__doc__ = """North (``nbtrace``) and south (``sbtrace``) magnetic footprints, geographic degrees.

Fields are arrays (or scalars for scalar input) with NaN where a footprint does not exist."""


def _aacgmv2():
    import aacgmv2

    return aacgmv2


class _QuietAACGM:
    """Silence aacgmv2's logger and Python warnings around a call (we report problems ourselves)."""

    def __enter__(self):
        self._logger = logging.getLogger("aacgmv2")
        self._level = self._logger.level
        self._logger.setLevel(logging.CRITICAL)
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore")
        return self

    def __exit__(self, *exc):
        self._warnings.__exit__(*exc)
        self._logger.setLevel(self._level)
        return False


def _prepare(lat, lon, altitude_km, time, lat_name):
    lat = as_float_array(lat, lat_name)
    lon = as_float_array(lon, lat_name.replace("lat", "lon"))
    altitude_km = as_float_array(altitude_km, "altitude_km")
    check_latitude(lat, lat_name)
    check_finite_or_nan(altitude_km, "altitude_km")
    t64 = to_datetime64(time)
    scalar = lat.ndim == 0 and lon.ndim == 0 and altitude_km.ndim == 0 and t64.ndim == 0
    lat, lon, altitude_km, t64 = np.broadcast_arrays(lat, lon, altitude_km, t64)
    with np.errstate(invalid="ignore"):
        too_high = altitude_km > AACGM_MAX_ALTITUDE_KM
    if np.any(too_high):
        raise ValueError(
            f"altitude_km must be at most {AACGM_MAX_ALTITUDE_KM:.0f} km for AACGM-v2 coefficients; got "
            f"{altitude_km[too_high].flat[0].item()!r} km. For spacecraft above that, trace the footprint first "
            "(trace_footprint / footprints) and convert the footprint."
        )
    return lat, lon, altitude_km, t64, scalar


def _convert(lat, lon, altitude_km, t64, code):
    """Run ``aacgmv2.convert_latlon_arr`` once per UTC day over flat arrays; NaN in, NaN out."""
    aacgmv2 = _aacgmv2()
    shape = lat.shape
    lat = lat.ravel()
    lon = lon.ravel()
    alt = altitude_km.ravel()
    t64 = t64.ravel()
    out_lat = np.full(lat.shape, np.nan)
    out_lon = np.full(lat.shape, np.nan)
    ok = np.isfinite(lat) & np.isfinite(lon) & np.isfinite(alt) & ~np.isnat(t64)
    if ok.any():
        idx_ok = np.flatnonzero(ok)
        with _QuietAACGM():
            for midday, sel in day_groups(t64[idx_ok]):
                idx = idx_ok[sel]
                res_lat, res_lon, _ = aacgmv2.convert_latlon_arr(
                    lat[idx], lon[idx], alt[idx], midday, method_code=code
                )
                out_lat[idx] = res_lat
                out_lon[idx] = res_lon
    out_lon = np.where(np.isfinite(out_lon), wrap_longitude(out_lon), np.nan)
    return out_lat.reshape(shape), out_lon.reshape(shape)


def geo_to_aacgm(lat, lon, altitude_km, time):
    """Geographic (WGS84 geodetic) to AACGM-v2 magnetic latitude and longitude.

    A vectorised wrapper of ``aacgmv2.convert_latlon_arr(..., method_code="G2A")``. aacgmv2 takes one
    datetime per call, so times are grouped by UTC day and each day is converted at 12:00 UTC: the AACGM-v2
    coefficients change only through secular variation (the magnetic pole drifts ~50 km per year), so half a
    day moves a point by well under 0.1 km, far below the coefficients' own ~0.1-0.5 degree accuracy.

    Parameters
    ----------
    lat, lon : array_like
        Geodetic latitude (-90..90) and longitude (degrees).
    altitude_km : array_like
        Geodetic height (km), 0..2000 (the range of the AACGM-v2 coefficients).
    time : datetime-like or array of them
        UTC. All four arguments broadcast against each other.

    Returns
    -------
    mlat, mlon : numpy.ndarray
        AACGM-v2 latitude and longitude (degrees, longitude in -180..180). NaN where the input is NaN or
        aacgmv2 fails. Near the magnetic equator above the ground, where field lines do not reach the
        ground, AACGM is undefined; aacgmv2's coefficients then return latitudes at the edge of the allowed
        band (|mlat| >= acos(sqrt(RE / (RE + h)))) rather than NaN, so treat low |mlat| with care.

    Raises
    ------
    ValueError
        For latitudes outside -90..90 or altitudes above 2000 km.
    """
    lat, lon, altitude_km, t64, scalar = _prepare(lat, lon, altitude_km, time, "lat")
    mlat, mlon = _convert(lat, lon, altitude_km, t64, "G2A")
    return (mlat[()], mlon[()]) if scalar else (mlat, mlon)


def aacgm_to_geo(mlat, mlon, altitude_km, time):
    """AACGM-v2 magnetic latitude/longitude to geographic (WGS84 geodetic) latitude and longitude.

    The inverse of :func:`geo_to_aacgm` (``method_code="A2G"``), with the same per-day grouping of times.
    ``altitude_km`` (0..2000) is the height of the returned geographic point on the magnetic field line:
    mapping a point along its field line is ``aacgm_to_geo(*geo_to_aacgm(lat, lon, h1, t), h2, t)``.

    Returns
    -------
    lat, lon : numpy.ndarray
        Geographic latitude and longitude (degrees, longitude in -180..180); NaN where undefined (e.g. an
        ``mlat`` whose field line does not reach ``altitude_km``: |mlat| < acos(sqrt(RE / (RE + h)))).
    """
    mlat, mlon, altitude_km, t64, scalar = _prepare(mlat, mlon, altitude_km, time, "mlat")
    lat, lon = _convert(mlat, mlon, altitude_km, t64, "A2G")
    return (lat[()], lon[()]) if scalar else (lat, lon)


def magnetic_local_time(mlon, time):
    """Magnetic local time (hours, 0..24) of AACGM-v2 longitudes at the given UTC times.

    Uses ``aacgmv2.convert_mlt`` (AACGM-v2's own MLT definition: the AACGM longitude difference from the
    sub-solar point's AACGM longitude, divided by 15, plus 12 h). MLT is linear in ``mlon`` at a fixed time,
    so aacgmv2 is evaluated once per distinct time (to the second) and the result is shifted.

    Parameters
    ----------
    mlon : array_like
        AACGM-v2 longitude (degrees).
    time : datetime-like or array of them
        UTC; broadcasts against ``mlon``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        MLT in hours, 0 <= MLT < 24; NaN where ``mlon`` is NaN or time is NaT.
    """
    aacgmv2 = _aacgmv2()
    mlon = as_float_array(mlon, "mlon")
    t64 = to_datetime64(time)
    scalar = mlon.ndim == 0 and t64.ndim == 0
    mlon, t64 = np.broadcast_arrays(mlon, t64)
    shape = mlon.shape
    flat_t = t64.ravel().astype("datetime64[s]")
    flat_mlon = mlon.ravel()
    mlt = np.full(flat_mlon.shape, np.nan)
    ok = ~np.isnat(flat_t) & np.isfinite(flat_mlon)
    if ok.any():
        uniq, inverse = np.unique(flat_t[ok], return_inverse=True)
        times = uniq.astype(object)
        with _QuietAACGM():
            if len(times) == 1:
                mlt_at_zero = np.atleast_1d(aacgmv2.convert_mlt(0.0, times[0]))
            else:
                mlt_at_zero = np.asarray(aacgmv2.convert_mlt(np.zeros(len(times)), times))
        mlt[ok] = (mlt_at_zero[inverse.ravel()] + flat_mlon[ok] / 15.0) % 24.0
    mlt = mlt.reshape(shape)
    return mlt[()] if scalar else mlt


def ground_btrace(lat, lon, time):
    """North and south B-trace points of a ground instrument, following AuroraX's rule.

    AuroraX (docs.aurorax.space, "categories"; pyaurorax ``search/util/_calculate_btrace.py``): for a site
    in the northern hemisphere (``lat >= 0``) ``nbtrace`` is the site itself and ``sbtrace`` is its
    magnetic conjugate point; for a southern site ``sbtrace`` is the site and ``nbtrace`` the conjugate.
    The conjugate point is found in AACGM-v2 at altitude 0: convert geo -> AACGM, negate the magnetic
    latitude, convert back to geographic.

    Parameters
    ----------
    lat, lon : array_like
        Site geodetic latitude and longitude (degrees).
    time : datetime-like or array of them
        UTC; the conjugate point drifts slowly with the main field (secular variation).

    Returns
    -------
    Footprints
        ``(nbtrace_lat, nbtrace_lon, sbtrace_lat, sbtrace_lon)`` in geographic degrees (longitude in
        -180..180). The conjugate point is NaN where AACGM is undefined (sites near the magnetic equator).

    Examples
    --------
    >>> import datetime as dt
    >>> fp = ground_btrace(56.376723, -94.643664, dt.datetime(2020, 1, 1))  # THEMIS ASI Gillam
    >>> round(float(fp.sbtrace_lat), 1), round(float(fp.sbtrace_lon), 1)
    (-72.8, -134.7)
    """
    lat_arr = as_float_array(lat, "lat")
    lon_arr = as_float_array(lon, "lon")
    check_latitude(lat_arr, "lat")
    t64 = to_datetime64(time)
    scalar = lat_arr.ndim == 0 and lon_arr.ndim == 0 and t64.ndim == 0
    lat_arr, lon_arr, t64 = np.broadcast_arrays(lat_arr, lon_arr, t64)
    zero = np.zeros(lat_arr.shape)
    mlat, mlon = _convert(lat_arr, lon_arr, zero, t64, "G2A")
    conj_lat, conj_lon = _convert(-mlat, mlon, zero, t64, "A2G")
    lon_wrapped = np.where(np.isfinite(lon_arr), wrap_longitude(lon_arr), np.nan)
    north = lat_arr >= 0
    south = lat_arr < 0
    nb_lat = np.where(north, lat_arr, np.where(south, conj_lat, np.nan))
    nb_lon = np.where(north, lon_wrapped, np.where(south, conj_lon, np.nan))
    sb_lat = np.where(south, lat_arr, np.where(north, conj_lat, np.nan))
    sb_lon = np.where(south, lon_wrapped, np.where(north, conj_lon, np.nan))
    result = (nb_lat, nb_lon, sb_lat, sb_lon)
    if scalar:
        result = tuple(a[()] for a in result)
    return Footprints(*result)
