"""Conjunction search: a new visitor's form starts on the paper's example; every result row
links to the conjunction in Conjunction analysis, the Event Explorer and Swarm-Aurora; an
"About this query" card shows the exact JSON run, the number of results and the search time."""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest

from app.pages._conjunction_detail import SWARM_AURORA_URL
from app.pages.conjunctions import EXAMPLES, create_page
from aurorax.demo import build_demo
from tests.demo_repos import one_day_demo

APA_EXAMPLE = next(iter(EXAMPLES))
ANALYSIS = (
    "./analysis?site=themis%3Afsim&amp;spacecraft=themise"
    "&amp;start=2021-12-01T09%3A43%3A00&amp;end=2021-12-01T10%3A43%3A00"
)


@pytest.fixture(scope="module")
def demo_repository(tmp_path_factory):
    return one_day_demo(tmp_path_factory.mktemp("links") / "demo.duckdb")


def test_a_new_page_starts_on_the_paper_example_ready_to_search(demo_repository):
    page = create_page(demo_repository)
    state = page.state
    assert state.example == APA_EXAMPLE
    assert state.blocks[0]["programs"] == ["themis-asi"]
    assert [e["key"] for e in state.blocks[0]["filters"]] == [
        "calgary_apa_ml_v1",
        "calgary_apa_ml_v1_confidence",
    ]
    assert state.status == "" and state.result is None  # filled, not yet run
    state.search()
    row = state.table.iloc[0]
    assert (row["ground1"], row["start"]) == ("THEMIS-ASI FSIM", "2021-12-01 09:48")


def test_every_row_links_to_analysis_explorer_and_swarm_aurora(demo_repository):
    state = create_page(demo_repository).state
    state.search()
    links = state.table.iloc[0]["view_in"]
    hrefs = re.findall(r'href="([^"]+)"', links)
    explorer = "./explorer?day=2021-12-01&amp;minute=588"  # 09:48 = minute 588
    assert hrefs == [ANALYSIS, explorer, SWARM_AURORA_URL]
    assert 'target="_blank"' in links and "Swarm-Aurora (2021-12-01 09:48)" in links
    state.selected_row = 0
    assert state.detail["links"] == links


def test_about_this_query_shows_the_json_run_results_and_time(demo_repository):
    state = create_page(demo_repository).state
    assert state.about() == ""
    state.search()
    about = state.about()
    body = json.loads(state.query_json)
    assert f"```json\n{json.dumps(body, indent=2, sort_keys=True)}\n```" in about
    assert re.match(r"\*\*1 result\*\*, searched in \d+\.\d\d s\.", about)
    assert state.search_s > 0


# -- in a browser ------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_in_a_browser_search_at_once_links_and_about(browser, demo_repository, tmp_path):
    from tests.browser.conftest import SCREENSHOTS, click_until, screenshot
    from tests.serving import running_server

    with running_server(demo_repository, tmp_path / "data", path="/conjunctions") as base:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/conjunctions", wait_until="networkidle")
        # The dropdown shows the paper's example and the form holds its filters.
        page.get_by_text("Metadata key").first.wait_for(timeout=30_000)
        select = page.locator("select").first
        assert select.evaluate("s => s.options[s.selectedIndex].text") == APA_EXAMPLE
        page.get_by_role("button", name="Search", exact=True).click()
        page.get_by_text("Found 1 conjunction in").wait_for(timeout=30_000)
        row = page.locator(".tabulator-row").first
        row.wait_for(timeout=30_000)
        anchors = row.locator("a")
        assert anchors.all_inner_texts() == [
            "Analysis",
            "Explorer",
            "Swarm-Aurora (2021-12-01 09:48)",
        ]
        assert anchors.nth(2).get_attribute("href") == SWARM_AURORA_URL
        assert anchors.nth(0).get_attribute("href").startswith("./analysis?site=themis%3Afsim")
        # About this query: collapsed, then the exact JSON, pretty-printed.
        about = page.get_by_text("About this query")
        about.scroll_into_view_if_needed()
        click_until(lambda: about.click(), page.get_by_text('"conjunction_types": ['))
        assert page.get_by_text("1 result, searched in").is_visible()
        page.set_viewport_size({"width": 1400, "height": 2600})
        page.wait_for_timeout(1000)
        screenshot(page, "conjunctions-links-about")
        row.screenshot(path=str(SCREENSHOTS / "conjunctions-row-links.png"))
        context.close()
    assert errors == []


def test_rows_after_the_first_day_link_to_the_explorer_on_their_day(tmp_path):
    db = tmp_path / "two.duckdb"
    build_demo(db, start="2021-12-01", days=2, programs=["themis-asi", "themis"],
               image_nights=0, progress=False)  # fmt: skip
    state = create_page(db).state
    state.example = "THEMIS ASI x THEMIS spacecraft within 500 km"
    state.start = state.end = dt.date(2021, 12, 2)
    state.search()
    assert len(state.table)
    for links, start in zip(state.table["view_in"], state.table["start"], strict=True):
        when = pd.Timestamp(start)
        assert when.date() == dt.date(2021, 12, 2)
        minute = when.hour * 60 + when.minute
        assert f"./explorer?day=2021-12-02&amp;minute={minute}" in links
