"""Searches split by time (locally and on a Dask LocalCluster) equal the unsplit search."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from aurorax.demo import build_demo
from aurorax.engine import Repository, ValidationError, search_conjunctions
from aurorax.engine.search import search_conjunctions_split, split_time_range
from aurorax.engine.store import export_parquet

TWO = {
    "start": "2021-11-30T00:00:00",
    "end": "2021-12-02T00:00:00",
    "ground": [{"programs": ["themis-asi"]}],
    "space": [{"programs": ["swarm"]}],
    "conjunction_types": ["nbtrace"],
    "max_distances": {"ground1-space1": 500},
}
# Three blocks, two conjunction types, an unconstrained pair and a start off the minute.
THREE = {
    "start": "2021-11-30T00:00:20",
    "end": "2021-12-01T18:00:00",
    "ground": [{"programs": ["themis-asi"]}],
    "space": [{"programs": ["swarm"]}, {"programs": ["themis"]}],
    "conjunction_types": ["nbtrace", "geographic"],
    "max_distances": {"ground1-space1": 1500, "ground1-space2": 3000, "space1-space2": None},
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("split") / "demo.duckdb"
    build_demo(path, start="2021-11-30", days=2, image_nights=0, progress=False)
    return path


def _assert_same(a, b) -> None:
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.to_aurorax_json() == b.to_aurorax_json()
    assert a.notes == b.notes
    for i in range(0, len(a), max(1, len(a) // 7)):
        pd.testing.assert_frame_equal(a.distance_series(i), b.distance_series(i))


def _edges_inside(result, every: int = 2) -> list[pd.Timestamp]:
    """A minute after the start of every other conjunction of 3 minutes or more."""
    long = result.data[result.data["duration_min"] >= 3]
    starts = long["start"].dt.tz_convert(None) + pd.Timedelta(minutes=1)
    return sorted(set(starts.iloc[::every]))


def _crossing(result, edges) -> int:
    start = result.data["start"].dt.tz_convert(None)
    end = result.data["end"].dt.tz_convert(None)
    return sum(int(((start < e) & (end >= e)).sum()) for e in edges)


@pytest.mark.parametrize("query", [TWO, THREE], ids=["two-blocks", "three-blocks"])
def test_split_equals_unsplit_with_edges_inside_conjunctions(store, query):
    with Repository(store, read_only=True) as repo:
        whole = search_conjunctions(repo, query)
        edges = _edges_inside(whole)
        assert _crossing(whole, edges) >= 10  # the merge has real work to do
        split = search_conjunctions_split(repo, query, chunk=edges)
        _assert_same(whole, split)
        # A chunk's own search really cuts those intervals: more, shorter rows.
        first = search_conjunctions(repo, {**query, "end": edges[0].isoformat()})
        assert len(first) > 0
        assert first.data["end"].max() <= pd.Timestamp(edges[0], tz="UTC")


@pytest.mark.parametrize("chunk", ["month", "6h", "7min"])
def test_split_equals_unsplit_for_regular_chunks(store, chunk):
    with Repository(store, read_only=True) as repo:
        whole = search_conjunctions(repo, THREE)
        _assert_same(whole, search_conjunctions_split(repo, THREE, chunk=chunk))


def test_interval_spanning_several_chunks(store):
    with Repository(store, read_only=True) as repo:
        whole = search_conjunctions(repo, THREE)
        row = whole.data.sort_values("duration_min").iloc[-1]
        assert row["duration_min"] >= 6
        t0 = row["start"].tz_convert(None)
        edges = [t0 + pd.Timedelta(minutes=k) for k in range(1, int(row["duration_min"]))]
        split = search_conjunctions_split(repo, THREE, chunk=edges)
    _assert_same(whole, split)


def test_split_time_range():
    start, end = pd.Timestamp("2021-11-30T00:00:20"), pd.Timestamp("2022-01-15")
    assert split_time_range(start, end, "month") == [
        (start, pd.Timestamp("2021-12-01")),
        (pd.Timestamp("2021-12-01"), pd.Timestamp("2022-01-01")),
        (pd.Timestamp("2022-01-01"), end),
    ]
    assert split_time_range(start, pd.Timestamp("2021-11-30T00:03"), "1min") == [
        (start, pd.Timestamp("2021-11-30T00:02")),
        (pd.Timestamp("2021-11-30T00:02"), pd.Timestamp("2021-11-30T00:03")),
    ]


def test_bad_chunks_and_precision(store):
    with Repository(store, read_only=True) as repo:
        with pytest.raises(ValidationError, match="positive whole number of minutes, got 90s"):
            search_conjunctions_split(repo, TWO, chunk="90s")
        with pytest.raises(ValidationError, match="edge 2021-12-01T00:00:30 is not a whole minute"):
            search_conjunctions_split(repo, TWO, chunk=["2021-12-01T00:00:30"])
        with pytest.raises(ValidationError, match="needs 60 s steps"):
            search_conjunctions_split(repo, {**TWO, "epoch_search_precision": 30}, chunk="6h")
    with Repository(":memory:") as mem:
        with pytest.raises(ValidationError, match="not an in-memory one"):
            search_conjunctions_split(mem, TWO, scheduler="tcp://127.0.0.1:1")


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
        silence_logs=logging.ERROR,
    )  # fmt: skip
    yield cluster
    cluster.close()


def test_split_on_a_dask_cluster_over_parquet(store, cluster, tmp_path):
    with Repository(store, read_only=True) as repo:
        whole = search_conjunctions(repo, TWO)
        edges = _edges_inside(whole, every=3)
        export_parquet(repo, tmp_path / "pq")
    # Month partitions plus edges inside conjunctions; the workers open the export themselves.
    split = search_conjunctions_split(
        tmp_path / "pq", TWO, chunk=[*edges, "2021-12-01"], scheduler=cluster.scheduler_address
    )
    _assert_same(whole, split)
    on_file = search_conjunctions_split(store, TWO, scheduler=cluster.scheduler_address)
    _assert_same(whole, on_file)


def _cli(*args):
    from click.testing import CliRunner

    from aurorax.cli import main

    return CliRunner().invoke(main, ["search", "conjunctions", *map(str, args)])


def test_cli_search_unsplit_split_and_on_a_scheduler_write_the_same_rows(store, cluster, tmp_path):
    query = tmp_path / "q.json"
    query.write_text(json.dumps(TWO))
    with Repository(store, read_only=True) as repo:
        whole = search_conjunctions(repo, TWO)
    assert len(whole) > 20
    outputs = {}
    for name, extra in (
        ("unsplit", []),
        ("split", ["--chunk", "7h"]),
        ("dask", ["--scheduler", cluster.scheduler_address]),
    ):
        out = tmp_path / f"{name}.csv"
        result = _cli(query, "--db", store, *extra, "--output", out)
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"{len(whole):,} conjunctions in ")
        assert f"wrote {len(whole):,} conjunctions to {out}" in result.output
        outputs[name] = out.read_text()
    assert outputs["unsplit"] == whole.to_csv()
    assert outputs["split"] == outputs["unsplit"]
    assert outputs["dask"] == outputs["unsplit"]
    assert "(split by 7h)" in _cli(query, "--db", store, "--chunk", "7h").output


def test_cli_search_bad_input_is_named(store, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"start": ')
    result = _cli(bad, "--db", store)
    assert result.exit_code == 1
    assert f"query from {bad} is not JSON: Expecting value at line 1 column 11" in result.output
    query = tmp_path / "q.json"
    query.write_text(json.dumps({**TWO, "end": "2021-11-29T00:00:00"}))
    result = _cli(query, "--db", store)
    assert result.exit_code == 1 and "end" in result.output
    query.write_text(json.dumps(TWO))
    result = _cli(query, "--db", store, "--output", tmp_path / "out.xlsx")
    assert result.exit_code == 1
    assert "unknown file type .xlsx; use .csv, .json, .parquet" in result.output
    result = _cli(query, "--from", tmp_path / "nowhere")
    assert result.exit_code == 1 and "no such file or directory" in result.output
