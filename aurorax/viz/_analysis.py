"""Conjunction analysis plots: fisheye frames with a footprint track, and the intensity series."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pandas as pd

from ._keogramist import plot_fisheye

__all__ = ["plot_footprint_fisheye", "plot_footprint_intensity"]


def _to_plot(rows, cols, ny: int) -> tuple[np.ndarray, np.ndarray]:
    # plot_fisheye draws row 0 (the north edge) at the top of bounds (0, 0, nx, ny): pixel
    # (row, col) has its centre at x = col + 0.5, y = ny - row - 0.5.
    rows = np.asarray(rows, dtype=float)
    cols = np.asarray(cols, dtype=float)
    return cols + 0.5, ny - rows - 0.5


def plot_footprint_fisheye(
    fisheye,
    track_rows=(),
    track_cols=(),
    dot=None,
    box=None,
    title: str = "",
    size: int = 300,
) -> hv.Overlay:
    """A fisheye frame with a footprint track (red line), the current footprint (red dot) and the
    equal-area box around it (yellow outline).

    Parameters
    ----------
    fisheye
        An :class:`aurorax.asi.Fisheye`.
    track_rows, track_cols
        Pixel row/column of the track points inside the field of view (row 0 = north edge).
    dot
        ``(row, col)`` of the footprint at the frame time, or None (outside the field of view).
    box
        ``(rows, cols)`` of the box outline (a closed polygon in pixel coordinates), or None.
    title
        Plot title (default: the frame time).
    size
        Width and height in screen pixels.
    """
    ny = fisheye.image.shape[0]
    image = plot_fisheye(fisheye, title=title, size=size)
    x, y = _to_plot(track_rows, track_cols, ny)
    overlay = image * hv.Path([np.column_stack([x, y])]).opts(color="red", line_width=1)
    if box is not None:
        bx, by = _to_plot(box[0], box[1], ny)
        overlay = overlay * hv.Path([np.column_stack([bx, by])]).opts(color="yellow", line_width=2)
    if dot is not None:
        dx, dy = _to_plot([dot[0]], [dot[1]], ny)
        overlay = overlay * hv.Points((dx, dy)).opts(color="red", size=7)
    return overlay.opts(toolbar=None)


def plot_footprint_intensity(
    series: pd.DataFrame, marks=(), ylabel: str = "mean counts in box", width: int = 900
) -> hv.Overlay:
    """The intensity at the footprint against time, with dotted vertical lines at ``marks``.

    Parameters
    ----------
    series
        ``aurorax.asi.footprint_intensity`` output (``time``, ``intensity``).
    marks
        Times (UTC) of the montage panels.
    ylabel
        Axis label (say the box size and the statistic).
    width
        Plot width in screen pixels.
    """
    times = pd.to_datetime(series["time"]).dt.tz_convert(None)
    curve = hv.Curve(
        (times, series["intensity"].to_numpy(dtype=float)), kdims=["UTC"], vdims=["intensity"]
    ).opts(color="black", line_width=1.5, width=width, height=260, ylabel=ylabel)
    dots = hv.Scatter(
        (times, series["intensity"].to_numpy(dtype=float)), kdims=["UTC"], vdims=["intensity"]
    ).opts(color="black", size=4)
    overlay = curve * dots
    for t in marks:
        overlay = overlay * hv.VLine(pd.Timestamp(t).tz_convert(None)).opts(
            color="grey", line_dash="dotted"
        )
    return overlay
