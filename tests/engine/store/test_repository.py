"""The repository file: creation, data sources, summaries, and the errors a bad file gives."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from aurorax.engine import (
    SCHEMA_VERSION,
    DataSource,
    DuplicateError,
    MetadataField,
    NotFoundError,
    Repository,
    StoreError,
    ValidationError,
)
from tests.engine.conftest import GROUND_SCHEMA, ground_frame, table_snapshot


def test_new_file_has_the_tables_and_version(tmp_path):
    path = tmp_path / "deep" / "dir" / "aurorax.duckdb"
    with Repository(path) as repo:
        tables = {
            row[0]
            for row in repo.cursor().execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
    assert tables == {
        "aurorax_meta",
        "data_sources",
        "ephemeris",
        "data_products",
        "availability",
        "ephemeris_index",
        "ephemeris_pairs",
    }
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT value FROM aurorax_meta").fetchall() == [(str(SCHEMA_VERSION),)]
    columns = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'ephemeris'"
    ).fetchall()
    con.close()
    assert columns[:3] == [
        ("data_source", "INTEGER"),
        ("epoch", "TIMESTAMP"),
        ("geo_lat", "DOUBLE"),
    ]
    assert columns[-1] == ("metadata", "JSON")


def test_data_sources_round_trip_and_persist(tmp_path):
    path = tmp_path / "aurorax.duckdb"
    source = DataSource(
        "themis-asi",
        "gillam",
        "panchromatic ASI",
        "ground",
        "THEMIS-ASI GILL",
        owner="ops@example.org",
        metadata={"site_uid": "gill"},
        ephemeris_metadata_schema=GROUND_SCHEMA,
    )
    with Repository(path) as repo:
        stored = repo.add_data_source(source)
        swarm = repo.add_data_source(
            DataSource("swarm", "swarma", "footprint", "leo", "Swarm A", identifier=3)
        )
        nxt = repo.add_data_source(DataSource("swarm", "swarmb", "footprint", "leo", "Swarm B"))
    assert (stored.identifier, swarm.identifier, nxt.identifier) == (1, 3, 4)
    with Repository(path, read_only=True) as repo:
        again = repo.get_data_source(program="themis-asi", platform="gillam",
                                     instrument_type="panchromatic ASI")  # fmt: skip
        assert again == stored
        assert again.ephemeris_metadata_schema[0].allowed_values == (
            "classified as APA",
            "classified as not APA",
            "not classified",
        )
        assert [s.display_name for s in repo.list_data_sources(program="swarm")] == [
            "Swarm A",
            "Swarm B",
        ]
        assert repo.list_data_sources(source_type="ground") == [stored]


def test_duplicate_source(repo, gill):
    same_triple = DataSource("themis-asi", "gillam", "panchromatic ASI", "ground", "GILL")
    with pytest.raises(DuplicateError) as info:
        repo.add_data_source(same_triple)
    assert str(info.value) == (
        "data source program='themis-asi', platform='gillam', instrument_type='panchromatic "
        "ASI' already exists as identifier 1"
    )
    with pytest.raises(DuplicateError) as info:
        repo.add_data_source(DataSource("rego", "gillam", "redline ASI", "ground", "REGO GILL",
                                        identifier=1))  # fmt: skip
    assert str(info.value) == (
        "data source identifier 1 is already used by 1 (themis-asi/gillam/panchromatic ASI)"
    )
    # exist_ok returns the stored source only when nothing differs.
    assert repo.add_data_source(gill, exist_ok=True) == gill
    with pytest.raises(DuplicateError, match="with different fields"):
        repo.add_data_source(same_triple, exist_ok=True)
    assert len(repo.list_data_sources()) == 1


def test_unknown_source_lists_programs(repo, gill, swarm):
    with pytest.raises(NotFoundError) as info:
        repo.get_data_source(program="themis", platform="gillam", instrument_type="ASI")
    assert str(info.value) == (
        "no data source with program='themis', platform='gillam', instrument_type='ASI'; "
        "programs that exist: ['swarm', 'themis-asi']"
    )
    with pytest.raises(NotFoundError, match="^no data source with identifier 7; "):
        repo.get_data_source(7)


def test_counts_and_availability(repo, gill, swarm):
    # GILL operates 22:00-02:00 UTC across a day boundary; Swarm has none yet.
    repo.ingest_ephemeris(ground_frame(gill.identifier, "2021-12-01T22:00", 240))
    counts = repo.counts()
    assert counts["identifier"].tolist() == [1, 2]
    assert counts["ephemeris_count"].tolist() == [240, 0]
    assert counts["data_product_count"].tolist() == [0, 0]
    assert counts["first_epoch"].iloc[0] == pd.Timestamp("2021-12-01T22:00", tz="UTC")
    assert counts["last_epoch"].iloc[0] == pd.Timestamp("2021-12-02T01:59", tz="UTC")
    assert pd.isna(counts["first_epoch"].iloc[1])

    avail = repo.availability()
    assert avail["day"].tolist() == [
        pd.Timestamp("2021-12-01", tz="UTC"),
        pd.Timestamp("2021-12-02", tz="UTC"),
    ]
    assert avail["ephemeris_count"].tolist() == [120, 120]
    # Days overlapping [start, end): a partial day counts, the end day does not.
    only_second = repo.availability(start="2021-12-02T12:00", end="2021-12-03")
    assert only_second["ephemeris_count"].tolist() == [120]
    assert repo.availability(data_sources=[swarm]).empty


def test_optimize_keeps_rows_and_clusters(repo, gill, swarm):
    for start in ("2021-12-01T06:00", "2021-12-01T05:00"):
        repo.ingest_ephemeris(ground_frame(gill.identifier, start, 30))
    before = table_snapshot(repo)
    repo.optimize()
    assert table_snapshot(repo) == before
    epochs = repo.cursor().execute("SELECT epoch FROM ephemeris").df()["epoch"]
    assert epochs.is_monotonic_increasing


def test_duckdb_progress_bar_is_off_on_the_write_connection(tmp_path):
    # optimize() runs statements on the write connection long enough for DuckDB to draw its own
    # bar over tqdm's. DuckDB's Python client turns the bar on for a process's connections but
    # off for cursors and under pytest, so look at the write connection from a fresh interpreter.
    script = textwrap.dedent(
        f"""
        import duckdb
        from aurorax.engine import Repository
        query = "SELECT current_setting('enable_progress_bar')"
        print(duckdb.connect().execute(query).fetchone()[0])
        with Repository({str(tmp_path / "r.duckdb")!r}) as repo:
            print(repo._con.execute(query).fetchone()[0])
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "False"]


