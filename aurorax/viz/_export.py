"""Export plots to standalone offline HTML (Bokeh) and to PNG without a browser (matplotlib)."""

from __future__ import annotations

import warnings
from pathlib import Path

import holoviews as hv

from . import _backend  # noqa: F401

__all__ = ["save_html", "save_png"]

# Bokeh option names whose matplotlib counterpart has another name.
_RENAMED = {"line_dash": "linestyle", "line_width": "linewidth", "fill_alpha": "alpha"}
_MARKERS = {
    "circle": "o",
    "square": "s",
    "triangle": "^",
    "inverted_triangle": "v",
    "diamond": "D",
    "cross": "+",
    "x": "x",
    "star": "*",
    "dot": ".",
}
_DEFAULT_PX = (800, 400)
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>html, body {{ margin: 0; padding: 0; }}</style>
{scripts}
</head>
<body>
{plot}
</body>
</html>
"""
# Same names, different meanings (Bokeh property dicts, Bokeh hooks) or set here from the pixel size.
_NOT_CARRIED = {
    "aspect",
    "backend_opts",
    "colorbar_opts",
    "fig_inches",
    "fig_size",
    "hooks",
    "initial_hooks",
    "legend_opts",
}


def _evaluated(element):
    """A static element: DynamicMaps (e.g. datashader rasterisations) evaluated at their defaults."""
    if isinstance(element, hv.DynamicMap):
        return element[()]
    return element


def save_html(element, path: str | Path, title: str = "aurorax plot") -> Path:
    """Write ``element`` as a standalone interactive HTML file that works offline.

    Parameters
    ----------
    element
        A HoloViews element, overlay or layout (e.g. any ``aurorax.viz.plot_*`` result). A
        DynamicMap is evaluated once (a rasterised image keeps the resolution of that render).
    path
        Output file (``.html``).
    title
        The page title.

    Returns
    -------
    pathlib.Path
        ``path``. BokehJS is embedded (``bokeh.resources.INLINE``), so the file loads no script or
        style sheet from the internet.
    """
    import html

    from bokeh.embed import components
    from bokeh.resources import INLINE

    path = Path(path)
    model = hv.render(_evaluated(element), backend="bokeh")
    # Our own page around bokeh.embed.components rather than bokeh.io.save: once Panel is
    # loaded (the dashboard, a notebook), save() also links the resources of every Panel
    # extension in use (Tabulator, ES-module shims) by relative or CDN URLs that an offline
    # file cannot load. BokehJS alone is all a HoloViews plot needs.
    script, div = components(model)
    scripts = "\n".join(f"<script>\n{js}\n</script>" for js in INLINE.js_raw)
    page = _PAGE.format(title=html.escape(title), scripts=scripts, plot=script + "\n" + div)
    path.write_text(page, encoding="utf-8")
    return path


def _bokeh_options(obj) -> dict:
    options = {}
    for group in ("plot", "style"):
        options.update(hv.Store.lookup_options("bokeh", obj, group).kwargs)
    return options


def _matplotlib_allowed(obj) -> set:
    try:
        groups = hv.Store.options(backend="matplotlib")[type(obj).__name__].groups
    except (KeyError, AttributeError):
        return set()
    allowed = set()
    for group in ("plot", "style"):
        if group in groups:
            allowed |= set(groups[group].allowed_keywords)
    return allowed


def _bar_colour_hook(name: str, cmap):
    """A matplotlib hook colouring each bar by its value of ``name`` (Bokeh's ``color=<dim>``)."""
    from holoviews.plotting.util import process_cmap

    def hook(plot, element):
        values = list(element.dimension_values(name))
        categories = list(dict.fromkeys(values))
        palette = process_cmap(cmap or "Category10", ncolors=len(categories), categorical=True)
        colours = dict(zip(categories, palette, strict=False))
        bars = [bar for container in plot.handles["artist"] for bar in container]
        for bar, value in zip(bars, values, strict=False):
            bar.set_facecolor(colours[value])

    return hook


def _as_matplotlib(obj):
    """Copy of ``obj`` with the Bokeh options matplotlib also knows set for matplotlib.

    Bokeh-only options (tools, responsive, toolbar, colorbar_opts, ...) are dropped rather than
    passed on, so nothing warns; pixel sizes become a figure size at 100 dpi.
    """
    bokeh = _bokeh_options(obj)
    allowed = _matplotlib_allowed(obj)
    options = {}
    for key, value in bokeh.items():
        key = _RENAMED.get(key, key)
        if key in allowed and key not in _NOT_CARRIED:
            options[key] = value
    if isinstance(options.get("marker"), str):
        options["marker"] = _MARKERS.get(options["marker"], options["marker"])
    color = options.get("color")
    name = color.dimension.name if isinstance(color, hv.dim) else color
    if isinstance(obj, hv.Bars) and name in [d.name for d in obj.dimensions()]:
        # matplotlib's bars cannot colour-map a dimension (HoloViews passes vmin to the
        # rectangles and ignores per-bar colours): colour them in a hook instead.
        del options["color"]
        options["hooks"] = [_bar_colour_hook(name, bokeh.get("cmap"))]
    elif "color" in options and "facecolor" in allowed:
        # matplotlib's default facecolor (a colour cycle) would win over a plain ``color``.
        options["facecolor"] = options["color"]
    # A clone with a fresh id carries no options at all, of either backend.
    fresh = obj.clone(id=None)
    return fresh.opts(backend="matplotlib", **options) if options else fresh


def _figure_px(obj) -> tuple[int, int]:
    bokeh = _bokeh_options(obj)
    if not (bokeh.get("width") or bokeh.get("frame_width")) and isinstance(obj, hv.Overlay):
        # An overlay without a size of its own takes its first sized layer's (a rasterised image).
        for layer in obj:
            sized = _bokeh_options(layer)
            if sized.get("width") or sized.get("frame_width"):
                bokeh = sized
                break
    width = bokeh.get("width") or bokeh.get("frame_width")
    height = bokeh.get("height") or bokeh.get("frame_height")
    if bokeh.get("responsive") or not width:
        width = _DEFAULT_PX[0]
    return int(width), int(height or _DEFAULT_PX[1])


def save_png(element, path: str | Path, dpi: int = 100) -> Path:
    """Render ``element`` to a PNG with HoloViews' matplotlib backend (no browser needed).

    Parameters
    ----------
    element
        A HoloViews element, overlay or layout (e.g. any ``aurorax.viz.plot_*`` result). A
        DynamicMap is evaluated once at its default ranges.
    path
        Output file (``.png``).
    dpi
        Resolution; the figure keeps the plot's Bokeh size in pixels at 100 dpi (a responsive
        plot is drawn 800 pixels wide).

    Returns
    -------
    pathlib.Path
        ``path``. Options that exist only in Bokeh (tools, hover, responsive sizing) do not apply
        to a PNG and are left out; titles, labels, limits, ticks, colour maps and colours carry over.
    """
    import holoviews.plotting.mpl  # noqa: F401  (registers the matplotlib renderer)
    import matplotlib

    path = Path(path)
    static = _evaluated(element)
    width, height = _figure_px(static)
    converted = static.map(_as_matplotlib, specs=None)
    converted = converted.opts(
        backend="matplotlib", clone=True, fig_inches=(width / 100, height / 100), aspect="auto"
    )
    with matplotlib.rc_context({"figure.max_open_warning": 0}):
        figure = hv.render(converted, backend="matplotlib")
        try:
            # Keep the figure's size but move the axes in until every tick label, axis title
            # and legend is inside it (long vertical source names, y labels at the left edge).
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "not compatible with tight_layout"
                figure.tight_layout(pad=0.4)
            figure.savefig(path, dpi=dpi, format="png")
        finally:
            import matplotlib.pyplot as plt

            plt.close(figure)
    return path
