"""The Event Explorer in a real browser: the globe renders with image and spacecraft layers (TREx
RGB in colour beside the grey THEMIS mosaic, the dark sky of both transparent), its legend fits a
1400 px window and a link opens the day and minute it names."""

from __future__ import annotations

import pytest

from tests.app.test_explorer import build_explorer_data
from tests.browser.conftest import screenshot
from tests.browser.probes import FIGURE_BOXES_JS
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


# The colour (TREx RGB) picture of the newest plot: where it lies (x, y, dw, dh in projected
# metres) and how many of its pixels are opaque (alpha > 50 %) with green or red above the other
# channels, read from the RGBA bytes the browser draws.
COLOUR_IMAGE_JS = """() => {
    let plot = null;
    for (const doc of Bokeh.documents) {
        for (const model of doc.all_models) {
            if (model.renderers !== undefined && model.toolbar !== undefined) { plot = model; }
        }
    }
    const found = plot === null ? [] : plot.renderers.filter(
        (r) => r.glyph !== undefined && r.glyph.constructor.__name__ === "ImageRGBA");
    if (found.length !== 1) { return null; }
    const r = found[0], data = r.data_source.data, g = r.glyph;
    const image = data[g.image.field][0];
    const flat = image.buffer !== undefined ? image : Uint32Array.from(image.flat());
    const bytes = new Uint8Array(flat.buffer, flat.byteOffset, flat.byteLength);
    let opaque = 0, green = 0, red = 0;
    for (let k = 0; k < bytes.length; k += 4) {
        const [R, G, B, A] = [bytes[k], bytes[k + 1], bytes[k + 2], bytes[k + 3]];
        if (A > 128) {
            opaque += 1;
            if (G > R + 20 && G > B + 40) { green += 1; }
            if (R > G + 20 && R > B + 40) { red += 1; }
        }
    }
    const at = (name) => (g[name].field !== undefined ? data[g[name].field][0] : g[name].value);
    return {visible: r.visible, x: at("x"), y: at("y"), dw: at("dw"), dh: at("dh"),
            pixels: bytes.length / 4, opaque: opaque, green: green, red: red};
}"""


# The grey (THEMIS ASI, REGO) image of the newest plot as the browser paints it: its values put
# through the glyph's colour mapper by BokehJS's own image mapping (rgba_mapper), each pixel's
# opacity times the glyph's. Counts of the seen pixels (finite values), of those nearly clear
# (under 10 %), of those over half opaque, and of those over half opaque in a near-black colour
# (the dark sky as a black disc).
GREY_IMAGE_JS = """() => {
    let plot = null;
    for (const doc of Bokeh.documents) {
        for (const model of doc.all_models) {
            if (model.renderers !== undefined && model.toolbar !== undefined) { plot = model; }
        }
    }
    const found = plot === null ? [] : plot.renderers.filter(
        (r) => r.glyph !== undefined && r.glyph.constructor.__name__ === "Image");
    if (found.length !== 1) { return null; }
    const g = found[0].glyph, values = found[0].data_source.data[g.image.field][0];
    const rgba = g.color_mapper.rgba_mapper.v_compute(values);
    const opacity = g.global_alpha.value !== undefined ? g.global_alpha.value : g.global_alpha;
    let seen = 0, clear = 0, opaque = 0, black = 0;
    for (let k = 0; k < values.length; k++) {
        if (!Number.isFinite(values[k])) { continue; }
        const [R, G, B] = [rgba[4 * k], rgba[4 * k + 1], rgba[4 * k + 2]];
        const A = rgba[4 * k + 3] * opacity;
        seen += 1;
        if (A < 25.5) { clear += 1; }
        if (A > 127.5) {
            opaque += 1;
            if (R < 60 && G < 60 && B < 60) { black += 1; }
        }
    }
    return {seen: seen, clear: clear, opaque: opaque, black: black};
}"""


def _inside(box, outer) -> bool:
    return outer[0] <= box[0] < box[2] <= outer[2] and outer[1] <= box[1] < box[3] <= outer[3]


