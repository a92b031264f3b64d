"""Low-precision solar ephemeris (NOAA / Meeus) and solar elevation, vectorised."""

from __future__ import annotations

import numpy as np

from ._time import julian_date, to_datetime64
from ._validate import as_float_array, check_latitude


def solar_position(t64: np.ndarray):
    """Solar quantities for ``datetime64[ns]`` times (any shape), NOAA's low-precision algorithm.

    Returns a dict of arrays: ``declination`` (deg), ``right_ascension`` (deg, apparent, of date),
    ``equation_of_time`` (minutes), ``gmst`` (deg, Greenwich mean sidereal time) and
    ``subsolar_lon`` (deg, geographic longitude of the sub-solar point) and ``obliquity`` (deg, the
    apparent obliquity of the ecliptic used for the right ascension). Accuracy ~0.01 deg for
    1900-2100 (Meeus, *Astronomical Algorithms*, ch. 25; NOAA solar calculator).
    """
    jd = julian_date(t64)
    d = jd - 2451545.0
    cent = d / 36525.0
    geom_mean_long = np.radians((280.46646 + cent * (36000.76983 + cent * 0.0003032)) % 360.0)
    mean_anom = np.radians(357.52911 + cent * (35999.05029 - 0.0001537 * cent))
    ecc = 0.016708634 - cent * (0.000042037 + 0.0000001267 * cent)
    centre = (
        np.sin(mean_anom) * (1.914602 - cent * (0.004817 + 0.000014 * cent))
        + np.sin(2 * mean_anom) * (0.019993 - 0.000101 * cent)
        + np.sin(3 * mean_anom) * 0.000289
    )
    true_long = np.degrees(geom_mean_long) + centre
    omega = np.radians(125.04 - 1934.136 * cent)
    app_long = np.radians(true_long - 0.00569 - 0.00478 * np.sin(omega))
    mean_obliq = (
        23.0
        + (26.0 + (21.448 - cent * (46.815 + cent * (0.00059 - cent * 0.001813))) / 60.0) / 60.0
    )
    obliq = np.radians(mean_obliq + 0.00256 * np.cos(omega))
    declination = np.degrees(np.arcsin(np.sin(obliq) * np.sin(app_long)))
    right_ascension = np.degrees(np.arctan2(np.cos(obliq) * np.sin(app_long), np.cos(app_long)))
    var_y = np.tan(obliq / 2.0) ** 2
    eq_time = 4.0 * np.degrees(
        var_y * np.sin(2 * geom_mean_long)
        - 2 * ecc * np.sin(mean_anom)
        + 4 * ecc * var_y * np.sin(mean_anom) * np.cos(2 * geom_mean_long)
        - 0.5 * var_y * var_y * np.sin(4 * geom_mean_long)
        - 1.25 * ecc * ecc * np.sin(2 * mean_anom)
    )
    gmst = (
        280.46061837 + 360.98564736629 * d + cent * cent * (0.000387933 - cent / 38710000.0)
    ) % 360.0
    subsolar_lon = (right_ascension - gmst + 180.0) % 360.0 - 180.0
    return {
        "declination": declination,
        "right_ascension": right_ascension,
        "equation_of_time": eq_time,
        "gmst": gmst,
        "subsolar_lon": subsolar_lon,
        "obliquity": np.degrees(obliq),
    }


def sun_direction_geo(sun: dict) -> np.ndarray:
    """Unit vector (GEO Cartesian, shape ``(3,) + shape``) towards the Sun from ``solar_position``.

    The apparent right ascension and declination of date, rotated into the Earth-fixed frame by
    Greenwich mean sidereal time (Hapgood 1992, eq. 2: GEI -> GEO is a rotation by GMST about Z).
    """
    dec = np.radians(sun["declination"])
    sun_lon = np.radians(sun["right_ascension"] - sun["gmst"])
    return np.array([np.cos(dec) * np.cos(sun_lon), np.cos(dec) * np.sin(sun_lon), np.sin(dec)])


def _refraction_deg(elevation: np.ndarray) -> np.ndarray:
    """NOAA's approximate atmospheric refraction (degrees) for a geometric elevation (degrees)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tan_e = np.tan(np.radians(elevation))
        arcsec = np.select(
            [elevation > 85.0, elevation > 5.0, elevation > -0.575],
            [
                0.0,
                58.1 / tan_e - 0.07 / tan_e**3 + 0.000086 / tan_e**5,
                1735.0
                + elevation
                * (-518.2 + elevation * (103.4 + elevation * (-12.79 + elevation * 0.711))),
            ],
            default=-20.772 / tan_e,
        )
    return np.where(np.isnan(elevation), np.nan, arcsec / 3600.0)


def sun_elevation_deg(lat, lon, time, *, refraction: bool = True):
    """Apparent elevation (degrees above the horizon) of the Sun's centre, vectorised.

    Uses NOAA's low-precision solar algorithm (after Meeus): declination, equation of time and hour
    angle, elevation = asin(sin(lat) sin(dec) + cos(lat) cos(dec) cos(hour angle)), then NOAA's
    atmospheric-refraction correction (about +0.5 degrees at the horizon). Accuracy is about 0.1 degrees,
    plenty for dark-sky decisions (e.g. the Sun more than 12 degrees below the horizon).

    Parameters
    ----------
    lat, lon : array_like
        Geodetic latitude (-90..90) and longitude (degrees).
    time : datetime-like or array of them
        UTC (naive = UTC). ``lat``, ``lon`` and ``time`` broadcast against each other.
    refraction : bool, optional
        Add the refraction correction (default). ``False`` gives the geometric elevation.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Elevation in degrees (-90..90), broadcast shape of the inputs; NaN where an input is NaN/NaT.

    Examples
    --------
    >>> import datetime as dt
    >>> float(sun_elevation_deg(0.0, 0.0, dt.datetime(2022, 3, 20, 12, 7))) > 89
    True
    """
    lat = as_float_array(lat, "lat")
    lon = as_float_array(lon, "lon")
    check_latitude(lat, "lat")
    t64 = to_datetime64(time)
    scalar = lat.ndim == 0 and lon.ndim == 0 and t64.ndim == 0
    lat, lon, t64 = np.broadcast_arrays(lat, lon, t64)
    sun = solar_position(t64)
    # Hour angle of the Sun = local longitude minus the sub-solar longitude (degrees).
    hour_angle = np.radians(lon - sun["subsolar_lon"])
    dec = np.radians(sun["declination"])
    phi = np.radians(lat)
    sin_elev = np.sin(phi) * np.sin(dec) + np.cos(phi) * np.cos(dec) * np.cos(hour_angle)
    elevation = np.degrees(np.arcsin(np.clip(sin_elev, -1.0, 1.0)))
    if refraction:
        elevation = elevation + _refraction_deg(elevation)
    elevation = np.minimum(elevation, 90.0)
    return elevation[()] if scalar else elevation
