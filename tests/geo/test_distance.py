"""Great-circle distance: known distances, the antimeridian, the poles, broadcasting, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurorax.geo import EARTH_RADIUS_KM, FOOTPRINT_ALTITUDE_KM, great_circle_distance_km

R110 = EARTH_RADIUS_KM + FOOTPRINT_ALTITUDE_KM  # 6481.2 km


def test_one_degree_of_latitude_at_the_footprint_altitude():
    expected = 2 * math.pi * R110 / 360.0  # 113.118 km
    assert great_circle_distance_km(60.0, -100.0, 61.0, -100.0) == pytest.approx(
        expected, rel=1e-12
    )
    assert expected == pytest.approx(113.118, abs=1e-3)


def test_altitude_scales_the_sphere():
    d0 = great_circle_distance_km(10.0, 20.0, 30.0, 40.0, altitude_km=0.0)
    d400 = great_circle_distance_km(10.0, 20.0, 30.0, 40.0, altitude_km=400.0)
    assert d400 / d0 == pytest.approx((EARTH_RADIUS_KM + 400.0) / EARTH_RADIUS_KM, rel=1e-12)


def test_across_the_antimeridian_is_short():
    one_degree_ground = 2 * math.pi * EARTH_RADIUS_KM / 360.0
    d = great_circle_distance_km(0.0, 179.5, 0.0, -179.5, altitude_km=0.0)
    assert d == pytest.approx(one_degree_ground, rel=1e-9)
    assert great_circle_distance_km(0.0, 180.0, 0.0, -180.0) == pytest.approx(0.0, abs=1e-9)
    assert great_circle_distance_km(0.0, 10.0, 0.0, 370.0) == pytest.approx(0.0, abs=1e-9)


def test_poles():
    # Every longitude at a pole is the same point.
    assert great_circle_distance_km(90.0, 0.0, 90.0, 123.0) == pytest.approx(0.0, abs=1e-9)
    assert great_circle_distance_km(-90.0, -45.0, -90.0, 170.0) == pytest.approx(0.0, abs=1e-9)
    assert great_circle_distance_km(90.0, 0.0, -90.0, 77.0) == pytest.approx(
        math.pi * R110, rel=1e-12
    )
    # Over the pole: 89N 0E to 89N 180E is 2 degrees.
    assert great_circle_distance_km(89.0, 0.0, 89.0, 180.0) == pytest.approx(
        2 * math.pi * R110 / 180.0, rel=1e-9
    )


def test_identical_points_are_zero_apart():
    lat = np.array([-90.0, -45.3, 0.0, 12.5, 89.999, 90.0])
    lon = np.array([0.0, 170.0, -180.0, 33.3, -1.0, 45.0])
    np.testing.assert_array_equal(great_circle_distance_km(lat, lon, lat, lon), np.zeros(6))


def test_broadcasting_and_scalars():
    d = great_circle_distance_km(
        np.array([[0.0], [10.0], [20.0]]), 0.0, np.zeros(4), np.arange(4.0)
    )
    assert d.shape == (3, 4)
    assert d[0, 0] == 0.0
    scalar = great_circle_distance_km(1.0, 2.0, 3.0, 4.0)
    assert isinstance(scalar, float) and np.ndim(scalar) == 0


def test_nan_propagates():
    d = great_circle_distance_km(np.array([np.nan, 1.0]), 0.0, 0.0, 0.0)
    assert np.isnan(d[0]) and np.isfinite(d[1])


@pytest.mark.parametrize(
    ("args", "name"),
    [((91.0, 0.0, 0.0, 0.0), "lat1"), ((0.0, 0.0, -90.5, 0.0), "lat2")],
)
def test_latitude_out_of_range_is_refused(args, name):
    with pytest.raises(ValueError, match=rf"{name} must be within -90..90 degrees"):
        great_circle_distance_km(*args)


def test_altitude_below_the_centre_is_refused():
    with pytest.raises(ValueError, match="altitude_km must be greater than"):
        great_circle_distance_km(0.0, 0.0, 1.0, 1.0, altitude_km=-7000.0)


lats = st.floats(-90, 90, allow_nan=False)
lons = st.floats(-540, 540, allow_nan=False)


@given(lats, lons, lats, lons)
def test_symmetric_bounded_and_periodic(lat1, lon1, lat2, lon2):
    d12 = great_circle_distance_km(lat1, lon1, lat2, lon2)
    d21 = great_circle_distance_km(lat2, lon2, lat1, lon1)
    assert d12 == pytest.approx(d21, abs=1e-6)
    assert 0.0 <= d12 <= math.pi * R110 + 1e-6
    assert great_circle_distance_km(lat1, lon1 + 360.0, lat2, lon2) == pytest.approx(d12, abs=1e-6)
