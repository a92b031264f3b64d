"""The IGRF field evaluation (against an independent potential gradient and geopack) and GEO -> GSM."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy.special import lpmv

from aurorax.geo import geo_to_gsm
from aurorax.geo._ellipsoid import ecef_to_geodetic, geodetic_to_ecef
from aurorax.geo._igrf import field_geo, igrf_coefficients
from aurorax.geo._sun import solar_position
from aurorax.geo._time import to_datetime64

T = dt.datetime(2021, 12, 1, 6, 0)


def _potential(x, y, z, coeffs):
    """Scalar potential (nT * RE) from scipy's Legendre functions, Schmidt-normalised by hand."""
    r = math.sqrt(x * x + y * y + z * z)
    theta = math.acos(z / r)
    phi = math.atan2(y, x)
    total = 0.0
    for n in range(1, coeffs.nmax + 1):
        for m in range(n + 1):
            norm = math.sqrt((2 - (m == 0)) * math.factorial(n - m) / math.factorial(n + m))
            p = (-1) ** m * lpmv(m, n, math.cos(theta)) * norm  # remove Condon-Shortley phase
            total += (
                (1 / r) ** (n + 1)
                * (coeffs.g[n, m] * math.cos(m * phi) + coeffs.h[n, m] * math.sin(m * phi))
                * p
            )
    return total


@pytest.mark.parametrize(
    "point", [(0.3, -0.8, 0.6), (2.0, 1.0, -1.5), (-0.1, 0.05, 1.02), (1.1, 0.0, 0.0)]
)
def test_field_is_minus_the_gradient_of_the_potential(point):
    coeffs = igrf_coefficients(T)
    eps = 1e-5
    grad = []
    for axis in range(3):
        plus = list(point)
        minus = list(point)
        plus[axis] += eps
        minus[axis] -= eps
        grad.append((_potential(*plus, coeffs) - _potential(*minus, coeffs)) / (2 * eps))
    b = np.array([c[0] for c in field_geo(*(np.array([v]) for v in point), coeffs)])
    np.testing.assert_allclose(b, -np.array(grad), rtol=1e-6, atol=1e-6 * np.linalg.norm(b))


def test_field_on_the_polar_axis_is_finite_and_continuous():
    coeffs = igrf_coefficients(T)
    on_axis = np.array(field_geo(np.array([0.0]), np.array([0.0]), np.array([1.1]), coeffs)).ravel()
    near = np.array(field_geo(np.array([1e-7]), np.array([0.0]), np.array([1.1]), coeffs)).ravel()
    assert np.isfinite(on_axis).all()
    np.testing.assert_allclose(on_axis, near, rtol=1e-5)


def test_field_matches_geopack_igrf():
    geopack = pytest.importorskip("geopack.geopack")
    when = dt.datetime(2012, 6, 1)  # definitive (DGRF) era, same coefficients in IGRF-13 and -14
    geopack.recalc((when - dt.datetime(1970, 1, 1)).total_seconds())
    coeffs = igrf_coefficients(when)
    for lat, lon, r in [(0, 0, 1.0), (45, 90, 1.05), (-60, -120, 3.0), (89.9, 20, 1.2)]:
        th, ph = math.radians(90 - lat), math.radians(lon)
        br, bt, bp = geopack.igrf_geo(r, th, ph)
        x = np.array([r * math.sin(th) * math.cos(ph)])
        y = np.array([r * math.sin(th) * math.sin(ph)])
        z = np.array([r * math.cos(th)])
        b = np.array([c[0] for c in field_geo(x, y, z, coeffs)])
        e_r = np.array([x[0], y[0], z[0]]) / r
        e_t = np.array([math.cos(th) * math.cos(ph), math.cos(th) * math.sin(ph), -math.sin(th)])
        e_p = np.array([-math.sin(ph), math.cos(ph), 0.0])
        np.testing.assert_allclose([b @ e_r, b @ e_t, b @ e_p], [br, bt, bp], atol=1.0)


def test_coefficients_outside_the_model_are_refused():
    with pytest.raises(ValueError, match="time must be between 1900-01-01 and 2030-01-01"):
        igrf_coefficients(dt.datetime(2031, 1, 1))


