"""GEO -> GSM (geocentric solar magnetospheric) coordinates of positions."""

from __future__ import annotations

import numpy as np

from ._ellipsoid import geodetic_to_ecef
from ._igrf import igrf_coefficients
from ._sun import solar_position, sun_direction_geo
from ._time import day_groups, to_datetime64
from ._validate import as_float_array, check_finite_or_nan, check_latitude


def _dipole_axes(t64_flat: np.ndarray) -> np.ndarray:
    """IGRF dipole axis (GEO unit vector) per time, from the day's coefficients; shape (3, n)."""
    axes = np.full((3, t64_flat.size), np.nan)
    for midday, idx in day_groups(t64_flat):
        axes[:, idx] = igrf_coefficients(midday).dipole_axis()[:, None]
    return axes


def gsm_axes(t64_flat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GSM X, Y and Z unit vectors in GEO Cartesian for flat ``datetime64[ns]`` times, each (3, n).

    X towards the Sun, Y = D x X / |D x X| with D the IGRF centred-dipole axis of the day, Z = X x Y
    (Hapgood 1992, sec. 3.4; Russell 1971). Shared by :func:`geo_to_gsm` and the frame conversions.
    """
    sx = sun_direction_geo(solar_position(t64_flat))
    dip = _dipole_axes(t64_flat)
    gy = np.cross(dip, sx, axis=0)
    gy /= np.linalg.norm(gy, axis=0)
    gz = np.cross(sx, gy, axis=0)
    return sx, gy, gz


def geo_to_gsm(lat, lon, altitude_km, time):
    """GSM latitude and longitude of the position vector of geographic points.

    GSM axes (in GEO Cartesian): X towards the Sun, Y = D x X / |D x X| with D the IGRF centred-dipole
    axis (towards the north geomagnetic pole, from g10, g11, h11 of the day), Z = X x Y. The Sun's GEO
    direction comes from a low-precision solar ephemeris (NOAA/Meeus: apparent right ascension and
    declination, ~0.01 deg) rotated by Greenwich mean sidereal time. Positions are WGS84 geodetic
    (lat, lon, altitude_km) converted to ECEF; the result is the direction of the geocentric position
    vector in GSM: ``gsm_lat = asin(z/r)``, ``gsm_lon = atan2(y, x)``.

    Parameters
    ----------
    lat, lon : array_like
        Geodetic latitude (-90..90) and longitude (degrees).
    altitude_km : array_like
        Geodetic height (km).
    time : datetime-like or array of them
        UTC; all four arguments broadcast against each other.

    Returns
    -------
    gsm_lat, gsm_lon : numpy.ndarray (numpy.float64 for scalar input)
        Degrees, longitude in -180..180 (0 = towards the Sun, 180 = anti-sunward / midnight).

    Examples
    --------
    >>> import datetime as dt
    >>> gsm_lat, gsm_lon = geo_to_gsm(0.0, 180.0, 60000.0, dt.datetime(2022, 3, 20, 12, 7))
    >>> abs(abs(float(gsm_lon)) - 180) < 1
    True
    """
    lat = as_float_array(lat, "lat")
    lon = as_float_array(lon, "lon")
    altitude_km = as_float_array(altitude_km, "altitude_km")
    check_latitude(lat, "lat")
    check_finite_or_nan(altitude_km, "altitude_km")
    t64 = to_datetime64(time)
    scalar = lat.ndim == 0 and lon.ndim == 0 and altitude_km.ndim == 0 and t64.ndim == 0
    lat, lon, altitude_km, t64 = np.broadcast_arrays(lat, lon, altitude_km, t64)
    shape = lat.shape
    x, y, z = (c.ravel() for c in geodetic_to_ecef(lat, lon, altitude_km))
    t_flat = t64.ravel()
    sx, gy, gz = gsm_axes(t_flat)
    pos = np.array([x, y, z])
    xg = (pos * sx).sum(axis=0)
    yg = (pos * gy).sum(axis=0)
    zg = (pos * gz).sum(axis=0)
    gsm_lat = np.degrees(np.arctan2(zg, np.hypot(xg, yg))).reshape(shape)
    gsm_lon = np.degrees(np.arctan2(yg, xg)).reshape(shape)
    if scalar:
        return gsm_lat[()], gsm_lon[()]
    return gsm_lat, gsm_lon
