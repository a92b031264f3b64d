"""UCalgary stream0 PGM files: the real THEMIS, TREx NIR/Blue and Spectrograph samples, files
written here in the same layout, the Imager on them, and damaged files."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aurorax.asi import (
    AsiFileError,
    AsiFileNotFoundError,
    Imager,
    PgmRegoReader,
    PgmThemisReader,
    PgmTrexBlueReader,
    PgmTrexNirReader,
    find_stream0_files,
    get_reader,
    make_keogram,
    write_skymap,
    write_ucalgary_pgm,
)

from .conftest import make_skymap

UCALGARY_DIR = (Path(__file__).parents[2] / "../shared/data/ucalgary").resolve()

# file, reader, frames, (ny, nx), first time, cadence (s)
REAL = {
    "themis": ("20140310_0600_gill_themis19_full.pgm.gz", PgmThemisReader, 20, (256, 256),
               "2014-03-10T06:00:00.063119Z", 3),
    "nir": ("20220307_0600_gill_nir-216_8446.pgm.gz", PgmTrexNirReader, 10, (256, 256),
            "2022-03-07T06:00:00Z", 6),
    "blue": ("20220308_0600_gill_blue-814_full.pgm.gz", PgmTrexBlueReader, 20, (270, 320),
             "2022-03-08T06:00:00.233598Z", 3),
}  # fmt: skip


def real_file(name: str) -> Path:
    path = UCALGARY_DIR / name
    if not path.is_file():
        pytest.skip(f"real UCalgary test file {name} not found in {UCALGARY_DIR}")
    return path


@pytest.mark.parametrize("kind", sorted(REAL))
def test_real_stream0_files(kind):
    name, cls, n, shape, first, cadence_s = REAL[kind]
    path = real_file(name)
    reader = get_reader(path)
    assert isinstance(reader, cls)
    assert reader.frame_shape(path) == shape
    times = reader.read_times(path)
    assert str(times.tz) == "UTC"
    assert len(times) == n
    assert times[0] == pd.Timestamp(first)
    assert np.median(np.diff(times.asi8)) / 1e9 == pytest.approx(cadence_s, abs=0.1)
    frames = reader.read_frames(path)
    assert frames.shape == (n, *shape)
    assert frames.dtype == np.uint16
    meta = reader.read_metadata(path)
    assert len(meta) == n
    assert meta[0]["Site unique ID"] == "gill"
    # The last image's pixels are the last bytes of the stream (16-bit big-endian, stored row 0
    # south, column 0 east): the reader returns them reversed on both axes.
    raw = gzip.decompress(path.read_bytes())
    stored = np.frombuffer(raw[-2 * shape[0] * shape[1] :], ">u2").reshape(shape)
    np.testing.assert_array_equal(frames[-1], stored[::-1, ::-1])
    np.testing.assert_array_equal(reader.read_frames(path, 3, 5), frames[3:5])


def test_real_themis_header_fields():
    path = real_file(REAL["themis"][0])
    meta = PgmThemisReader().read_metadata(path)[0]
    # A THEMIS header repeats "Project unique ID" (imager block, then site block): last kept.
    assert meta["Project unique ID"] == "THEMIS"
    assert meta["Imager unique ID"] == "themis19"
    assert float(meta["Geodetic latitude"]) == pytest.approx(56.3539)
    assert float(meta["Geodetic Longitude"]) == pytest.approx(-94.6557)


def test_real_spectrograph_is_refused_by_name():
    path = real_file("20230503_0600_luck_spect-02_spectra.pgm.gz")
    reader = get_reader(path)
    assert reader.name == "trex_spectrograph"
    message = (
        f"{path}: TREx Spectrograph file (spectra: wavelength x position along the slit, not "
        "all-sky images); aurorax.asi has no spectrograph reader"
    )
    for call in (reader.read_times, reader.frame_shape, reader.read_frames):
        with pytest.raises(AsiFileError) as err:
            call(path)
        assert str(err.value) == message
    with pytest.raises(AsiFileError, match="TREx Spectrograph file"):
        Imager("luck", "2023-05-03T06:00", "2023-05-03T06:01", files=[path], skymap=make_skymap())


def _tree(asi_dir: Path, folder: str, site: str, imager: str, t: pd.Timestamp) -> Path:
    return asi_dir / folder / f"{t:%Y/%m/%d}" / f"{site}_{imager}" / f"ut{t:%H}"


def test_real_nir_imager_found_by_date(tmp_path):
    # The real file, linked (not copied) into a data folder with the UCalgary tree.
    path = real_file(REAL["nir"][0])
    t0 = pd.Timestamp("2022-03-07T06:00Z")
    where = _tree(tmp_path, "trex/nir/stream0", "gill", "nir-216", t0)
    where.mkdir(parents=True)
    (where / path.name).symlink_to(path)
    sky = make_skymap("gill", lat=56.38, lon=-94.64, n=256, program="trex", valid_from="2022-01-01")
    write_skymap(tmp_path / "nir/skymaps/gill/nir_skymap_gill_20220101-+_v01.npz", sky)
    imager = Imager("gill", t0, t0 + pd.Timedelta(minutes=1), program="trex_nir", asi_dir=tmp_path)
    assert imager.files == (where / path.name,)
    assert len(imager) == 10 and imager.shape == (256, 256)
    assert imager.skymap.source.name == "nir_skymap_gill_20220101-+_v01.npz"
    assert imager.default_altitude_km == 110.0
    _, frames = imager.read()
    keo = make_keogram(imager)
    np.testing.assert_array_equal(keo.values, frames[:, :, 128])
    fish = imager.fisheye(t0)
    np.testing.assert_array_equal(fish.image, frames[0])
    mapped = imager.map_frame(t0)
    assert np.isnan(mapped.values[0, 0]) and mapped.values[128, 128] == frames[0, 128, 128]


def test_written_pgm_round_trip_and_layout(tmp_path):
    rng = np.random.default_rng(1)
    times = pd.date_range("2021-12-01T05:07:00.5", periods=4, freq="3s", tz="UTC")
    frames = rng.integers(0, 65535, size=(4, 24, 32), dtype=np.uint16)
    path = write_ucalgary_pgm(
        tmp_path / "20211201_0507_gill_themis19_full.pgm.gz", "gill", "themis19", times, frames,
        metadata={"Geodetic latitude": "56.3539"},
    )  # fmt: skip
    reader = get_reader(path)
    assert isinstance(reader, PgmThemisReader)
    assert reader.frame_shape(path) == (24, 32)
    pd.testing.assert_index_equal(reader.read_times(path), times.as_unit("ns"))
    np.testing.assert_array_equal(reader.read_frames(path), frames)
    assert reader.read_metadata(path)[2]["Site unique ID"] == "gill"
    raw = gzip.decompress(path.read_bytes())
    assert raw.startswith(b'P5\n#"Project unique ID" themis\n#"Site unique ID" gill\n')
    assert b'#"Image request start" 2021-12-01 05:07:06.500000 UTC\n32 24\n65535\n' in raw
    assert raw.count(b"P5\n") == 4
    stored = np.frombuffer(raw[-2 * 24 * 32 :], ">u2").reshape(24, 32)
    np.testing.assert_array_equal(stored, frames[-1, ::-1, ::-1])


def test_written_rego_found_by_date_and_calibrated_altitude(tmp_path):
    t0 = pd.Timestamp("2021-12-01T05:59Z")
    for minute in range(3):  # 05:59, 06:00, 06:01: across an hour folder
        t = t0 + pd.Timedelta(minutes=minute)
        times = pd.date_range(t, periods=20, freq="3s")
        frames = np.full((20, 16, 16), 100 + minute, np.uint16)
        name = f"{t:%Y%m%d_%H%M}_gill_rego-652_6300.pgm.gz"
        write_ucalgary_pgm(
            _tree(tmp_path, "rego/stream0", "gill", "rego-652", t) / name, "gill", "rego-652",
            times, frames, project_uid="rego", mode_uid="6300",
        )  # fmt: skip
    files = find_stream0_files(
        "rego_stream0", "gill", "2021-12-01T06:00", "2021-12-01T06:01:30", tmp_path
    )
    assert [f.name[:13] for f in files] == ["20211201_0600", "20211201_0601"]
    assert isinstance(get_reader(files[0]), PgmRegoReader)
    sky = make_skymap("gill", n=16, program="rego", valid_from="2021-01-01")
    write_skymap(tmp_path / "rego/skymaps/gill/rego_skymap_gill_20210101-+_v01.npz", sky)
    imager = Imager("gill", "2021-12-01T05:59:30", "2021-12-01T06:00:30", program="rego_stream0",
                    asi_dir=tmp_path)  # fmt: skip
    assert len(imager) == 20 and imager.times[0] == pd.Timestamp("2021-12-01T05:59:30Z")
    assert imager.default_altitude_km == 230.0
    assert {int(f[0, 0]) for _, f in imager.iter_frames()} == {100, 101}
    with pytest.raises(AsiFileNotFoundError, match=r"no trex_nir files for site 'gill' between"):
        find_stream0_files("trex_nir", "gill", "2021-12-01T06:00", "2021-12-01T06:01", tmp_path)


# -- damaged files: clear errors naming the file and the field, never the file's contents ---------

SECRET = "do-not-echo-me"


def _pgm_bytes(tmp_path) -> bytes:
    times = pd.date_range("2021-12-01T05:07", periods=2, freq="3s")
    frames = np.arange(2 * 4 * 6, dtype=np.uint16).reshape(2, 4, 6)
    plain = write_ucalgary_pgm(
        tmp_path / "plain.pgm", "gill", "nir-216", times, frames, metadata={"Note": SECRET}
    )
    return plain.read_bytes()


def _write_gz(tmp_path, data: bytes) -> Path:
    path = tmp_path / "20211201_0507_gill_nir-216_8446.pgm.gz"
    path.write_bytes(gzip.compress(data))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b"6 4\n", b"6x 4\n", r"image 0 \(byte 0 of the decompressed stream\): header field 'width' is not a whole number"),
        (b"6 4\n", b"6 four\n", r"image 0 \(byte 0 .*\): header field 'height' is not a whole number"),
        (b"65535\n", b"0\n", r"header fields width/height/maxval out of range \(6, 4, 0\)"),
        (b"P5\n", b"P2\n", r"image 0 .*header field 'magic number' is not the PGM 'P5'"),
        (b"2021-12-01 05:07:00.000000 UTC", f"{SECRET} UTC".encode(),
         r"image 0: header field 'Image request start' is not a time of the form YYYY-MM-DD HH:MM:SS.ffffff UTC"),
        (b'#"Image request start"', b'#"Image start"',
         r"image 0 has no 'Image request start' header comment"),
    ],
)  # fmt: skip
def test_damaged_pgm_header(tmp_path, old, new, message):
    path = _write_gz(tmp_path, _pgm_bytes(tmp_path).replace(old, new, 1))
    reader = PgmTrexNirReader()
    with pytest.raises(AsiFileError, match=message) as err:
        reader.read_times(path)
    assert str(err.value).startswith(f"{path}: ")
    assert SECRET not in str(err.value)


def test_truncated_pixels_and_gzip(tmp_path):
    data = _pgm_bytes(tmp_path)
    short = _write_gz(tmp_path, data[:-10])
    with pytest.raises(AsiFileError, match=r"image 1 .*: pixel data truncated \(38 of 48 bytes\)"):
        PgmTrexNirReader().frame_shape(short)
    gz = gzip.compress(data)
    cut = tmp_path / "20211201_0508_gill_nir-216_8446.pgm.gz"
    cut.write_bytes(gz[: len(gz) // 2])
    with pytest.raises(
        AsiFileError,
        match=rf"^{re.escape(str(cut))}: truncated gzip stream \({len(gz) // 2} bytes; the compressed data end early\)$",
    ):
        PgmTrexNirReader().read_times(cut)
    not_gz = tmp_path / "20211201_0509_gill_nir-216_8446.pgm.gz"
    not_gz.write_bytes(data)
    with pytest.raises(AsiFileError, match=r"not a gzip file \(bad magic number 5035\)"):
        PgmTrexNirReader().read_times(not_gz)
    empty = _write_gz(tmp_path, b"\n")
    with pytest.raises(AsiFileError, match=r"no PGM image in the file"):
        PgmTrexNirReader().read_times(empty)


def test_real_themis_stream0_with_real_sav_skymap():
    # Athabasca's skymap (valid from 2023-01-15) is the only real THEMIS .sav of this folder: it
    # is not Gillam's, so this checks the code path (shapes, dates, views), not the geometry.
    path = real_file(REAL["themis"][0])
    sav = real_file("themis_skymap_atha_20230115-+_v02.sav")
    with pytest.raises(AsiFileNotFoundError, match=r"is valid from 2023-01-15T02:00:00\+00:00"):
        Imager("gill", "2014-03-10T06:00", "2014-03-10T06:01", files=[path], skymap=sav)
    imager = Imager(
        "gill", "2014-03-10T06:00", "2014-03-10T06:01", program="themis_stream0", files=[path],
        skymap=sav, allow_nearest_skymap=True,
    )  # fmt: skip
    assert len(imager) == 20 and imager.skymap.shape == (256, 256)
    mapped = imager.map_frame("2014-03-10T06:00:30")
    assert mapped.altitude_km == 110.0 and np.isfinite(mapped.values).sum() > 10000
    keo = make_keogram(imager, axis="geo")
    assert keo.values.shape == (20, len(keo.y)) and keo.values.dtype == np.uint16
