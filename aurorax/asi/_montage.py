"""Montage: a grid of fisheye frames at chosen times, each labelled with its time stamp."""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ._projection import make_fisheye, rgb_levels
from ._time import to_utc

__all__ = ["make_montage"]


def make_montage(
    imager,
    times: Sequence,
    *,
    ncols: int | None = None,
    axes: Sequence | None = None,
    hook: Callable | None = None,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    max_offset_s: float | None = None,
    panel_size_in: float = 3.0,
    path: str | Path | None = None,
    dpi: int = 150,
):
    """Draw the imager's frames nearest ``times`` side by side (north up, east right).

    Parameters
    ----------
    imager
        An :class:`~aurorax.asi.Imager`.
    times
        Times (UTC; naive = UTC) of the panels; each panel shows the nearest frame.
    ncols
        Panels per row of a new figure (default: all in one row). Ignored when ``axes`` is given.
    axes
        Draw into these matplotlib axes (one per time) instead of a new figure, e.g. the top row of
        a larger figure.
    hook
        ``hook(ax, index, frame_time, frame)`` called after each panel is drawn, to overlay things
        (axes use pixel coordinates: ``ax.plot(col, row)``).
    cmap
        Matplotlib colour map of monochrome frames (colour frames keep their own colours).
    vmin, vmax
        Colour limits in counts shared by all panels; default: the ASI core's fisheye percentiles
        of the first panel's frame. Colour frames (TREx RGB, ``(y, x, 3)``) have the three
        channels scaled together between them (:func:`rgb_levels`, the camera's colour balance
        kept) and, a colour bar meaning nothing for them, the scale written in the first panel:
        ``R, G, B on one scale: <vmin>-<vmax> counts``.
    max_offset_s
        Refuse a time whose nearest frame is farther than this, in seconds.
    panel_size_in
        Panel size in inches (new figures only).
    path
        Also save the figure there (PNG, ``dpi``).
    dpi
        Resolution of the saved file.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; each panel is titled ``(A) HH:MM:SS``, ``(B) ...`` with the frame's time.

    Raises
    ------
    ValueError
        No times, or ``axes`` of another length than ``times``.
    """
    from matplotlib.figure import Figure

    times = [to_utc(t) for t in times]
    if not times:
        raise ValueError("make_montage needs at least one time")
    if axes is None:
        ncols = len(times) if ncols is None else max(1, int(ncols))
        nrows = int(np.ceil(len(times) / ncols))
        fig = Figure(figsize=(panel_size_in * ncols, panel_size_in * nrows + 0.3), dpi=100)
        grid = fig.subplots(nrows, ncols, squeeze=False)
        for ax in grid.ravel()[len(times) :]:
            ax.set_axis_off()
        axes = list(grid.ravel()[: len(times)])
    else:
        axes = list(axes)
        if len(axes) != len(times):
            raise ValueError(f"got {len(axes)} axes for {len(times)} times; pass one axes per time")
        fig = axes[0].figure
    skymap = imager.skymap
    sky = np.isfinite(skymap.elevation) if skymap is not None else None
    lo, hi = vmin, vmax
    letters = string.ascii_uppercase
    for k, (ax, time) in enumerate(zip(axes, times, strict=True)):
        frame_time, frame = imager.frame_at(time, max_offset_s)
        if lo is None or hi is None:
            fish = make_fisheye(frame, frame_time, skymap)
            lo = fish.vmin if lo is None else lo
            hi = fish.vmax if hi is None else hi
        ny, nx = frame.shape[:2]
        extent = (-0.5, nx - 0.5, ny - 0.5, -0.5)
        if frame.ndim == 3:
            ax.imshow(_rgba(frame, lo, hi, sky), origin="upper", interpolation="nearest",
                      extent=extent)  # fmt: skip
        else:
            shown = frame.astype(np.float32)
            if sky is not None:
                shown = np.where(sky, shown, np.nan)
            ax.imshow(
                shown, cmap=cmap, vmin=lo, vmax=hi, origin="upper", interpolation="nearest",
                extent=extent,
            )  # fmt: skip
        if frame.ndim == 3 and k == 0:
            ax.text(
                0.03, 0.03, f"R, G, B on one scale: {lo:g}-{hi:g} counts", color="white",
                transform=ax.transAxes, va="bottom", ha="left", fontsize=7,
            )  # fmt: skip
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_facecolor("black")
        label = letters[k] if k < len(letters) else str(k + 1)
        ax.set_title(f"({label}) {pd.Timestamp(frame_time):%H:%M:%S}", fontsize=10)
        if hook is not None:
            hook(ax, k, frame_time, frame)
    if skymap is not None and len(axes):
        axes[0].text(
            0.03, 0.97, f"{skymap.site_uid.upper()} {times[0]:%Y-%m-%d}", color="white",
            transform=axes[0].transAxes, va="top", ha="left", fontsize=8,
        )  # fmt: skip
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    return fig


def _rgba(frame: np.ndarray, lo: float, hi: float, sky) -> np.ndarray:
    """A colour frame as an RGBA picture: :func:`rgb_levels` between ``lo`` and ``hi``, opaque
    where the pixel sees the sky and transparent elsewhere (the axes' black shows)."""
    level = np.nan_to_num(rgb_levels(frame, lo, hi, sky), nan=0.0)
    alpha = np.ones(frame.shape[:2], np.float32) if sky is None else sky.astype(np.float32)
    return np.concatenate([level, alpha[..., None]], axis=2)
