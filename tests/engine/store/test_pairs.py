"""The ground-space pair table: kept equal to a recomputation in numpy from the ephemeris by
every write, replace, delete, source-type change and optimize, and built by the migration of
older files; a failed ingest leaves it as it was."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from aurorax.engine import SCHEMA_VERSION, Repository, StoreError, search_conjunctions
from aurorax.engine.store import ParquetRepository, export_parquet
from tests.engine.search.search_store import N_MINUTES, START, random_store

SPHERE_KM = 6371.2 + 110.0
KINDS = {0: "geo", 1: "nbtrace", 2: "sbtrace"}
KEY = ["ground", "space", "kind", "epoch"]


def _haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * SPHERE_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _stored(con) -> pd.DataFrame:
    frame = con.execute("SELECT * FROM ephemeris_pairs").df()
    return frame.sort_values(KEY).reset_index(drop=True)


def _expected(con) -> pd.DataFrame:
    """Every (ground, space, kind, minute) within 1,000 km, from the ephemeris, in numpy."""
    e = con.execute("SELECT * FROM ephemeris").df()
    types = dict(con.execute("SELECT identifier, source_type FROM data_sources").fetchall())
    kind_of = e["data_source"].map(types)
    g = e[kind_of == "ground"]
    s = e[kind_of.isin(["leo", "heo", "lunar"])]
    joined = g.merge(s, on="epoch", suffixes=("_g", "_s"))
    frames = []
    for code, k in KINDS.items():
        d = _haversine(
            joined[f"{k}_lat_g"], joined[f"{k}_lon_g"], joined[f"{k}_lat_s"], joined[f"{k}_lon_s"]
        )
        keep = d.notna() & (d <= 1000.0)
        rows = joined[keep]
        frames.append(
            pd.DataFrame(
                {
                    "ground": rows["data_source_g"],
                    "space": rows["data_source_s"],
                    "kind": code,
                    "epoch": rows["epoch"],
                    "ground_lat": rows[f"{k}_lat_g"],
                    "ground_lon": rows[f"{k}_lon_g"],
                    "space_lat": rows[f"{k}_lat_s"],
                    "space_lon": rows[f"{k}_lon_s"],
                    "distance_km": d[keep],
                }
            )
        )
    return pd.concat(frames).sort_values(KEY).reset_index(drop=True)


def _check(repo) -> int:
    con = repo.cursor()
    got, want = _stored(con), _expected(con)
    assert len(got) > 0
    pd.testing.assert_frame_equal(
        got[KEY], want[KEY].astype(got[KEY].dtypes.to_dict()), check_dtype=False
    )
    for c in ("ground_lat", "ground_lon", "space_lat", "space_lon"):
        np.testing.assert_array_equal(got[c].to_numpy(), want[c].to_numpy())
    np.testing.assert_allclose(got["distance_km"], want["distance_km"], rtol=1e-6)
    return len(got)


@pytest.fixture
def store():
    repo, _, blocks, records = random_store(np.random.default_rng(3), 3, 2, 1, "none")
    with repo:
        yield repo, blocks, records


def test_ingest_writes_the_pairs(store):
    repo, _, _ = store
    _check(repo)


def test_replacing_and_deleting_records_updates_the_pairs(store):
    repo, blocks, records = store
    sat = blocks[1][0]
    mine = records[records["data_source"] == sat.identifier].copy()
    # Move the spacecraft onto the first site for its first hour, then delete its last hour.
    site = records[records["data_source"] == blocks[0][0].identifier].iloc[0]
    early = mine["epoch"] < START + pd.Timedelta(hours=1)
    for c in ("geo", "nbtrace", "sbtrace"):
        mine.loc[early, f"{c}_lat"] = site[f"{c}_lat"]
        mine.loc[early, f"{c}_lon"] = site[f"{c}_lon"]
    before = _check(repo)
    repo.ingest_ephemeris(mine[early])
    after = _check(repo)
    assert after > before
    repo.delete_ephemeris(sat, START + pd.Timedelta(hours=3), START + pd.Timedelta(hours=4))
    _check(repo)
    left = repo.cursor().execute(
        "SELECT count(*) FROM ephemeris_pairs WHERE space = ? AND epoch >= ?",
        [sat.identifier, (START + pd.Timedelta(hours=3)).to_pydatetime()],
    )
    assert left.fetchall() == [(0,)]


def test_changing_a_source_type_recomputes_its_pairs(store):
    repo, blocks, _ = store
    site = blocks[0][0]
    repo.update_data_source(site, {"source_type": "heo"})  # no longer a ground source
    _check(repo)
    con = repo.cursor()
    assert con.execute(
        "SELECT count(*) FROM ephemeris_pairs WHERE ground = ?", [site.identifier]
    ).fetchall() == [(0,)]
    repo.update_data_source(site, {"source_type": "ground"})
    _check(repo)


def test_optimize_rebuilds_the_pairs(store):
    repo, blocks, _ = store
    repo.cursor().execute("DELETE FROM ephemeris_pairs WHERE ground = ?", [blocks[0][0].identifier])
    repo.optimize()
    _check(repo)


def test_optimize_writes_the_pairs_in_search_order_over_the_whole_span(store):
    # Two months apart: the rebuild's 30-day chunks are no longer the order on disk; the whole
    # table is, so a search's kind and spacecraft lie in a few row groups.
    repo, _, records = store
    later = records.copy()
    later["epoch"] = later["epoch"] + pd.Timedelta(days=45)
    repo.ingest_ephemeris(later)
    repo.optimize()
    n = _check(repo)
    on_disk = repo.cursor().execute("SELECT kind, space, ground, epoch FROM ephemeris_pairs").df()
    assert len(on_disk) == n
    assert on_disk["epoch"].min() < START + pd.Timedelta(days=1) < on_disk["epoch"].max()
    assert pd.MultiIndex.from_frame(on_disk).is_monotonic_increasing
    tables = repo.cursor().execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert ("ephemeris_pairs_staging",) not in tables


def test_a_failed_ingest_leaves_the_pairs_as_they_were(store):
    repo, blocks, records = store
    before = _stored(repo.cursor())
    bad = records[records["data_source"] == blocks[1][0].identifier].head(5).copy()
    bad["nbtrace_lat"] = 123.0  # outside -90..90
    with pytest.raises(Exception, match="nbtrace_lat"):
        repo.ingest_ephemeris(bad)
    pd.testing.assert_frame_equal(_stored(repo.cursor()), before)


def _version_2_file(path):
    repo, _, _, records = random_store(np.random.default_rng(5), 3, 2, 0, "none")
    with repo:
        sources = repo.list_data_sources()
    with Repository(path) as disk:
        for s in sources:
            disk.add_data_source(s)
        disk.ingest_ephemeris(records)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE ephemeris_pairs")
    con.execute("UPDATE aurorax_meta SET value = '2' WHERE key = 'schema_version'")
    con.close()


def _query():
    return {
        "start": START.isoformat(),
        "end": (START + pd.Timedelta(minutes=N_MINUTES)).isoformat(),
        "ground": [{"programs": ["themis-asi"]}],
        "space": [{"programs": ["swarm"]}],
        "conjunction_types": ["nbtrace", "geographic"],
        "max_distances": {"ground1-space1": 700},
    }


def test_a_version_2_file_is_searched_read_only_and_gains_the_pairs_when_writable(tmp_path):
    path = tmp_path / "v2.duckdb"
    _version_2_file(path)
    with Repository(path, read_only=True) as repo:
        found = search_conjunctions(repo, _query())  # no pair table: the general path
        repo.verify()
    assert len(found) > 0
    with Repository(path) as repo:
        con = repo.cursor()
        assert con.execute("SELECT value FROM aurorax_meta").fetchall() == [(str(SCHEMA_VERSION),)]
        _check(repo)
        again = search_conjunctions(repo, _query())
    pd.testing.assert_frame_equal(again.data, found.data)
    assert again.to_aurorax_json() == found.to_aurorax_json()


def test_a_failed_migration_changes_nothing(tmp_path):
    path = tmp_path / "v2.duckdb"
    _version_2_file(path)
    con = duckdb.connect(str(path))
    # A table where the migration must create its own: CREATE ... IF NOT EXISTS keeps it, and
    # the insert of the pair columns into it fails.
    con.execute("CREATE TABLE ephemeris_pairs (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="upgrading schema version 2 to 3"):
        Repository(path)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT value FROM aurorax_meta").fetchall() == [("2",)]
    con.close()


def test_parquet_exports_leave_the_pairs_out(store, tmp_path):
    repo, _, _ = store
    export_parquet(repo, tmp_path / "export")
    with ParquetRepository(tmp_path / "export") as pq:
        assert "ephemeris_pairs" not in pq.manifest["tables"]
        on_parquet = search_conjunctions(pq, _query())
    pd.testing.assert_frame_equal(on_parquet.data, search_conjunctions(repo, _query()).data)
