"""The availability page in a real browser."""

from __future__ import annotations

import pytest

from tests.app.conftest import build_tiny_repository
from tests.app.test_availability import build_trex_image_demo
from tests.browser.conftest import screenshot
from tests.browser.probes import MISSING_PURPLE, heatmap_cell, pixel_at
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


def test_trex_rgb_rows_have_image_file_availability(page, tmp_path):
    # Issue 13: the Image files layer counted THEMIS/REGO files only, so a TREx RGB row had no
    # cells at all. Its minute files now count by hour: the rendered night is available (green),
    # the night without files missing (purple).
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = build_trex_image_demo(data_dir)
    with running_server(db, data_dir, path="/availability") as base:
        page.goto(base + "/availability", wait_until="networkidle")
        page.locator(".tabulator-row", has_text="TREx RGB RABB").wait_for(timeout=30_000)
        page.get_by_role("button", name="Image files").click()
        title = "Daily image-file availability"
        available = heatmap_cell(page, "2021-12-01", "TREx RGB RABB", title)
        missing = heatmap_cell(page, "2021-12-02", "TREx RGB RABB", title)
        assert available["days"] == ["2021-12-01", "2021-12-02"]
        page.mouse.move(5, 5)  # no tooltip over the cells
        page.wait_for_timeout(300)
        r, g, b = pixel_at(page, available["x"], available["y"])
        assert g > r + 30 and g > b + 30  # a green of high coverage
        colour = pixel_at(page, missing["x"], missing["y"])
        assert max(abs(c - p) for c, p in zip(colour, MISSING_PURPLE, strict=True)) <= 12
        page.mouse.move(available["x"], available["y"])
        tip = page.locator(".bk-tooltip-content", has_text="Day: 2021-12-01")
        tip.first.wait_for(timeout=15_000)
        text = tip.first.text_content()
        assert "Data source: TREx RGB RABB" in text and "Status: available" in text
        # The statistics table gives the row its image-file percentage (one night of two).
        row = page.locator(".tabulator-row", has_text="TREx RGB RABB")
        percent = float(row.locator('[tabulator-field="Image files (%)"]').text_content())
        assert 40 < percent < 55
        page.mouse.move(5, 5)
        screenshot(page, "availability-trex-image-files")
    assert page.console_errors == []
