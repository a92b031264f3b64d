"""The overview page's logic, without a browser: build the State, set params, assert on results."""

from __future__ import annotations

import pytest

from app.pages.overview import OverviewPage, OverviewState, create_page

from .conftest import check_exports


def test_state_lists_every_source_with_counts(tiny_repository):
    state = OverviewState(db_path=str(tiny_repository))
    state.load()
    assert state.status == ""
    table = state.table()
    assert sorted(table["Data source"]) == ["Swarm A", "THEMIS-ASI GILL"]
    counts = dict(zip(table["Data source"], table["Ephemeris records"], strict=True))
    assert counts == {"Swarm A": 120, "THEMIS-ASI GILL": 90}
    assert state.totals() == {"sources": 2, "ephemeris": 210, "data_products": 0}


def test_state_filters_by_source_type(tiny_repository):
    state = OverviewState(db_path=str(tiny_repository))
    state.load()
    assert state.param.source_type.objects == ["all", "ground", "leo"]
    state.source_type = "leo"
    assert list(state.table()["Data source"]) == ["Swarm A"]


def test_missing_repository_is_a_message_not_a_crash(tmp_path):
    state = OverviewState(db_path=str(tmp_path / "nothing.duckdb"))
    state.load()
    assert state.counts is None
    assert state.status.startswith(f"Cannot read the repository {tmp_path / 'nothing.duckdb'}")
    assert state.table().empty


def test_page_renders_to_a_bokeh_model(tiny_repository):
    page = create_page(tiny_repository)
    assert isinstance(page, OverviewPage)
    model = page.__panel__().get_root()
    assert model is not None


def test_record_counts_export_to_png_and_html(tiny_repository):
    page = create_page(tiny_repository)
    assert [w.filename for w in page.exports] == ["record-counts.png", "record-counts.html"]
    check_exports(page.exports)


def test_export_without_a_plot_refuses(tmp_path):
    page = create_page(tmp_path / "none.duckdb")
    with pytest.raises(ValueError, match="nothing to export"):
        page.exports[0].callback()


# -- in a browser: the table fits, the legend is beside the bars, every label shows -------------
# (``browser``: the session's chromium, tests/conftest.py; the window size of tests/browser.)
VIEWPORT = {"width": 1400, "height": 900}

# The figure's parts as Bokeh lays them out (canvas pixels): its frame (where the bars are), its
# canvas, the legend, the toolbar and, for the categorical (x) axis, every tick's position and
# the extents its labels need (tick, longest tick label, axis label) against the room it has.
_FIGURE_LAYOUT = """
() => {
  const box = (b) => b ? {x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1} : null;
  const seen = new Set();
  const out = [];
  function walk(v) {
    if (!v || seen.has(v)) return;
    seen.add(v);
    if (v.model && v.model.type === "Figure") {
      const parts = {frame: box(v.frame.bbox), canvas: box(v.canvas_view.bbox), legends: []};
      for (const r of v.renderer_views.values()) {
        const t = r.model.type;
        if (t === "Legend") parts.legends.push(box(r.bbox));
        if (t === "ToolbarPanel") parts.toolbar = box(r.bbox);
        if (t === "CategoricalAxis") {
          const e = r.extents;
          parts.axis = box(r.bbox);
          parts.needed = e.tick + e.tick_label + e.axis_label;
          parts.ticks = r.scoords(r.tick_coords.major)[0];
          parts.label_px = r.model.major_label_text_font_size;
        }
      }
      out.push(parts);
    }
    for (const c of (v.child_views || [])) walk(c);
  }
  for (const v of Object.values(Bokeh.index)) walk(v);
  return out;
}
"""


def _overlap(a: dict, b: dict) -> bool:
    return a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]


