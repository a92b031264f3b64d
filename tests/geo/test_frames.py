"""GEI / J2000 / GEO / GSE / GSM rotations: round trips, known geometry and independent numbers."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pytest

from aurorax import geo
from aurorax.geo import FRAMES, convert_frame, frame_to_geodetic, geodetic_to_frame
from aurorax.geo._igrf import igrf_coefficients

T = dt.datetime(2012, 6, 1, 17, 30)
RNG = np.random.default_rng(12)
TIMES = np.datetime64("1995-01-01", "ns") + RNG.integers(0, 30 * 365 * 86400, 50).astype(
    "timedelta64[s]"
)
VECTORS = RNG.normal(size=(50, 3)) * 20000.0


def angle_deg(a, b):
    cos = np.sum(a * b, axis=-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


@pytest.mark.parametrize(("a", "b"), list(itertools.permutations(FRAMES, 2)))
def test_round_trips_and_lengths(a, b):
    there = convert_frame(VECTORS, TIMES, a, b)
    np.testing.assert_allclose(np.linalg.norm(there, axis=1), np.linalg.norm(VECTORS, axis=1))
    assert not np.allclose(there, VECTORS)  # every pair really rotates
    np.testing.assert_allclose(convert_frame(there, TIMES, b, a), VECTORS, atol=1e-8)


def test_chained_conversions_equal_direct_ones():
    via = convert_frame(convert_frame(VECTORS, TIMES, "GSE", "J2000"), TIMES, "J2000", "GSM")
    np.testing.assert_allclose(via, convert_frame(VECTORS, TIMES, "GSE", "GSM"), atol=1e-8)


def test_shapes_broadcasting_and_nat():
    grid = VECTORS[:6].reshape(2, 3, 3)
    out = convert_frame(grid, TIMES[:6].reshape(2, 3), "geo", "gsm")
    assert out.shape == (2, 3, 3)
    np.testing.assert_allclose(out[1, 2], convert_frame(grid[1, 2], TIMES[5], "GEO", "GSM"))
    one_time = convert_frame(VECTORS[:4], T, "GEI", "GEO")
    np.testing.assert_allclose(one_time[3], convert_frame(VECTORS[3], T, "GEI", "GEO"))
    nat = convert_frame(
        VECTORS[:2], np.array(["NaT", "2020-01-01"], "datetime64[ns]"), "GEO", "GSE"
    )
    assert np.isnan(nat[0]).all() and np.isfinite(nat[1]).all()


def test_bad_input():
    with pytest.raises(
        ValueError, match="to_frame must be one of GEO, GEI, J2000, GSE, GSM, not 'SM'"
    ):
        convert_frame([1.0, 0.0, 0.0], T, "GEO", "SM")
    with pytest.raises(
        ValueError, match=r"xyz must have a last axis of length 3, got shape \(2,\)"
    ):
        convert_frame([1.0, 0.0], T, "GEO", "GSE")
    with pytest.raises(ValueError, match=r"time \(shape \(3,\)\) does not broadcast against xyz"):
        convert_frame(VECTORS[:2], TIMES[:3], "GEO", "GSE")


def test_gse_x_points_at_the_sun():
    # Near the March equinox at 12:07 UTC the Sun is within ~0.3 deg of the zenith of (0N, 0E).
    when = dt.datetime(2022, 3, 20, 12, 7)
    assert angle_deg(convert_frame([1.0, 0.0, 0.0], when, "GEO", "GSE"), np.array([1, 0, 0])) < 0.5
    # The sub-solar point from the Sun's elevation: where the Sun is at the zenith.
    lat, lon = np.meshgrid(np.linspace(-2, 2, 81), np.linspace(-3, 3, 121), indexing="ij")
    elevation = geo.sun_elevation_deg(lat, lon, when, refraction=False)
    i, j = np.unravel_index(np.argmax(elevation), elevation.shape)
    x_gse = convert_frame(
        geodetic_to_frame(lat[i, j], lon[i, j], 0.0, when, "GEO"), when, "GEO", "GSE"
    )
    assert angle_deg(x_gse, np.array([1.0, 0.0, 0.0])) < 0.1


def test_gse_z_is_the_ecliptic_pole():
    # The ecliptic pole is 23.44 deg from the Earth's rotation axis at any time.
    z_in_geo = convert_frame(np.tile([0.0, 0.0, 1.0], (50, 1)), TIMES, "GSE", "GEO")
    np.testing.assert_allclose(angle_deg(z_in_geo, np.array([0.0, 0.0, 1.0])), 23.44, atol=0.01)
    # At the June solstice the Sun is at the pole's side of the equator: GSE Z leans anti-sunward.
    z = convert_frame([0.0, 0.0, 1.0], dt.datetime(2021, 6, 21, 12), "GSE", "GEI")
    assert z[1] < 0 and z[0] == pytest.approx(0.0, abs=0.01)


def test_gsm_z_lies_in_the_plane_of_x_and_the_dipole_axis():
    # The GSM axes use the IGRF coefficients of the day's midday.
    axis = igrf_coefficients(T.replace(hour=12, minute=0)).dipole_axis()
    d = convert_frame(axis, T, "GEO", "GSM")
    assert d[1] == pytest.approx(0.0, abs=1e-12)
    assert d[2] > 0.8  # the dipole tilt is at most ~35 deg


def test_gsm_and_gse_share_x():
    gsm = convert_frame(VECTORS, TIMES, "GSE", "GSM")
    np.testing.assert_allclose(gsm[:, 0], VECTORS[:, 0], atol=1e-8)
    x = convert_frame([[1.0, 0.0, 0.0]], TIMES[:1], "GSE", "GSM")
    np.testing.assert_allclose(x, [[1.0, 0.0, 0.0]], atol=1e-12)


def test_consistent_with_geo_to_gsm():
    lat = RNG.uniform(-90, 90, 50)
    lon = RNG.uniform(-180, 180, 50)
    alt = RNG.uniform(0, 60000, 50)
    gsm = geodetic_to_frame(lat, lon, alt, TIMES, "GSM")
    want_lat, want_lon = geo.geo_to_gsm(lat, lon, alt, TIMES)
    np.testing.assert_allclose(
        np.degrees(np.arcsin(gsm[:, 2] / np.linalg.norm(gsm, axis=1))), want_lat, atol=1e-9
    )
    np.testing.assert_allclose(np.degrees(np.arctan2(gsm[:, 1], gsm[:, 0])), want_lon, atol=1e-9)


def test_geodetic_round_trip_in_every_frame():
    lat, lon, alt = np.array([65.0, -30.0]), np.array([-147.0, 100.0]), np.array([500.0, 35786.0])
    for frame in FRAMES:
        back = frame_to_geodetic(
            geodetic_to_frame(lat, lon, alt, TIMES[:2], frame), TIMES[:2], frame
        )
        np.testing.assert_allclose(back, [lat, lon, alt], atol=1e-7)


def test_vallado_example_3_15():
    # Vallado, Fundamentals of Astrodynamics and Applications (4th ed.), Example 3-15: one position
    # in GCRF (~J2000), mean of date and ITRF at 2004-04-06 07:51:28.386009 UTC. Our GEO neglects
    # nutation, the equation of the equinoxes, polar motion and UT1 - UTC (-0.44 s): ~0.15 km here.
    when = dt.datetime(2004, 4, 6, 7, 51, 28, 386009)
    j2000 = np.array([5102.508958, 6123.011401, 6378.136928])
    mod = np.array([5094.0283745, 6127.8708164, 6380.2485164])
    itrf = np.array([-1033.4793830, 7901.2952754, 6380.3565958])
    np.testing.assert_allclose(convert_frame(j2000, when, "J2000", "GEI"), mod, atol=1e-3)
    np.testing.assert_allclose(convert_frame(j2000, when, "J2000", "GEO"), itrf, atol=0.3)
    np.testing.assert_allclose(convert_frame(itrf, when, "GEO", "J2000"), j2000, atol=0.3)


def _rot(angle_deg_, axis):
    """Hapgood's <angle, axis>: rotation of the axes by ``angle`` about X (0) or Z (2)."""
    c, s = math.cos(math.radians(angle_deg_)), math.sin(math.radians(angle_deg_))
    if axis == 2:
        return np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])
    return np.array([[1, 0, 0], [0, c, s], [0, -s, c]])


