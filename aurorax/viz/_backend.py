"""Load HoloViews' Bokeh backend once, so options can be applied outside a notebook or server."""

from __future__ import annotations

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the renderer that .opts() needs)

if hv.Store.current_backend != "bokeh":
    hv.Store.set_current_backend("bokeh")

# Canvas, not WebGL: the plots here are images and a few thousand line points, which canvas draws
# at once, while every WebGL plot first builds a GL context and its shaders. Without a GPU (a
# headless or remote browser: software GL) that set-up took about 0.3 s of the Conjunction
# analysis page's loading, measured in chromium's CPU profile.
hv.renderer("bokeh").webgl = False
