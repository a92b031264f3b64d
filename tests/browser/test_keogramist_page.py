"""The Keogramist page in a real browser: keogram rows drawn, a click opens the fisheye frame."""

from __future__ import annotations

import pytest

from aurorax.demo import build_demo
from tests.app.test_keogramist import build_keogram_demo
from tests.browser.conftest import click_until, screenshot
from tests.browser.probes import GLYPHS_JS
from tests.serving import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_keograms_render_and_a_click_opens_the_fisheye(page, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    # The server's asi_dir is <data dir>/asi (AURORAX_DATA_DIR), where the demo writes its images.
    db = build_keogram_demo(data)
    with running_server(db, data, path="/keogramist") as base:
        page.goto(base + "/keogramist", wait_until="networkidle")
        page.get_by_text("Click a keogram to see the fisheye frame at that time.").wait_for(
            timeout=30_000
        )
        canvas = page.locator(".bk-Canvas, canvas").first
        canvas.wait_for(timeout=30_000)
        screenshot(page, "keogramist-rows")
        box = page.locator("canvas").first.bounding_box()
        # Left part of the top row (GILL, 2021-12-01): the night is at 0-13 UT. The canvas holds
        # the title and the UT axes above and below the two rows: the top row is at ~45 % height.
        click_until(
            lambda: page.mouse.click(
                box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45
            ),
            page.get_by_text("nearest frame 2021-12-01"),
        )
        page.get_by_text("THEMIS-ASI GILL 2021-12-01: clicked").wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        assert page.locator("canvas").count() >= 2  # the keograms and the fisheye
        page.get_by_text("Daily movie, at").wait_for(timeout=30_000)
        assert page.locator("video").count() == 1
        screenshot(page, "keogramist-fisheye")
    assert page.console_errors == []


def test_a_trex_rgb_row_is_drawn_in_colour_beside_a_grey_themis_row(page, tmp_path):
    data = tmp_path / "data"
    db = data / "aurorax.duckdb"
    build_demo(
        db, start="2021-12-01", days=1, programs=["themis-asi", "trex"],
        platforms=["gillam"], progress=False, image_nights=1, asi_dir=data / "asi",
        products_dir=data / "products",
    )  # fmt: skip
    with running_server(db, data, path="/keogramist") as base:
        page.goto(base + "/keogramist", wait_until="networkidle")
        page.get_by_text("Page 1 of 1 (rows 1-2 of 2)").wait_for(timeout=30_000)
        page.wait_for_function(f"({GLYPHS_JS})().includes('ImageRGBA')", timeout=30_000)
        # One picture for both rows: RGBA, since one of them is in colour (issue 13).
        assert page.evaluate(GLYPHS_JS).count("ImageRGBA") == 1
        assert page.evaluate(GLYPHS_JS).count("Image") == 0
        assert page.get_by_role("button", name="All TREx").count() == 1
        screenshot(page, "keogramist-trex-colour")
    assert page.console_errors == []
