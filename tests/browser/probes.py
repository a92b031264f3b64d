"""JavaScript probes of the Bokeh models a page in the browser draws (for ``page.evaluate``)."""

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
