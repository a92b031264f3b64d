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
