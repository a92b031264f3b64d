"""Demo spacecraft: documented orbital elements, SGP4 propagation, TEME -> ECEF -> geodetic.

The elements below are *representative* of each mission's real orbit around December 2021 (altitude
or perigee/apogee, inclination, sun-synchronous local time of the ascending node), not real TLEs:
the demo must build offline and deterministically, and nothing may be downloaded. They are mean
elements in the SGP4 (WGS72) sense at the epoch 2021-12-01T00:00:00 UTC; SGP4 applies the secular
J2 drifts (so the sun-synchronous planes stay sun-synchronous) and switches to its deep-space
branch (SDP4) for the high orbits (period >= 225 min: THEMIS, Arase).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sgp4.api import WGS72, Satrec

__all__ = [
    "SPACECRAFT",
    "SpacecraftElements",
    "PropagationError",
    "propagate",
    "gmst_rad",
    "teme_to_ecef",
    "ecef_to_geodetic",
    "geodetic_to_ecef",
    "to_utc_index",
]

WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
_WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
_SGP4_EPOCH0 = pd.Timestamp("1949-12-31T00:00:00", tz="UTC")  # SGP4's day 0
_UNIX_JD = 2440587.5


class PropagationError(ValueError):
    """SGP4 could not propagate a spacecraft to a requested time."""


@dataclass(frozen=True)
class SpacecraftElements:
    """Mean orbital elements of one demo spacecraft (SGP4 / WGS72 convention).

    Attributes
    ----------
    program, platform, display_name, source_type
        AuroraX data-source identity (``instrument_type`` is always ``footprint``).
    satnum
        Catalogue-style number given to SGP4 (the real NORAD number where there is one).
    epoch
        Element epoch (timezone-aware UTC).
    inclination_deg, raan_deg, arg_perigee_deg, mean_anomaly_deg
        Inclination, right ascension of the ascending node, argument of perigee and mean
        anomaly (degrees, TEME frame).
    eccentricity
        Eccentricity (dimensionless).
    mean_motion_rev_per_day
        Kozai mean motion (revolutions per day).
    provenance
        Where the numbers come from.
    """

    program: str
    platform: str
    display_name: str
    source_type: str
    satnum: int
    epoch: datetime
    inclination_deg: float
    raan_deg: float
    eccentricity: float
    arg_perigee_deg: float
    mean_anomaly_deg: float
    mean_motion_rev_per_day: float
    provenance: str
    bstar: float = 0.0

    @property
    def period_min(self) -> float:
        """Orbital period (minutes)."""
        return 1440.0 / self.mean_motion_rev_per_day

    def satrec(self) -> Satrec:
        """Build the SGP4 satellite record for these elements."""
        sat = Satrec()
        epoch_days = (pd.Timestamp(self.epoch) - _SGP4_EPOCH0) / pd.Timedelta(days=1)
        sat.sgp4init(
            WGS72,
            "i",
            self.satnum,
            epoch_days,
            self.bstar,
            0.0,
            0.0,
            self.eccentricity,
            np.radians(self.arg_perigee_deg),
            np.radians(self.inclination_deg),
            np.radians(self.mean_anomaly_deg),
            self.mean_motion_rev_per_day * 2.0 * np.pi / 1440.0,  # rad/min, what sgp4init takes
            np.radians(self.raan_deg),
        )
        return sat


_EPOCH = datetime(2021, 12, 1, tzinfo=UTC)
_LEO = (
    "representative of the real orbit in Dec 2021, not a real TLE: near-circular, altitude and "
    "inclination from the mission's published orbit"
)
_SSO = (
    "representative of the real orbit in Dec 2021, not a real TLE: ~{alt} km sun-synchronous, "
    "ascending node at ~{ltan} local time (RAAN = sun RA 247.3 deg + (LTAN - 12 h) * 15 deg/h)"
)
_HEO = (
    "representative of the real orbit in Dec 2021, not a real TLE: perigee {rp} RE, apogee {ra} RE "
    "(geocentric, mean elements), low inclination, apogee in the pre-midnight sector (~21 LT) "
    "ahead of the winter tail season"
)

#: The demo spacecraft. Mean motions follow from the altitudes with WGS72 mu = 398600.8 km^3/s^2
#: and a = 6378.135 km + altitude (LEO) or a = (r_perigee + r_apogee) / 2 (HEO, RE = 6371.2 km).
SPACECRAFT: tuple[SpacecraftElements, ...] = (
    # Swarm A and C fly side by side at ~460 km, 87.35 deg, planes 1.4 deg apart; Swarm B is higher
    # (~510 km, 87.75 deg) and in late 2021 its plane was nearly counter-rotating to A/C.
    SpacecraftElements("swarm", "swarma", "Swarm A", "leo", 39452, _EPOCH, 87.35, 202.3, 0.0003,
                       90.0, 0.0, 15.35311318, _LEO),
    SpacecraftElements("swarm", "swarmb", "Swarm B", "leo", 39451, _EPOCH, 87.75, 22.3, 0.0003,
                       90.0, 120.0, 15.18624779, _LEO),
    SpacecraftElements("swarm", "swarmc", "Swarm C", "leo", 39453, _EPOCH, 87.35, 203.7, 0.0003,
                       90.0, 1.0, 15.35311318, _LEO),
    # THEMIS A/D/E: ~1-day elliptical orbits. Mean anomalies are phased so that the inbound
    # nightside legs cross the North American sector during the December nights.
    SpacecraftElements("themis", "themisa", "THEMIS-A", "heo", 30580, _EPOCH, 11.0, 340.0, 0.776025,
                       221.0, 300.0, 0.95573009, _HEO.format(rp=1.5, ra=11.9)),
    SpacecraftElements("themis", "themisd", "THEMIS-D", "heo", 30797, _EPOCH, 16.0, 345.0, 0.797753,
                       232.0, 260.0, 0.98990654, _HEO.format(rp=1.35, ra=12.0)),
    SpacecraftElements("themis", "themise", "THEMIS-E", "heo", 30798, _EPOCH, 14.0, 345.0, 0.807407,
                       235.0, 175.0, 0.97345401, _HEO.format(rp=1.3, ra=12.2)),
    SpacecraftElements("dmsp", "dmspf16", "DMSP F16", "leo", 28054, _EPOCH, 99.0, 314.8, 0.0008,
                       90.0, 0.0, 14.12744334, _SSO.format(alt=850, ltan="16:30")),
    SpacecraftElements("dmsp", "dmspf17", "DMSP F17", "leo", 29522, _EPOCH, 98.75, 332.8, 0.0010,
                       90.0, 100.0, 14.12744334, _SSO.format(alt=850, ltan="17:42")),
    SpacecraftElements("dmsp", "dmspf18", "DMSP F18", "leo", 35951, _EPOCH, 98.9, 4.3, 0.0010,
                       90.0, 200.0, 14.12744334, _SSO.format(alt=850, ltan="19:48")),
    SpacecraftElements("noaa", "noaa19", "NOAA-19", "leo", 33591, _EPOCH, 99.2, 350.8, 0.0013,
                       90.0, 300.0, 14.06901027, _SSO.format(alt=870, ltan="18:54")),
    SpacecraftElements("arase", "arase", "Arase", "heo", 41896, _EPOCH, 31.0, 60.0, 0.698288,
                       200.0, 0.0, 2.55560694,
                       "representative of the real orbit in Dec 2021, not a real TLE: ~440 km x "
                       "32,000 km altitude, 31 deg inclination, period ~564 min"),
)  # fmt: skip


def to_utc_index(times) -> pd.DatetimeIndex:
    """Convert datetimes (naive = UTC), numpy datetime64 or pandas times to a UTC DatetimeIndex."""
    index = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(times)))
    if index.tz is None:
        return index.tz_localize("UTC")
    return index.tz_convert("UTC")


def _julian_dates(index: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Split Julian dates into a whole (x.5) part and a day fraction, as sgp4 wants them."""
    ns = index.as_unit("ns").asi8.astype(np.int64)
    days, rem = np.divmod(ns, 86_400_000_000_000)
    return _UNIX_JD + days.astype(float), rem / 86_400e9


