"""One-off costs of a fresh server process, paid before the server starts listening.

A new process spends seconds the first time it draws a datashader raster (importing datashader
and numba compiling its resampling kernels for float32 images), the first time it draws the
globe (reading the coastlines), and the first time Panel looks at what a page's function
returned (its check for a matplotlib figure imports ``matplotlib.figure``: 1.4 s). ``warm_up``
pays these once, so the first session's pages do not.
"""

from __future__ import annotations

import logging

import pandas as pd

__all__ = ["warm_up"]

log = logging.getLogger(__name__)


def warm_up() -> None:
    """Import matplotlib's figure module, render a two-row Keogramist raster (with a note) and
    an empty globe with Bokeh.

    Never raises: a failure only means the first visitor pays the cost instead (it is logged).
    """
    try:
        import holoviews as hv
        import matplotlib.figure  # noqa: F401  (see the module docstring)

        from aurorax.viz import plot_globe, plot_keogram_rows

        day = pd.Timestamp("2021-12-01", tz="UTC")
        rows = plot_keogram_rows([None, None], [day, day], ["a", "b"], notes=["", "warm-up"])
        hv.render(rows, backend="bokeh")
        hv.render(plot_globe(title="warm-up"), backend="bokeh")
    except Exception:  # pragma: no cover - depends on the installation
        log.warning("dashboard warm-up failed", exc_info=True)
