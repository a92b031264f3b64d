"""Keograms along the meridian and custom paths, with pixel, geographic and AACGM axes."""

from __future__ import annotations

import aacgmv2
import numpy as np
import pytest

from aurorax.asi import AsiError, Imager, azel_to_lla, make_keogram

from .conftest import REAL_IMAGES, REAL_SKYMAP, write_hours


@pytest.fixture
def real_imager(real_dir):
    return Imager(
        "gako",
        "2011-01-06T17:00",
        "2011-01-06T18:00",
        files=[REAL_IMAGES],
        skymap=REAL_SKYMAP,
        allow_nearest_skymap=True,  # the only Gakona skymap starts 2011-03-05, after these images
    )


def test_meridian_keogram_columns_are_frame_meridians(real_imager):
    keo = make_keogram(real_imager)
    times, frames = real_imager.read()
    assert keo.times.equals(times) and keo.values.shape == (23, 256)
    assert keo.axis == "pixel" and keo.altitude_km is None
    np.testing.assert_array_equal(keo.y, np.arange(256))
    for i in range(23):
        np.testing.assert_array_equal(keo.values[i], frames[i][:, 128])
    small = make_keogram(real_imager, max_frames=4)  # streaming in chunks changes nothing
    np.testing.assert_array_equal(small.values, keo.values)
    threaded = make_keogram(real_imager, max_frames=5, workers=2)
    np.testing.assert_array_equal(threaded.values, keo.values)


def test_geographic_axis(real_imager):
    keo = make_keogram(real_imager, axis="geo")
    sky = real_imager.skymap
    assert np.all(sky.elevation[keo.pixel_rows, keo.pixel_cols] >= 10.0)
    assert np.all(keo.pixel_cols == 128)
    lat, _ = sky.pixel_centres(110.0)
    np.testing.assert_allclose(keo.y, lat[keo.pixel_rows, 128])
    assert np.all(np.diff(keo.y) < 0)  # row 0 is the north edge: latitude falls down the rows
    assert keo.y[0] > sky.site_lat + 3 and keo.y[-1] < sky.site_lat - 3
    _, frames = real_imager.read()
    np.testing.assert_array_equal(keo.values[3], frames[3][keo.pixel_rows, 128])


def test_aacgm_axis_matches_aacgmv2(real_imager):
    geo = make_keogram(real_imager, axis="geo")
    mag = make_keogram(real_imager, axis="aacgm")
    lat, lon = real_imager.skymap.pixel_centres(110.0)
    expected, _, _ = aacgmv2.convert_latlon_arr(
        lat[mag.pixel_rows, 128],
        lon[mag.pixel_rows, 128],
        110.0,
        real_imager.times[0].to_pydatetime(),
        method_code="G2A",
    )
    np.testing.assert_allclose(mag.y, expected, atol=0.05)
    np.testing.assert_array_equal(mag.values, geo.values)


def test_keogram_along_a_path(tmp_path, skymap):
    write_hours(tmp_path, "test", "2021-12-01T05:00", 1, n=64, cadence_s=300)
    imager = Imager(
        "test", "2021-12-01T05:00", "2021-12-01T06:00", asi_dir=tmp_path, skymap=skymap, base_url=""
    )
    # a north-south line through the site, extending beyond the field of view at 110 km
    lat = np.linspace(50.0, 70.0, 81)
    lon = np.full_like(lat, -100.0)
    keo = make_keogram(imager, path=(lat, lon), axis="geo")
    _, el = skymap.lla_to_azel(lat, lon, 110.0)
    assert len(keo.y) == np.count_nonzero(el >= 10.0) < 81
    np.testing.assert_array_equal(keo.y, lat[el >= 10.0])
    rows, cols = skymap.lla_to_pixel(keo.y, lon[: len(keo.y)], 110.0)
    np.testing.assert_array_equal(keo.pixel_rows, rows)
    assert np.all(np.abs(keo.pixel_cols - 32) <= 1)  # the meridian of a north-up lens
    _, frames = imager.read()
    np.testing.assert_array_equal(keo.values, frames[:, keo.pixel_rows, keo.pixel_cols])
    # the zenith point of the path sees the centre pixels
    zlat, _ = azel_to_lla(60.0, -100.0, 0.0, 0.0, 90.0, 110.0)
    k = int(np.argmin(np.abs(keo.y - zlat)))
    assert abs(keo.pixel_rows[k] - 32) <= 1
    by_index = make_keogram(imager, path=(lat, lon))
    np.testing.assert_array_equal(by_index.y, np.flatnonzero(el >= 10.0))


def test_keogram_bad_input(real_imager):
    with pytest.raises(
        AsiError, match=r"keogram axis must be one of \('pixel', 'geo', 'aacgm'\), got 'mlt'"
    ):
        make_keogram(real_imager, axis="mlt")
    with pytest.raises(
        AsiError, match=r"no point of the path is seen by 'gako' above 10.0 degrees"
    ):
        make_keogram(real_imager, path=([0.0, 1.0], [0.0, 1.0]))
    with pytest.raises(AsiError, match=r"path must be two 1-D arrays"):
        make_keogram(real_imager, path=([0.0, 1.0], [0.0]))
