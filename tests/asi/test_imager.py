"""Imager: lazy reading, time slicing, nearest frame, fisheye and map views, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aurorax.asi import (
    AsiError,
    AsiFileError,
    AsiFileNotFoundError,
    Imager,
    image_path,
    load_skymap,
    write_skymap,
    write_themis_cdf,
)
from aurorax.asi import _imager as imager_module

from .conftest import REAL_IMAGES, REAL_SKYMAP, make_skymap, write_hours


@pytest.fixture
def two_hours(tmp_path, skymap):
    times, frames = write_hours(tmp_path, "test", "2021-12-01T05:00", 2, n=64, cadence_s=60)
    write_skymap(tmp_path / "themis/skymaps/test/themis_skymap_test_20200101-+_v01.npz", skymap)
    return tmp_path, times, frames


def test_imager_reads_a_range_lazily(two_hours, monkeypatch):
    asi_dir, times, frames = two_hours
    imager = Imager("TEST", "2021-12-01T05:30", "2021-12-01T06:30", asi_dir=asi_dir, base_url="")
    assert len(imager) == 60 and imager.shape == (64, 64)
    expected = times[
        (times >= pd.Timestamp("2021-12-01T05:30Z")) & (times < pd.Timestamp("2021-12-01T06:30Z"))
    ]
    assert imager.times.equals(expected)
    assert imager.skymap.site_uid == "test"
    # chunks never cross a file and respect the chunk size
    monkeypatch.setattr(imager_module, "CHUNK_BYTES", 7 * 64 * 64 * 2)
    sizes, got = [], []
    for t, f in imager.iter_chunks():
        sizes.append(len(t))
        got.append(f)
    assert max(sizes) == 7 and sum(sizes) == 60
    assert sizes[:5] == [7, 7, 7, 7, 2]  # 30 frames left in the 05 h file, then the 06 h file
    np.testing.assert_array_equal(np.concatenate(got), frames[30:90])
    threaded = list(imager.iter_chunks(workers=2))
    assert [len(t) for t, _ in threaded] == sizes
    np.testing.assert_array_equal(np.concatenate([f for _, f in threaded]), frames[30:90])
    sums = list(imager.map_chunks(lambda t, f: f.sum(axis=(1, 2)), workers=2))
    np.testing.assert_array_equal(np.concatenate(sums), frames[30:90].sum(axis=(1, 2)))
    t0, f0 = next(imager.iter_frames())
    assert t0 == pd.Timestamp("2021-12-01T05:30Z")
    np.testing.assert_array_equal(f0, frames[30])


def test_time_slicing_and_nearest_frame(two_hours):
    asi_dir, times, frames = two_hours
    imager = Imager("test", "2021-12-01T05:00", "2021-12-01T07:00", asi_dir=asi_dir, base_url="")
    part = imager["2021-12-01T05:10":"2021-12-01T05:13"]
    assert len(part) == 3 and part.times[0] == pd.Timestamp("2021-12-01T05:10Z")
    np.testing.assert_array_equal(part.read()[1], frames[10:13])
    t, f = imager.frame_at("2021-12-01T06:20:29")
    assert t == pd.Timestamp("2021-12-01T06:20Z")
    np.testing.assert_array_equal(f, frames[80])
    assert imager.frame_at("2021-12-01T06:20:31")[0] == pd.Timestamp("2021-12-01T06:21Z")
    assert imager[-1][0] == pd.Timestamp("2021-12-01T06:59Z")
    with pytest.raises(
        AsiError,
        match=r"no frame of 'test' within 5 s of 2021-12-01T08:00:00\+00:00 \(nearest is 3660.0 s away\)",
    ):
        imager.frame_at("2021-12-01T08:00", max_offset_s=5)
    assert part.start == pd.Timestamp("2021-12-01T05:10Z") and part.end == pd.Timestamp(
        "2021-12-01T05:13Z"
    )
    assert imager.cadence_s == 60.0
    with pytest.raises(
        AsiFileNotFoundError,
        match=r"no frames of site 'test' in \[2021-12-02T00:00:00\+00:00, 2021-12-03T00:00:00\+00:00\) "
        r"\(the imager spans 2021-12-01T05:00:00\+00:00 \.\. 2021-12-01T06:59:00\+00:00\)",
    ):
        imager["2021-12-02":"2021-12-03"]


def test_fisheye_and_map_frame(two_hours):
    asi_dir, times, frames = two_hours
    imager = Imager("test", "2021-12-01T05:00", "2021-12-01T06:00", asi_dir=asi_dir, base_url="")
    fish = imager.fisheye("2021-12-01T05:07")
    sky = np.isfinite(imager.skymap.elevation)
    assert fish.vmin == pytest.approx(np.percentile(frames[7][sky], 1.0))
    assert fish.vmax == pytest.approx(np.percentile(frames[7][sky], 99.5))
    mapped = imager.map_frame("2021-12-01T05:07")
    assert mapped.altitude_km == 110.0 and mapped.lat.shape == (65, 65)
    low = imager.skymap.elevation < 10.0
    assert np.all(np.isnan(mapped.values[low]))
    high = imager.skymap.elevation > 12.0
    np.testing.assert_array_equal(mapped.values[high], frames[7][high].astype(np.float32))
    with pytest.raises(
        AsiError, match=r"no vertices at 230 km; available altitudes are \['90', '110', '150'\] km"
    ):
        imager.map_frame("2021-12-01T05:07", altitude_km=230)
    computed = imager.map_frame("2021-12-01T05:07", altitude_km=230, compute=True)
    assert np.nanmax(computed.lat) > np.nanmax(mapped.lat)  # higher shell: wider footprint


def test_real_imager(real_dir):
    imager = Imager(
        "gako",
        "2011-01-06T17:00",
        "2011-01-06T18:00",
        files=[REAL_IMAGES],
        skymap=REAL_SKYMAP,
        allow_nearest_skymap=True,  # the only Gakona skymap starts 2011-03-05, after these images
    )
    assert len(imager) == 23
    fish = imager.fisheye("2011-01-06T17:00:31")
    assert fish.time == pd.Timestamp("2011-01-06T17:00:30.021Z")
    assert 2200 < fish.vmin < fish.vmax < 20000
    # the brightest pixel (Venus, low in the south-south-east) maps inside the sky
    row, col = np.unravel_index(np.argmax(fish.image), fish.image.shape)
    assert 5 < imager.skymap.elevation[row, col] < 12
    assert 150 < imager.skymap.azimuth[row, col] < 170


def test_skymap_shape_mismatch(two_hours):
    asi_dir, _, _ = two_hours
    wrong = make_skymap(n=32)
    with pytest.raises(
        AsiFileError,
        match=r"skymap test has shape \(32, 32\) but the frames of thg_l1_asf_test_2021120105_v01.cdf are \(64, 64\)",
    ):
        Imager(
            "test",
            "2021-12-01T05:00",
            "2021-12-01T06:00",
            asi_dir=asi_dir,
            skymap=wrong,
            base_url="",
        )


def test_no_frames_in_range(two_hours):
    asi_dir, _, _ = two_hours
    with pytest.raises(
        AsiFileNotFoundError,
        match=r"no themis image files for site 'test' between 2021-12-02T00:00:00\+00:00",
    ):
        Imager("test", "2021-12-02", "2021-12-02T01:00", asi_dir=asi_dir, base_url="")
    path = image_path("themis", "test", "2021-12-01T05:00", asi_dir)
    with pytest.raises(
        AsiFileNotFoundError,
        match=r"no themis frames for site 'test' between 2021-12-01T04:00:00\+00:00 and 2021-12-01T05:00:00\+00:00 in thg_l1_asf_test_2021120105_v01.cdf",
    ):
        Imager("test", "2021-12-01T04:00", "2021-12-01T05:00", files=[path], skymap=make_skymap())
    with pytest.raises(AsiError, match=r"end \(2021-12-01 04:00:00\+00:00\) must be after start"):
        Imager("test", "2021-12-01T05:00", "2021-12-01T04:00", asi_dir=asi_dir)


def test_rego_default_altitude_is_computed_when_not_stored():
    from aurorax.asi import project_frame

    sky = make_skymap("gill", lat=56.35, lon=-94.62, program="rego")  # stores 90/110/150 km only
    frame = np.full(sky.shape, 800, dtype=np.uint16)
    mapped = project_frame(sky, frame, "2021-12-01T05:00")
    assert mapped.altitude_km == 230.0
    lat, _ = sky.vertices(230.0, compute=True)
    np.testing.assert_array_equal(mapped.lat, lat)
    with pytest.raises(AsiError, match=r"no vertices at 230 km"):
        project_frame(sky, frame, "2021-12-01T05:00", altitude_km=230.0)


def test_explicit_skymap_path_valid_later_is_refused(real_dir):
    # The same pairing load_skymap refuses: the Gakona skymap starts 2011-03-05, the images are
    # of 2011-01-06. An explicit path is refused the same way, naming both dates.
    with pytest.raises(
        AsiFileNotFoundError,
        match=r"skymap themis_skymap_gako_20110305-\+_vXX\.sav is valid from "
        r"2011-03-05T08:00:00\+00:00, after the first image time 2011-01-06T17:00:00\+00:00 of "
        r"site 'gako'; pass allow_nearest_skymap=True to use it",
    ):
        Imager(
            "gako", "2011-01-06T17:00", "2011-01-06T18:00", files=[REAL_IMAGES],
            skymap=REAL_SKYMAP,
        )  # fmt: skip
    with pytest.raises(AsiFileNotFoundError, match="valid at 2011-01-06T17:00:00"):
        load_skymap("gako", "2011-01-06T17:00", real_dir)


def test_explicit_skymap_path_valid_before_is_accepted(tmp_path):
    sky = make_skymap(valid_from="2021-12-01T04:00")
    path = write_skymap(tmp_path / "themis_skymap_test_20211201-+_v01.npz", sky)
    times = pd.date_range("2021-12-01T04:00", periods=3, freq="3s")
    frames = np.zeros((3, 64, 64), np.uint16)
    cdf = write_themis_cdf(tmp_path / "thg_l1_asf_test_2021120104_v01.cdf", "test", times, frames)
    imager = Imager("test", "2021-12-01T04:00", "2021-12-01T05:00", files=[cdf], skymap=path)
    assert imager.skymap.valid_from == pd.Timestamp("2021-12-01T04:00Z")
    with pytest.raises(AsiFileNotFoundError, match=r"valid from 2021-12-01T04:00:00\+00:00, after"):
        Imager("test", "2021-12-01T03:59", "2021-12-01T05:00", files=[cdf], skymap=path)
