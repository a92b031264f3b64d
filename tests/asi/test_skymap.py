"""Skymaps: reading both formats, orientation against the real sky, geometry, selection by date."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import median_filter

from aurorax.asi import (
    AsiError,
    AsiFileError,
    AsiFileNotFoundError,
    ThemisReader,
    azel_to_lla,
    lla_to_azel,
    load_skymap,
    read_skymap,
    write_skymap,
)
from aurorax.asi._geometry import EARTH_RADIUS_KM

# (right ascension hours, declination degrees), J2000, of bright stars up at Gakona on
# 2011-01-06 17:00 UT (morning twilight).
STARS = {
    "Vega": (18.6156, 38.784),
    "Arcturus": (14.2610, 19.182),
    "Capella": (5.2782, 45.998),
    "Deneb": (20.6905, 45.280),
    "Castor": (7.5767, 31.888),
}


def _star_azel(ra_h, dec, time, lat, lon):
    jd = time.to_julian_date()
    gmst = (280.46061837 + 360.98564736629 * (jd - 2451545.0)) % 360.0
    ha = np.radians(gmst + lon - ra_h * 15.0)
    lat, dec = np.radians(lat), np.radians(dec)
    el = np.arcsin(np.sin(lat) * np.sin(dec) + np.cos(lat) * np.cos(dec) * np.cos(ha))
    az = np.arctan2(
        -np.cos(dec) * np.sin(ha),
        np.sin(dec) * np.cos(lat) - np.cos(dec) * np.cos(ha) * np.sin(lat),
    )
    return np.degrees(az) % 360.0, np.degrees(el)


def test_real_skymap_fields(real_dir):
    sky = read_skymap(real_dir / "themis_skymap_gako_20110305-+_vXX.sav")
    assert (sky.site_uid, sky.program) == ("gako", "themis")
    assert sky.site_lat == pytest.approx(62.41, abs=1e-4)
    assert sky.site_lon == pytest.approx(214.84 - 360.0, abs=1e-4)
    assert sky.altitudes_km == (90.0, 110.0, 150.0)
    assert sky.shape == (256, 256)
    assert sky.vertex_lat.shape == (3, 257, 257)
    assert sky.valid_from == pd.Timestamp("2011-03-05T08:00Z")
    assert np.nanmax(np.abs(sky.vertex_lon)) <= 180.0
    with pytest.raises(ValueError, match="read-only"):
        sky.elevation[0, 0] = 1.0


def test_real_skymap_orientation(real_dir):
    sky = read_skymap(real_dir / "themis_skymap_gako_20110305-+_vXX.sav")
    row, col = np.unravel_index(np.nanargmax(sky.elevation), sky.shape)
    assert sky.elevation[row, col] > 89.5
    assert abs(row - 128) < 5 and abs(col - 128) < 5
    lat, lon = sky.vertices(110.0)
    # north edge rows map north of the site, south edge rows south, west columns west, east east
    assert np.nanmean(lat[10:20, 120:136]) > sky.site_lat + 2
    assert np.nanmean(lat[-20:-10, 120:136]) < sky.site_lat - 2
    assert np.nanmean(lon[120:136, 10:20]) < sky.site_lon - 3
    assert np.nanmean(lon[120:136, -20:-10]) > sky.site_lon + 3


def test_stars_land_on_predicted_pixels(real_dir):
    """Bright stars of the real frame sit where the skymap says they should (orientation check)."""
    sky = read_skymap(real_dir / "themis_skymap_gako_20110305-+_vXX.sav")
    path = real_dir / "thg_l1_asf_gako_2011010617_v01.cdf"
    frames = ThemisReader().read_frames(path)
    median = np.median(frames, axis=0).astype(float)
    excess = median - median_filter(median, 9)
    time = ThemisReader().read_times(path)[11]
    for name, (ra, dec) in STARS.items():
        az, el = _star_azel(ra, dec, time, sky.site_lat, sky.site_lon)
        assert el > 15, name
        row, col = sky.azel_to_pixel(az, el)
        peak = excess[row - 1 : row + 2, col - 1 : col + 2].max()
        assert peak > 150, f"{name} not found at pixel {(int(row), int(col))}"
        # and not at the north-south or east-west mirrored positions
        assert excess[255 - row - 1 : 255 - row + 2, col - 1 : col + 2].max() < 100, name
        assert excess[row - 1 : row + 2, 255 - col - 1 : 255 - col + 2].max() < 100, name


def test_zenith_maps_to_site_and_north_45_round_trip():
    lat, lon = azel_to_lla(62.41, -145.16, 0.0, 123.0, 90.0, 110.0)
    assert lat == pytest.approx(62.41, abs=1e-9) and lon == pytest.approx(-145.16, abs=1e-9)
    lat, lon = azel_to_lla(62.41, -145.16, 0.0, 0.0, 45.0, 110.0)
    assert lon == pytest.approx(-145.16, abs=1e-9) and lat > 62.41
    # independent relation for a spherical Earth: tan(el) = (cos t - R/(R+h)) / sin t
    t = np.radians(lat - 62.41)
    ratio = EARTH_RADIUS_KM / (EARTH_RADIUS_KM + 110.0)
    assert np.degrees(np.arctan((np.cos(t) - ratio) / np.sin(t))) == pytest.approx(45.0, abs=1e-9)
    az, el = lla_to_azel(62.41, -145.16, 0.0, lat, lon, 110.0)
    assert az == pytest.approx(0.0, abs=1e-9) and el == pytest.approx(45.0, abs=1e-9)


def test_real_skymap_pixel_geometry(real_dir):
    sky = read_skymap(real_dir / "themis_skymap_gako_20110305-+_vXX.sav")
    row, col = np.unravel_index(np.nanargmax(sky.elevation), sky.shape)
    clat, clon = sky.pixel_centres(110.0)
    assert clat[row, col] == pytest.approx(sky.site_lat, abs=0.02)
    assert clon[row, col] == pytest.approx(sky.site_lon, abs=0.04)
    # the geometry reproduces the file's own vertex positions (means of 4 vertices ~ centre)
    vlat, _ = sky.vertices(110.0)
    mean_lat = (vlat[:-1, :-1] + vlat[1:, :-1] + vlat[:-1, 1:] + vlat[1:, 1:]) / 4
    high = sky.elevation > 30
    assert np.nanmax(np.abs(mean_lat - clat)[high]) < 0.01
    # a point due north at 45 degrees elevation is found at a pixel that looks there
    lat, lon = azel_to_lla(sky.site_lat, sky.site_lon, 0.0, 0.0, 45.0, 110.0)
    r, c = sky.lla_to_pixel(lat, lon, 110.0)
    assert sky.elevation[r, c] == pytest.approx(45.0, abs=0.6)
    assert (sky.azimuth[r, c] + 180) % 360 - 180 == pytest.approx(0.0, abs=1.5)
    # every sky pixel's own direction finds that pixel
    rows, cols = np.nonzero(np.isfinite(sky.elevation))
    fr, fc = sky.azel_to_pixel(sky.azimuth[rows, cols], sky.elevation[rows, cols])
    assert np.array_equal(fr, rows) and np.array_equal(fc, cols)
    assert sky.azel_to_pixel(10.0, -5.0) == (-1, -1)


def test_computed_altitude_matches_stored(real_dir):
    sky = read_skymap(real_dir / "themis_skymap_gako_20110305-+_vXX.sav")
    stored_lat, stored_lon = sky.vertices(150.0)
    only = type(sky)(
        **{
            **sky.__dict__,
            "altitudes_km": (110.0,),
            "vertex_lat": sky.vertex_lat[1:2],
            "vertex_lon": sky.vertex_lon[1:2],
        }
    )
    with pytest.raises(
        AsiError, match=r"has no vertices at 150 km; available altitudes are \['110'\] km"
    ):
        only.vertices(150.0)
    lat, lon = only.vertices(150.0, compute=True)
    ok = np.isfinite(stored_lat) & np.isfinite(lat)
    assert ok.sum() > 40000
    assert np.max(np.abs(lat - stored_lat)[ok]) < 0.01
    assert np.max(np.abs(lon - stored_lon)[ok]) < 0.02


def test_npz_round_trip(tmp_path, skymap):
    path = write_skymap(tmp_path / "themis_skymap_test_20200101-+_v01.npz", skymap)
    back = read_skymap(path)
    for name in ("azimuth", "elevation", "vertex_lat", "vertex_lon"):
        np.testing.assert_array_equal(getattr(back, name), getattr(skymap, name))
    assert back.altitudes_km == skymap.altitudes_km
    assert (back.site_uid, back.site_lat, back.site_lon) == ("test", 60.0, -100.0)
    assert back.valid_from == pd.Timestamp("2020-01-01", tz="UTC")


def test_synthetic_zenith_pixel_maps_to_site(skymap):
    # the vertex at the image centre looks at zenith: it maps onto the site exactly
    vlat, vlon = skymap.vertices(110.0)
    assert (vlat[32, 32], vlon[32, 32]) == (
        pytest.approx(60.0, abs=1e-4),
        pytest.approx(-100.0, abs=1e-4),
    )
    # the four pixels around it are 0.71 pixel (2.0 degrees) off zenith: 3.8 km at 110 km
    lat, lon = skymap.pixel_centres(110.0)
    assert np.allclose(np.abs(lat[31:33, 31:33] - 60.0), 3.84 / 111.2 * np.sqrt(0.5), atol=0.002)
    assert np.allclose(lat[31:33, 31:33].mean(), 60.0, atol=1e-3)
    assert np.allclose(lon[31:33, 31:33].mean(), -100.0, atol=1e-9)


def test_load_skymap_picks_newest_valid(tmp_path, skymap, caplog):
    for day in ("20190101", "20200601", "20210101"):
        write_skymap(tmp_path / f"themis_skymap_test_{day}-+_v01.npz", skymap)
    chosen = load_skymap("test", "2020-12-31T23:59", tmp_path)
    assert chosen.source.name == "themis_skymap_test_20200601-+_v01.npz"
    assert load_skymap("TEST", "2021-01-01", tmp_path).source.name.startswith(
        "themis_skymap_test_2021"
    )
    with pytest.raises(
        AsiFileNotFoundError,
        match=r"valid at 2018-05-01T00:00:00\+00:00: the earliest in .* is themis_skymap_test_20190101-\+_v01.npz \(valid from 2019-01-01\); pass allow_nearest=True",
    ):
        load_skymap("test", "2018-05-01", tmp_path)
    with caplog.at_level(logging.INFO, logger="aurorax.asi._skymap"):
        early = load_skymap("test", "2018-05-01", tmp_path, allow_nearest=True)
    assert early.source.name == "themis_skymap_test_20190101-+_v01.npz"
    assert "no skymap valid that early" in caplog.text
    with pytest.raises(AsiFileNotFoundError, match=r"no themis skymap for site 'other' in "):
        load_skymap("other", "2020-01-01", tmp_path)


def test_load_real_skymap_before_its_validity(real_dir):
    with pytest.raises(AsiFileNotFoundError, match="themis_skymap_gako_20110305"):
        load_skymap("gako", "2011-01-06T17:00", real_dir)
    assert load_skymap("gako", "2011-01-06T17:00", real_dir, allow_nearest=True).site_uid == "gako"


def test_bad_skymap_files(tmp_path, skymap):
    bad = tmp_path / "themis_skymap_x_20200101-+_v01.sav"
    bad.write_bytes(b"not idl")
    with pytest.raises(
        AsiFileError,
        match=r"themis_skymap_x_20200101-\+_v01.sav: not an IDL save file \(signature 6e6f7420\)",
    ):
        read_skymap(bad)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(2))
    with pytest.raises(AsiFileError, match=r"other.npz: not an aurorax skymap"):
        read_skymap(other)
    with pytest.raises(AsiFileError, match=r"unknown skymap format '.txt'"):
        (tmp_path / "s.txt").write_text("x")
        read_skymap(tmp_path / "s.txt")
    with pytest.raises(
        AsiFileError, match=r"vertex_lat shape \(3, 64, 64\), expected \(3, 65, 65\)"
    ):
        type(skymap)(**{**skymap.__dict__, "vertex_lat": skymap.vertex_lat[:, 1:, 1:]})


@settings(max_examples=200, deadline=None)
@given(
    site_lat=st.floats(-89.0, 89.0),
    site_lon=st.floats(-180.0, 180.0),
    az=st.floats(0.0, 359.999),
    el=st.floats(1.0, 89.0),
    altitude_km=st.floats(80.0, 400.0),
)
def test_azel_lla_round_trip(site_lat, site_lon, az, el, altitude_km):
    lat, lon = azel_to_lla(site_lat, site_lon, 0.2, az, el, altitude_km)
    az2, el2 = lla_to_azel(site_lat, site_lon, 0.2, lat, lon, altitude_km)
    assert el2 == pytest.approx(el, abs=1e-7)
    assert abs((az2 - az + 180.0) % 360.0 - 180.0) < 1e-6
