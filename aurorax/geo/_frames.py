"""Cartesian position vectors between the GEI, J2000, GEO, GSE and GSM frames, vectorised over times.

Every frame is built as a rotation matrix whose rows are its unit axes written in GEO (Earth-fixed)
Cartesian coordinates, after Hapgood (1992, Planet. Space Sci. 40, 711) and Russell (1971, Cosmic
Electrodyn. 2, 184):

- ``GEI``: geocentric equatorial inertial *of date* (X to the vernal equinox of date, Z to the
  celestial pole of date). GEO = <GMST, Z> * GEI (Hapgood eq. 2). Mean and true of date differ by
  the nutation (at most ~0.005 deg), below this module's accuracy, so both are read as ``GEI``.
  SSCWeb's and CDAWeb's ``GEI``, and THEMIS ``thX_pos`` in ``thX_l1_state``, are of date.
- ``J2000``: GEI of the J2000.0 epoch (EME2000, ~GCRF to 0.02"). GEI = P * J2000 with P the IAU 1976
  precession matrix (Lieske et al. 1977): P = R3(-z) R2(theta) R3(-zeta).
- ``GEO``: geographic, Earth-fixed (ECEF; polar motion, < 0.5", neglected).
- ``GSE``: X towards the Sun, Z the ecliptic north pole of date, Y = Z x X (Hapgood sec. 3.3).
- ``GSM``: X towards the Sun, Y = D x X / |D x X| with D the IGRF centred-dipole axis of the day,
  Z = X x Y (Hapgood sec. 3.4); the same axes :func:`aurorax.geo.geo_to_gsm` uses.

Accuracy: the Sun's direction comes from NOAA's low-precision ephemeris (~0.01 deg); GMST is
evaluated with UTC for UT1 (|UT1 - UTC| < 0.9 s, < 0.004 deg); nutation and polar motion are
neglected (< 0.005 deg). A rotation is therefore good to ~0.01 deg: ~1 km at 1 RE, ~10 km at 10 RE.
"""

from __future__ import annotations

import numpy as np

from ._ellipsoid import ecef_to_geodetic, geodetic_to_ecef
from ._gsm import gsm_axes
from ._sun import solar_position
from ._time import julian_date, to_datetime64
from ._validate import as_float_array, check_latitude

#: Frames :func:`convert_frame` knows (names are case-insensitive).
FRAMES = ("GEO", "GEI", "J2000", "GSE", "GSM")

_ARCSEC = np.pi / (180.0 * 3600.0)


def _frame_name(frame: str, argument: str) -> str:
    name = str(frame).upper()
    if name not in FRAMES:
        raise ValueError(f"{argument} must be one of {', '.join(FRAMES)}, not {frame!r}")
    return name


def _rot_z(angle: np.ndarray) -> np.ndarray:
    """Rotation of axes by ``angle`` (rad) about Z, shape (n, 3, 3)."""
    c, s = np.cos(angle), np.sin(angle)
    m = np.zeros(angle.shape + (3, 3))
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1], m[:, 2, 2] = c, s, -s, c, 1.0
    return m


def _rot_y(angle: np.ndarray) -> np.ndarray:
    """Rotation of axes by ``angle`` (rad) about Y, shape (n, 3, 3)."""
    c, s = np.cos(angle), np.sin(angle)
    m = np.zeros(angle.shape + (3, 3))
    m[:, 0, 0], m[:, 0, 2], m[:, 2, 0], m[:, 2, 2], m[:, 1, 1] = c, -s, s, c, 1.0
    return m


def precession_matrix(t64_flat: np.ndarray) -> np.ndarray:
    """IAU 1976 precession from J2000 to mean of date, shape (n, 3, 3): ``r_date = P @ r_j2000``.

    Julian centuries are counted in UTC rather than TT (~1 min apart: 1e-7 deg of precession).
    """
    cent = (julian_date(t64_flat) - 2451545.0) / 36525.0
    zeta = (2306.2181 + (0.30188 + 0.017998 * cent) * cent) * cent * _ARCSEC
    z = (2306.2181 + (1.09468 + 0.018203 * cent) * cent) * cent * _ARCSEC
    theta = (2004.3109 - (0.42665 + 0.041833 * cent) * cent) * cent * _ARCSEC
    return _rot_z(-z) @ _rot_y(theta) @ _rot_z(-zeta)


def _geo_to(frame: str, t64_flat: np.ndarray) -> np.ndarray:
    """Matrices (n, 3, 3) taking GEO Cartesian vectors into ``frame`` (rows: its axes in GEO)."""
    n = t64_flat.size
    if frame == "GEO":
        return np.broadcast_to(np.eye(3), (n, 3, 3))
    if frame == "GSM":
        return np.stack(gsm_axes(t64_flat), axis=0).transpose(2, 0, 1)
    sun = solar_position(t64_flat)
    # GEO = <GMST, Z> GEI, so GEI = <GMST, Z>^T GEO (Hapgood eq. 2).
    geo_to_gei = _rot_z(np.radians(sun["gmst"])).transpose(0, 2, 1)
    if frame == "GEI":
        return geo_to_gei
    if frame == "J2000":
        return precession_matrix(t64_flat).transpose(0, 2, 1) @ geo_to_gei
    # GSE: X towards the Sun; Z the ecliptic pole of date, (0, -sin eps, cos eps) in GEI.
    dec = np.radians(sun["declination"])
    ra = np.radians(sun["right_ascension"])
    eps = np.radians(sun["obliquity"])
    sun_gei = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], -1)
    pole_gei = np.stack([np.zeros(n), -np.sin(eps), np.cos(eps)], axis=-1)
    gei_to_geo = geo_to_gei.transpose(0, 2, 1)
    x = np.einsum("nij,nj->ni", gei_to_geo, sun_gei)
    pole = np.einsum("nij,nj->ni", gei_to_geo, pole_gei)
    # The apparent Sun lies in the ecliptic to < 1"; re-orthogonalise so the basis is exact.
    y = np.cross(pole, x)
    y /= np.linalg.norm(y, axis=-1, keepdims=True)
    return np.stack([x, y, np.cross(x, y)], axis=1)


