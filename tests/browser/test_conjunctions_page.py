"""The conjunction search page in a real browser, on a one-day demo repository."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from app.pages.conjunctions import EXAMPLES
from tests.browser.conftest import click_until, screenshot
from tests.demo_repos import one_day_demo
from tests.serving import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_example_search_table_detail_and_shared_url(page, browser, tmp_path):
    db = one_day_demo(tmp_path / "demo.duckdb")
    with running_server(db, tmp_path / "data", path="/conjunctions") as base:
        page.goto(base + "/conjunctions", wait_until="networkidle")
        page.get_by_text("Find times when the footprints").wait_for(timeout=30_000)
        page.locator("select").first.select_option(label=next(iter(EXAMPLES)))
        page.get_by_text("Metadata key").first.wait_for(timeout=30_000)
        page.get_by_role("button", name="Search", exact=True).click()
        page.locator(".tabulator-row").first.wait_for(timeout=30_000)
        assert page.locator(".tabulator-row").count() == 1
        assert "THEMIS-ASI FSIM" in page.locator(".tabulator-row").first.inner_text()
        page.get_by_text("Found 1 conjunction in").wait_for(timeout=10_000)
        # Opening the result draws the map and the distance plot.
        row = page.locator(".tabulator-row").first
        click_until(
            lambda: row.locator(".tabulator-cell").nth(2).click(),
            page.get_by_text("Conjunction #0: THEMIS-ASI FSIM x THEMIS-E"),
            retry_if=lambda: "tabulator-selected" not in (row.get_attribute("class") or ""),
        )
        page.get_by_text("That night's keograms and movies").wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        assert page.locator("canvas").count() >= 2
        # The template scrolls inside its main area: a tall viewport shows form, table and detail.
        page.set_viewport_size({"width": 1400, "height": 2600})
        page.wait_for_timeout(1500)
        screenshot(page, "conjunctions-example-search")
        # The search is in the address: a fresh session with that URL reruns it.
        query = parse_qs(urlparse(page.url).query)
        assert "q" in query
        shared = browser.new_page()
        shared.goto(page.url, wait_until="networkidle")
        shared.locator(".tabulator-row", has_text="THEMIS-E").wait_for(timeout=30_000)
        assert shared.locator(".tabulator-row").count() == 1
        shared.close()
    assert page.console_errors == []


def test_reversed_dates_show_a_message(page, tmp_path):
    from tests.app.conftest import build_tiny_repository

    db = build_tiny_repository(tmp_path / "tiny.duckdb")
    q = (
        '{"start": "2021-12-03T00:00:00", "end": "2021-12-01T00:00:00", '
        '"ground": [{}], "space": [{}], "max_distances": {"ground1-space1": 500}}'
    )
    with running_server(db, tmp_path / "data", path="/conjunctions") as base:
        page.goto(base + "/conjunctions?q=" + q, wait_until="networkidle")
        page.get_by_text("is before the start day").wait_for(timeout=30_000)
        screenshot(page, "conjunctions-reversed-dates")
    assert page.console_errors == []