@pytest.fixture(scope="module")
def served_demo(tmp_path_factory):
    """``aurorax serve`` on one demo day of every program (49 sources, as the demo has)."""
    from aurorax.demo import demo_programs
    from tests.demo_repos import one_day_demo
    from tests.serving import running_server

    folder = tmp_path_factory.mktemp("overview")
    db = one_day_demo(folder / "demo.duckdb", list(demo_programs()))
    with running_server(db, folder / "data") as base:
        yield base


@pytest.fixture
def overview(browser, served_demo):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(served_demo + "/overview", wait_until="networkidle")
    page.get_by_text("THEMIS-ASI ATHA").first.wait_for(timeout=30_000)
    page.locator(".bk-Canvas").last.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    yield page
    context.close()
    assert errors == []


@pytest.mark.browser
@pytest.mark.slow
def test_sources_table_fits_the_window(overview):
    from tests.browser.conftest import SCREENSHOTS, screenshot

    table = overview.locator(".tabulator")
    screenshot(overview, "overview-table")
    table.screenshot(path=str(SCREENSHOTS / "overview-table-only.png"))
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"]
    # No column hidden beyond the table's right edge...
    holder = overview.locator(".tabulator-tableholder")
    scroll, client = holder.evaluate("h => [h.scrollWidth, h.clientWidth]")
    assert scroll <= client, f"the table is {scroll} px wide in a {client} px box"
    headers = [h.strip() for h in overview.locator(".tabulator-col-title").all_inner_texts()]
    assert [h for h in headers if h][-2:] == ["First minute (UTC)", "Last minute (UTC)"]
    for cell in overview.locator(".tabulator-col").all():
        right = cell.bounding_box()  # None for Panel's hidden index column
        assert right is None or right["x"] + right["width"] <= box["x"] + box["width"] + 1
    # ... and no value cut short: every cell shows its whole text.
    cut = overview.locator(".tabulator-cell").evaluate_all(
        "cs => cs.filter(c => c.clientWidth > 0 && c.innerText.trim() && c.scrollWidth > c.clientWidth + 1)"
        ".map(c => c.innerText)"
    )
    assert cut == []
    assert "2021-12-01 00:00" in table.inner_text()


@pytest.mark.browser
@pytest.mark.slow
def test_record_count_legend_is_outside_the_bars_and_every_label_shows(overview):
    from tests.browser.conftest import SCREENSHOTS, screenshot

    canvas = overview.locator(".bk-Canvas").last
    canvas.scroll_into_view_if_needed()
    overview.wait_for_timeout(500)
    screenshot(overview, "overview-chart")
    canvas.screenshot(path=str(SCREENSHOTS / "overview-chart-only.png"))
    (fig,) = overview.evaluate(_FIGURE_LAYOUT)
    frame, whole = fig["frame"], fig["canvas"]
    assert len(fig["legends"]) == 1
    assert not _overlap(fig["legends"][0], frame), (fig["legends"], frame)
    # The bars have a frame worth the name: the labels do not eat the plot.
    assert frame["y1"] - frame["y0"] >= 200
    # The axis has the room its labels need, inside the canvas...
    axis = fig["axis"]
    assert axis["y1"] <= whole["y1"] and axis["y1"] - axis["y0"] >= fig["needed"]
    # ... and every label (a vertical line of text, as wide as the font is high) is left of
    # the toolbar and inside the canvas: the last label too.
    ticks = fig["ticks"]
    assert len(ticks) == 49
    half = int(fig["label_px"].removesuffix("px")) / 2 + 2
    assert min(ticks) - half >= whole["x0"]
    assert max(ticks) + half <= min(whole["x1"], fig["toolbar"]["x0"]), (ticks[-1], fig)
    assert max(ticks) + half <= frame["x1"]


def test_record_count_legend_option_is_outside_the_plot(tiny_repository):
    import holoviews as hv

    page = create_page(tiny_repository)
    options = hv.Store.lookup_options("bokeh", page.bars_plot(), "plot").kwargs
    assert options["legend_position"] in ("right", "left", "top", "bottom")
    assert options["show_legend"] is True