def test_geodetic_round_trip():
    lat = np.array([-90.0, -45.0, 0.0, 33.3, 89.99, 90.0])
    lon = np.array([0.0, 170.0, -180.0, 12.0, -77.0, 0.0])
    alt = np.array([0.0, 110.0, 500.0, 35786.0, 63712.0, 1.0])
    back = ecef_to_geodetic(*geodetic_to_ecef(lat, lon, alt))
    np.testing.assert_allclose(back[0], lat, atol=1e-9)
    np.testing.assert_allclose(back[2], alt, atol=1e-6)
    keep = np.abs(lat) < 90
    np.testing.assert_allclose(((back[1] - lon + 180) % 360 - 180)[keep], 0.0, atol=1e-9)


def test_point_on_the_sun_earth_line_has_gsm_latitude_and_longitude_zero():
    when = dt.datetime(2022, 3, 20, 12, 7)
    sun = solar_position(to_datetime64(when))
    # The sub-solar point (geocentric declination; geodetic latitude differs by < 0.01 deg here).
    gsm_lat, gsm_lon = geo_to_gsm(
        float(sun["declination"]), float(sun["subsolar_lon"]), 60000.0, when
    )
    assert gsm_lat == pytest.approx(0.0, abs=0.01)
    assert gsm_lon == pytest.approx(0.0, abs=0.01)
    # Independently of our ephemeris: near the March equinox at 12:07 UTC the Sun is within ~0.3 deg of
    # the zenith of (0N, 0E), so that point is nearly on the Sun-Earth line; the antipode is anti-sunward.
    lat, lon = geo_to_gsm(0.0, 0.0, 60000.0, when)
    assert abs(lat) < 0.5 and abs(lon) < 0.5
    lat, lon = geo_to_gsm(0.0, 180.0, 60000.0, when)
    assert abs(lat) < 0.5 and abs(abs(lon) - 180.0) < 0.5


def test_dipole_axis_lies_in_the_gsm_xz_plane():
    axis = igrf_coefficients(T).dipole_axis()
    lat = math.degrees(math.asin(axis[2]))
    lon = math.degrees(math.atan2(axis[1], axis[0]))
    # A point far out along the axis (geocentric and geodetic latitude agree there to ~1e-4 deg).
    gsm_lat, gsm_lon = geo_to_gsm(lat, lon, 1e6, T)
    assert min(abs(gsm_lon), abs(abs(gsm_lon) - 180.0)) < 0.01
    assert 55 < gsm_lat < 90


def test_gsm_matches_geopack():
    geopack = pytest.importorskip("geopack.geopack")
    when = dt.datetime(2012, 6, 1, 17, 30)
    geopack.recalc((when - dt.datetime(1970, 1, 1)).total_seconds())
    lat = np.array([10.0, -40.0, 70.0])
    lon = np.array([30.0, 160.0, -100.0])
    alt = np.array([20000.0, 500.0, 60000.0])
    x, y, z = geodetic_to_ecef(lat, lon, alt)
    gsm_lat, gsm_lon = geo_to_gsm(lat, lon, alt, when)
    for i in range(3):
        xg, yg, zg = geopack.geogsm(x[i], y[i], z[i], 1)
        assert gsm_lat[i] == pytest.approx(
            math.degrees(math.atan2(zg, math.hypot(xg, yg))), abs=0.02
        )
        assert gsm_lon[i] == pytest.approx(math.degrees(math.atan2(yg, xg)), abs=0.02)


def test_gsm_shapes_and_bad_input():
    lat, lon = geo_to_gsm(np.zeros((2, 3)), 0.0, 1000.0, T)
    assert lat.shape == lon.shape == (2, 3)
    with pytest.raises(ValueError, match="lat must be within -90..90"):
        geo_to_gsm(-91.0, 0.0, 0.0, T)


@pytest.mark.parametrize(
    "when", [dt.datetime(1987, 3, 4, 5), dt.datetime(2021, 12, 1, 6), dt.datetime(2027, 7, 1)]
)
def test_per_point_times_equal_interpolated_coefficients(when):
    # The tracer evaluates each point at its own time as segment(g) + years * segment(g_sv).
    from aurorax.geo._igrf import igrf_segment, segment_index
    from aurorax.geo._time import decimal_year

    year = decimal_year(when)
    segment = igrf_segment(int(segment_index(year)))
    pts = np.array([[0.3, -0.8, 0.6], [2.0, 1.0, -1.5]]).T
    direct = np.array(field_geo(*pts, igrf_coefficients(when)))
    via_sv = np.array(field_geo(*pts, segment, years=np.full(2, year - segment.epoch)))
    np.testing.assert_allclose(via_sv, direct, rtol=1e-12, atol=1e-9)