def _vectors_and_times(xyz, time, name: str):
    xyz = as_float_array(xyz, name)
    if xyz.ndim == 0 or xyz.shape[-1] != 3:
        raise ValueError(f"{name} must have a last axis of length 3, got shape {xyz.shape}")
    t64 = to_datetime64(time)
    try:
        t64 = np.broadcast_to(t64, xyz.shape[:-1])
    except ValueError:
        raise ValueError(
            f"time (shape {t64.shape}) does not broadcast against {name} (shape {xyz.shape[:-1]})"
        ) from None
    return xyz, t64


def convert_frame(xyz, time, from_frame: str, to_frame: str) -> np.ndarray:
    """Rotate Cartesian position vectors from one geocentric frame into another.

    Parameters
    ----------
    xyz : array_like, shape (..., 3)
        Position vectors (any length unit; the result has the same unit).
    time : datetime-like or array of them
        UTC (naive = UTC), broadcast against ``xyz.shape[:-1]``: one time or one per vector.
    from_frame, to_frame : str
        One of ``GEO``, ``GEI`` (of date), ``J2000``, ``GSE``, ``GSM`` (case-insensitive). See the
        module docstring of :mod:`aurorax.geo` (``docs/geo.md``, "Frames") for the definitions.

    Returns
    -------
    numpy.ndarray, shape (..., 3)
        The vectors in ``to_frame``; NaN where the time is NaT (unless both frames are equal).

    Examples
    --------
    >>> import datetime as dt
    >>> t = dt.datetime(2022, 3, 20, 12, 7)
    >>> x_gse = convert_frame([0.0, 0.0, 6371.2], t, "GEO", "GSE")
    >>> bool(abs(x_gse[0]) < 100)  # the rotation axis is ~perpendicular to the Sun at equinox
    True
    """
    source = _frame_name(from_frame, "from_frame")
    target = _frame_name(to_frame, "to_frame")
    xyz, t64 = _vectors_and_times(xyz, time, "xyz")
    if source == target:
        return xyz.copy()
    shape = xyz.shape
    flat = xyz.reshape(-1, 3)
    t_flat = np.ascontiguousarray(t64).ravel()
    geo = flat
    if source != "GEO":
        geo = np.einsum("nji,nj->ni", _geo_to(source, t_flat), flat)
    out = geo
    if target != "GEO":
        out = np.einsum("nij,nj->ni", _geo_to(target, t_flat), geo)
    return out.reshape(shape)


def frame_to_geodetic(xyz_km, time, frame: str):
    """WGS84 geodetic latitude, longitude (deg, -180..180) and height (km) of position vectors.

    Parameters
    ----------
    xyz_km : array_like, shape (..., 3)
        Geocentric position vectors (km) in ``frame``.
    time : datetime-like or array of them
        UTC, broadcast against ``xyz_km.shape[:-1]``.
    frame : str
        One of :data:`FRAMES`.

    Returns
    -------
    lat, lon, altitude_km : numpy.ndarray, shape ``xyz_km.shape[:-1]``

    Examples
    --------
    >>> lat, lon, alt = frame_to_geodetic([6378.137 + 500.0, 0.0, 0.0], "2020-01-01", "GEO")
    >>> float(lat), float(lon), round(float(alt), 6)
    (0.0, 0.0, 500.0)
    """
    geo = convert_frame(xyz_km, time, frame, "GEO")
    return ecef_to_geodetic(geo[..., 0], geo[..., 1], geo[..., 2])


def geodetic_to_frame(lat, lon, altitude_km, time, frame: str) -> np.ndarray:
    """Geocentric position vectors (km, shape (..., 3)) in ``frame`` of WGS84 geodetic positions.

    Parameters
    ----------
    lat, lon : array_like
        Geodetic latitude (-90..90) and longitude (deg).
    altitude_km : array_like
        Height above the WGS84 ellipsoid (km).
    time : datetime-like or array of them
        UTC; all four broadcast against each other.
    frame : str
        One of :data:`FRAMES`.

    Returns
    -------
    numpy.ndarray, shape (broadcast shape, 3)

    Examples
    --------
    >>> xyz = geodetic_to_frame(90.0, 0.0, 0.0, "2020-01-01", "GEI")
    >>> [round(abs(float(v)), 3) for v in xyz]  # GEI shares the Z axis of GEO
    [0.0, 0.0, 6356.752]
    """
    lat = as_float_array(lat, "lat")
    lon = as_float_array(lon, "lon")
    altitude_km = as_float_array(altitude_km, "altitude_km")
    check_latitude(lat, "lat")
    t64 = to_datetime64(time)
    lat, lon, altitude_km, t64 = np.broadcast_arrays(lat, lon, altitude_km, t64)
    geo = np.stack(geodetic_to_ecef(lat, lon, altitude_km), axis=-1)
    return convert_frame(geo, t64, "GEO", frame)
