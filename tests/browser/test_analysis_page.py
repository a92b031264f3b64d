"""Conjunction analysis in a real browser: frames with the footprint, the intensity series, and a
link from the URL (as the Conjunction search page opens it)."""

from __future__ import annotations

import pytest

from tests.app.test_analysis import build_analysis_demo
from tests.app.test_analysis_trex import build_trex_analysis_demo
from tests.browser.conftest import screenshot
from tests.browser.probes import FIGURE_BOXES_JS, GLYPHS_JS, LINE_COLOURS_JS, TITLES_JS
from tests.serving import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The values of every input of the page (Panel's widgets live in nested shadow roots).
INPUTS_JS = """() => {
    const roots = [document];
    for (let i = 0; i < roots.length; i++) {
        for (const el of roots[i].querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
    }
    return roots.flatMap((r) => [...r.querySelectorAll('input')].map((el) => el.value));
}"""


def test_frames_track_box_and_intensity(page, tmp_path):
    data = tmp_path / "data"
    db = build_analysis_demo(data)
    with running_server(db, data, path="/analysis") as base:
        url = "/analysis?site=gill&spacecraft=swarmb&start=2021-12-01T05:00:00&end=2021-12-01T05:10:00"
        page.goto(base + url, wait_until="networkidle")
        page.get_by_text("Conjunction analysis").first.wait_for(timeout=30_000)
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0")
        page.locator("canvas").first.wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        glyphs = page.evaluate(GLYPHS_JS)
        # The four frames asked for by default, spread over the footprint's time in the sky:
        # one plot, one image and one title each, in time order.
        assert glyphs.count("Image") == 1
        assert "Text" in glyphs
        titles = page.evaluate(TITLES_JS)
        assert [t[:4] for t in titles] == ["(A) ", "(B) ", "(C) ", "(D) "]
        assert all(t.startswith(("(A) 05:", "(B) 05:", "(C) 05:", "(D) 05:")) for t in titles)
        assert titles == sorted(titles, key=lambda t: t[4:])
        assert "Curve" in glyphs or "Line" in glyphs  # the track and the intensity series
        assert page.get_by_text("Download montage (PNG)").count() == 1
        assert page.get_by_text("Download movie (mp4)").count() == 1
        # Issue 13: at 1400 px the montage ran past the window and its colour bar was cut off.
        # Every plot and the montage's colour bar lie inside the 1400 px wide window.
        figures = page.evaluate(FIGURE_BOXES_JS)
        assert page.viewport_size["width"] == 1400
        assert all(f["canvas"][2] <= 1400 for f in figures), [f["canvas"] for f in figures]
        bars = [bar for f in figures for bar in f["colorbars"]]
        assert len(bars) == 1 and 0 <= bars[0][0] < bars[0][2] <= 1400, bars
        screenshot(page, "analysis")

        # The pass selector: choosing Swarm B's pass sets the window to it (plus five minutes).
        select = page.locator("select").filter(has_text="closest")
        options = [o for o in select.locator("option").all_inner_texts() if "closest" in o]
        assert len(options) == 1 and options[0].startswith("2021-12-01 05:0")
        select.select_option(label=options[0])
        page.wait_for_function(f"({INPUTS_JS})().some((v) => v.startsWith('2021-12-01 04:59'))")
        assert any(v.startswith("2021-12-01 05:1") for v in page.evaluate(INPUTS_JS))

        # A window that holds no image file is a message on the page, not a stack trace.
        page.goto(
            base + "/analysis?site=gill&spacecraft=swarmb"
            "&start=2021-12-03T05:00:00&end=2021-12-03T05:10:00",
            wait_until="networkidle",
        )
        page.get_by_text("Conjunction analysis").first.wait_for(timeout=30_000)
        message = "No ephemeris of swarmb from 2021-12-03 05:00 to 05:10 UTC."
        page.get_by_text(message).first.wait_for(timeout=30_000)
        assert "Traceback" not in page.content()
        screenshot(page, "analysis-no-images")
    assert page.console_errors == []


def test_a_trex_rgb_site_shows_a_colour_montage_and_a_curve_per_channel(page, tmp_path):
    # Issue 13: the TREx RGB imagers were missing from the page. TREx RGB GILL with DMSP F17
    # passing overhead at 12:11-12:13 UTC (frames every 2 min, tests/app/test_analysis_trex.py).
    data = tmp_path / "data"
    db, _, dense = build_trex_analysis_demo(data)
    (data / "asi").rename(data / "asi_demo")
    dense.rename(data / "asi")  # the server reads <data dir>/asi
    with running_server(db, data, path="/analysis") as base:
        page.goto(base + "/analysis?site=trex:gill&spacecraft=dmspf17", wait_until="networkidle")
        page.get_by_text("Conjunction analysis").first.wait_for(timeout=30_000)
        page.wait_for_function(f"({GLYPHS_JS})().includes('ImageRGBA')", timeout=30_000)
        page.wait_for_timeout(1000)
        glyphs = page.evaluate(GLYPHS_JS)
        # The montage is one colour picture (RGBA), with no grey image and no colour bar.
        assert glyphs.count("ImageRGBA") == 1 and glyphs.count("Image") == 0
        figures = page.evaluate(FIGURE_BOXES_JS)
        assert [bar for f in figures for bar in f["colorbars"]] == []
        assert all(f["canvas"][2] <= 1400 for f in figures), [f["canvas"] for f in figures]
        titles = page.evaluate(TITLES_JS)
        assert [t[:4] for t in titles] == ["(A) ", "(B) ", "(C) ", "(D) "]
        assert all(t[4:7] == "12:" for t in titles)
        # The intensity: a curve per channel in its colour and the black mean, with a legend
        # (the grey page has one black curve).
        assert sorted(page.evaluate(LINE_COLOURS_JS)) == ["black", "blue", "green", "red"]
        assert sum(len(f["legends"]) for f in figures) == 1
        select = page.locator("select").filter(has_text="closest")
        options = [o for o in select.locator("option").all_inner_texts() if "closest" in o]
        assert len(options) == 1 and options[0].startswith("2021-12-01 12:11-12:13 UT")
        screenshot(page, "analysis-trex-colour")
    assert page.console_errors == []
