"""THEMIS/REGO CDF readers and writers, on the real Gakona file and on files written here."""

from __future__ import annotations

import cdflib
import numpy as np
import pandas as pd
import pytest

from aurorax.asi import (
    AsiFileError,
    RegoReader,
    ThemisReader,
    _cdf,
    _cdfblocks,
    get_reader,
    write_rego_cdf,
    write_themis_cdf,
)


def test_real_themis_file_shapes_and_times(real_dir):
    path = real_dir / "thg_l1_asf_gako_2011010617_v01.cdf"
    reader = get_reader(path)
    assert isinstance(reader, ThemisReader)
    assert reader.frame_shape(path) == (256, 256)
    times = reader.read_times(path)
    assert str(times.tz) == "UTC"
    assert len(times) == 23
    assert times[0] == pd.Timestamp("2011-01-06T17:00:00.053Z")
    assert times[1] == pd.Timestamp("2011-01-06T17:00:03.038Z")
    cadence = np.diff(times.asi8) / 1e9
    assert np.all((cadence > 2.9) & (cadence < 3.1))
    frames = reader.read_frames(path)
    assert frames.shape == (23, 256, 256) and frames.dtype == np.uint16
    # aurorax orientation = file rows reversed (file row 0 is the south edge)
    raw = cdflib.CDF(path).varget("thg_asf_gako")
    np.testing.assert_array_equal(frames, raw[:, ::-1, :])
    np.testing.assert_array_equal(reader.read_frames(path, 5, 8), frames[5:8])


def test_themis_round_trip_mirrors_real_layout(tmp_path):
    times = pd.date_range("2021-12-01T06:00", periods=9, freq="3s")
    frames = np.arange(9 * 16 * 20, dtype=np.uint16).reshape(9, 16, 20)
    path = write_themis_cdf(tmp_path / "thg_l1_asf_abcd_2021120106_v01.cdf", "ABCD", times, frames)
    cdf = cdflib.CDF(path)
    names = set(cdf.cdf_info().zVariables)
    assert {"thg_asf_abcd", "thg_asf_abcd_epoch", "thg_asf_abcd_time", "range_epoch"} <= names
    image = cdf.varinq("thg_asf_abcd")
    assert image.Data_Type_Description == "CDF_UINT2" and image.Compress == 6
    assert cdf.varinq("thg_asf_abcd_epoch").Data_Type_Description == "CDF_EPOCH"
    # stored with the south edge first, like the real files
    np.testing.assert_array_equal(cdf.varget("thg_asf_abcd")[0], frames[0][::-1])
    reader = get_reader(path)
    np.testing.assert_array_equal(reader.read_frames(path), frames)
    assert reader.read_times(path).equals(times.tz_localize("UTC"))
    assert cdf.varget("thg_asf_abcd_time")[0] == pd.Timestamp("2021-12-01T06:00Z").timestamp()


def test_rego_round_trip(tmp_path):
    times = pd.date_range("2021-12-01T06:00", periods=3, freq="3s", tz="UTC")
    frames = np.full((3, 512, 512), 700, dtype=np.uint16)
    frames[:, 0, 5] = 900  # north edge
    path = write_rego_cdf(tmp_path / "clg_l1_rgf_gill_2021120106_v01.cdf", "gill", times, frames)
    reader = get_reader(path)
    assert isinstance(reader, RegoReader)
    assert reader.frame_shape(path) == (512, 512)
    assert cdflib.CDF(path).varget("clg_rgf_gill")[0, 511, 5] == 900
    np.testing.assert_array_equal(reader.read_frames(path), frames)


def test_unknown_file_name(tmp_path):
    with pytest.raises(AsiFileError, match=r"no image reader recognises this file name"):
        get_reader(tmp_path / "image.png")


def test_non_cdf_file(tmp_path):
    path = tmp_path / "thg_l1_asf_gako_2011010617_v01.cdf"
    path.write_text("<html>404 Not Found</html>")
    with pytest.raises(
        AsiFileError,
        match=r"thg_l1_asf_gako_2011010617_v01.cdf: not a CDF file \(bad magic number 3c68746d\)",
    ):
        get_reader(path).read_times(path)


