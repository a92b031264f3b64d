"""Great-circle distance between points at a common altitude."""

from __future__ import annotations

import numpy as np

from ._constants import EARTH_RADIUS_KM, FOOTPRINT_ALTITUDE_KM
from ._validate import as_float_array, check_latitude


def great_circle_distance_km(lat1, lon1, lat2, lon2, altitude_km=FOOTPRINT_ALTITUDE_KM):
    """Great-circle distance (km) between points on a sphere at ``altitude_km`` above the Earth.

    Uses the haversine formula on a sphere of radius ``R = EARTH_RADIUS_KM + altitude_km``
    (``EARTH_RADIUS_KM`` = 6371.2 km, the IGRF reference radius)::

        a = sin^2((lat2 - lat1) / 2) + cos(lat1) * cos(lat2) * sin^2((lon2 - lon1) / 2)
        d = 2 * R * asin(sqrt(a))

    With the default ``altitude_km`` = ``FOOTPRINT_ALTITUDE_KM`` = 110 km (R = 6481.2 km) this is the
    distance between two magnetic footprints measured along the 110 km emission layer; pass
    ``altitude_km=0`` for distances on the ground. Latitudes are used as spherical latitudes (the
    ellipsoid's flattening changes distances by at most ~0.5 %).

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        Latitudes (-90..90) and longitudes (any range; 179 and -179 are 2 degrees apart) in degrees.
        All four broadcast against each other. NaN gives NaN.
    altitude_km : float or array_like, optional
        Altitude (km) of the sphere on which the distance is measured, default 110 km.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Distance in km, with the broadcast shape of the inputs (a scalar for scalar inputs).

    Raises
    ------
    ValueError
        If a latitude lies outside -90..90 or the radius ``EARTH_RADIUS_KM + altitude_km`` is not positive.

    Examples
    --------
    >>> round(float(great_circle_distance_km(60.0, 0.0, 61.0, 0.0)), 2)  # one degree at 110 km
    113.12
    >>> round(float(great_circle_distance_km(0.0, 179.5, 0.0, -179.5, altitude_km=0.0)), 2)
    111.2
    """
    lat1 = as_float_array(lat1, "lat1")
    lon1 = as_float_array(lon1, "lon1")
    lat2 = as_float_array(lat2, "lat2")
    lon2 = as_float_array(lon2, "lon2")
    altitude_km = as_float_array(altitude_km, "altitude_km")
    check_latitude(lat1, "lat1")
    check_latitude(lat2, "lat2")
    radius = EARTH_RADIUS_KM + altitude_km
    if np.any(radius <= 0):
        raise ValueError(
            f"altitude_km must be greater than -{EARTH_RADIUS_KM} km (the Earth's centre); "
            f"got {altitude_km[radius <= 0].flat[0].item()!r}"
        )
    phi1 = np.radians(lat1)
    phi2 = np.radians(lat2)
    half_dphi = 0.5 * (phi2 - phi1)
    half_dlam = 0.5 * np.radians(lon2 - lon1)
    hav = np.sin(half_dphi) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(half_dlam) ** 2
    distance = 2.0 * radius * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0)))
    return distance[()] if distance.ndim == 0 else distance
