"""The ``aurorax`` command, driven through click's runner on a tiny repository."""

from __future__ import annotations

from click.testing import CliRunner

from aurorax.cli import main
from tests.app.conftest import build_tiny_repository


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_every_command_has_help():
    for args in (
        [],
        ["demo"],
        ["demo", "build"],
        ["db"],
        ["db", "info"],
        ["sources"],
        ["sources", "list"],
        ["search"],
        ["search", "conjunctions"],
        ["serve"],
    ):
        result = _run(*args, "--help")
        assert result.exit_code == 0, args
        assert "Usage: main" in result.output


def test_db_info_lists_sources_and_counts(tmp_path):
    db = build_tiny_repository(tmp_path / "r.duckdb")
    result = _run("db", "info", "--db", str(db))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    gill = next(line for line in lines if "gillam" in line)
    assert "themis-asi" in gill and " 90 " in f" {gill} "
    assert "2 data sources, 210 ephemeris records, 0 data product records" in result.output


def test_sources_list_filters(tmp_path):
    db = build_tiny_repository(tmp_path / "r.duckdb")
    result = _run("sources", "list", "--db", str(db), "--source-type", "leo")
    assert result.exit_code == 0
    assert "Swarm A" in result.output and "GILL" not in result.output
    result = _run("sources", "list", "--db", str(db), "--program", "nothing")
    assert result.output.strip() == "no matching data sources"


def test_missing_repository_is_a_clear_error(tmp_path):
    result = _run("db", "info", "--db", str(tmp_path / "missing.duckdb"))
    assert result.exit_code == 1
    assert f"no repository at {tmp_path / 'missing.duckdb'}" in result.output


def test_demo_build_refuses_an_impossible_span(tmp_path):
    result = _run("demo", "build", "--db", str(tmp_path / "d.duckdb"), "--days", "0")
    assert result.exit_code == 2
    assert "Invalid value for '--days'" in result.output


def _isolated_env(tmp_path):
    """Config that points every folder into tmp_path (no user config file)."""
    return {
        "AURORAX_CONFIG": str(tmp_path / "no-config.toml"),
        "AURORAX_DATA_DIR": str(tmp_path / "data"),
        "AURORAX_ASI_DIR": str(tmp_path / "imagers"),
        "AURORAX_PRODUCTS_DIR": str(tmp_path / "rendered"),
    }


def _demo_counts(db):
    from aurorax.engine import Repository

    with Repository(db, read_only=True) as repo:
        return repo.counts().set_index(["program", "platform"])


def test_demo_build_of_selected_programs_without_images(tmp_path):
    db = tmp_path / "d.duckdb"
    result = CliRunner(env=_isolated_env(tmp_path)).invoke(
        main,
        ["demo", "build", "--db", str(db), "--days", "1", "--program", "rego",
         "--program", "swarm", "--image-nights", "0", "--no-progress"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    counts = _demo_counts(db)
    assert set(counts.index.get_level_values("program")) == {"rego", "swarm"}
    assert len(counts) == 8 + 3
    assert set(counts["data_product_count"][counts["source_type"] == "ground"] > 0) == {True}
    assert "images of" not in result.output  # no night rendered
    assert "DemoSummary(" not in result.output
    assert not (tmp_path / "imagers").exists() and not (tmp_path / "rendered").exists()


def test_demo_build_renders_one_night_into_the_configured_folders(tmp_path):
    db = tmp_path / "d.duckdb"
    result = CliRunner(env=_isolated_env(tmp_path)).invoke(
        main,
        ["demo", "build", "--db", str(db), "--days", "1", "--program", "themis-asi",
         "--platform", "rankin inlet", "--image-nights", "1", "--no-progress"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    counts = _demo_counts(db)
    assert list(counts.index) == [("themis-asi", "rankin inlet")]
    assert "images of 1 night(s) for 1 imagers (themis-asi RANK)" in result.output
    # Settings' asi_dir / products_dir, not siblings of the --db file.
    cdfs = sorted((tmp_path / "imagers").rglob("thg_l1_asf_rank_20211201*.cdf"))
    assert len(cdfs) >= 10
    movie = (
        tmp_path / "rendered/movies/themis-asi/rank/2021/12/01/themis-asi_rank_20211201_movie.mp4"
    )
    assert movie.is_file()
    assert int(counts["data_product_count"].iloc[0]) == 1 + len(
        list((tmp_path / "rendered/keograms").rglob("*.png"))
    )
    assert not (tmp_path / "asi").exists() and not (tmp_path / "products").exists()


def test_demo_build_rejects_more_image_nights_than_days(tmp_path):
    result = CliRunner(env=_isolated_env(tmp_path)).invoke(
        main,
        ["demo", "build", "--db", str(tmp_path / "d.duckdb"), "--days", "1",
         "--image-nights", "2", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "Error: image_nights must be an integer from 0 to days (1), got 2" in result.output


# --- ingest-ephemeris ---------------------------------------------------------------------------

_ISS_TLE = """ISS (ZARYA)
1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991
2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482
ISS (ZARYA)
1 25544U 98067A   19345.90010417  .00003601  00000-0  70741-4 0  9997
2 25544  51.6441 200.2644 0007302  25.9136 159.9168 15.50127197202820
"""


def test_ingest_ephemeris_stores_and_reruns(tmp_path):
    from aurorax.engine import Repository

    tle = tmp_path / "iss.tle"
    tle.write_text(_ISS_TLE)
    db = tmp_path / "e.duckdb"
    args = ["ingest-ephemeris", "--db", str(db), "--source", "iss/iss", "--create-source",
            "--display-name", "ISS", "--source-type", "leo", "--start", "2019-12-10T23:00", "--end", "2019-12-11T01:00",
            "--no-progress", str(tle)]  # fmt: skip
    result = _run(*args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "1 ephemeris file(s) for iss/iss (created by this run): 1 ingested, 0 failed."
    )
    assert lines[1].startswith("2 UTC day(s) stored (120 records), 0 already done; ")
    with Repository(db, read_only=True) as repo:
        (source,) = repo.list_data_sources("iss", "iss")
        assert (source.source_type, source.display_name) == ("leo", "ISS")
        assert int(repo.counts().ephemeris_count.iloc[0]) == 120
    again = _run(*args)
    assert again.output.splitlines()[1].startswith("0 UTC day(s) stored (0 records), 2 already")


def test_ingest_ephemeris_unknown_source_and_bad_file(tmp_path):
    tle = tmp_path / "iss.tle"
    tle.write_text(_ISS_TLE)
    bad = tmp_path / "bad.tle"
    bad.write_text(_ISS_TLE.replace("15.50103472202482", "15.50103472202483"))
    db = tmp_path / "e.duckdb"
    result = _run("ingest-ephemeris", "--db", str(db), "--source", "swarm/swarma", str(tle))
    assert result.exit_code == 1
    assert "Error: unknown data source swarm/swarma; create it with --create-source" in (
        result.output
    )
    result = _run("ingest-ephemeris", "--db", str(db), "--source", "iss/iss", "--create-source",
                  "--start", "2019-12-10T23:00", "--end", "2019-12-11T00:00", "--no-progress",
                  str(bad), str(tle))  # fmt: skip
    assert result.exit_code == 1
    assert "2 ephemeris file(s) for iss/iss (created by this run): 1 ingested, 1 failed." in (
        result.output
    )
    assert f"  {bad}: line 3: bad TLE checksum 3, expected 2" in result.output