def _glyphs(page) -> list[str]:
    return page.evaluate(GLYPHS_JS)


def test_globe_with_images_and_spacecraft(page, tmp_path):
    # The repository and images go where the server's settings look: <data dir>/asi.
    db = build_explorer_data(tmp_path / "data", trex=True)
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

        # Issue 13: at 1400 px the spacecraft legend, right of the colour bar, was cut off. It is
        # drawn whole, in the window as the page opens.
        (figure,) = page.evaluate(FIGURE_BOXES_JS)
        (legend,) = figure["legends"]
        viewport = [0, 0, page.viewport_size["width"], page.viewport_size["height"]]
        assert viewport[2:] == [1400, 900]
        assert _inside(legend, figure["canvas"]), figure
        assert _inside(legend, viewport), legend

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

        # Issue 13: the grey imagers' dark sky was drawn in the colour map's lowest colour, a
        # black disc over the map. As painted, most of it is now (nearly) clear, none of it an
        # opaque black, and the brightest aurora is opaque.
        page.wait_for_function(f"() => ({GREY_IMAGE_JS})() !== null", timeout=30_000)
        grey = page.evaluate(GREY_IMAGE_JS)
        assert grey["seen"] > 1000, grey
        assert grey["black"] == 0 and grey["clear"] > grey["seen"] / 2, grey
        assert grey["opaque"] > 0, grey

        # Issue 13: TREx RGB was left off the globe. Its frame (06:20) is drawn in colour beside
        # the grey THEMIS mosaic: an RGBA picture over Gillam, the view's centre, its aurora
        # opaque in green and in red, not through the colour map.
        page.get_by_text("TREx RGB GILL").first.wait_for(timeout=30_000)
        page.wait_for_function(f"() => ({COLOUR_IMAGE_JS})() !== null", timeout=30_000)
        colour = page.evaluate(COLOUR_IMAGE_JS)
        assert colour["visible"] and colour["pixels"] > 1000, colour
        assert colour["x"] < 0 < colour["x"] + colour["dw"], colour
        assert colour["y"] < 0 < colour["y"] + colour["dh"], colour
        assert colour["opaque"] > 50 and colour["green"] > 10 and colour["red"] > 10, colour
        assert colour["opaque"] < colour["pixels"] / 4, colour  # the dark sky: transparent
        assert "Image" in page.evaluate(GLYPHS_JS)  # and the grey THEMIS mosaic beside it
        screenshot(page, "explorer-trex-colour")

        # A link with a day (a conjunction's, say) opens that day, here one without data, and
        # the day stays in the address.
        page.goto(base + "/explorer?day=2021-12-02&minute=375", wait_until="networkidle")
        page.get_by_text("2021-12-02 06:15 UTC").first.wait_for(timeout=30_000)
        page.get_by_text("No all-sky images at 2021-12-02 06:15 UTC").wait_for(timeout=30_000)
        assert page.get_by_text("Ignored").count() == 0
        picker = page.locator(".bk-input-group", has=page.locator("input.flatpickr-input"))
        assert picker.locator("input[type=text]").input_value() == "2021-12-02"
        page.wait_for_function(
            "() => window.location.search === '?day=2021-12-02&minute=375&lat=60.0&lon=-100.0'",
            timeout=30_000,
        )
        screenshot(page, "explorer-day-link")
        (figure,) = page.evaluate(FIGURE_BOXES_JS)
        assert figure["legends"] == []  # no spacecraft: no empty legend box
        # A day picked on the page replaces it there; its spacecraft get their legend.
        picker.locator("input[type=text]").click()
        picker.locator('.flatpickr-day[aria-label="December 1, 2021"]').click()
        page.get_by_text("2021-12-01 06:15 UTC").first.wait_for(timeout=30_000)
        page.wait_for_function(
            "() => window.location.search === '?day=2021-12-01&minute=375&lat=60.0&lon=-100.0'",
            timeout=30_000,
        )
        page.wait_for_function(
            f"() => ({FIGURE_BOXES_JS})()[0].legends.length === 1", timeout=30_000
        )
    assert page.console_errors == []
