"""TREx RGB .h5 colour files (written here in pyUCalgarySRS's layout): three channels through the
reader, Imager, keograms, fisheye, map projection and the global grid; damaged files."""

from __future__ import annotations

import re

import h5py
import numpy as np
import pandas as pd
import pytest

from aurorax.asi import (
    AsiFileError,
    Imager,
    TrexRgbReader,
    get_reader,
    make_keogram,
    write_skymap,
    write_trex_rgb_h5,
)

from .conftest import make_skymap

N = 32
T0 = pd.Timestamp("2023-01-01T06:00:00.123456Z")


def colour_frames(n_frames=4):
    """Red grows down the rows (south), green across the columns (east), blue with time."""
    rows, cols = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    frames = np.empty((n_frames, N, N, 3), np.uint8)
    frames[..., 0] = rows * 4
    frames[..., 1] = cols * 4
    frames[..., 2] = np.arange(n_frames)[:, None, None] * 10
    return frames


@pytest.fixture
def rgb_file(tmp_path):
    times = pd.date_range(T0, periods=4, freq="3s")
    name = f"{T0:%Y%m%d_%H%M}_gill_rgb-04_full.h5"
    where = tmp_path / "trex/rgb/stream0" / f"{T0:%Y/%m/%d}" / "gill_rgb-04" / f"ut{T0:%H}"
    path = write_trex_rgb_h5(where / name, "gill", "rgb-04", times, colour_frames())
    sky = make_skymap("gill", n=N, program="trex", valid_from="2022-06-01")
    write_skymap(tmp_path / "rgb/skymaps/gill/rgb_skymap_gill_20220601-+_v01.npz", sky)
    return tmp_path, path, times


def test_layout_and_reader(rgb_file):
    _, path, times = rgb_file
    with h5py.File(path, "r") as h5:
        assert h5["data/images"].shape == (N, N, 3, 4) and h5["data/images"].dtype == np.uint8
        assert h5["data/timestamp"][0] == b"2023-01-01 06:00:00.123456 UTC"
        assert h5["metadata/frame/frame3"].attrs["image_request_start_timestamp"] == (
            "2023-01-01 06:00:09.123456 UTC"
        )
        stored = h5["data/images"][:, :, :, 0]
    reader = get_reader(path)
    assert isinstance(reader, TrexRgbReader)
    assert reader.frame_shape(path) == (N, N)
    pd.testing.assert_index_equal(reader.read_times(path), times.as_unit("ns"))
    frames = reader.read_frames(path)
    assert frames.shape == (4, N, N, 3) and frames.dtype == np.uint8
    np.testing.assert_array_equal(frames, colour_frames())
    np.testing.assert_array_equal(stored, frames[0, ::-1, ::-1])  # stored row 0 south, col 0 east
    np.testing.assert_array_equal(reader.read_frames(path, 1, 3), frames[1:3])
    assert reader.read_metadata(path)["site_unique_id"] == "gill"


def test_colour_through_imager_views(rgb_file):
    asi_dir, path, times = rgb_file
    imager = Imager("gill", T0, T0 + pd.Timedelta(minutes=1), program="trex_rgb", asi_dir=asi_dir)
    assert imager.files == (path,)
    assert len(imager) == 4 and imager.shape == (N, N)
    t, frame = imager.frame_at(times[2])
    assert frame.shape == (N, N, 3) and frame[0, 0, 2] == 20
    keo = make_keogram(imager)
    assert keo.values.shape == (4, N, 3) and keo.values.dtype == np.uint8
    np.testing.assert_array_equal(keo.values, colour_frames()[:, :, N // 2, :])
    geo = make_keogram(imager, axis="geo")
    assert geo.values.shape[2] == 3 and np.all(np.diff(geo.y) < 0)  # north first
    fish = imager.fisheye(times[0])
    assert fish.image.shape == (N, N, 3) and fish.sky.shape == (N, N)
    mapped = imager.map_frame(times[0])
    assert mapped.values.shape == (N, N, 3)
    assert np.isnan(mapped.values[0, 0]).all()
    np.testing.assert_array_equal(mapped.values[N // 2, N // 2], frame[N // 2, N // 2] * [1, 1, 0])
    grid = imager.to_grid(times[0])
    assert grid.shape == (512, 1024, 3)
    seen = np.isfinite(grid[..., 0])
    assert seen.any() and np.array_equal(seen, np.isfinite(grid[..., 1]))
    assert np.nanmax(grid[..., 0]) <= 4 * (N - 1) and np.nanmax(grid[..., 2]) == 0


def test_times_fall_back_to_data_timestamp(rgb_file):
    _, path, times = rgb_file
    with h5py.File(path, "a") as h5:
        del h5["metadata/frame"]
    pd.testing.assert_index_equal(TrexRgbReader().read_times(path), times.as_unit("ns"))


def test_bad_h5_files(tmp_path, rgb_file):
    _, good, _ = rgb_file
    reader = TrexRgbReader()
    no_images = tmp_path / "20230101_0601_gill_rgb-04_full.h5"
    with h5py.File(no_images, "w") as h5:
        h5.create_dataset("data/timestamp", data=np.array([b"2023-01-01 06:01:00.000000 UTC"]))
    with pytest.raises(
        AsiFileError,
        match=rf"^{re.escape(str(no_images))}: missing dataset 'data/images' \(the file's 'data' group holds \['timestamp'\]\)$",
    ):
        reader.read_times(no_images)
    grey = tmp_path / "20230101_0602_gill_rgb-04_full.h5"
    with h5py.File(grey, "w") as h5:
        h5.create_dataset("data/images", data=np.zeros((8, 8, 2), np.uint8))
    with pytest.raises(AsiFileError, match=r"'data/images' has shape \(8, 8, 2\), expected"):
        reader.frame_shape(grey)
    with h5py.File(good, "a") as h5:
        del h5["metadata/frame"]
        del h5["data/timestamp"]
    with pytest.raises(AsiFileError, match=r"missing dataset 'data/timestamp' .*: no frame times"):
        reader.read_times(good)
    bad_time = tmp_path / "20230101_0603_gill_rgb-04_full.h5"
    with h5py.File(bad_time, "w") as h5:
        h5.create_dataset("data/images", data=np.zeros((8, 8, 3, 1), np.uint8))
        h5.create_dataset("data/timestamp", data=np.array([b"secret-text"]))
    with pytest.raises(
        AsiFileError, match=r"data/timestamp holds values that are not times"
    ) as err:
        reader.read_times(bad_time)
    assert "secret-text" not in str(err.value)
    not_h5 = tmp_path / "20230101_0604_gill_rgb-04_full.h5"
    not_h5.write_bytes(b"not an hdf5 file at all")
    with pytest.raises(
        AsiFileError, match=rf"^{re.escape(str(not_h5))}: not a readable HDF5 file$"
    ):
        reader.read_frames(not_h5)
