"""Month-partitioned Parquet exports: round trip, identical searches, bad input."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from aurorax.demo import build_demo
from aurorax.engine import Repository, StoreError, search_conjunctions
from aurorax.engine.store import ParquetRepository, export_parquet, open_repository

# Two demo days across the November/December edge: two month partitions.
QUERY = {
    "start": "2021-11-30T00:00:00",
    "end": "2021-12-02T00:00:00",
    "ground": [{"programs": ["themis-asi"]}],
    "space": [{"programs": ["swarm"]}],
    "conjunction_types": ["nbtrace"],
    "max_distances": {"ground1-space1": 500},
}
EDGE = pd.Timestamp("2021-12-01T00:00:00", tz="UTC")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("parquet") / "demo.duckdb"
    build_demo(path, start="2021-11-30", days=2, image_nights=0, progress=False)
    return path


@pytest.fixture(scope="module")
def export(store, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "pq"
    with Repository(store, read_only=True) as repo:
        manifest = export_parquet(repo, out)
    return out, manifest


def test_export_is_month_partitioned(export):
    out, manifest = export
    files = manifest["tables"]["ephemeris"]
    assert [f.split("/")[1:3] for f in files] == [
        ["year=2021", "month=11"],
        ["year=2021", "month=12"],
    ]
    assert all((out / f).is_file() for f in files)
    assert json.loads((out / "aurorax_export.json").read_text()) == manifest
    assert not out.with_name("pq.partial").exists()


def test_round_trip_keeps_every_row(store, export):
    out, manifest = export
    with Repository(store, read_only=True) as repo, ParquetRepository(out) as pq:
        for table in ("data_sources", "data_products", "availability"):
            a = repo.cursor().execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            b = pq.cursor().execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            assert a == b, table
        sql = "SELECT * FROM ephemeris ORDER BY data_source, epoch"
        assert repo.cursor().execute(sql).fetchall() == pq.cursor().execute(sql).fetchall()
        assert manifest["rows"]["ephemeris"] == len(pq.cursor().execute(sql).fetchall())
        assert repo.list_data_sources() == pq.list_data_sources()
        pd.testing.assert_frame_equal(repo.counts(), pq.counts())
        pd.testing.assert_frame_equal(repo.availability(), pq.availability())


def test_search_on_parquet_equals_search_on_duckdb(store, export):
    with Repository(store, read_only=True) as repo, open_repository(export[0]) as pq:
        assert isinstance(pq, ParquetRepository)
        a, b = search_conjunctions(repo, QUERY), search_conjunctions(pq, QUERY)
    assert len(a) > 50
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.to_aurorax_json() == b.to_aurorax_json()


def test_interval_spanning_the_partition_boundary(store, export, tmp_path):
    # A ground record just before and after midnight with a spacecraft on top of it makes
    # one conjunction across the two month files.
    with Repository(store, read_only=True) as repo:
        gill = repo.list_data_sources(program="themis-asi", platform="gillam")[0]
        swarm = repo.list_data_sources(platform="swarma")[0]
        rows = (
            repo.cursor()
            .execute(
                "SELECT nbtrace_lat, nbtrace_lon FROM ephemeris WHERE data_source = ? LIMIT 1",
                [gill.identifier],
            )
            .fetchall()
        )
    lat, lon = rows[0]
    copy = tmp_path / "edge.duckdb"
    shutil.copy(store, copy)
    epochs = pd.date_range(EDGE.tz_convert(None) - pd.Timedelta(minutes=3), periods=6, freq="min")
    with Repository(copy) as repo:
        for ds in (gill, swarm):
            repo.delete_ephemeris(ds, epochs[0], epochs[-1] + pd.Timedelta(minutes=1))
            repo.ingest_ephemeris(
                pd.DataFrame(
                    {
                        "data_source": ds.identifier,
                        "epoch": epochs,
                        "nbtrace_lat": lat,
                        "nbtrace_lon": lon + (0.0 if ds is gill else 1.0),
                    }
                )
            )
        export_parquet(repo, tmp_path / "edge_pq")
    query = {**QUERY, "ground": [{"platforms": ["gillam"]}], "space": [{"platforms": ["swarma"]}]}
    with ParquetRepository(tmp_path / "edge_pq") as pq, Repository(copy, read_only=True) as repo:
        b = search_conjunctions(pq, query).data
        a = search_conjunctions(repo, query).data
    pd.testing.assert_frame_equal(a, b)
    crossing = b[(b["start"] < EDGE) & (b["end"] >= EDGE) & (b["ground1"] == gill.display_name)]
    assert len(crossing) == 1
    assert crossing["start"].iloc[0] == EDGE - pd.Timedelta(minutes=3)
    assert crossing["end"].iloc[0] == EDGE + pd.Timedelta(minutes=2)


def test_parquet_repository_is_read_only(export):
    with ParquetRepository(export[0]) as pq:
        with pytest.raises(StoreError, match="read-only"):
            pq.delete_ephemeris(1, "2021-11-30", "2021-12-01")
        with pytest.raises(StoreError, match="Parquet export"):
            pq.optimize()


def test_missing_directory(tmp_path):
    with pytest.raises(StoreError, match=r"Parquet export .*nowhere does not exist"):
        ParquetRepository(tmp_path / "nowhere")


def test_directory_that_is_not_an_export(tmp_path):
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    with pytest.raises(
        StoreError, match="is not an aurorax Parquet export: it has no aurorax_export"
    ):
        ParquetRepository(tmp_path)


def test_export_with_a_missing_file(export, tmp_path):
    out, manifest = export
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "aurorax_export.json").write_text(json.dumps(manifest))
    with pytest.raises(StoreError, match=r"incomplete: .* table aurorax_meta .* missing"):
        ParquetRepository(broken)


def test_manifest_of_another_format(tmp_path):
    (tmp_path / "aurorax_export.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(StoreError, match="not an aurorax Parquet manifest"):
        ParquetRepository(tmp_path)


def test_export_refuses_a_non_empty_target(store, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with Repository(store, read_only=True) as repo:
        with pytest.raises(StoreError, match="exists and is not an empty directory"):
            export_parquet(repo, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_url_without_httpfs_is_a_clear_error():
    # httpfs is not in the duckdb wheel and this machine is offline: the error says what to do.
    try:
        import duckdb

        duckdb.connect().execute("LOAD httpfs")
    except duckdb.Error:
        pass
    else:
        pytest.skip("httpfs is installed here; the offline error cannot be shown")
    with pytest.raises(StoreError, match="httpfs"):
        ParquetRepository("s3://aurorax-bucket/export")


def test_cli_export(store, tmp_path):
    from click.testing import CliRunner

    from aurorax.cli import main

    out = tmp_path / "cli_pq"
    res = CliRunner().invoke(main, ["db", "export", "--db", str(store), "--parquet", str(out)])
    assert res.exit_code == 0, res.output
    assert "in 2 month file(s)" in res.output
    with ParquetRepository(out) as pq, Repository(store, read_only=True) as repo:
        pd.testing.assert_frame_equal(repo.counts(), pq.counts())
    again = CliRunner().invoke(main, ["db", "export", "--db", str(store), "--parquet", str(out)])
    assert again.exit_code == 1
    assert "exists and is not an empty directory" in again.output
