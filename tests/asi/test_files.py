"""Finding files by site and hour, and downloading them from a local HTTP server."""

from __future__ import annotations

import functools
import http.server
import socket
import threading

import numpy as np
import pandas as pd
import pytest

from aurorax.asi import (
    AsiError,
    AsiFileNotFoundError,
    Imager,
    download_skymaps,
    find_image_files,
    image_path,
    image_relative_path,
    local_image_hours,
    write_skymap,
    write_trex_rgb_h5,
)

from .conftest import make_skymap, write_hours


@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path / "remote"`` over HTTP on a free loopback port; yields (root, base_url)."""
    root = tmp_path / "remote"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=root)
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_layout():
    assert image_relative_path("themis", "GAKO", "2011-01-06T17:59:59") == (
        "themis/l1/asf/gako/2011/01/thg_l1_asf_gako_2011010617_v01.cdf"
    )
    assert image_relative_path("rego", "gill", "2016-10-29T04:15") == (
        "rego/l1/rgf/gill/2016/10/clg_l1_rgf_gill_2016102904_v01.cdf"
    )


def test_find_local_files_with_gaps(tmp_path):
    write_hours(tmp_path, "test", "2021-12-01T05:00", 1)
    write_hours(tmp_path, "test", "2021-12-01T07:00", 1)
    files = find_image_files("themis", "test", "2021-12-01T05:30", "2021-12-01T07:01", tmp_path)
    assert [f.name for f in files] == [
        "thg_l1_asf_test_2021120105_v01.cdf",
        "thg_l1_asf_test_2021120107_v01.cdf",
    ]
    # the end is exclusive: a range ending exactly at 07:00 does not need the 07 file
    files = find_image_files("themis", "test", "2021-12-01T05:30", "2021-12-01T07:00", tmp_path)
    assert len(files) == 1


def test_local_image_hours_across_months(tmp_path):
    for hour in ("2021-11-30T23:00", "2021-12-01T05:00", "2021-12-01T07:00"):
        write_hours(tmp_path, "test", hour, 1, n=8)
    # A file of another site and a stray file in the same month folder are not counted.
    write_hours(tmp_path, "other", "2021-12-01T06:00", 1, n=8)
    month = image_path("themis", "test", "2021-12-01T05:00", tmp_path).parent
    (month / "notes.txt").write_text("not an image")
    hours = local_image_hours("themis", "TEST", "2021-11-30T23:30", "2021-12-01T07:00", tmp_path)
    assert list(hours) == [
        pd.Timestamp("2021-11-30T23:00", tz="UTC"),
        pd.Timestamp("2021-12-01T05:00", tz="UTC"),
    ]
    assert len(local_image_hours("themis", "test", "2022-01-01", "2022-03-01", tmp_path)) == 0
    assert len(local_image_hours("rego", "test", "2021-12-01", "2021-12-02", tmp_path)) == 0
    with pytest.raises(AsiError, match=r"end \(2021-12-01T00:00:00\+00:00\) must be after"):
        local_image_hours("themis", "test", "2021-12-02", "2021-12-01", tmp_path)


def test_no_files_offline(tmp_path):
    expected = tmp_path / "themis/l1/asf/gako/2011/01/thg_l1_asf_gako_2011010617_v01.cdf"
    with pytest.raises(
        AsiFileNotFoundError,
        match=r"no themis image files for site 'gako' between 2011-01-06T17:00:00\+00:00 and "
        r"2011-01-06T19:00:00\+00:00 \(2 hour\(s\)\) \(no download: no base URL configured\); "
        rf"tried: {expected}",
    ):
        find_image_files(
            "themis", "gako", "2011-01-06T17:00", "2011-01-06T19:00", tmp_path, base_url=""
        )


def test_download_from_server(tmp_path, server):
    remote, url = server
    times, frames = write_hours(remote, "test", "2021-12-01T06:00", 2, n=16)
    write_skymap(
        remote / "themis/skymaps/test/themis_skymap_test_20200101-+_v01.npz", make_skymap(n=16)
    )
    local = tmp_path / "local"
    files = find_image_files("themis", "test", "2021-12-01T06:00", "2021-12-01T09:00", local, url)
    assert files == [image_path("themis", "test", f"2021-12-01T0{h}", local) for h in (6, 7)]
    # the Imager downloads the skymap folder too when none is local
    imager = Imager("test", "2021-12-01T06:00", "2021-12-01T08:00", asi_dir=local, base_url=url)
    assert imager.skymap.source.parent == local / "themis/skymaps/test"
    np.testing.assert_array_equal(imager.read()[1], frames)
    assert not list(local.rglob("*.part"))


def test_download_missing_everywhere(tmp_path, server):
    _, url = server
    with pytest.raises(
        AsiFileNotFoundError,
        match=rf"tried: .*, {url}/themis/l1/asf/test/2021/12/thg_l1_asf_test_2021120106_v01.cdf",
    ):
        find_image_files("themis", "test", "2021-12-01T06:00", "2021-12-01T06:30", tmp_path, url)
    with pytest.raises(
        AsiFileNotFoundError, match=r"no skymap folder at .*/themis/skymaps/test/ \(HTTP 404\)"
    ):
        download_skymaps("themis", "test", tmp_path, url)


def test_unreachable_server(tmp_path):
    with socket.socket() as sock:  # a port that was just free: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(
        AsiFileNotFoundError,
        match=rf"themis site 'gako' hour 2011-01-06 17h: cannot reach http://127.0.0.1:{port}/themis/l1/asf/gako/2011/01/thg_l1_asf_gako_2011010617_v01.cdf \(.*\); tried {tmp_path}",
    ):
        find_image_files(
            "themis",
            "gako",
            pd.Timestamp("2011-01-06T17:00"),
            "2011-01-06T18:00",
            tmp_path,
            f"http://127.0.0.1:{port}",
            timeout_s=5,
        )


# -- TREx RGB: one colour HDF5 file per minute, under the imager's device folder --------------


def write_trex_minutes(asi_dir, site_uid, minutes, device_uid=4, n=16, seed=0):
    """One TREx RGB file per minute of ``minutes`` (one colour frame each); returns the frames."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, size=(len(minutes), n, n, 3), dtype=np.uint8)
    for minute, frame in zip(pd.DatetimeIndex(minutes), frames, strict=True):
        path = image_path("trex", site_uid, minute, asi_dir, device_uid=device_uid)
        write_trex_rgb_h5(path, site_uid, f"rgb-{device_uid:02d}", [minute], frame[None])
    return frames


