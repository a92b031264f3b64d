"""The ephemeris index: kept equal to a recomputation from the ephemeris by every write, delete,
optimize and by the version-1 migration."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from aurorax.engine import SCHEMA_VERSION, DataSource, Repository, search_conjunctions

START = pd.Timestamp("2021-12-01T00:00:00")
BOUNDS = [f"{k}_{b}_{m}" for k in ("geo", "nbtrace", "sbtrace") for b in "lat lon x y z".split()
          for m in ("min", "max")]  # fmt: skip


def _sources(repo):
    site = repo.add_data_source(DataSource("themis-asi", "gillam", "ASI", "ground", "GILL"))
    sat = repo.add_data_source(DataSource("swarm", "swarma", "footprint", "leo", "Swarm A"))
    return site, sat


def _frame(source, minutes, lat, lon):
    minutes = np.asarray(minutes)
    lat = np.broadcast_to(np.asarray(lat, float), minutes.shape)
    lon = np.broadcast_to(np.asarray(lon, float), minutes.shape)
    return pd.DataFrame(
        {
            "data_source": source.identifier,
            "epoch": START + pd.to_timedelta(minutes, unit="min"),
            "geo_lat": lat,
            "geo_lon": lon,
            "nbtrace_lat": lat,
            "nbtrace_lon": lon,
            "sbtrace_lat": -lat,
            "sbtrace_lon": lon,
        }
    )


def _index(con) -> pd.DataFrame:
    return (
        con.execute("SELECT * FROM ephemeris_index ORDER BY data_source, bin")
        .df()
        .reset_index(drop=True)
    )


def _expected(con) -> pd.DataFrame:
    """The index recomputed in pandas from the ephemeris table (not the store's SQL)."""
    e = con.execute("SELECT * FROM ephemeris").df()
    types = dict(con.execute("SELECT identifier, source_type FROM data_sources").fetchall())
    w = e["data_source"].map(lambda i: 60 if types[i] == "ground" else 10)
    e["bin"] = e["epoch"].dt.floor("h") + pd.to_timedelta(e["epoch"].dt.minute // w * w, unit="min")
    e["bin_minutes"] = w
    for k in ("geo", "nbtrace", "sbtrace"):
        lat, lon = np.radians(e[f"{k}_lat"]), np.radians(e[f"{k}_lon"])
        e[f"{k}_x"], e[f"{k}_y"] = np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon)
        e[f"{k}_z"] = np.sin(lat)
    g = e.groupby(["data_source", "bin", "bin_minutes"])
    out = g.size().rename("n").reset_index()
    for col in BOUNDS:
        base, m = col.rsplit("_", 1)
        out[col] = getattr(g[base], m)().to_numpy()
    return out


def _check(repo):
    con = repo.cursor()
    got, want = _index(con), _expected(con)
    assert len(got) == len(want)
    if len(want):
        assert (got["data_source"].to_numpy() == want["data_source"].to_numpy()).all()
        assert (got["bin"].to_numpy() == want["bin"].to_numpy()).all()
        assert (got["bin_minutes"].to_numpy() == want["bin_minutes"].to_numpy()).all()
        assert (got["n"].to_numpy() == want["n"].to_numpy()).all()
        for col in BOUNDS:
            np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float),
                                       rtol=1e-12, atol=1e-12)  # fmt: skip


def test_ingest_fills_the_index_per_source_and_bin():
    with Repository(":memory:") as repo:
        site, sat = _sources(repo)
        repo.ingest_ephemeris(_frame(site, range(0, 150), 56.4, -94.6))
        repo.ingest_ephemeris(_frame(sat, range(5, 47), np.linspace(50, 70, 42), -100.0))
        index = _index(repo.cursor())
        ground = index[index["data_source"] == site.identifier]
        assert ground["bin_minutes"].tolist() == [60, 60, 60]
        assert ground["n"].tolist() == [60, 60, 30]  # the last hour is partly filled
        space = index[index["data_source"] == sat.identifier]
        assert space["bin_minutes"].unique().tolist() == [10]
        assert space["n"].tolist() == [5, 10, 10, 10, 7]
        assert space["nbtrace_lat_min"].iloc[0] == pytest.approx(50.0)
        _check(repo)


