"""One-off costs of a fresh server process, paid before the server starts listening.

A new process spends seconds the first time it draws a datashader raster (importing datashader
and numba compiling its resampling kernels for float32 images), the first time it draws the
globe (reading the coastlines), and the first time Panel looks at what a page's function
returned (its check for a matplotlib figure imports ``matplotlib.figure``: 1.4 s). ``warm_up``
pays these once, so the first session's pages do not.

It then builds each page once, as a visitor's session would (its default view, without URL
arguments), which fills the page's ``pn.cache`` entries in ``app/services.py`` (the repository
counts, the imagers with files, the footprint track, the mosaic of the hour, ...): the first
visitor after a restart got the analysis page 1.2 s later than the next ones before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import pandas as pd

__all__ = ["warm_up"]

log = logging.getLogger(__name__)


def warm_up(pages: Iterable[Callable[[], object]] = ()) -> float:
    """Import matplotlib's figure module, render a two-row Keogramist raster (with a note) and
    an empty globe with Bokeh, then build every page of ``pages`` (functions returning a page)
    into a Bokeh document of its own.

    Returns the seconds it took. Never raises: a failure only means the first visitor pays the
    cost instead (it is logged).
    """
    began = time.perf_counter()
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
    for build in pages:
        try:
            import panel as pn
            from bokeh.document import Document

            pn.panel(build()).get_root(Document())
        except Exception:  # a page that cannot be built tells its visitor why, on the page
            log.warning("dashboard warm-up of a page failed", exc_info=True)
    return time.perf_counter() - began
