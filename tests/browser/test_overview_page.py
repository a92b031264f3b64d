"""The overview page in a real browser: it loads offline, without console errors, with the data."""

from __future__ import annotations

import pytest

from tests.app.conftest import build_tiny_repository
from tests.browser.conftest import screenshot
from tests.serving import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_overview_renders_sources_table(page, tmp_path):
    db = build_tiny_repository(tmp_path / "tiny.duckdb")
    with running_server(db, tmp_path / "data") as base:
        page.goto(base + "/overview", wait_until="networkidle")
        table = page.locator(".tabulator")
        table.wait_for(timeout=30_000)
        page.get_by_text("THEMIS-ASI GILL").first.wait_for(timeout=30_000)
        rows = page.locator(".tabulator-row")
        assert rows.count() == 2
        assert "Swarm A" in table.inner_text()
        path = screenshot(page, "overview")
    assert path.stat().st_size > 10_000
    assert page.console_errors == []
