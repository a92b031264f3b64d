"""Time handling (every accepted type means the same UTC instant) and the solar elevation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from aurorax.geo import sun_elevation_deg
from aurorax.geo._sun import solar_position
from aurorax.geo._time import to_datetime64

INSTANT = np.datetime64("2021-12-01T05:30:00", "ns")


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2021, 12, 1, 5, 30),
        dt.datetime(2021, 12, 1, 5, 30, tzinfo=dt.UTC),
        dt.datetime(2021, 11, 30, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=-7))),
        np.datetime64("2021-12-01T05:30"),
        pd.Timestamp("2021-12-01T05:30"),
        pd.Timestamp("2021-12-01T06:30", tz="Europe/Oslo"),
        "2021-12-01T05:30:00Z",
    ],
)
def test_scalar_times_are_utc(value):
    assert to_datetime64(value) == INSTANT


def test_array_times_keep_shape_and_zone():
    idx = pd.date_range("2021-12-01T06:30", periods=4, freq="min", tz="Europe/Oslo")
    out = to_datetime64(idx)
    assert out.dtype == np.dtype("datetime64[ns]")
    assert out[0] == INSTANT
    assert to_datetime64(pd.Series(idx)).tolist() == out.tolist()
    grid = to_datetime64(np.array([[dt.datetime(2021, 12, 1, 5, 30)] * 3] * 2))
    assert grid.shape == (2, 3) and (grid == INSTANT).all()


def test_declination_at_the_solstices_and_equinox():
    t = to_datetime64(
        np.array(["2021-06-21T03:32", "2021-12-21T15:59", "2022-03-20T15:33"], "datetime64[m]")
    )
    dec = solar_position(t)["declination"]
    np.testing.assert_allclose(dec, [23.44, -23.44, 0.0], atol=0.01)


def test_noon_at_the_equator_near_an_equinox():
    # 2022-03-20: solar noon at 0E is near 12:07 UTC (equation of time about -7.5 min), and the
    # declination is within 0.2 degrees of zero, so the Sun is within ~0.2 degrees of the zenith.
    times = pd.date_range("2022-03-20T11:30", "2022-03-20T12:45", freq="10s")
    elev = sun_elevation_deg(0.0, 0.0, times)
    peak = times[int(np.argmax(elev))]
    assert abs((peak - pd.Timestamp("2022-03-20T12:07:30")).total_seconds()) < 60
    dec = solar_position(to_datetime64(peak))["declination"]
    assert elev.max() == pytest.approx(90.0 - abs(dec), abs=0.05)
    assert elev.max() > 89.7


def test_summer_solstice_noon_at_calgary():
    # Highest elevation on the June solstice is 90 - lat + 23.44 (refraction adds < 0.01 deg at 62 deg).
    times = pd.date_range("2021-06-21T18:00", "2021-06-21T21:00", freq="30s")
    elev = sun_elevation_deg(51.05, -114.07, times)
    assert elev.max() == pytest.approx(90.0 - 51.05 + 23.44, abs=0.05)


def test_polar_night_and_midnight_sun():
    day = pd.date_range("2021-12-21", periods=24 * 6, freq="10min")
    assert (sun_elevation_deg(80.0, 15.0, day) < -5).all()
    assert (sun_elevation_deg(-80.0, 15.0, day) > 5).all()


def test_refraction_lifts_the_sun_at_the_horizon():
    t = dt.datetime(2021, 9, 1, 6, 0)
    lons = np.linspace(-180, 180, 721)
    geometric = sun_elevation_deg(0.0, lons, t, refraction=False)
    apparent = sun_elevation_deg(0.0, lons, t)
    near_horizon = np.abs(geometric) < 0.2
    assert near_horizon.any()
    np.testing.assert_allclose((apparent - geometric)[near_horizon], 0.48, atol=0.1)
    high = geometric > 60
    assert np.abs(apparent - geometric)[high].max() < 0.01


def test_sun_elevation_broadcasts_and_propagates_nan():
    lat = np.array([[0.0], [45.0], [np.nan]])
    times = pd.date_range("2021-12-01", periods=5, freq="h")
    out = sun_elevation_deg(lat, 10.0, np.asarray(times)[None, :])
    assert out.shape == (3, 5)
    assert np.isnan(out[2]).all() and np.isfinite(out[:2]).all()
    assert np.ndim(sun_elevation_deg(0.0, 0.0, dt.datetime(2021, 1, 1))) == 0


def test_sun_elevation_refuses_bad_latitude():
    with pytest.raises(ValueError, match="lat must be within -90..90"):
        sun_elevation_deg(100.0, 0.0, dt.datetime(2021, 1, 1))
