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