def gmst_rad(times, ut1_minus_utc_s: float = 0.0) -> np.ndarray:
    """Greenwich mean sidereal time (IAU 1982 expression), radians in [0, 2 pi).

    This is the angle that rotates SGP4's TEME frame into the Earth-fixed frame (Vallado et al.
    2006, "Revisiting Spacetrack Report #3"); UT1 is taken as UTC + ``ut1_minus_utc_s``.
    """
    jd, fr = _julian_dates(to_utc_index(times))
    t = ((jd - 2451545.0) + fr + ut1_minus_utc_s / 86400.0) / 36525.0
    seconds = (
        67310.54841 + (876600.0 * 3600.0 + 8640184.812866) * t + 0.093104 * t**2 - 6.2e-6 * t**3
    )
    return np.mod(np.radians(seconds / 240.0), 2.0 * np.pi)


def teme_to_ecef(r_teme_km, times, ut1_minus_utc_s: float = 0.0) -> np.ndarray:
    """Rotate TEME positions (km, shape (n, 3)) into the Earth-fixed frame by GMST.

    Polar motion (< 20 m at the surface) is neglected, so the result is the pseudo-Earth-fixed
    frame of Vallado et al. (2006), which is well within the demo's needs.
    """
    r = np.asarray(r_teme_km, dtype=float).reshape(-1, 3)
    theta = gmst_rad(times, ut1_minus_utc_s)
    cos_t, sin_t = np.cos(theta), np.sin(theta)
    x = cos_t * r[:, 0] + sin_t * r[:, 1]
    y = -sin_t * r[:, 0] + cos_t * r[:, 1]
    return np.column_stack([x, y, r[:, 2]])


