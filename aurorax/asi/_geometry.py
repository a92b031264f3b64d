"""Line-of-sight geometry at an imager site: (azimuth, elevation) <-> (lat, lon, altitude).

The Earth is a sphere of radius 6371.2 km (``aurorax.geo.EARTH_RADIUS_KM``). At the altitudes of
auroral emission (90-250 km) and the elevations an imager maps (>= 10 degrees) the difference from
the WGS84 ellipsoid is far below one THEMIS pixel; a sphere keeps the inverse exact and closed form.
Azimuth is in degrees east of geographic north (0..360), elevation in degrees above the horizon.
"""

from __future__ import annotations

import numpy as np

from aurorax.geo import EARTH_RADIUS_KM

__all__ = ["EARTH_RADIUS_KM", "azel_to_lla", "lla_to_azel"]


def _unit(lat_deg, lon_deg):
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    return np.stack(
        np.broadcast_arrays(np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)), -1
    )


def _enu(site_lat, site_lon):
    lat, lon = np.radians(site_lat), np.radians(site_lon)
    east = np.array([-np.sin(lon), np.cos(lon), 0.0])
    north = np.array([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)])
    up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    return east, north, up


def azel_to_lla(site_lat, site_lon, site_alt_km, azimuth_deg, elevation_deg, altitude_km):
    """Where a line of sight from the site crosses the shell at ``altitude_km``.

    Parameters
    ----------
    site_lat, site_lon : float
        Site geographic latitude and longitude, degrees.
    site_alt_km : float
        Site altitude above the sphere, km.
    azimuth_deg, elevation_deg : array_like
        Line-of-sight direction, degrees (broadcast together).
    altitude_km : float
        Altitude of the emission shell, km; must be above the site.

    Returns
    -------
    lat, lon : ndarray
        Geographic latitude (degrees) and longitude (degrees, -180..180) of the crossing; NaN
        where the input direction is NaN.
    """
    if altitude_km <= site_alt_km:
        raise ValueError(f"altitude_km ({altitude_km}) must be above the site ({site_alt_km} km)")
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    east, north, up = _enu(site_lat, site_lon)
    d = (
        (np.cos(el) * np.sin(az))[..., None] * east
        + (np.cos(el) * np.cos(az))[..., None] * north
        + np.sin(el)[..., None] * up
    )
    r_site = EARTH_RADIUS_KM + site_alt_km
    b = r_site * np.sin(el)
    c = r_site**2 - (EARTH_RADIUS_KM + altitude_km) ** 2
    s = -b + np.sqrt(b * b - c)  # c < 0, so the root is real and positive
    p = r_site * up + s[..., None] * d
    lat = np.degrees(np.arcsin(p[..., 2] / np.linalg.norm(p, axis=-1)))
    lon = np.degrees(np.arctan2(p[..., 1], p[..., 0]))
    return lat, lon


def lla_to_azel(site_lat, site_lon, site_alt_km, lat, lon, altitude_km):
    """Azimuth and elevation at which the site sees points (lat, lon, altitude).

    Parameters
    ----------
    site_lat, site_lon : float
        Site geographic latitude and longitude, degrees.
    site_alt_km : float
        Site altitude, km.
    lat, lon, altitude_km : array_like
        Target points, degrees and km (broadcast together).

    Returns
    -------
    azimuth, elevation : ndarray
        Degrees; azimuth east of north in 0..360, elevation above the horizon (negative below).
    """
    east, north, up = _enu(site_lat, site_lon)
    alt = np.asarray(altitude_km, dtype=float)
    p = (EARTH_RADIUS_KM + alt)[..., None] * _unit(lat, lon)
    v = p - (EARTH_RADIUS_KM + site_alt_km) * up
    rng = np.linalg.norm(v, axis=-1)
    el = np.degrees(np.arcsin(np.clip((v @ up) / rng, -1.0, 1.0)))
    az = np.degrees(np.arctan2(v @ east, v @ north)) % 360.0
    # -1e-15 % 360 rounds to 360.0; keep azimuth in [0, 360)
    return np.where(az >= 360.0, 0.0, az), el
