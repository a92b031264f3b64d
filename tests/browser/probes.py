"""JavaScript probes of the Bokeh models a page in the browser draws (for ``page.evaluate``), and
the helpers that run them."""

# Glyph class names of every Bokeh plot on the page.
GLYPHS_JS = """() => {
    const names = [];
    for (const doc of Bokeh.documents) {
        for (const model of doc.all_models) {
            if (model.renderers !== undefined && model.toolbar !== undefined) {
                for (const r of model.renderers) {
                    if (r.glyph !== undefined) { names.push(r.glyph.constructor.__name__); }
                }
            }
        }
    }
    return names;
}"""


# The montage's frame titles: the text of its Text glyph (drawn on the canvas, not in the DOM).
TITLES_JS = """() => {
    for (const doc of Bokeh.documents) {
        for (const model of doc.all_models) {
            if (model.glyph !== undefined && model.glyph.constructor.__name__ === "Text") {
                const field = model.glyph.text.field;
                const titles = [...model.data_source.data[field]];
                if (titles.length && String(titles[0]).startsWith("(A) ")) { return titles; }
            }
        }
    }
    return [];
}"""


# Page boxes (CSS pixels, [left, top, right, bottom]) of every figure's canvas and of its shown
# legends and colour bars.
FIGURE_BOXES_JS = """() => {
    const out = [];
    const walk = (view) => {
        if (view.model.type === "Figure") {
            const c = view.canvas_view.el.getBoundingClientRect();
            const page = (b) => [c.left + b.x0, c.top + b.y0, c.left + b.x1, c.top + b.y1];
            const shown = (type) => [...view.renderer_views.values()]
                .filter((r) => r.model.type === type && r.model.visible)
                .map((r) => page(r.bbox));
            out.push({
                canvas: [c.left, c.top, c.right, c.bottom],
                legends: shown("Legend"),
                colorbars: shown("ColorBar"),
            });
        }
        for (const child of view.child_views || []) walk(child);
    };
    for (const view of Object.values(Bokeh.index)) walk(view);
    return out;
}"""


# The page position of the cell (day, data source) of the availability page's heat map, and the
# plot's title and day axis, from the Bokeh views the browser drew.
HEATMAP_CELL_JS = """([day, source]) => {
  const figures = [];
  const walk = (view) => {
    if (view.model.type === "Figure") figures.push(view);
    for (const child of view.child_views || []) walk(child);
  };
  for (const view of Bokeh.index) walk(view);
  if (figures.length !== 1) return null;
  const figure = figures[0];
  const canvas = figure.canvas_view.el.getBoundingClientRect();
  return {
    title: figure.model.title.text,
    days: figure.model.x_range.factors,
    x: canvas.left + figure.frame.x_scale.compute(day),
    y: canvas.top + figure.frame.y_scale.compute(source),
  };
}"""
#: The availability heat map's colour of "missing" (expected, no image file).
MISSING_PURPLE = (0x76, 0x2A, 0x83)


def pixel_at(page, x: float, y: float) -> tuple[int, int, int]:
    """The colour (0-255 RGB) the browser shows at page position ``(x, y)``."""
    import io

    import matplotlib.image

    png = page.screenshot(clip={"x": x - 1, "y": y - 1, "width": 3, "height": 3})
    rgb = matplotlib.image.imread(io.BytesIO(png), format="png")[1, 1, :3]
    return tuple(int(round(255 * v)) for v in rgb)


def heatmap_cell(page, day: str, source: str, title: str) -> dict:
    """:data:`HEATMAP_CELL_JS` of ``(day, source)`` once the heat map titled ``title`` is drawn."""
    page.wait_for_function(
        f"(args) => {{ const c = ({HEATMAP_CELL_JS})(args); "
        f"return c !== null && c.title === {title!r}; }}",
        arg=[day, source],
        timeout=30_000,
    )
    return page.evaluate(HEATMAP_CELL_JS, [day, source])


# Colours of every Line glyph on the page (the curves; paths are MultiLine), as their specs give.
LINE_COLOURS_JS = """() => {
    const colours = [];
    for (const doc of Bokeh.documents) {
        for (const model of doc.all_models) {
            const glyph = model.glyph;
            if (glyph === undefined || glyph === null) continue;
            const kind = glyph.constructor.__name__;
            if (kind !== "Line") continue;
            const c = glyph.line_color;
            colours.push(c !== null && typeof c === "object" && "value" in c ? c.value : c);
        }
    }
    return colours;
}"""