def test_cursor_sees_committed_data(repo, gill):
    reader = repo.cursor()
    repo.ingest_ephemeris(ground_frame(gill.identifier, "2021-12-01T06:00", 5))
    assert reader.execute("SELECT count(*) FROM ephemeris").fetchone() == (5,)


def test_read_only_refuses_writes(tmp_path):
    path = tmp_path / "aurorax.duckdb"
    Repository(path).close()
    with Repository(path, read_only=True) as repo, pytest.raises(StoreError) as info:
        repo.add_data_source(DataSource("swarm", "swarma", "footprint", "leo", "Swarm A"))
    assert str(info.value) == f"repository {path} is open read-only; cannot add data source"


def test_missing_file_read_only(tmp_path):
    path = tmp_path / "nothing.duckdb"
    with pytest.raises(StoreError) as info:
        Repository(path, read_only=True)
    assert str(info.value) == (
        f"repository {path} does not exist (opened read-only, so not created)"
    )
    assert not path.exists()


def test_corrupt_file(tmp_path):
    path = tmp_path / "aurorax.duckdb"
    path.write_bytes(b"\x00garbage, not a database\xff" * 512)
    with pytest.raises(StoreError) as info:
        Repository(path)
    assert str(info.value).startswith(
        f"repository {path} is corrupt or not a DuckDB database file ("
    )
    assert path.read_bytes() == b"\x00garbage, not a database\xff" * 512


