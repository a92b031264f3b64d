"""Conjunction tools: footprint location in the sky, equal-area boxes, intensity along a track."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aurorax.asi import (
    Imager,
    azel_to_lla,
    equal_area_mask,
    footprint_intensity,
    image_path,
    lla_to_azel_pixel,
    lla_to_footprint,
    write_themis_cdf,
)
from aurorax.demo import THEMIS_LENS, make_demo_skymap

SITE = ("gill", 56.354, -94.616, 0.229)  # Gillam: lat, lon (deg), alt (km)
EARTH_KM = 6371.2


@pytest.fixture(scope="module")
def demo_skymap():
    return make_demo_skymap(*SITE, program="themis")


def _distance_km(lat1, lon1, lat2, lon2, altitude_km=110.0):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * (EARTH_KM + altitude_km) * np.arcsin(np.sqrt(h))


def test_zenith_footprint_is_the_centre_pixel_and_inside_its_box(demo_skymap):
    _, lat, lon, _ = SITE
    where = lla_to_azel_pixel(demo_skymap, lat, lon, 110.0)
    assert float(where.elevation_deg) == pytest.approx(90.0, abs=1e-6)
    # The lens centre is the vertex between pixels 127 and 128.
    assert int(where.row) in (127, 128) and int(where.col) in (127, 128)
    mask = equal_area_mask(demo_skymap, lat, lon, box_km=(20, 20), altitude_km=110.0)
    assert mask[int(where.row), int(where.col)] == 1.0
    assert set(np.unique(mask[np.isfinite(mask)])) == {1.0}


def test_point_due_north_at_45_degrees_is_north_of_zenith(demo_skymap):
    _, lat, lon, alt = SITE
    plat, plon = azel_to_lla(lat, lon, alt, 0.0, 45.0, 110.0)
    where = lla_to_azel_pixel(demo_skymap, plat, plon, 110.0)
    assert float(where.azimuth_deg) % 360 == pytest.approx(0.0, abs=1e-6)
    assert float(where.elevation_deg) == pytest.approx(45.0, abs=1e-6)
    # Equidistant lens: 45 degrees of zenith angle is 45 / deg_per_px pixels north (up) of centre.
    expected_row = 128 - 45.0 / THEMIS_LENS.deg_per_px
    assert abs(int(where.row) + 0.5 - expected_row) <= 1.0
    assert int(where.col) in (127, 128)


def test_points_outside_the_field_of_view_have_no_pixel(demo_skymap):
    where = lla_to_azel_pixel(demo_skymap, [40.0, np.nan], [-94.6, -94.6], [110.0, 110.0])
    assert list(where.row) == [-1, -1] and list(where.col) == [-1, -1]
    assert where.elevation_deg[0] < 0  # 1,800 km south: below the horizon


def test_box_at_zenith_covers_the_expected_number_of_pixels(demo_skymap):
    _, lat, lon, _ = SITE
    mask = equal_area_mask(demo_skymap, lat, lon, box_km=(20, 20), altitude_km=110.0)
    pixel_km = 110.0 * np.tan(np.radians(THEMIS_LENS.deg_per_px))  # ~1.34 km at zenith
    side = 20.0 / pixel_km
    count = np.nansum(mask)
    assert (np.floor(side) - 1) ** 2 <= count <= (np.ceil(side) + 1) ** 2
    rows, cols = np.nonzero(mask == 1)
    assert np.ptp(rows) + 1 == pytest.approx(side, abs=1.5)
    assert np.ptp(cols) + 1 == pytest.approx(side, abs=1.5)


def test_box_is_east_west_wide_along_columns(demo_skymap):
    _, lat, lon, _ = SITE
    mask = equal_area_mask(demo_skymap, lat, lon, box_km=(40, 10), altitude_km=110.0)
    rows, cols = np.nonzero(mask == 1)
    assert (np.ptp(cols) + 1) / (np.ptp(rows) + 1) == pytest.approx(4.0, rel=0.2)


def test_box_far_from_the_site_has_pixels_and_all_are_within_the_box(demo_skymap):
    _, lat, lon, alt = SITE
    plat, plon = azel_to_lla(lat, lon, alt, 120.0, 30.0, 110.0)
    mask = equal_area_mask(demo_skymap, float(plat), float(plon), box_km=(20, 20))
    clat, clon = demo_skymap.pixel_centres(110.0)
    inside = mask == 1
    assert inside.sum() > 4
    # Every selected pixel centre is within the box's half-diagonal of the centre.
    assert _distance_km(plat, plon, clat[inside], clon[inside]).max() <= np.hypot(10, 10) + 1e-6


@pytest.mark.parametrize(
    "box, message",
    [
        ((20,), "box_km must be (east_west_km, north_south_km), two positive numbers; got (20,)"),
        (
            (20, -1),
            "box_km must be (east_west_km, north_south_km), two positive numbers; got (20, -1)",
        ),
        ("big", "box_km must be (east_west_km, north_south_km), two positive numbers; got 'big'"),
    ],
)
def test_bad_box_is_rejected(demo_skymap, box, message):
    with pytest.raises(ValueError) as err:
        equal_area_mask(demo_skymap, 56.0, -94.0, box_km=box)
    assert str(err.value) == message


# --- intensity along a track --------------------------------------------------------------------

BRIGHT, BACKGROUND = 5000, 1000
BRIGHT_RADIUS_KM = 30.0


@pytest.fixture(scope="module")
def bright_spot_imager(demo_skymap, tmp_path_factory):
    """20 frames at 3 s: background counts with a 30 km-radius patch of known brightness."""
    asi_dir = tmp_path_factory.mktemp("asi")
    _, lat, lon, alt = SITE
    spot_lat, spot_lon = azel_to_lla(lat, lon, alt, 90.0, 70.0, 110.0)
    clat, clon = demo_skymap.pixel_centres(110.0)
    spot = _distance_km(spot_lat, spot_lon, clat, clon) <= BRIGHT_RADIUS_KM
    frame = np.where(spot, BRIGHT, BACKGROUND).astype(np.uint16)
    start = pd.Timestamp("2021-12-05T06:00:00")
    times = start + pd.to_timedelta(np.arange(20) * 3, "s")
    path = image_path("themis", "gill", start, asi_dir)
    write_themis_cdf(path, "gill", times, np.repeat(frame[None], len(times), axis=0))
    imager = Imager(
        "gill", start, start + pd.Timedelta(minutes=1), files=[path], skymap=demo_skymap
    )
    return imager, float(spot_lat), float(spot_lon)


def test_intensity_in_a_known_bright_region_equals_its_value(bright_spot_imager):
    imager, spot_lat, spot_lon = bright_spot_imager
    # A west-to-east track through the spot; points every 10 s, frames every 3 s.
    t0 = imager.times[0]
    track_t = t0 + pd.to_timedelta(np.arange(0, 61, 10), "s")
    track_lon = spot_lon + np.linspace(-1.5, 1.5, len(track_t))
    track_lat = np.full(len(track_t), spot_lat)
    result = footprint_intensity(imager, track_t, track_lat, track_lon, 110.0, box_km=(20, 20))
    assert list(result.columns) == [
        "time", "lat", "lon", "alt_km", "azimuth_deg", "elevation_deg", "row", "col",
        "n_pixels", "intensity",
    ]  # fmt: skip
    assert len(result) == len(imager)  # every frame lies inside the track's span
    assert str(result["time"].dt.tz) == "UTC"
    # Frame times are interpolated between track points: longitude grows linearly in time.
    seconds = (result["time"] - t0).dt.total_seconds().to_numpy()
    expected_lon = spot_lon - 1.5 + 3.0 * seconds / 60.0
    np.testing.assert_allclose(result["lon"], expected_lon, atol=2e-3)
    d = _distance_km(spot_lat, spot_lon, result["lat"], result["lon"])
    inside = d < BRIGHT_RADIUS_KM - np.hypot(10, 10) - 2
    outside = d > BRIGHT_RADIUS_KM + np.hypot(10, 10) + 2
    assert inside.sum() >= 2 and outside.sum() >= 4
    assert (result.loc[inside, "intensity"] == BRIGHT).all()
    assert (result.loc[outside, "intensity"] == BACKGROUND).all()
    assert (result["n_pixels"] > 20).all()


def test_statistic_is_pluggable_and_frames_outside_the_track_are_dropped(bright_spot_imager):
    imager, spot_lat, spot_lon = bright_spot_imager
    t0 = imager.times[0]
    track_t = (t0 + pd.to_timedelta([15, 30], "s")).as_unit("s")  # any resolution works
    result = footprint_intensity(
        imager, track_t, [spot_lat, spot_lat], [spot_lon - 0.4, spot_lon + 0.4], 110.0,
        box_km=(60, 60), statistic=np.nanmax,
    )  # fmt: skip
    assert list((result["time"] - t0).dt.total_seconds()) == [15.0, 18.0, 21.0, 24.0, 27.0, 30.0]
    assert (result["intensity"] == BRIGHT).all()


def test_track_gaps_give_nan(bright_spot_imager):
    imager, spot_lat, spot_lon = bright_spot_imager
    t0 = imager.times[0]
    track_t = t0 + pd.to_timedelta([0, 57], "s")
    result = footprint_intensity(
        imager, track_t, [spot_lat] * 2, [spot_lon] * 2, 110.0, max_gap_s=30.0
    )
    assert result["intensity"].iloc[0] == BRIGHT  # exactly on a track point
    assert result["intensity"].iloc[1:-1].isna().all()
    assert result["intensity"].iloc[-1] == BRIGHT


def test_track_errors_are_clear(bright_spot_imager):
    imager, lat, lon = bright_spot_imager
    t = imager.times[:2]
    with pytest.raises(ValueError) as err:
        footprint_intensity(imager, t, [lat], [lon, lon], 110.0)
    assert str(err.value) == (
        "track_times, track_lat and track_lon must have the same length; got 2, 1, 2"
    )
    with pytest.raises(ValueError) as err:
        footprint_intensity(imager, t[::-1], [lat] * 2, [lon] * 2, 110.0)
    assert str(err.value) == "track_times must be increasing"
    with pytest.raises(ValueError) as err:
        footprint_intensity(imager, t, [lat] * 2, [lon] * 2, [110.0, 230.0])
    assert str(err.value) == (
        "track_alt_km must be one footprint altitude (the box is drawn there); got [110. 230.]"
    )


def test_footprint_of_a_500_km_satellite_is_poleward_and_near():
    geo = pytest.importorskip("aurorax.geo")
    if not hasattr(geo, "trace_footprint"):
        pytest.skip("aurorax.geo.trace_footprint is not available yet")
    lat, lon = lla_to_footprint([56.0], [-94.6], [500.0], pd.Timestamp("2021-12-05T06:00Z"))
    # Northern-hemisphere field lines lean poleward going down (inclination ~77 deg at Gillam):
    # 390 km of descent moves the foot ~390 / tan(77 deg) ~ 90 km north.
    assert 0.3 < float(lat[0]) - 56.0 < 1.5
    assert abs(float(lon[0]) + 94.6) < 1.0