def test_trex_layout_is_the_ucalgary_stream0_tree():
    assert image_relative_path("trex", "GILL", "2021-12-01T06:07:59", device_uid=4) == (
        "trex/rgb/stream0/2021/12/01/gill_rgb-04/ut06/20211201_0607_gill_rgb-04_full.h5"
    )
    with pytest.raises(AsiError, match=r"device number \(gill_rgb-NN\): pass device_uid"):
        image_relative_path("trex", "gill", "2021-12-01T06:00")


def test_trex_files_are_found_by_hour_in_time_order(tmp_path):
    minutes = pd.to_datetime(["2021-12-01T06:40", "2021-12-01T06:00", "2021-12-01T08:20"])
    write_trex_minutes(tmp_path, "gill", minutes)
    # Another site's and another program's files in the same tree are not this site's.
    write_trex_minutes(tmp_path, "rabb", minutes[:1], device_uid=7)
    files = find_image_files("trex", "gill", "2021-12-01T06:00", "2021-12-01T09:00", tmp_path)
    assert [f.name for f in files] == [
        "20211201_0600_gill_rgb-04_full.h5",
        "20211201_0640_gill_rgb-04_full.h5",
        "20211201_0820_gill_rgb-04_full.h5",
    ]
    hours = local_image_hours("trex", "gill", "2021-12-01", "2021-12-02", tmp_path)
    assert list(hours) == list(pd.to_datetime(["2021-12-01T06:00", "2021-12-01T08:00"], utc=True))
    with pytest.raises(
        AsiFileNotFoundError, match=r"no trex image files for site 'gill'.*/gill_rgb-NN/ut07"
    ):
        find_image_files("trex", "gill", "2021-12-01T07:00", "2021-12-01T08:00", tmp_path, "")


def test_trex_frames_keep_their_colour_through_the_imager(tmp_path):
    minutes = pd.date_range("2021-12-01T06:00", periods=3, freq="20min")
    frames = write_trex_minutes(tmp_path, "gill", minutes)
    files = find_image_files("trex", "gill", "2021-12-01T06:00", "2021-12-01T07:00", tmp_path)
    imager = Imager(
        "gill", "2021-12-01T06:00", "2021-12-01T07:00", program="trex", files=files,
        skymap=make_skymap("gill", n=16, program="trex"),
    )  # fmt: skip
    times, read = imager.read()
    assert read.shape == (3, 16, 16, 3) and read.dtype == np.uint8
    np.testing.assert_array_equal(read, frames)
    assert times.equals(minutes.tz_localize("UTC"))


def test_trex_hours_are_downloaded_from_the_mirror_listings(tmp_path, server):
    remote, url = server
    minutes = pd.to_datetime(["2021-12-01T06:00", "2021-12-01T06:20", "2021-12-01T07:00"])
    frames = write_trex_minutes(remote, "gill", minutes)
    write_skymap(
        remote / "trex/skymaps/gill/trex_skymap_gill_20200101-+_v01.npz",
        make_skymap("gill", n=16, program="trex"),
    )
    local = tmp_path / "local"
    files = find_image_files("trex", "gill", "2021-12-01T05:00", "2021-12-01T08:00", local, url)
    assert files == [
        image_path("trex", "gill", m, local, device_uid=4) for m in minutes
    ]  # 05 UT: no folder on the mirror (HTTP 404), a gap
    imager = Imager(
        "gill", "2021-12-01T06:00", "2021-12-01T08:00", program="trex", asi_dir=local,
        base_url=url,
    )  # fmt: skip
    np.testing.assert_array_equal(imager.read()[1], frames)
    assert not list(local.rglob("*.part"))
