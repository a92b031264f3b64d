"""A real Panel server started by the ``aurorax serve`` command on a free loopback port."""

from __future__ import annotations

import logging
import re
import subprocess
import sys

import pytest

from tests.serving import fetch, running_server


@pytest.mark.slow
def test_serve_answers_on_a_free_port(tiny_repository, tmp_path):
    with running_server(tiny_repository, tmp_path / "data") as base:
        html = fetch(base + "/overview")
    # The page content arrives over the websocket (checked in tests/browser); here: the server is up
    # and serves the page shell with every script and stylesheet from itself, none from a CDN
    # (the dashboard must work offline).
    assert "<title>aurorax: Repository overview</title>" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("bundled/datatabulator" in a for a in assets), assets
    assert [a for a in assets if a.startswith(("http:", "https:", "//"))] == []


def test_serve_refuses_a_missing_repository(tmp_path):
    cmd = [sys.executable, "-m", "aurorax.cli", "serve", "--db", str(tmp_path / "none.duckdb")]
    result = subprocess.run(cmd + ["--no-build-demo"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"no repository at {tmp_path / 'none.duckdb'}" in result.stderr


def test_warm_up_builds_every_page_and_survives_a_broken_one(tiny_repository, caplog):
    from app.pages import overview
    from app.pages._warmup import warm_up

    built = []

    def good():
        built.append("overview")
        return overview.create_page(tiny_repository)

    def broken():
        raise OSError("disk gone")

    with caplog.at_level(logging.WARNING, logger="app.pages._warmup"):
        took = warm_up([good, broken, good])
    assert built == ["overview", "overview"]
    assert took > 0
    failures = [r for r in caplog.records if r.message == "dashboard warm-up of a page failed"]
    assert len(failures) == 1
    assert "disk gone" in str(failures[0].exc_info[1])