def ecef_to_geodetic(r_ecef_km) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earth-fixed Cartesian (km, shape (n, 3)) to WGS84 geodetic (lat deg, lon deg, altitude km).

    Bowring's iteration; five passes converge to well under a millimetre from the ground to lunar
    distances.
    """
    r = np.asarray(r_ecef_km, dtype=float).reshape(-1, 3)
    x, y, z = r[:, 0], r[:, 1], r[:, 2]
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    lat = np.arctan2(z, p * (1.0 - _WGS84_E2))
    for _ in range(5):
        n = WGS84_A_KM / np.sqrt(1.0 - _WGS84_E2 * np.sin(lat) ** 2)
        lat = np.arctan2(z + _WGS84_E2 * n * np.sin(lat), p)
    n = WGS84_A_KM / np.sqrt(1.0 - _WGS84_E2 * np.sin(lat) ** 2)
    # Near the poles p/cos(lat) is ill-conditioned; use the z form there.
    polar = np.abs(lat) > np.radians(80.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h_eq = p / np.cos(lat) - n
        h_pol = z / np.sin(lat) - n * (1.0 - _WGS84_E2)
    alt = np.where(polar, h_pol, h_eq)
    return np.degrees(lat), np.degrees(lon), alt


def geodetic_to_ecef(lat_deg, lon_deg, altitude_km) -> np.ndarray:
    """WGS84 geodetic (degrees, km) to Earth-fixed Cartesian (km, shape (n, 3))."""
    lat = np.radians(np.atleast_1d(np.asarray(lat_deg, dtype=float)))
    lon = np.radians(np.atleast_1d(np.asarray(lon_deg, dtype=float)))
    h = np.atleast_1d(np.asarray(altitude_km, dtype=float))
    n = WGS84_A_KM / np.sqrt(1.0 - _WGS84_E2 * np.sin(lat) ** 2)
    x = (n + h) * np.cos(lat) * np.cos(lon)
    y = (n + h) * np.cos(lat) * np.sin(lon)
    z = (n * (1.0 - _WGS84_E2) + h) * np.sin(lat)
    return np.column_stack(np.broadcast_arrays(x, y, z))


def propagate(elements: SpacecraftElements, times) -> pd.DataFrame:
    """Propagate a demo spacecraft with SGP4 and return geodetic positions.

    Parameters
    ----------
    elements
        One of :data:`SPACECRAFT` (or any :class:`SpacecraftElements`).
    times
        Times to evaluate (naive = UTC), any form :func:`pandas.to_datetime` accepts.

    Returns
    -------
    pandas.DataFrame
        Columns ``epoch`` (``datetime64[ns, UTC]``), ``geo_lat``, ``geo_lon`` (WGS84 geodetic,
        degrees, lon in -180..180), ``altitude_km`` (above the WGS84 ellipsoid) and
        ``radial_distance_km`` (geocentric distance).

    Raises
    ------
    PropagationError
        If SGP4 reports an error (e.g. decayed orbit) at some time; the message names the
        spacecraft, the first failing time and SGP4's error code.
    """
    index = to_utc_index(times)
    jd, fr = _julian_dates(index)
    error, r_teme, _ = elements.satrec().sgp4_array(jd, fr)
    failed = np.flatnonzero(error)
    if failed.size:
        raise PropagationError(
            f"SGP4 failed for {elements.platform} at {index[failed[0]].isoformat()} "
            f"(sgp4 error code {int(error[failed[0]])})"
        )
    ecef = teme_to_ecef(r_teme, index)
    lat, lon, alt = ecef_to_geodetic(ecef)
    lon = (lon + 180.0) % 360.0 - 180.0
    return pd.DataFrame(
        {
            "epoch": index,
            "geo_lat": lat,
            "geo_lon": lon,
            "altitude_km": alt,
            "radial_distance_km": np.linalg.norm(ecef, axis=1),
        }
    )