def test_reingest_and_delete_update_the_index():
    with Repository(":memory:") as repo:
        site, sat = _sources(repo)
        repo.ingest_ephemeris(_frame(sat, range(0, 180), 60.0, -100.0))
        # Replace minutes 20-39 with other footprints: the boxes of those bins move.
        repo.ingest_ephemeris(_frame(sat, range(20, 40), -30.0, 170.0))
        _check(repo)
        row = _index(repo.cursor()).iloc[2]
        assert (row["nbtrace_lat_min"], row["nbtrace_lat_max"]) == (-30.0, -30.0)
        # Delete through part of one bin and all of others (some bins vanish, one shrinks).
        assert (
            repo.delete_ephemeris(
                sat, START + pd.Timedelta(minutes=15), START + pd.Timedelta(minutes=65)
            )
            == 50
        )
        _check(repo)
        bins = _index(repo.cursor())["bin"].tolist()
        assert START + pd.Timedelta(minutes=20) not in bins
        assert START + pd.Timedelta(minutes=10) in bins
        # A null footprint is no location: the bin's box is the other rows' only.
        frame = _frame(sat, [100, 101], 10.0, 10.0)
        frame.loc[0, ["nbtrace_lat", "nbtrace_lon"]] = np.nan
        repo.ingest_ephemeris(frame)
        _check(repo)
        repo.delete_ephemeris(sat, START, START + pd.Timedelta(days=1))
        assert len(_index(repo.cursor())) == 0


def test_a_failed_write_leaves_the_index_as_it_was(monkeypatch):
    from aurorax.engine.store import _ingest

    with Repository(":memory:") as repo:
        site, _ = _sources(repo)
        repo.ingest_ephemeris(_frame(site, range(0, 90), 56.4, -94.6))
        before = _index(repo.cursor())

        def fail(con, *args):
            raise duckdb.IOException("disk full")

        # After the ephemeris insert and the index refresh, the availability update fails.
        real = _ingest.refresh_index

        def refresh_then_fail(con, *args):
            real(con, *args)
            fail(con)

        monkeypatch.setattr(_ingest, "refresh_index", refresh_then_fail)
        with pytest.raises(Exception, match="disk full"):
            repo.ingest_ephemeris(_frame(site, range(90, 200), 10.0, 10.0))
        pd.testing.assert_frame_equal(_index(repo.cursor()), before)
        _check(repo)


def test_optimize_rebuilds_the_index():
    with Repository(":memory:") as repo:
        site, sat = _sources(repo)
        repo.ingest_ephemeris(_frame(sat, range(0, 100), 60.0, -100.0))
        repo.ingest_ephemeris(_frame(site, range(0, 100), 56.4, -94.6))
        repo.cursor().execute(
            "DELETE FROM ephemeris_index WHERE data_source = ?", [site.identifier]
        )
        repo.optimize()
        _check(repo)


def _version_1_file(path):
    """A store as version 1 wrote it: no ephemeris_index or ephemeris_pairs table, version '1'."""
    with Repository(path) as repo:
        site, sat = _sources(repo)
        repo.ingest_ephemeris(_frame(site, range(0, 120), 56.4, -94.6))
        repo.ingest_ephemeris(_frame(sat, range(0, 120), np.linspace(50, 62, 120), -94.0))
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE ephemeris_index")
    con.execute("DROP TABLE ephemeris_pairs")
    con.execute("UPDATE aurorax_meta SET value = '1' WHERE key = 'schema_version'")
    con.close()


def _query():
    return {
        "start": START.isoformat(),
        "end": (START + pd.Timedelta(hours=2)).isoformat(),
        "ground": [{"programs": ["themis-asi"]}],
        "space": [{"programs": ["swarm"]}],
        "conjunction_types": ["nbtrace"],
        "max_distances": {"ground1-space1": 300},
    }


def test_a_version_1_file_is_searched_read_only_and_migrated_when_writable(tmp_path):
    path = tmp_path / "v1.duckdb"
    _version_1_file(path)
    with Repository(path, read_only=True) as repo:
        found = search_conjunctions(repo, _query()).data  # no index: a full scan
        repo.verify()
    assert len(found) == 1
    with Repository(path) as repo:
        con = repo.cursor()
        assert con.execute("SELECT value FROM aurorax_meta").fetchall() == [(str(SCHEMA_VERSION),)]
        _check(repo)
        pd.testing.assert_frame_equal(search_conjunctions(repo, _query()).data, found)