def test_truncated_cdf(tmp_path, real_dir):
    data = (real_dir / "thg_l1_asf_gako_2011010617_v01.cdf").read_bytes()
    path = tmp_path / "thg_l1_asf_gako_2011010617_v01.cdf"
    path.write_bytes(data[: len(data) // 2])
    reader = get_reader(path)
    half = len(data) // 2
    with pytest.raises(
        AsiFileError,
        match=rf"v01.cdf: truncated CDF file \({half} bytes; its header says {len(data)}\)",
    ):
        reader.read_frames(path)


def test_empty_file(tmp_path):
    path = tmp_path / "thg_l1_asf_gako_2011010617_v01.cdf"
    path.write_bytes(b"")
    with pytest.raises(AsiFileError, match=r"not a CDF file \(bad magic number empty\)"):
        get_reader(path).frame_shape(path)


def test_cdf_with_wrong_variables(tmp_path):
    # a valid THEMIS file of site "abcd" renamed as site "gako": the gako variables are absent
    times = pd.date_range("2021-12-01T06:00", periods=2, freq="3s")
    src = write_themis_cdf(
        tmp_path / "x" / "thg_l1_asf_abcd_2021120106_v01.cdf", "abcd", times, np.zeros((2, 4, 4))
    )
    path = src.rename(tmp_path / "thg_l1_asf_gako_2021120106_v01.cdf")
    with pytest.raises(
        AsiFileError,
        match=r"missing variable\(s\) \['thg_asf_gako', 'thg_asf_gako_epoch'\]; the file has \['range_epoch', 'thg_asf_abcd'",
    ):
        get_reader(path).read_times(path)


def test_writer_rejects_bad_input(tmp_path):
    times = pd.date_range("2021-12-01T06:00", periods=2, freq="3s")
    target = tmp_path / "thg_l1_asf_abcd_2021120106_v01.cdf"
    with pytest.raises(ValueError, match=r"2 times but 3 frames"):
        write_themis_cdf(target, "abcd", times, np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match=r"frame values must fit in uint16"):
        write_themis_cdf(target, "abcd", times, np.full((2, 4, 4), 70000.0))
    with pytest.raises(ValueError, match=r"dims \(time, y, x\)"):
        write_themis_cdf(target, "abcd", times, np.zeros((2, 4)))


def test_block_reader_matches_cdflib_and_falls_back(real_dir, monkeypatch):
    path = real_dir / "thg_l1_asf_gako_2011010617_v01.cdf"
    reader = ThemisReader()
    rows, cols = np.array([0, 5, 128, 255]), np.array([128, 7, 128, 0])
    frames = reader.read_frames(path)
    pixels = reader.read_pixels(path, 2, 20, rows, cols)
    np.testing.assert_array_equal(pixels, frames[2:20][:, rows, cols])
    # with zlib instead of libdeflate
    monkeypatch.setattr(_cdfblocks, "_libdeflate", None)
    np.testing.assert_array_equal(reader.read_pixels(path, 2, 20, rows, cols), pixels)
    # without the block reader (a layout it declines) the same values come through cdflib
    monkeypatch.setattr(_cdf, "variable_layout", lambda *_: None)
    np.testing.assert_array_equal(reader.read_frames(path), frames)
    np.testing.assert_array_equal(reader.read_pixels(path, 2, 20, rows, cols), pixels)


def test_real_thumbnail_file(real_dir):
    from aurorax.asi import Imager, ThemisThumbnailReader, make_keogram

    from .conftest import make_skymap

    path = real_dir / "thg_l1_ast_gako_20110505_v01.cdf"
    reader = get_reader(path)
    assert isinstance(reader, ThemisThumbnailReader)
    assert reader.frame_shape(path) == (32, 32)
    times = reader.read_times(path)
    # thg_ast_gako_epoch is virtual (one stored record): times come from thg_ast_gako_time
    assert len(times) == 1075 and str(times.tz) == "UTC"
    assert times[0] == pd.Timestamp("2011-05-05T09:14:15Z")
    assert times[-1] == pd.Timestamp("2011-05-05T10:08:03Z")
    frames = reader.read_frames(path, 0, 2)
    assert frames.shape == (2, 32, 32) and frames.dtype == np.uint16
    stored = cdflib.CDF(path).varget("thg_ast_gako", startrec=0, endrec=1)
    np.testing.assert_array_equal(frames, stored[:, ::-1, :])
    sky = make_skymap("gako", lat=62.41, lon=-145.16, n=32, valid_from="2011-01-01")
    imager = Imager("gako", "2011-05-05T09:00", "2011-05-05T09:30", files=[path], skymap=sky)
    assert len(imager) == int(
        ((times >= "2011-05-05T09:00Z") & (times < "2011-05-05T09:30Z")).sum()
    )
    assert make_keogram(imager).values.shape == (len(imager), 32)