def test_foreign_duckdb_file_is_not_taken_over(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE stations (name VARCHAR)")
    con.close()
    with pytest.raises(StoreError) as info:
        Repository(path)
    assert str(info.value) == (
        f"{path} is a DuckDB file but not an aurorax repository (it has tables ['stations'] "
        "and no aurorax_meta)"
    )


def test_other_schema_version(tmp_path):
    path = tmp_path / "aurorax.duckdb"
    Repository(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE aurorax_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError) as info:
        Repository(path)
    assert str(info.value) == (
        f"repository {path} has schema version 99; this aurorax reads version {SCHEMA_VERSION}"
    )


def test_locked_file(tmp_path, gill, repo):
    path = tmp_path / "locked.duckdb"
    with Repository(path) as first:
        first.add_data_source(gill)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, duckdb
                con = duckdb.connect({str(path)!r})
                print("ready", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        for read_only in (False, True):
            with pytest.raises(StoreError) as info:
                Repository(path, read_only=read_only)
            assert str(info.value) == (
                f"repository {path} is locked by another process (PID {holder.pid}): DuckDB "
                "allows one process to write a file, and no other process to open it "
                "meanwhile; close that process or query through it"
            )
    finally:
        holder.stdin.close()  # the holder reads to end of input, then exits
        holder.wait(timeout=30)
        holder.stdout.close()
    # Once the other writer is gone the store opens and is unchanged.
    with Repository(path, read_only=True) as repo_again:
        assert [s.display_name for s in repo_again.list_data_sources()] == ["THEMIS-ASI GILL"]


def test_memory_store_for_scratch_work():
    with Repository(":memory:") as repo:
        source = repo.add_data_source(
            DataSource(
                "events",
                "substorm list",
                "substorm onset",
                "event_list",
                "Substorm onsets",
                ephemeris_metadata_schema=[MetadataField("onset_mlt", "double")],
            )
        )
        frame = pd.DataFrame(
            {
                "data_source": [source.identifier],
                "epoch": [pd.Timestamp("2021-12-01T06:14")],
                "metadata.onset_mlt": [23.5],
            }
        )
        assert repo.ingest_ephemeris(frame) == 1
        assert repo.counts()["ephemeris_count"].tolist() == [1]


def test_damaged_blocks_found_by_verify(tmp_path, gill, repo):
    path = tmp_path / "damaged.duckdb"
    with Repository(path) as first:
        first.add_data_source(gill)
        first.ingest_ephemeris(ground_frame(gill.identifier, "2021-12-01T00:00", 200_000))
        first.verify()  # an intact file passes
    data = bytearray(path.read_bytes())
    # Garbage over the middle of the file, where the ephemeris column data lie.
    start, stop = len(data) // 4, len(data) * 3 // 4
    data[start:stop] = b"\xa5" * (stop - start)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=f"^repository {path} is corrupt"):
        with Repository(path) as damaged:
            damaged.verify()


def test_documentation_examples_run(tmp_path, monkeypatch):
    """The Python and SQL examples of docs/repository.md work as written."""
    doc = Path(__file__).parents[3] / "docs" / "repository.md"
    if not doc.exists():
        pytest.skip(f"{doc} not present in this checkout")
    text = doc.read_text().replace("/tmp/aurorax-example.duckdb", str(tmp_path / "ex.duckdb"))
    python = re.findall(r"```python\n(.*?)```", text, re.S)
    sql = re.findall(r"```sql\n(.*?)```", text, re.S)[-1]
    monkeypatch.chdir(tmp_path)  # the Parquet export writes to the working directory
    for _ in range(2):  # twice: exist_ok and replacing re-ingest make the example re-runnable
        exec(python[0], {"print": lambda *a: None})
    con = duckdb.connect(str(tmp_path / "ex.duckdb"), read_only=True)
    results = [con.execute(s).fetchall() for s in sql.split(";") if s.strip()]
    con.close()
    assert results[0][0][:3] == (1, "THEMIS-ASI GILL", 480)  # 04:00-11:59, not doubled
    assert results[1][0][1:] == (56.376723, -94.643664)
    assert results[3][0][3] == "https://example.org/themis/gill/20211201_keogram.png"
    assert results[5] == [
        ("calgary_apa_ml_v1", "string"),
        ("calgary_apa_ml_v1_confidence", "double"),
    ]
    assert pd.read_parquet(tmp_path / "ephemeris-2021-12.parquet").shape == (480, 11)
    namespace: dict = {}
    exec(python[1], namespace)
    assert namespace["track"].shape == (480, 3)


def test_data_sources_are_hashable_values(repo, gill, swarm):
    again = repo.get_data_source(gill.identifier)
    assert again == gill and hash(again) == hash(gill)
    assert len({gill, swarm, again}) == 2
    with pytest.raises(TypeError):
        gill.metadata["site_uid"] = "rank"  # frozen: metadata is a read-only mapping


def test_update_data_source_patch_and_replace(tmp_path, repo, gill, swarm):
    repo.ingest_ephemeris(ground_frame(gill.identifier, "2021-12-01T06:00", 5))
    before = table_snapshot(repo)
    # PATCH: only the given fields change; the records still point at the same identifier.
    patched = repo.update_data_source(gill, {"display_name": "GILL (renamed)", "metadata": {}})
    assert patched == DataSource.from_dict(
        gill.to_dict() | {"display_name": "GILL (renamed)", "metadata": {}}
    )
    assert repo.get_data_source(gill.identifier) == patched
    after = table_snapshot(repo)
    assert after["ephemeris"] == before["ephemeris"]
    assert after["availability"] == before["availability"]
    # PUT: absent fields take their defaults.
    replaced = repo.update_data_source(
        swarm.identifier,
        {
            "program": "swarm",
            "platform": "swarmc",
            "instrument_type": "footprint",
            "source_type": "leo",
            "display_name": "Swarm C",
        },
        replace=True,
    )
    assert (replaced.identifier, replaced.platform, replaced.owner) == (
        swarm.identifier,
        "swarmc",
        "",
    )
    assert replaced.ephemeris_metadata_schema == ()
    stored = table_snapshot(repo)
    # Refused changes name the problem and store nothing.
    bad = [
        (
            {"identifier": 99},
            ValidationError,
            f"identifier: data source {gill.identifier} cannot become 99",
        ),
        (
            {"platform": "swarmc", "program": "swarm", "instrument_type": "footprint"},
            DuplicateError,
            f"instrument_type='footprint' already exists as identifier {swarm.identifier}",
        ),
        ({"source_type": "comet"}, ValidationError, "source_type"),
        (["display_name"], ValidationError, "expected a mapping of fields, got list"),
    ]
    for changes, error, message in bad:
        with pytest.raises(error, match=re.escape(message)):
            repo.update_data_source(gill, changes)
    with pytest.raises(NotFoundError, match="no data source with identifier 42"):
        repo.update_data_source(42, {"display_name": "x"})
    assert table_snapshot(repo) == stored
    # It persists.
    repo.close()
    with Repository(repo.path, read_only=True) as again:
        assert again.get_data_source(gill.identifier).display_name == "GILL (renamed)"
