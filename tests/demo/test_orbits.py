"""SGP4 propagation of the documented elements and the TEME -> ECEF -> geodetic chain."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from aurorax.demo import (
    SPACECRAFT,
    PropagationError,
    ecef_to_geodetic,
    geodetic_to_ecef,
    gmst_rad,
    propagate,
    teme_to_ecef,
)

RE_KM = 6371.2
BY_PLATFORM = {sc.platform: sc for sc in SPACECRAFT}


def _minutes(days: float) -> pd.DatetimeIndex:
    return pd.date_range("2021-12-01", periods=int(days * 1440), freq="1min", tz="UTC")


def test_required_spacecraft_are_present_with_auroraX_identities():
    assert {"swarma", "swarmb", "swarmc", "themisa", "themisd", "themise", "dmspf16",
            "dmspf17", "dmspf18", "noaa19", "arase"} <= set(BY_PLATFORM)  # fmt: skip
    assert BY_PLATFORM["themisa"].program == "themis"
    assert BY_PLATFORM["themisa"].source_type == "heo"
    assert BY_PLATFORM["swarmb"].source_type == "leo"
    assert all("not a real TLE" in sc.provenance for sc in SPACECRAFT)


@pytest.mark.parametrize(
    ("platform", "alt_km", "incl"), [("swarma", 460, 87.35), ("swarmb", 510, 87.75)]
)
def test_swarm_altitude_and_inclination_recovered_from_positions(platform, alt_km, incl):
    pos = propagate(BY_PLATFORM[platform], _minutes(1.0))
    # Near-circular orbit over an oblate Earth: altitude varies by the ~21 km equator-pole difference.
    assert pos["altitude_km"].min() == pytest.approx(alt_km, abs=10)
    assert pos["altitude_km"].max() < alt_km + 40
    # The highest latitude reached equals the inclination (retrograde: 180 - i = 92.65 -> 87.35).
    assert pos["geo_lat"].abs().max() == pytest.approx(incl, abs=0.15)


def test_themis_apogee_and_period():
    sc = BY_PLATFORM["themisd"]
    pos = propagate(sc, _minutes(3.0))
    r_re = pos["radial_distance_km"].to_numpy() / RE_KM
    assert r_re.max() == pytest.approx(12.0, abs=0.3)
    assert r_re.min() == pytest.approx(1.35, abs=0.15)
    # Period from successive apogees (local maxima of r).
    peaks = np.flatnonzero((r_re[1:-1] > r_re[:-2]) & (r_re[1:-1] >= r_re[2:])) + 1
    assert len(peaks) >= 2
    period_min = float(np.diff(peaks).mean())
    assert period_min == pytest.approx(sc.period_min, rel=0.01)
    assert 23.5 * 60 < period_min < 25.0 * 60


def test_arase_perigee_apogee_and_inclination():
    pos = propagate(BY_PLATFORM["arase"], _minutes(1.0))
    assert pos["altitude_km"].min() == pytest.approx(440, abs=40)
    assert pos["altitude_km"].max() == pytest.approx(32000, abs=300)
    assert pos["geo_lat"].abs().max() == pytest.approx(31.0, abs=0.5)


def test_gmst_at_j2000():
    # IAU 1982: GMST at 2000-01-01 12:00 UT1 is 18.697374558 h = 280.46061837 deg.
    value = gmst_rad([pd.Timestamp("2000-01-01T12:00", tz="UTC")])[0]
    assert np.degrees(value) == pytest.approx(280.46061837, abs=1e-7)


def test_teme_to_ecef_matches_vallado_2006_example():
    # Vallado et al. (2006) "Revisiting Spacetrack Report #3", TEME -> PEF example (UT1-UTC
    # = -0.4399619 s); PEF = Earth-fixed without polar motion.
    r_teme = [[5094.18016210, 6127.64465950, 6380.34453270]]
    when = [pd.Timestamp("2004-04-06T07:51:28.386009", tz="UTC")]
    r_pef = teme_to_ecef(r_teme, when, ut1_minus_utc_s=-0.4399619)[0]
    np.testing.assert_allclose(r_pef, [-1033.4750313, 7901.3055856, 6380.3445327], atol=1e-3)


def test_geodetic_round_trip_and_known_points():
    lat = np.array([0.0, 45.0, -60.0, 89.9, 87.0])
    lon = np.array([0.0, -100.0, 170.0, 10.0, -45.0])
    alt = np.array([0.0, 500.0, 850.0, 460.0, 70000.0])
    back = ecef_to_geodetic(geodetic_to_ecef(lat, lon, alt))
    np.testing.assert_allclose(back[0], lat, atol=1e-9)
    np.testing.assert_allclose(back[1], lon, atol=1e-9)
    np.testing.assert_allclose(back[2], alt, atol=1e-6)
    # The equator point on the prime meridian sits at the WGS84 semi-major axis; the pole at b.
    np.testing.assert_allclose(geodetic_to_ecef(0.0, 0.0, 0.0)[0], [6378.137, 0.0, 0.0])
    assert ecef_to_geodetic([[0.0, 0.0, 6356.7523142]])[2][0] == pytest.approx(0.0, abs=1e-6)


def test_propagation_error_names_spacecraft_time_and_code():
    crashing = replace(BY_PLATFORM["swarma"], eccentricity=0.5)  # perigee inside the Earth
    with pytest.raises(PropagationError) as err:
        propagate(crashing, _minutes(0.01))
    assert (
        str(err.value) == "SGP4 failed for swarma at 2021-12-01T00:00:00+00:00 (sgp4 error code 6)"
    )
