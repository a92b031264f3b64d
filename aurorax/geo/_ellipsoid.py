"""WGS84 geodetic <-> Earth-centred Earth-fixed (ECEF, i.e. GEO Cartesian) conversions, vectorised."""

from __future__ import annotations

import numpy as np

from ._constants import WGS84_A_KM, WGS84_F

_E2 = WGS84_F * (2.0 - WGS84_F)
_B_KM = WGS84_A_KM * (1.0 - WGS84_F)
_EP2 = _E2 / (1.0 - _E2)


def geodetic_to_ecef(lat_deg, lon_deg, altitude_km):
    """ECEF x, y, z (km) of WGS84 geodetic latitude/longitude (degrees) and height (km)."""
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    sin_lat = np.sin(lat)
    cos_lat = np.cos(lat)
    n = WGS84_A_KM / np.sqrt(1.0 - _E2 * sin_lat * sin_lat)
    x = (n + altitude_km) * cos_lat * np.cos(lon)
    y = (n + altitude_km) * cos_lat * np.sin(lon)
    z = (n * (1.0 - _E2) + altitude_km) * sin_lat
    return x, y, z


def ecef_to_geodetic(x, y, z, *, height_only: bool = False):
    """WGS84 geodetic latitude, longitude (degrees) and height (km) of ECEF x, y, z (km).

    Closed-form solution of Heikkinen (1982), accurate to well under a metre for any point more than a few
    tens of km from the Earth's centre. With ``height_only`` only the height is returned (used inside the
    field-line tracer, which needs the height at every step).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    a = WGS84_A_KM
    b = _B_KM
    e2 = _E2
    p2 = x * x + y * y
    p = np.sqrt(p2)
    z2 = z * z
    f = 54.0 * b * b * z2
    g = p2 + (1.0 - e2) * z2 - e2 * (a * a - b * b)
    c = e2 * e2 * f * p2 / (g * g * g)
    s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
    k = s + 1.0 + 1.0 / s
    big_p = f / (3.0 * k * k * g * g)
    q = np.sqrt(1.0 + 2.0 * e2 * e2 * big_p)
    r0 = -big_p * e2 * p / (1.0 + q) + np.sqrt(
        np.maximum(
            0.5 * a * a * (1.0 + 1.0 / q)
            - big_p * (1.0 - e2) * z2 / (q * (1.0 + q))
            - 0.5 * big_p * p2,
            0.0,
        )
    )
    pe = p - e2 * r0
    u = np.sqrt(pe * pe + z2)
    v = np.sqrt(pe * pe + (1.0 - e2) * z2)
    height = u * (1.0 - b * b / (a * v))
    if height_only:
        return height
    z0 = b * b * z / (a * v)
    lat = np.degrees(np.arctan2(z + _EP2 * z0, p))
    lon = np.degrees(np.arctan2(y, x))
    return lat, lon, height
