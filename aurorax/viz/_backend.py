"""Load HoloViews' Bokeh backend once, so options can be applied outside a notebook or server."""

from __future__ import annotations

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the renderer that .opts() needs)

if hv.Store.current_backend != "bokeh":
    hv.Store.set_current_backend("bokeh")
