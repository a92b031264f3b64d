"""The availability page in a real browser."""

from __future__ import annotations

import pytest

from tests.app.conftest import build_tiny_repository
from tests.browser.conftest import screenshot
from tests.serving import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_availability_heatmap_and_statistics(page, tmp_path):
    db = build_tiny_repository(tmp_path / "tiny.duckdb")
    with running_server(db, tmp_path / "data", path="/availability") as base:
        page.goto(base + "/availability", wait_until="networkidle")
        # Plot titles are drawn on a canvas; wait for the DOM text and the table instead.
        page.get_by_text("Data statistics").first.wait_for(timeout=30_000)
        page.locator(".tabulator-row").first.wait_for(timeout=30_000)
        assert page.locator(".tabulator-row").count() == 2
        assert page.locator("canvas").count() >= 1
        # Navigation reaches the other page.
        page.get_by_role("link", name="Repository overview").click()
        page.wait_for_url("**/overview")
        page.locator(".tabulator-row", has_text="Swarm A").wait_for(timeout=30_000)
        screenshot(page, "availability-then-overview")
    assert page.console_errors == []
