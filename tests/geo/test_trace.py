"""Field-line footprints: physics checks, not just shapes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from aurorax.geo import (
    AACGM_FOOTPRINT_MAX_ALTITUDE_KM,
    EARTH_RADIUS_KM,
    FOOTPRINT_ALTITUDE_KM,
    Footprints,
    footprints,
    geo_to_aacgm,
    great_circle_distance_km,
    ground_btrace,
    trace_footprint,
)
from aurorax.geo._ellipsoid import geodetic_to_ecef
from aurorax.geo._igrf import igrf_coefficients
from aurorax.geo._sun import solar_position
from aurorax.geo._time import to_datetime64

T = dt.datetime(2021, 12, 1, 6, 0)
RE = EARTH_RADIUS_KM


def _subsolar_lon(when):
    return float(solar_position(to_datetime64(when))["subsolar_lon"])


def test_a_point_at_the_footprint_altitude_is_its_own_footprint():
    # Northern magnetic hemisphere -> its own north footprint; southern -> its own south footprint.
    lat = np.array([65.0, 72.5, 50.0])
    lon = np.array([-100.0, 20.0, 140.0])
    n_lat, n_lon = trace_footprint(lat, lon, FOOTPRINT_ALTITUDE_KM, T, "north")
    assert great_circle_distance_km(n_lat, n_lon, lat, lon).max() < 1e-3
    s_lat, s_lon = trace_footprint(-lat, lon, FOOTPRINT_ALTITUDE_KM, T, "south")
    assert great_circle_distance_km(s_lat, s_lon, -lat, lon).max() < 1e-3
    # ... and also at another footprint altitude.
    lat230, lon230 = trace_footprint(65.0, -100.0, 230.0, T, "north", footprint_altitude_km=230.0)
    assert great_circle_distance_km(lat230, lon230, 65.0, -100.0) < 1e-3


@pytest.mark.parametrize(
    ("lat", "lon", "alt"),
    [
        (65.0, -100.0, 500.0),
        (-60.0, 150.0, 800.0),
        (5.0, -170.0, 6.0 * RE),
        (20.0, 60.0, 11.0 * RE),
    ],
)
def test_north_and_south_footprints_map_back_to_each_other(lat, lon, alt):
    fp = footprints(lat, lon, alt, T)
    assert np.isfinite(list(fp)).all()
    # Trace the north footprint (at 110 km) to the south: it must land on the south footprint.
    s_lat, s_lon = trace_footprint(
        fp.nbtrace_lat, fp.nbtrace_lon, FOOTPRINT_ALTITUDE_KM, T, "south"
    )
    assert great_circle_distance_km(s_lat, s_lon, fp.sbtrace_lat, fp.sbtrace_lon) < 0.5
    n_lat, n_lon = trace_footprint(
        fp.sbtrace_lat, fp.sbtrace_lon, FOOTPRINT_ALTITUDE_KM, T, "north"
    )
    assert great_circle_distance_km(n_lat, n_lon, fp.nbtrace_lat, fp.nbtrace_lon) < 0.5


def test_aacgm_mapping_and_numerical_tracing_agree_at_low_altitude():
    # Two independent methods: AACGM-v2 coefficients (a fit to IGRF field-line tracing) vs our own RK4
    # trace in IGRF-14. Measured on 4000 random points at 300-800 km with |mlat| >= 40 deg: median 2-4 km,
    # max 19 km, which is the AACGM-v2 fit accuracy (~0.1-0.2 deg, Shepherd 2014). Below ~40 deg the
    # fits degrade (hundreds of km near the magnetic equator), so those points are excluded.
    rng = np.random.default_rng(7)
    n = 400
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lon = rng.uniform(-180, 180, n)
    alt = rng.uniform(300, 800, n)
    mlat, _ = geo_to_aacgm(lat, lon, alt, T)
    keep = (np.abs(mlat) >= 40) & (
        np.abs(mlat) <= 78
    )  # above ~79 deg the conjugate trace is "open"
    assert keep.sum() > 100
    lat, lon, alt = lat[keep], lon[keep], alt[keep]
    for hemisphere in ("north", "south"):
        a = trace_footprint(lat, lon, alt, T, hemisphere, method="aacgm")
        b = trace_footprint(lat, lon, alt, T, hemisphere, method="trace")
        d = great_circle_distance_km(a[0], a[1], b[0], b[1])
        assert np.isfinite(d).all()
        assert d.max() < 25.0
        assert np.median(d) < 6.0


def _dipole_frame(x, y, z, axis):
    r = np.sqrt(x * x + y * y + z * z)
    sin_lam = (x * axis[0] + y * axis[1] + z * axis[2]) / r
    e1 = np.cross(axis, [0.0, 0.0, 1.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    mlon = np.degrees(
        np.arctan2(x * e2[0] + y * e2[1] + z * e2[2], x * e1[0] + y * e1[1] + z * e1[2])
    )
    return r / (1.0 - sin_lam**2), mlon  # L (in km) and dipole longitude


@pytest.mark.parametrize(
    ("lat", "lon", "alt"), [(60.0, 30.0, 500.0), (-45.0, -120.0, 2000.0), (3.0, 100.0, 8 * RE)]
)
def test_dipole_footprints_stay_on_the_analytic_field_line(lat, lon, alt):
    # In a centred dipole a field line is r = L cos^2(lambda) at fixed magnetic longitude: both footprints
    # must have the start point's L and magnetic longitude. At the footprint dL/L = 2 tan(lambda) dlambda,
    # so rel=1e-4 in L is < 0.2 km there (the RK4 error at step_factor 0.1 is < 0.1 km).
    axis = igrf_coefficients(dt.datetime(2021, 12, 1, 12)).dipole_axis()
    l_start, mlon_start = _dipole_frame(*geodetic_to_ecef(lat, lon, alt), axis)
    fp = footprints(lat, lon, alt, T, field_model="dipole")
    for f_lat, f_lon in ((fp.nbtrace_lat, fp.nbtrace_lon), (fp.sbtrace_lat, fp.sbtrace_lon)):
        l_foot, mlon_foot = _dipole_frame(
            *geodetic_to_ecef(f_lat, f_lon, FOOTPRINT_ALTITUDE_KM), axis
        )
        assert l_foot == pytest.approx(l_start, rel=1e-4)
        assert mlon_foot == pytest.approx(mlon_start, abs=1e-3)


@pytest.mark.parametrize("local_time", ["midnight", "noon", "dawn", "dusk"])
def test_high_orbit_footprints_are_auroral(local_time):
    # A THEMIS-like point at 10 RE on the geographic equator: internal-field footprints lie near
    # 71-72 deg AACGM latitude in both hemispheres (dipole L = 10 gives 71.6 deg).
    offset = {"midnight": 180.0, "noon": 0.0, "dawn": -90.0, "dusk": 90.0}[local_time]
    fp = footprints(0.0, _subsolar_lon(T) + offset, 9.0 * RE, T)
    assert np.isfinite(list(fp)).all()
    n_mlat, _ = geo_to_aacgm(fp.nbtrace_lat, fp.nbtrace_lon, FOOTPRINT_ALTITUDE_KM, T)
    s_mlat, _ = geo_to_aacgm(fp.sbtrace_lat, fp.sbtrace_lon, FOOTPRINT_ALTITUDE_KM, T)
    assert 68.0 < n_mlat < 75.0
    assert -75.0 < s_mlat < -68.0
    assert 55.0 < fp.nbtrace_lat < 80.0 and -80.0 < fp.sbtrace_lat < -55.0


def test_vectorised_equals_one_at_a_time():
    lat = np.array([65.0, -60.0, 5.0, 20.0, 56.38, np.nan])
    lon = np.array([-100.0, 150.0, -170.0, 60.0, -94.64, 0.0])
    alt = np.array([500.0, 800.0, 6 * RE, 11 * RE, 0.0, 500.0])
    times = pd.date_range("2021-12-01T00:00", periods=6, freq="17h")  # spans several UTC days
    together = footprints(lat, lon, alt, times)
    for i in range(lat.size):
        alone = footprints(lat[i], lon[i], alt[i], times[i])
        for field in Footprints._fields:
            assert np.allclose(
                getattr(together, field)[i], getattr(alone, field), atol=1e-9, equal_nan=True
            )
    assert np.isnan(together.nbtrace_lat[-1])


def test_pool_size_does_not_change_results(monkeypatch):
    # With a tiny pool the traces are integrated a few at a time, refilled as others finish.
    from aurorax.geo import _trace

    rng = np.random.default_rng(3)
    lat = rng.uniform(-80, 80, 300)
    lon = rng.uniform(-180, 180, 300)
    alt = rng.uniform(200, 8 * RE, 300)
    times = pd.date_range("2021-11-20", periods=300, freq="3h")  # five weeks: several batches
    a = footprints(lat, lon, alt, times)
    monkeypatch.setattr(_trace, "CHUNK_SIZE", 64)
    b = footprints(lat, lon, alt, times)
    # Pool size changes which points share a truncation degree (tolerance 1e-5 of the dipole): < 0.1 km.
    d_north = great_circle_distance_km(a.nbtrace_lat, a.nbtrace_lon, b.nbtrace_lat, b.nbtrace_lon)
    d_south = great_circle_distance_km(a.sbtrace_lat, a.sbtrace_lon, b.sbtrace_lat, b.sbtrace_lon)
    assert np.nanmax(d_north) < 0.1 and np.nanmax(d_south) < 0.1
    assert (np.isnan(a.sbtrace_lat) == np.isnan(b.sbtrace_lat)).all()


def test_footprints_equal_trace_footprint_and_keep_shape():
    lat = np.array([[65.0, 70.0], [-60.0, -75.0]])
    fp = footprints(lat, 10.0, 700.0, T)
    assert fp.nbtrace_lat.shape == (2, 2)
    n = trace_footprint(lat, 10.0, 700.0, T, "northern")
    s = trace_footprint(lat, 10.0, 700.0, T, "South")
    np.testing.assert_allclose(fp.nbtrace_lat, n[0], atol=1e-9)
    np.testing.assert_allclose(fp.sbtrace_lon, s[1], atol=1e-9)
    scalar = trace_footprint(65.0, 10.0, 700.0, T)
    assert all(np.ndim(v) == 0 for v in scalar)
    assert all(-180 <= v <= 180 for v in (*fp.nbtrace_lon.ravel(), *fp.sbtrace_lon.ravel()))


def test_auto_uses_aacgm_below_the_limit_and_a_trace_above():
    alt = np.array([500.0, AACGM_FOOTPRINT_MAX_ALTITUDE_KM, 5000.0, 30000.0])
    lat = np.array([70.0, 66.0, 40.0, 10.0])
    lon = np.array([-100.0, 20.0, 150.0, -30.0])
    auto = footprints(lat, lon, alt, T, method="auto")
    low = footprints(lat[:2], lon[:2], alt[:2], T, method="aacgm")
    high = footprints(lat[2:], lon[2:], alt[2:], T, method="trace")
    for got, a, b in zip(auto, low, high, strict=True):
        np.testing.assert_array_equal(got, np.concatenate([a, b]))
    one = footprints(70.0, -100.0, 500.0, T, method="auto")
    assert np.ndim(one.nbtrace_lat) == 0 and float(one.nbtrace_lat) == float(low.nbtrace_lat[0])


def test_ground_site_is_traced_upward():
    # A site below the footprint altitude: its north footprint is on its own field line 110 km above it
    # (displaced equatorward by ~110 km / tan(inclination ~ 80 deg) ~ 20 km), and its south footprint is
    # near the AACGM conjugate point (which AuroraX uses at altitude 0; 110 km up moves it ~20-30 km).
    fp = footprints(56.376723, -94.643664, 0.0, T)
    assert (
        10.0
        < great_circle_distance_km(fp.nbtrace_lat, fp.nbtrace_lon, 56.376723, -94.643664)
        < 40.0
    )
    assert fp.nbtrace_lat < 56.376723
    gb = ground_btrace(56.376723, -94.643664, T)
    assert (
        great_circle_distance_km(fp.sbtrace_lat, fp.sbtrace_lon, gb.sbtrace_lat, gb.sbtrace_lon)
        < 60.0
    )


def test_no_footprint_gives_nan():
    # Below 110 km on the magnetic equator: the field line never reaches 110 km.
    fp = footprints(-12.0, -75.0, 50.0, T)
    assert np.isnan(list(fp)).all()
    # Polar cap at 500 km: the conjugate trace goes beyond max_radius_re (30 RE), i.e. "open".
    fp = footprints(85.0, 0.0, 500.0, T)
    assert np.isfinite(fp.nbtrace_lat) and np.isnan(fp.sbtrace_lat) and np.isnan(fp.sbtrace_lon)
    fp = footprints(85.0, 0.0, 500.0, T, max_radius_re=500.0)
    assert np.isfinite(fp.sbtrace_lat)


def test_aacgm_method_maps_along_the_field_line():
    lat, lon = trace_footprint(65.0, -100.0, 500.0, T, "south", method="aacgm")
    mlat_start, mlon_start = geo_to_aacgm(65.0, -100.0, 500.0, T)
    mlat_foot, mlon_foot = geo_to_aacgm(lat, lon, FOOTPRINT_ALTITUDE_KM, T)
    assert mlat_foot == pytest.approx(-mlat_start, abs=0.02)
    assert mlon_foot == pytest.approx(mlon_start, abs=0.05)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lat": 91.0}, r"lat must be within -90\.\.90 degrees; got 91\.0"),
        ({"hemisphere": "east"}, r"hemisphere must be 'north' or 'south'"),
        ({"method": "tsyganenko"}, r"method must be one of \('trace', 'aacgm'\)"),
        ({"field_model": "t89"}, r"field_model must be one of \('igrf', 'dipole'\)"),
        ({"footprint_altitude_km": -5.0}, r"footprint_altitude_km must be between 0 and 6371.2 km"),
        (
            {"method": "aacgm", "altitude_km": 3000.0},
            r"altitude_km must be at most 2000 km for method='aacgm'",
        ),
        (
            {"method": "aacgm", "footprint_altitude_km": 2500.0},
            r"footprint_altitude_km must be at most 2000 km for method='aacgm'",
        ),
        ({"altitude_km": -1000.0}, r"altitude_km must be above -500 km"),
        ({"time": dt.datetime(2035, 1, 1)}, r"time must be between 1900-01-01 and 2030-01-01"),
        ({"step_factor": 0.0}, r"step_factor must be positive"),
        ({"max_radius_re": 0.5}, r"max_radius_re must be greater than 1"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs, message):
    args = {"lat": 65.0, "lon": -100.0, "altitude_km": 500.0, "time": T, "hemisphere": "north"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        trace_footprint(**args)
