"""The seeded weather / outage model."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from aurorax.demo import WeatherModel

SITES = pd.DataFrame(
    {"program": ["themis-asi", "rego", "themis-asi"], "site_uid": ["gill", "gill", "rank"]}
)
START, END = datetime(2021, 12, 1), datetime(2022, 1, 1)
MINUTES = pd.date_range(START, END, freq="1min", inclusive="left", tz="UTC")


@pytest.fixture(scope="module")
def weather():
    return WeatherModel(2021, SITES, START, END)


def test_cloud_cover_is_a_fraction_with_multi_hour_correlation(weather):
    cover = weather.cloud_fraction("gill", MINUTES)
    assert cover.min() >= 0.0 and cover.max() <= 1.0
    # Both clear and overcast skies occur in a month.
    assert (cover < 0.3).mean() > 0.15 and (cover > 0.9).mean() > 0.05

    def autocorr(lag_min):
        return np.corrcoef(cover[:-lag_min], cover[lag_min:])[0, 1]

    assert autocorr(60) > 0.9
    assert autocorr(3 * 1440) < autocorr(180)


def test_sites_have_their_own_weather_and_colocated_imagers_share_it(weather):
    gill = weather.cloud_fraction("gill", MINUTES)
    rank = weather.cloud_fraction("rank", MINUTES)
    assert not np.allclose(gill, rank)
    again = WeatherModel(2021, SITES, START, END).cloud_fraction("gill", MINUTES)
    np.testing.assert_array_equal(gill, again)


def test_outages_last_hours_to_days_and_are_per_instrument():
    weather = WeatherModel(3, SITES, datetime(2021, 1, 1), datetime(2022, 1, 1))
    minutes = pd.date_range("2021-01-01", "2022-01-01", freq="1min", inclusive="left", tz="UTC")
    down = weather.outage("themis-asi", "gill", minutes)
    other = weather.outage("rego", "gill", minutes)
    assert 0.0 < down.mean() < 0.25
    assert not np.array_equal(down, other)
    edges = np.flatnonzero(np.diff(down.astype(int)))
    if down[0]:
        edges = np.r_[-1, edges]
    lengths_h = np.diff(edges)[::2] / 60.0
    assert lengths_h.min() >= 2.0 - 1 / 60 and lengths_h.max() <= 72.0


def test_unknown_site_and_imager_are_named(weather):
    with pytest.raises(ValueError, match=r"unknown site_uid 'xxxx'; known: \['gill', 'rank'\]"):
        weather.cloud_fraction("xxxx", MINUTES[:3])
    with pytest.raises(ValueError, match=r"unknown imager trex/gill; known: \['rego/gill'"):
        weather.outage("trex", "gill", MINUTES[:3])
