"""The keogram store: keograms kept beside the image files, trusted only for unchanged files."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from aurorax.asi import (
    AsiFileNotFoundError,
    Imager,
    image_path,
    keogram_store_path,
    load_keogram,
    make_keogram,
    save_keogram,
    stored_keogram,
    write_skymap,
    write_trex_rgb_h5,
)

from .conftest import make_skymap, write_hours

START = pd.Timestamp("2021-12-01T04:00", tz="UTC")
END = START + pd.Timedelta(hours=2)


@pytest.fixture
def asi_dir(tmp_path):
    write_hours(tmp_path, "gill", START.tz_convert(None), 2, n=32, cadence_s=120)
    sky = make_skymap("gill", n=32)
    write_skymap(tmp_path / "themis/skymaps/gill/themis_skymap_gill_20200101-+_v01.npz", sky)
    return tmp_path


def _fresh(asi_dir):
    return make_keogram(Imager("gill", START, END, program="themis", asi_dir=asi_dir))


def _same(a, b):
    assert a.times.equals(b.times) and a.axis == b.axis and a.site_uid == b.site_uid
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.altitude_km == b.altitude_km


def test_made_once_then_read_from_the_store(asi_dir, monkeypatch):
    path = keogram_store_path("themis", "gill", START, END, asi_dir)
    assert (
        path
        == asi_dir / "keograms/themis/gill/themis_keogram_gill_20211201T040000_20211201T060000.npz"
    )
    first = stored_keogram("themis", "gill", START, END, asi_dir)
    _same(first, _fresh(asi_dir))
    assert path.exists()
    # A second call (any process) reads the store: making it again would fail here.
    import aurorax.asi._keogram_store as store

    monkeypatch.setattr(store, "make_keogram", lambda *a, **k: pytest.fail("made again"))
    _same(stored_keogram("themis", "gill", START, END, asi_dir), first)


def test_changed_image_files_make_it_again(asi_dir):
    first = stored_keogram("themis", "gill", START, END, asi_dir)
    # New frames in the second hour (another seed): the stored keogram no longer holds.
    write_hours(
        asi_dir,
        "gill",
        (START + pd.Timedelta(hours=1)).tz_convert(None),
        1,
        n=32,
        cadence_s=120,
        seed=7,
    )
    f = image_path("themis", "gill", START + pd.Timedelta(hours=1), asi_dir)
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    second = stored_keogram("themis", "gill", START, END, asi_dir)
    _same(second, _fresh(asi_dir))
    assert not np.array_equal(first.values, second.values)


def test_a_damaged_store_file_is_made_again_not_trusted(asi_dir, caplog):
    first = stored_keogram("themis", "gill", START, END, asi_dir)
    path = keogram_store_path("themis", "gill", START, END, asi_dir)
    path.write_bytes(path.read_bytes()[:100])  # cut short
    with pytest.raises(ValueError, match="not a readable stored keogram"):
        load_keogram(path)
    _same(stored_keogram("themis", "gill", START, END, asi_dir), first)
    assert "making the keogram again" in caplog.text
    load_keogram(path)  # rewritten whole


def test_save_and_load_round_trip_and_no_partial_files(asi_dir, tmp_path):
    keogram = _fresh(asi_dir)
    path = save_keogram(keogram, tmp_path / "out" / "k.npz")
    loaded, sources = load_keogram(path)
    _same(loaded, keogram)
    assert list(sources) == []
    assert sorted(p.name for p in path.parent.iterdir()) == ["k.npz"]  # no temporary left


def test_a_folder_it_cannot_write_still_answers(asi_dir, caplog, monkeypatch):
    import aurorax.asi._keogram_store as store

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(asi_dir / "keograms"))

    monkeypatch.setattr(store, "save_keogram", refuse)  # as in a read-only data folder
    _same(stored_keogram("themis", "gill", START, END, asi_dir), _fresh(asi_dir))
    assert "cannot store the keogram" in caplog.text
    assert not keogram_store_path("themis", "gill", START, END, asi_dir).exists()


def test_no_images_is_a_clear_error(tmp_path):
    with pytest.raises(AsiFileNotFoundError, match="no themis image files for site 'gill'"):
        stored_keogram("themis", "gill", START, END, tmp_path)


def test_a_trex_rgb_keogram_keeps_its_three_channels(tmp_path):
    # Three TREx RGB minute files: red rises, green falls, blue is constant, frame by frame.
    minutes = pd.date_range(START, periods=3, freq="20min")
    frames = np.zeros((3, 32, 32, 3), dtype=np.uint8)
    frames[..., 0] = np.array([10, 80, 200], dtype=np.uint8)[:, None, None]
    frames[..., 1] = np.array([150, 60, 5], dtype=np.uint8)[:, None, None]
    frames[..., 2] = 40
    for minute, frame in zip(minutes, frames, strict=True):
        path = image_path("trex", "gill", minute, tmp_path, device_uid=4)
        write_trex_rgb_h5(path, "gill", "rgb-04", [minute], frame[None])
    sky = make_skymap("gill", n=32, program="trex")
    write_skymap(tmp_path / "trex/skymaps/gill/trex_skymap_gill_20200101-+_v01.npz", sky)
    keogram = stored_keogram("trex", "gill", START, END, tmp_path)
    assert keogram.values.shape == (3, 32, 3) and keogram.values.dtype == np.uint8
    np.testing.assert_array_equal(keogram.values, frames[:, :, 16, :])
    assert keogram.times.equals(minutes)
    # And as read back from the store, in a new call.
    assert keogram_store_path("trex", "gill", START, END, tmp_path).exists()
    again = stored_keogram("trex", "gill", START, END, tmp_path)
    _same(again, keogram)
