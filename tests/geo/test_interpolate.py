"""Great-circle interpolation of a track: known geometry on the sphere."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aurorax.geo import great_circle_distance_km, interpolate_great_circle

T0 = pd.Timestamp("2021-12-01T05:00", tz="UTC")


def test_midpoint_of_a_meridian_and_of_the_equator():
    times = [T0, T0 + pd.Timedelta("60s")]
    lat, lon = interpolate_great_circle(
        times, [0.0, 20.0], [10.0, 10.0], [T0 + pd.Timedelta("30s")]
    )
    assert lat == pytest.approx([10.0]) and lon == pytest.approx([10.0])
    lat, lon = interpolate_great_circle(
        times, [0.0, 0.0], [170.0, -170.0], T0 + pd.Timedelta("15s")
    )
    # Across the antimeridian the short way, a quarter of the 20-degree arc.
    assert lat == pytest.approx([0.0], abs=1e-12) and lon == pytest.approx([175.0])


def test_points_lie_on_the_great_circle_at_a_constant_rate():
    # Two points 30 degrees apart off the equator: a chord-then-normalise blend would move
    # faster in the middle; the great-circle one covers equal arcs in equal times.
    times = [T0, T0 + pd.Timedelta("60s")]
    new = pd.date_range(T0, periods=61, freq="1s")
    lat, lon = interpolate_great_circle(times, [60.0, 70.0], [-120.0, -80.0], new)
    steps = great_circle_distance_km(lat[:-1], lon[:-1], lat[1:], lon[1:])
    assert np.ptp(steps) < 1e-6 * steps.mean()
    total = great_circle_distance_km(60.0, -120.0, 70.0, -80.0)
    assert steps.sum() == pytest.approx(total, rel=1e-9)
    assert (lat[0], lon[0], lat[-1], lon[-1]) == pytest.approx((60.0, -120.0, 70.0, -80.0))


def test_outside_the_track_and_across_gaps_is_nan():
    times = [T0, T0 + pd.Timedelta("60s"), T0 + pd.Timedelta("600s")]
    new = [T0 - pd.Timedelta("1s"), T0 + pd.Timedelta("30s"), T0 + pd.Timedelta("300s")]
    lat, _ = interpolate_great_circle(times, [0.0, 1.0, 2.0], [0.0, 0.0, 0.0], new, max_gap_s=120)
    assert np.isnan(lat[0]) and lat[1] == pytest.approx(0.5) and np.isnan(lat[2])


def test_bad_input_says_what_is_wrong():
    with pytest.raises(ValueError, match="same length; got 2, 1, 2"):
        interpolate_great_circle([T0, T0 + pd.Timedelta("1s")], [0.0], [0.0, 1.0], [T0])
    with pytest.raises(ValueError, match="times must be increasing"):
        interpolate_great_circle([T0, T0], [0.0, 1.0], [0.0, 1.0], [T0])