@pytest.mark.parametrize(
    "when",
    [
        dt.datetime(1996, 3, 21, 3),
        dt.datetime(2012, 6, 1, 17, 30),
        dt.datetime(2025, 11, 9, 22, 45),
    ],
)
def test_geo_to_gse_matches_hapgood_1992_formulas(when):
    # Hapgood (1992) sec. 2-3 with his low-precision Sun and GMST, written out independently:
    # GEO = <theta, Z> GEI and GSE = <lambda, Z> <epsilon, X> GEI.
    midnight = dt.datetime(when.year, when.month, when.day)
    t0 = ((midnight - dt.datetime(2000, 1, 1, 12)).total_seconds() / 86400.0) / 36525.0
    h = (when - midnight).total_seconds() / 3600.0
    theta = 100.461 + 36000.770 * t0 + 15.04107 * h
    mean_anom = 357.528 + 35999.050 * t0 + 0.04107 * h
    mean_long = 280.460 + 36000.772 * t0 + 0.04107 * h
    lam = (
        mean_long
        + (1.915 - 0.0048 * t0) * math.sin(math.radians(mean_anom))
        + 0.020 * math.sin(math.radians(2 * mean_anom))
    )
    eps = 23.439 - 0.013 * t0
    geo_to_gse = _rot(lam, 2) @ _rot(eps, 0) @ _rot(theta, 2).T
    for v in VECTORS[:5]:
        assert angle_deg(convert_frame(v, when, "GEO", "GSE"), geo_to_gse @ v) < 0.01
        assert angle_deg(convert_frame(v, when, "GEO", "GEI"), _rot(theta, 2).T @ v) < 0.01


def test_matches_geopack():
    geopack = pytest.importorskip("geopack.geopack")
    for when in (dt.datetime(2012, 6, 1, 17, 30), dt.datetime(2003, 11, 20, 6, 15)):
        geopack.recalc((when - dt.datetime(1970, 1, 1)).total_seconds())
        for v in VECTORS[:5]:
            pairs = [
                (("GEO", "GSM"), geopack.geogsm(*v, 1)),
                (("GSM", "GSE"), geopack.gsmgse(*v, 1)),
                (("GEI", "GEO"), geopack.geigeo(*v, 1)),
            ]
            for (a, b), want in pairs:
                assert angle_deg(convert_frame(v, when, a, b), np.array(want)) < 0.02, (a, b, when)


def test_docstring_examples():
    import doctest

    import aurorax.geo._frames as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0
