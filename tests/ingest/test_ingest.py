"""``ingest_archive`` / ``aurorax ingest`` on a tiny demo archive, on a shared LocalCluster."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from aurorax import geo
from aurorax.asi import get_reader, image_path, write_themis_cdf
from aurorax.demo import GROUND_EPHEMERIS_SCHEMA, load_sites, product_path
from aurorax.engine import Repository
from aurorax.ingest import LEDGER_TABLE, format_summary, ingest_archive, scan_archive
from tests.ingest.conftest import DAY, SITES, render_archive

REPO_ROOT = Path(__file__).resolve().parents[2]


def _ingest(archive, tmp_path, client, data_dir, name="r"):
    return ingest_archive(
        archive, tmp_path / f"{name}.duckdb", tmp_path / f"{name}-products",
        client=client, progress=False, data_dir=data_dir,
    )  # fmt: skip


def _tables(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, for comparing two repositories."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        ]
        return {
            name: sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
            for name in sorted(names)
        }
    finally:
        con.close()


def _frame_minutes(archive) -> dict[str, set]:
    minutes: dict[str, set] = {}
    for f in scan_archive(archive)[0]:
        times = get_reader(f.path).read_times(f.path).floor("min").tz_convert(None)
        minutes.setdefault(f.site_uid, set()).update(times)
    return minutes


def test_ingest_builds_sources_ephemeris_products_and_availability(
    archive, tmp_path, client, data_dir
):
    summary = _ingest(archive, tmp_path, client, data_dir)
    assert summary.ok, format_summary(summary)
    assert (summary.files_found, summary.files_ingested, summary.days_rendered) == (6, 6, 2)
    assert summary.frames == 72 and summary.workers == 2
    assert summary.data_sources_created == ("THEMIS-ASI GILL", "THEMIS-ASI TPAS")
    sites = load_sites().set_index(["program", "site_uid"])
    minutes = _frame_minutes(archive)
    with Repository(tmp_path / "r.duckdb", read_only=True) as repo:
        for uid in SITES:
            source = repo.get_data_source(
                program="themis-asi", platform=sites.loc[("themis-asi", uid), "platform"],
                instrument_type="panchromatic ASI",
            )  # fmt: skip
            assert source.source_type == "ground"
            assert source.ephemeris_metadata_schema == GROUND_EPHEMERIS_SCHEMA
            eph = (
                repo.cursor()
                .execute(
                    "SELECT * FROM ephemeris WHERE data_source = ? ORDER BY epoch",
                    [source.identifier],
                )
                .df()
            )
            # Exactly the minutes with frames: 12 frames at 300 s cadence in each of 3 hours.
            assert set(eph["epoch"]) == minutes[uid] and len(eph) == 36
            site = sites.loc[("themis-asi", uid)]
            assert np.allclose(eph["geo_lat"], site["lat"]) and np.allclose(
                eph["geo_lon"], site["lon"]
            )
            assert eph["gsm_lat"].isna().all()
            fp = geo.ground_btrace(site["lat"], site["lon"], DAY.tz_convert(None).to_datetime64())
            assert np.allclose(
                eph["nbtrace_lat"], site["lat"]
            )  # a northern site is its own nbtrace
            assert np.allclose(eph["sbtrace_lat"], float(fp.sbtrace_lat))
            assert np.allclose(eph["sbtrace_lon"], float(fp.sbtrace_lon))
            assert -80 < float(fp.sbtrace_lat) < -60

            products = (
                repo.cursor()
                .execute(
                    "SELECT * FROM data_products WHERE data_source = ? ORDER BY url",
                    [source.identifier],
                )
                .df()
            )
            kinds = [
                (row.data_product_type, json.loads(row.metadata)) for row in products.itertuples()
            ]
            assert sorted(k[0] for k in kinds) == ["keogram"] * 4 + ["movie"]
            daily = [m for t, m in kinds if m.get("keogram_type") == "daily"]
            hourly = [m for t, m in kinds if m.get("keogram_type") == "hourly"]
            movies = [m for t, m in kinds if t == "movie"]
            assert daily == [{"keogram_type": "daily", "operating_minutes": 36}]
            assert [m["operating_minutes"] for m in hourly] == [12, 12, 12]
            assert movies == [{"movie_type": "daily", "operating_minutes": 36}]
            for row in products.itertuples():
                assert row.url.startswith("/products/") and f"/{uid}/2021/12/02/" in row.url
                path = product_path(tmp_path / "r-products", row.url)
                assert path.is_file() and path.stat().st_size > 100
                head = path.read_bytes()[:12]
                assert (
                    head[:8] == b"\x89PNG\r\n\x1a\n"
                    if row.url.endswith(".png")
                    else b"ftyp" in head
                )
            movie = products[products["data_product_type"] == "movie"].iloc[0]
            assert movie["start"] == min(minutes[uid])
            assert movie["end"] == max(minutes[uid])

            avail = repo.availability(data_sources=[source.identifier])
            assert avail["day"].tolist() == [DAY]
            assert avail["ephemeris_count"].tolist() == [36]
            assert avail["data_product_count"].tolist() == [5]
        # No leftover temporary product files.
        assert not list((tmp_path / "r-products").rglob("partial-*"))


def test_metadata_follows_the_ground_schema(archive, tmp_path, client, data_dir):
    _ingest(archive, tmp_path, client, data_dir)
    schema = {f.field_name: f for f in GROUND_EPHEMERIS_SCHEMA}
    with Repository(tmp_path / "r.duckdb", read_only=True) as repo:
        rows = repo.cursor().execute("SELECT metadata FROM ephemeris").fetchall()
    assert len(rows) == 72
    seen = set()
    for (text,) in rows:
        metadata = json.loads(text)
        assert set(metadata) <= set(schema)
        for name in ("calgary_apa_ml_v1", "calgary_cloud_ml_v1", "clausen_ml_oath"):
            assert metadata[name] in schema[name].allowed_values
            seen.add(metadata[name])
        for name in ("calgary_apa_ml_v1", "calgary_cloud_ml_v1"):
            confidence = metadata.get(f"{name}_confidence")
            if metadata[name] == "not classified":
                assert confidence is None
            else:
                assert 0.0 < confidence <= 100.0
    # The demo night is not one class all along: the classifier tells minutes apart.
    assert len(seen) >= 4


def test_a_rerun_skips_everything_and_changes_nothing(archive, tmp_path, client, data_dir):
    _ingest(archive, tmp_path, client, data_dir)
    before = _tables(tmp_path / "r.duckdb")
    again = _ingest(archive, tmp_path, client, data_dir)
    assert (again.files_ingested, again.files_skipped, again.days_skipped) == (0, 6, 2)
    assert again.ephemeris_records == again.data_product_records == 0
    assert _tables(tmp_path / "r.duckdb") == before
    assert len(before[LEDGER_TABLE]) == 8  # 6 files + 2 imager-days


def test_bad_files_are_reported_by_name_and_the_rest_is_ingested(
    archive_copy, tmp_path, client, data_dir
):
    gill = image_path("themis", "gill", DAY + pd.Timedelta(hours=5), archive_copy)
    truncated = gill.with_name("thg_l1_asf_gill_2021120210_v01.cdf")
    truncated.write_bytes(gill.read_bytes()[: gill.stat().st_size // 2])
    not_cdf = archive_copy / "thg_l1_asf_tpas_2021120211_v01.cdf"
    not_cdf.write_text("<html>404 not found</html>")
    # Frames of GILL in a file named for TPAS: its variables are thg_asf_gill*, not thg_asf_tpas*.
    wrong = archive_copy / "thg_l1_asf_tpas_2021120212_v01.cdf"
    times = pd.date_range("2021-12-02T12:00", periods=2, freq="300s")
    write_themis_cdf(wrong, "gill", times, np.zeros((2, 256, 256), dtype=np.uint16))
    unknown = archive_copy / "thg_l1_asf_xxxx_2021120204_v01.cdf"
    unknown.write_bytes(gill.read_bytes())

    summary = _ingest(archive_copy, tmp_path, client, data_dir)
    messages = {Path(f.path).name: f.message for f in summary.failures}
    assert sorted(messages) == sorted(p.name for p in (truncated, not_cdf, wrong, unknown))
    assert (
        messages[truncated.name].startswith(str(truncated))
        and "truncated CDF file" in (messages[truncated.name])
    )
    assert "not a CDF file" in messages[not_cdf.name] and str(not_cdf) in messages[not_cdf.name]
    assert "missing variable(s) ['thg_asf_tpas', 'thg_asf_tpas_epoch']" in messages[wrong.name]
    assert f"{unknown}: unknown site 'xxxx'" in messages[unknown.name]
    text = format_summary(summary)
    assert "4 failure(s):" in text and all(str(p) in text for p in (truncated, not_cdf, wrong))
    # The good files are all in, with the same records as from a clean archive.
    assert summary.files_ingested == 6 and summary.days_rendered == 2
    with Repository(tmp_path / "r.duckdb", read_only=True) as repo:
        counts = repo.counts().set_index("display_name")
        assert counts.loc["THEMIS-ASI GILL", "ephemeris_count"] == 36
        assert counts.loc["THEMIS-ASI TPAS", "ephemeris_count"] == 36
        assert len(counts) == 2
        repo.verify()


def _cli(*args, env_data_dir):
    env = dict(os.environ, AURORAX_DATA_DIR=str(env_data_dir), PYTHONWARNINGS="error")
    return subprocess.Popen(
        [sys.executable, "-m", "aurorax.cli", "ingest", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT,
    )  # fmt: skip


def test_cli_with_scheduler_gives_the_same_repository(archive, tmp_path, cluster, client, data_dir):
    _ingest(archive, tmp_path, client, data_dir, name="reference")
    proc = _cli(
        archive, "--db", tmp_path / "cli.duckdb", "--products-dir", tmp_path / "cli-products",
        "--scheduler", cluster.scheduler_address, "--no-progress", env_data_dir=data_dir,
    )  # fmt: skip
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "6 image files: 6 ingested, 0 already done, 0 failed" in out
    assert "2 Dask workers" in out
    assert _tables(tmp_path / "cli.duckdb") == _tables(tmp_path / "reference.duckdb")


@pytest.fixture(scope="module")
def long_archive(tmp_path_factory):
    """2 sites x 12 hours at a 600 s cadence: 24 files, enough to stop an ingest half-way."""
    folder = tmp_path_factory.mktemp("long") / "asi"
    render_archive(folder, hours=12, cadence_s=600.0, first_hour=0)
    return folder


def test_killed_ingest_resumes_to_the_same_repository(
    long_archive, tmp_path, cluster, client, data_dir
):
    reference = _ingest(long_archive, tmp_path, client, data_dir, name="reference")
    assert reference.ok and reference.files_ingested == 24
    db = tmp_path / "killed.duckdb"
    products = tmp_path / "killed-products"
    args = (long_archive, "--db", db, "--products-dir", products, "--scheduler",
            cluster.scheduler_address, "--progress")  # fmt: skip
    proc = _cli(*args, env_data_dir=data_dir)
    # The progress bar (stderr) counts finished tasks; stop the ingest once a few files are in.
    done = threading.Event()
    seen = []

    def watch():
        text = ""
        while True:
            chunk = proc.stderr.read(1)
            if not chunk:
                return
            text += chunk
            counts = re.findall(r"\| *(\d+)/(\d+) \[", text[-200:])
            if counts and int(counts[-1][0]) >= 3:
                seen.append(counts[-1])
                done.set()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert done.wait(timeout=90), "the ingest never reported progress"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored, stored_files = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE unit LIKE 'file:%') FROM {LEDGER_TABLE}"
        ).fetchone()
    finally:
        con.close()
    # Killed half-way: some units stored, not all 26 (24 files + 2 imager-days).
    assert 3 <= stored < 26

    rerun = _cli(*args[:-1], "--no-progress", env_data_dir=data_dir)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert f"24 image files: {24 - stored_files} ingested, {stored_files} already done" in out
    tables = _tables(db)
    assert tables == _tables(tmp_path / "reference.duckdb")
    assert len(tables["ephemeris"]) == 2 * 12 * 6 and len(tables["data_products"]) == 2 * 14
    for row in tables["data_products"]:
        assert product_path(products, row[0]).is_file()
    assert not list(products.rglob("partial-*"))


def test_default_local_cluster(tmp_path, data_dir):
    folder = tmp_path / "asi"
    render_archive(folder, sites=("gill",), hours=1, cadence_s=600.0)
    summary = ingest_archive(
        folder, tmp_path / "l.duckdb", tmp_path / "products", workers=1, progress=False,
        data_dir=data_dir,
    )  # fmt: skip
    assert summary.ok and summary.workers == 1
    assert (summary.files_ingested, summary.frames, summary.ephemeris_records) == (1, 6, 6)
    assert summary.data_product_records == 3  # daily + hourly keogram, daily movie


def test_cli_help_and_missing_archive(tmp_path):
    from click.testing import CliRunner

    from aurorax.cli import main

    result = CliRunner().invoke(main, ["ingest", "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    for option in ("--db", "--products-dir", "--scheduler", "--workers", "--progress"):
        assert option in result.output
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(main, ["ingest", str(missing)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "does not exist" in result.output and "nowhere" in result.output
