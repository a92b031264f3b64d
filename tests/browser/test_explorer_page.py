"""The Event Explorer in a real browser: the globe renders with image and spacecraft layers."""

from __future__ import annotations

import pytest

from tests.app.test_explorer import build_explorer_data
from tests.browser.conftest import screenshot
from tests.serving import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Class names of the glyphs of the newest Bokeh plot (a redraw adds a plot; the old models linger
# in the document, so the newest one is the globe on screen).
GLYPHS_JS = """() => {
    let plot = null;
    for (const doc of Bokeh.documents) {
        for (const model of doc.all_models) {
            if (model.renderers !== undefined && model.toolbar !== undefined) {
                plot = model;
            }
        }
    }
    if (plot === null) {
        return [];
    }
    return plot.renderers.filter((r) => r.glyph !== undefined).map((r) => r.glyph.constructor.__name__);
}"""


PLOTS_JS = """() => Bokeh.documents.flatMap((doc) => [...doc.all_models])
    .filter((m) => m.renderers !== undefined && m.toolbar !== undefined).length"""


def _glyphs(page) -> list[str]:
    return page.evaluate(GLYPHS_JS)


def test_globe_with_images_and_spacecraft(page, tmp_path):
    # The repository and images go where the server's settings look: <data dir>/asi.
    db = build_explorer_data(tmp_path / "data")
    with running_server(db, tmp_path / "data", path="/explorer") as base:
        page.goto(base + "/explorer", wait_until="networkidle")
        page.get_by_text("Event Explorer").first.wait_for(timeout=30_000)
        page.locator("canvas").first.wait_for(timeout=30_000)
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0")
        page.wait_for_timeout(1000)
        glyphs = _glyphs(page)
        assert "Image" in glyphs  # the ASI mosaic
        assert "MultiLine" in glyphs  # coastlines, graticule, tracks
        assert glyphs.count("Scatter") >= 1  # spacecraft positions and footprints
        assert "Segment" in glyphs  # the footprint tracks, all spacecraft in one glyph
        page.get_by_text("2021-12-01 06:10 UTC").first.wait_for(timeout=10_000)
        screenshot(page, "explorer")

        # A new minute updates the drawn globe in place: no new plot in the document.
        plots = page.evaluate(PLOTS_JS)
        handle = page.locator(".noUi-handle").nth(0)
        handle.focus()
        handle.press("ArrowRight")
        page.get_by_text("2021-12-01 06:11 UTC").first.wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        assert page.evaluate(PLOTS_JS) == plots
        assert "Image" in _glyphs(page)

        # Switching the image layer off redraws the globe without it.
        page.get_by_text("ASI images", exact=True).click()
        page.wait_for_function(f"() => !({GLYPHS_JS})().includes('Image')", timeout=30_000)
        assert "Scatter" in _glyphs(page)
        screenshot(page, "explorer-no-images")

        # The minute and the view come from the URL (a shared link), here 06:15 over Gillam.
        page.goto(base + "/explorer?minute=375&lat=56.4&lon=-94.6", wait_until="networkidle")
        page.get_by_text("2021-12-01 06:15 UTC").first.wait_for(timeout=30_000)
        page.wait_for_function(f"() => ({GLYPHS_JS})().includes('Image')", timeout=30_000)
        screenshot(page, "explorer-shared-link")
    assert page.console_errors == []
