"""``ingest_ephemeris_files``: TLE files into a real DuckDB repository, day by day, resumably."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from sgp4.api import Satrec, jday

from aurorax import geo
from aurorax.demo import ecef_to_geodetic, teme_to_ecef
from aurorax.engine import DataSource, NotFoundError, Repository, ValidationError
from aurorax.ingest import LEDGER_TABLE, ingest_ephemeris_files

# Two published ISS element sets, 2.2 days apart (the first is the sgp4 package's README
# example; the second was published 2019-12-11, revolution 20282).
ISS_1 = (
    "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991",
    "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482",
)
ISS_2 = (
    "1 25544U 98067A   19345.90010417  .00003601  00000-0  70741-4 0  9997",
    "2 25544  51.6441 200.2644 0007302  25.9136 159.9168 15.50127197202820",
)
# Vanguard 1 from the sgp4 package's verification set (SGP4-VER.TLE).
VANGUARD = (
    "1 00005U 58002B   00179.78495062  .00000023  00000-0  28098-4 0  4753",
    "2 00005  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667",
)
# Vanguard 1 twenty years on (CelesTrak, as quoted in the sgp4 package's tests).
VANGUARD_2020 = (
    "1 00005U 58002B   20287.20333880 -.00000016  00000-0 -22483-4 0  9998",
    "2 00005  34.2443 225.5254 1845686 162.2516 205.2356 10.84869164218149",
)
# A window over three UTC days: 2 h, 24 h, 2 h.
START, END = dt.datetime(2019, 12, 10, 22), dt.datetime(2019, 12, 12, 2)


def _write_tle(path, *sets, name="ISS (ZARYA)"):
    path.write_text("".join(f"{name}\n{a}\n{b}\n" for a, b in sets))
    return path


@pytest.fixture
def iss(tmp_path):
    return _write_tle(tmp_path / "iss.tle", ISS_1, ISS_2)


def _rows(db):
    with Repository(db, read_only=True) as repo:
        return (
            repo.cursor()
            .execute("SELECT * EXCLUDE (metadata), metadata FROM ephemeris ORDER BY epoch")
            .df()
        )


def _ingest(db, files, **kwargs):
    kwargs.setdefault("start", START)
    kwargs.setdefault("end", END)
    kwargs.setdefault("progress", False)
    return ingest_ephemeris_files(db, files, "iss/iss", create_source=True, **kwargs)


def _sgp4_geodetic(lines, when):
    sat = Satrec.twoline2rv(*lines)
    err, r, _ = sat.sgp4(*jday(when.year, when.month, when.day, when.hour, when.minute, 0))
    assert err == 0
    lat, lon, alt = ecef_to_geodetic(teme_to_ecef(np.array([r]), [when]))
    return lat[0], lon[0], alt[0]


def test_records_match_sgp4_and_geo(tmp_path, iss):
    db = tmp_path / "r.duckdb"
    summary = _ingest(db, [iss])
    assert summary.ok and summary.data_source_created
    assert (summary.files_ingested, summary.days_ingested, summary.records) == (1, 3, 28 * 60)
    rows = _rows(db)
    assert len(rows) == 28 * 60
    assert rows.epoch.iloc[0] == pd.Timestamp(START) and rows.epoch.iloc[-1] == pd.Timestamp(
        END - dt.timedelta(minutes=1)
    )
    # Second set's epoch is 2019-12-11 21:36:09: 21:36 still uses the first set, 21:37 the second.
    for minute, lines in ((dt.datetime(2019, 12, 11, 21, 36), ISS_1),
                          (dt.datetime(2019, 12, 11, 21, 37), ISS_2),
                          (dt.datetime(2019, 12, 10, 23, 15), ISS_1)):  # fmt: skip
        row = rows[rows.epoch == pd.Timestamp(minute)].iloc[0]
        lat, lon, alt = _sgp4_geodetic(lines, minute)
        assert row.geo_lat == pytest.approx(lat, abs=1e-6)
        assert row.geo_lon == pytest.approx(lon, abs=1e-6)
        t64 = np.array([np.datetime64(minute, "ns")])
        fp = geo.footprints(np.array([lat]), np.array([lon]), np.array([alt]), t64, method="auto")
        assert row.nbtrace_lat == pytest.approx(fp.nbtrace_lat[0], abs=1e-6)
        assert row.sbtrace_lon == pytest.approx(fp.sbtrace_lon[0], abs=1e-6)
        gsm_lat, gsm_lon = geo.geo_to_gsm(np.array([lat]), np.array([lon]), np.array([alt]), t64)
        assert row.gsm_lat == pytest.approx(gsm_lat[0], abs=1e-6)
        assert 6700 < json.loads(row.metadata)["radial_distance"] < 6850
    with Repository(db, read_only=True) as repo:
        source = repo.list_data_sources("iss", "iss")[0]
        assert (source.source_type, source.instrument_type) == ("leo", "footprint")
        days = repo.availability().ephemeris_count.tolist()
    assert days == [120, 1440, 120]


def test_default_span_is_first_epoch_to_last_plus_one_day(tmp_path, iss):
    db = tmp_path / "r.duckdb"
    summary = ingest_ephemeris_files(db, [iss], "iss/iss", create_source=True, progress=False)
    rows = _rows(db)
    # 2019-12-09 16:38:29 (ceil 16:39) to 2019-12-12 21:36:09 (ceil 21:37).
    assert rows.epoch.iloc[0] == pd.Timestamp("2019-12-09 16:39")
    assert rows.epoch.iloc[-1] == pd.Timestamp("2019-12-12 21:36")
    assert summary.records == len(rows) == 3 * 1440 + 298
    assert summary.days_ingested == 4 and not summary.notes


def test_default_span_is_capped(tmp_path):
    path = _write_tle(tmp_path / "v.tle", VANGUARD, VANGUARD_2020, name="VANGUARD 1")
    db = tmp_path / "r.duckdb"
    summary = ingest_ephemeris_files(
        db, [path], "vanguard/1", create_source=True, source_type="heo", progress=False
    )
    assert summary.ok and summary.days_ingested == 32 and summary.records == 31 * 1440
    assert summary.notes == (
        f"{path}: default span capped at 31 days (2000-06-27 18:51 to 2000-07-28 18:51 UTC; "
        "the last element set is of 2020-10-13); give an end time for more",
    )


def test_interrupted_run_continues_to_the_same_records(tmp_path, iss):
    reference = tmp_path / "whole.duckdb"
    _ingest(reference, [iss])
    db = tmp_path / "r.duckdb"
    seen = []

    def stop_after_first(unit, records):
        seen.append((unit, records))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _ingest(db, [iss], on_day=stop_after_first)
    assert len(seen) == 1 and seen[0][1] == 120 and seen[0][0].endswith(":2019-12-10")
    assert len(_rows(db)) == 120
    again = _ingest(db, [iss])
    assert (again.days_skipped, again.days_ingested, again.records) == (1, 2, 1560)
    pd.testing.assert_frame_equal(_rows(db), _rows(reference))


def test_rerun_skips_and_never_duplicates(tmp_path, iss):
    db = tmp_path / "r.duckdb"
    _ingest(db, [iss])
    first = _rows(db)
    again = _ingest(db, [iss])
    assert (again.days_skipped, again.days_ingested, again.records) == (3, 0, 0)
    # A run that died between a day's commit and its ledger row: the day is stored again and
    # its minutes replace the stored rows.
    with Repository(db) as repo:
        repo.cursor().execute(f"DELETE FROM {LEDGER_TABLE}")
    redo = _ingest(db, [iss])
    assert (redo.days_skipped, redo.days_ingested, redo.records) == (0, 3, 1680)
    pd.testing.assert_frame_equal(_rows(db), first)
    # A wider window recomputes only the partial day at its edge.
    wider = _ingest(db, [iss], end=END + dt.timedelta(hours=1))
    assert (wider.days_skipped, wider.days_ingested, wider.records) == (2, 1, 180)
    assert len(_rows(db)) == 1680 + 60


def test_bad_files_are_named_and_stored_nothing(tmp_path, iss):
    bad = _write_tle(tmp_path / "bad.tle", (ISS_1[0], ISS_1[1][:68] + "5"))
    two = tmp_path / "two.tle"
    two.write_text(iss.read_text() + "VANGUARD 1\n" + "\n".join(VANGUARD) + "\n")
    binary = tmp_path / "junk.dat"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    missing = tmp_path / "missing.tle"
    db = tmp_path / "r.duckdb"
    summary = _ingest(db, [bad, iss, two, binary, missing])
    assert (summary.files_found, summary.files_ingested, summary.files_failed) == (5, 1, 4)
    assert [f.message for f in summary.failures] == [
        f"{bad}: line 3: bad TLE checksum 5, expected 2",
        f"{two}: element sets of 2 satellites (catalogue numbers 00005, 25544); a file goes to "
        "one data source, so give one satellite a file",
        f"{binary}: not a text TLE file and not a CDF file (byte 0 is not text)",
        f"{missing}: cannot read the file (No such file or directory)",
    ]
    assert summary.records == len(_rows(db)) == 1680


def test_unknown_source_is_an_error_naming_it(tmp_path, iss):
    db = tmp_path / "r.duckdb"
    with pytest.raises(NotFoundError) as info:
        ingest_ephemeris_files(db, [iss], "swarm/swarma", progress=False)
    assert str(info.value) == (
        "unknown data source swarm/swarma; create it with --create-source --source-type "
        "leo|heo|lunar (create_source=True); data sources that exist: []"
    )
    with Repository(db, read_only=True) as repo:
        assert repo.list_data_sources() == []


def test_source_type_is_checked(tmp_path, iss):
    db = tmp_path / "r.duckdb"
    with pytest.raises(ValidationError, match="source type must be one of"):
        ingest_ephemeris_files(
            db, [iss], "iss/iss", create_source=True, source_type="ground", progress=False
        )
    with Repository(db) as repo:
        repo.add_data_source(DataSource("themis-asi", "gillam", "panchromatic ASI", "ground",
                                        "THEMIS-ASI GILL"))  # fmt: skip
    with pytest.raises(ValidationError) as info:
        ingest_ephemeris_files(db, [iss], "themis-asi/gillam", progress=False)
    assert str(info.value) == (
        "data source themis-asi/gillam is of type 'ground'; spacecraft ephemeris needs one of "
        "['leo', 'heo', 'lunar']"
    )


def test_existing_source_without_radial_distance_takes_records_without_it(tmp_path, iss):
    db = tmp_path / "r.duckdb"
    with Repository(db) as repo:
        repo.add_data_source(DataSource("iss", "iss", "footprint", "leo", "ISS"))
    summary = ingest_ephemeris_files(db, [iss], "iss/iss", start=START, end=END, progress=False)
    assert summary.records == 1680
    assert set(_rows(db).metadata) == {"{}"}


def _write_geo_cdf(path, times, ecef_km):
    """An SSCWeb-style CDF (``XYZ_GEO`` in km, ``Epoch`` CDF_EPOCH) written with cdflib."""
    from cdflib.cdfwrite import CDF as CdfWriter

    ms = pd.DatetimeIndex(times).as_unit("ns").asi8 / 1e6 + 62167219200000.0
    cdf = CdfWriter(str(path))
    cdf.write_globalattrs({"Project": {0: "aurorax tests"}})
    for name, kind, dims, data, attrs in (
        ("Epoch", CdfWriter.CDF_EPOCH, [], ms, {"FIELDNAM": "Time"}),
        ("XYZ_GEO", CdfWriter.CDF_REAL8, [3], ecef_km,
         {"UNITS": "km", "DEPEND_0": "Epoch", "CATDESC": "XYZ position"}),
    ):  # fmt: skip
        spec = {"Variable": name, "Data_Type": kind, "Num_Elements": 1, "Rec_Vary": True,
                "Dim_Sizes": dims}  # fmt: skip
        cdf.write_var(spec, var_attrs=attrs, var_data=data)
    cdf.close()
    return path


def test_cdf_file_gives_the_same_records_as_the_tle(tmp_path, iss):
    # The ISS's Earth-fixed positions from SGP4 at each minute, written as a CDF position file.
    times = pd.date_range("2019-12-10 23:00", "2019-12-11 01:00", freq="min")
    sat = Satrec.twoline2rv(*ISS_1)
    jd = np.array([jday(t.year, t.month, t.day, t.hour, t.minute, 0) for t in times])
    err, r, _ = sat.sgp4_array(jd[:, 0].copy(), jd[:, 1].copy())
    assert (err == 0).all()
    cdf = _write_geo_cdf(tmp_path / "iss_geo.cdf", times, teme_to_ecef(r, times))
    by_cdf, by_tle = tmp_path / "cdf.duckdb", tmp_path / "tle.duckdb"
    summary = ingest_ephemeris_files(by_cdf, [cdf], "iss/iss", create_source=True, progress=False)
    assert summary.ok and (summary.days_ingested, summary.records) == (2, 121)
    _ingest(by_tle, [iss], start=times[0], end=times[-1] + pd.Timedelta(minutes=1))
    a, b = _rows(by_cdf), _rows(by_tle)
    assert (a.epoch == b.epoch).all() and len(a) == 121
    for column in ("geo_lat", "geo_lon", "nbtrace_lat", "nbtrace_lon", "sbtrace_lat", "gsm_lon"):
        np.testing.assert_allclose(a[column], b[column], atol=1e-5)
    again = ingest_ephemeris_files(by_cdf, [cdf], "iss/iss", progress=False)
    assert (again.days_skipped, again.records) == (2, 0)


def test_bad_cdf_is_named_and_the_tle_is_stored(tmp_path, iss):
    from cdflib.cdfwrite import CDF as CdfWriter

    bad = tmp_path / "no_position.cdf"
    cdf = CdfWriter(str(bad))
    cdf.write_var({"Variable": "Epoch", "Data_Type": CdfWriter.CDF_EPOCH, "Num_Elements": 1,
                   "Rec_Vary": True, "Dim_Sizes": []}, var_attrs={}, var_data=np.array([6.3e13]))  # fmt: skip
    cdf.close()
    db = tmp_path / "r.duckdb"
    summary = _ingest(db, [bad, iss])
    assert (summary.files_ingested, summary.files_failed, summary.records) == (1, 1, 1680)
    (failure,) = summary.failures
    assert failure.path == str(bad) and failure.message.startswith(f"{bad}: ")
    assert "position" in failure.message
    assert len(_rows(db)) == 1680
