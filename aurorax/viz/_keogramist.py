"""Many keograms on one shared 0-24 UT axis (one row per site and day), and fisheye frames."""

from __future__ import annotations

from collections.abc import Sequence

import holoviews as hv
import numpy as np
import pandas as pd

from . import _backend  # noqa: F401

__all__ = ["keogram_rows_image", "plot_keogram_rows", "plot_fisheye", "KEOGRAM_ROW_PX"]

#: Height of each keogram row in the stacked image (keogram rows are resampled to it).
KEOGRAM_ROW_PX = 48
_MINUTES = 1440


def _is_colour(keogram) -> bool:
    return keogram is not None and np.ndim(keogram.values) == 3


def _row(keogram, day: pd.Timestamp, row_px: int) -> np.ndarray:
    """One keogram on a (row_px, 1440) minute grid of the UTC day, scaled 0-1, NaN without frames.

    A colour keogram (values ``(time, y, channel)``) gives ``(row_px, 1440, channel)``, its
    channels scaled together (the colour balance is kept)."""
    channels = (np.shape(keogram.values)[2],) if _is_colour(keogram) else ()
    out = np.full((row_px, _MINUTES, *channels), np.nan)
    if keogram is None or len(keogram.times) == 0:
        return out
    minutes = (keogram.times - day).total_seconds().to_numpy() / 60.0
    inside = (minutes >= 0) & (minutes < _MINUTES)
    minutes, values = minutes[inside], np.asarray(keogram.values, dtype=float)[inside]
    if len(minutes) == 0:
        return out
    # Each minute column takes the nearest frame, if that frame is closer than half the typical
    # frame spacing (at least half a minute): coarse cadences fill their gaps, real gaps stay empty.
    spacing = float(np.median(np.diff(minutes))) if len(minutes) > 1 else 1.0
    reach = max(spacing / 2.0, 0.5) + 1e-9
    centres = np.arange(_MINUTES) + 0.5
    after = np.searchsorted(minutes, centres)
    left = np.clip(after - 1, 0, len(minutes) - 1)
    right = np.clip(after, 0, len(minutes) - 1)
    nearest = np.where(
        np.abs(minutes[left] - centres) <= np.abs(minutes[right] - centres), left, right
    )
    near = np.abs(minutes[nearest] - centres) <= reach
    # Keogram rows are north first (row 0 = north edge), which is the top of the drawn row.
    rows = np.linspace(0, values.shape[1] - 1, row_px).round().astype(int)
    columns = np.swapaxes(values[nearest][:, rows], 0, 1)  # (row, minute[, channel])
    lo, hi = np.nanpercentile(values, [1.0, 99.5])
    # Square-root stretch: the diffuse glow and faint arcs stay visible beside bright breakups.
    scaled = np.sqrt(np.clip((columns - lo) / (hi - lo if hi > lo else 1.0), 0.0, 1.0))
    out[:, near] = scaled[:, near]
    return out


def keogram_rows_image(
    keograms: Sequence, days: Sequence, labels: Sequence[str], row_px: int = KEOGRAM_ROW_PX
) -> hv.Image:
    """Stack keograms into one image: x = UT hours 0-24, one band of ``row_px`` per keogram.

    Parameters
    ----------
    keograms
        :class:`aurorax.asi.Keogram` values, or ``None`` for a row without image data (drawn empty).
    days
        The UTC day of each row (its 0 UT is x = 0).
    labels
        Row names, top row first (e.g. ``"gill 2021-12-01"``).
    row_px
        Height of each band; each keogram is resampled to it (north at the top of its band).

    Returns
    -------
    holoviews.Image
        ``y`` runs from 0 (bottom) to ``len(keograms)`` (top): row ``i`` (top first) fills
        ``[n - i - 1, n - i]``. Values are each keogram's counts scaled 0-1 between its own
        1st and 99.5th percentiles, square-root stretched; NaN where there is no frame within
        half a frame spacing (at least half a minute) of the minute.

        When a keogram is in colour (values ``(time, y, 3)``, TREx RGB) the rows are a
        ``holoviews.RGB`` instead: RGBA 0-1 with the same scaling (the channels of a colour row
        scaled together, a monochrome row grey), alpha 0 where there is no frame.
    """
    if not (len(keograms) == len(days) == len(labels)):
        raise ValueError("keograms, days and labels must have the same length")
    n = len(keograms)
    if n == 0:
        data = np.full((1, _MINUTES), np.nan)
        return hv.Image(data, kdims=["UT", "row"], bounds=(0, 0, 24, 1), vdims=["intensity"])
    blocks = [
        _row(k, pd.Timestamp(d).tz_localize("UTC") if pd.Timestamp(d).tz is None else d, row_px)
        for k, d in zip(keograms, days, strict=True)
    ]
    if any(block.ndim == 3 for block in blocks):
        return _rgb_rows(blocks, n).relabel(f"{n} keogram rows")
    # float32: the rasterised image the browser is sent is half the size of float64.
    image = hv.Image(
        np.vstack(blocks).astype(np.float32),
        kdims=["UT", "row"],
        vdims=["intensity"],
        bounds=(0, 0, 24, n),
    )
    return image.relabel(f"{n} keogram rows")


def _rgb_rows(blocks: Sequence[np.ndarray], n: int) -> hv.RGB:
    """Rows of which some are colour as one RGBA picture: a monochrome row in grey (as the grey
    colour map draws it), a colour row in its own colours; transparent where there is no frame."""
    rgba = []
    for block in blocks:
        rgb = block if block.ndim == 3 else np.repeat(block[..., None], 3, axis=2)
        alpha = np.isfinite(rgb).all(axis=2, keepdims=True).astype(np.float32)
        rgba.append(np.concatenate([np.nan_to_num(rgb[..., :3], nan=0.0), alpha], axis=2))
    return hv.RGB(
        np.vstack(rgba).astype(np.float32),
        kdims=["UT", "row"],
        vdims=["R", "G", "B", "A"],
        bounds=(0, 0, 24, n),
    )


def _groups(groups: Sequence[str], n: int) -> list[tuple[str, int, int]]:
    """Runs of equal names in ``groups`` as (name, y bottom, y top), top run first."""
    runs: list[tuple[str, int, int]] = []
    for i, name in enumerate(groups):
        if runs and runs[-1][0] == name:
            runs[-1] = (name, n - i - 1, runs[-1][2])
        else:
            runs.append((name, n - i - 1, n - i))
    return runs


def _axis_hook(side: str, name: str, ticks: Sequence[float], labels: dict | None = None):
    """A Bokeh hook adding one more linear axis on ``side`` (once, however often it runs)."""

    def hook(plot, element):
        from bokeh.models import FixedTicker, LinearAxis

        figure = plot.state
        if any(getattr(axis, "name", None) == name for axis in getattr(figure, side)):
            return
        axis = LinearAxis(
            name=name,
            ticker=FixedTicker(ticks=list(ticks)),
            major_label_overrides=dict(labels or {}),
        )
        if labels is not None:  # the group names: bold, no ticks of their own
            axis.major_tick_line_color = None
            axis.minor_tick_line_color = None
            axis.major_label_text_font_style = "bold"
            axis.major_label_text_font_size = "11pt"
        figure.add_layout(axis, side)

    return hook


def plot_keogram_rows(
    keograms: Sequence,
    days: Sequence,
    labels: Sequence[str],
    notes: Sequence[str] | None = None,
    row_px: int = KEOGRAM_ROW_PX,
    width: int = 1100,
    groups: Sequence[str] | None = None,
):
    """Keograms of many sites and days, datashader-rasterised, on a shared 0-24 UT axis.

    Parameters
    ----------
    keograms, days, labels, row_px
        As for :func:`keogram_rows_image`.
    notes
        Optional text per row drawn across its band (e.g. ``"no image files"``); empty = none.
    width
        Plot width in screen pixels; the height grows with the number of rows.
    groups
        Optional group name of each row (e.g. its UTC day, or its site): each run of rows with
        the same name gets that name once, in bold on an outer axis left of the row labels and
        centred on its rows, with a line between runs. ``None`` = no groups.

    Returns
    -------
    holoviews.DynamicMap
        The rasterised image (``holoviews.operation.datashader.rasterize``, so fifty rows stay
        fast), with the row labels as y ticks, the UT hours labelled below and above the rows
        and the notes as text (one ``Labels`` element).
    """
    from holoviews.operation.datashader import rasterize

    if groups is not None and len(groups) != len(labels):
        raise ValueError(f"one group per row: {len(groups)} groups for {len(labels)} rows")
    image = keogram_rows_image(keograms, days, labels, row_px)
    n = max(len(labels), 1)
    ticks = [(n - i - 0.5, label) for i, label in enumerate(labels)]
    hours = list(range(0, 25, 2))
    # The hours above the rows too: a page of rows is taller than a screen, and the axis
    # below it is then out of sight.
    hooks = [_axis_hook("above", "ut-above", hours)]
    runs = _groups(groups, n) if groups is not None else []
    if runs:
        centres = {(bottom + top) / 2: name for name, bottom, top in runs}
        hooks.append(_axis_hook("left", "groups", list(centres), centres))
    # A colour image has its own colours (holoviews.RGB): no colour map to set.
    colours = (
        {} if isinstance(image, hv.RGB) else {"cmap": "gray", "clim": (0.0, 1.0), "colorbar": False}
    )
    raster = rasterize(image, precompute=True).opts(
        **colours,
        width=width,
        height=min(80 + 56 * n, 4000),
        xlim=(0, 24),
        ylim=(0, n),
        xticks=hours,
        yticks=ticks,
        xlabel="UT (hours)",
        ylabel="",
        tools=["hover", "tap"],
        default_tools=["pan", "wheel_zoom", "box_zoom", "reset", "save"],
        title="Click a keogram to see the fisheye frame at that time",
        hooks=hooks,
    )
    layers = [raster]
    if len(runs) > 1:
        # One Segments element for all the lines between groups (one glyph, like the notes).
        lines = [(0.0, float(bottom), 24.0, float(bottom)) for _, bottom, _ in runs[:-1]]
        layers.append(
            hv.Segments(lines, kdims=["UT", "row", "UT_end", "row_end"]).opts(
                color="#e8a33d", line_width=2
            )
        )
    # All the notes in one Labels element: one glyph for the lot (a Text element per row costs
    # a Bokeh renderer each, which is most of the page's time with dozens of empty rows).
    noted = [(12.0, n - i - 0.5, note) for i, note in enumerate(notes or []) if note]
    if noted:
        layers.append(
            hv.Labels(noted, kdims=["UT", "row"], vdims=["note"]).opts(
                text_color="#b03030", text_font_size="11pt"
            )
        )
    if len(layers) == 1:
        return raster
    # ``raster`` is a DynamicMap, so is the overlay: one stream source (e.g. a Tap) for it all.
    overlay = raster
    for layer in layers[1:]:
        overlay = overlay * layer
    return overlay


def plot_fisheye(fisheye, title: str = "", size: int = 420) -> hv.Image:
    """One fisheye frame as the camera saw it (north up, east right): grey scale, or in colour
    for a colour frame (``Fisheye.image`` of dims ``(y, x, 3)``, TREx RGB: a ``holoviews.RGB``).

    Parameters
    ----------
    fisheye
        An :class:`aurorax.asi.Fisheye` (``Imager.fisheye(time)``).
    title
        Plot title (default: the frame time).
    size
        Width and height in screen pixels.
    """
    ny, nx = fisheye.image.shape[:2]
    sky = np.asarray(fisheye.sky, dtype=bool)
    title = title or f"{fisheye.time:%Y-%m-%d %H:%M:%S} UT"
    if np.ndim(fisheye.image) == 3:
        # Colour (TREx RGB): the channels scaled together between vmin and vmax, so the colour
        # balance is the camera's; outside the sky is transparent.
        lo, hi = float(fisheye.vmin), float(fisheye.vmax)
        level = np.clip((np.asarray(fisheye.image, np.float32) - lo) / (hi - lo or 1.0), 0, 1)
        rgba = np.concatenate([level[..., :3], sky[..., None].astype(np.float32)], axis=2)
        image = hv.RGB(rgba, kdims=["x", "y"], vdims=["R", "G", "B", "A"], bounds=(0, 0, nx, ny))
        return image.opts(
            width=size, height=size, xaxis=None, yaxis=None, title=title, toolbar=None
        )
    # float32 holds 16-bit counts exactly and halves what the browser is sent.
    data = np.asarray(fisheye.image, dtype=np.float32).copy()
    data[~sky] = np.nan
    image = hv.Image(data, kdims=["x", "y"], vdims=["counts"], bounds=(0, 0, nx, ny))
    return image.opts(
        cmap="gray",
        clim=(float(fisheye.vmin), float(fisheye.vmax)),
        width=size,
        height=size,
        xaxis=None,
        yaxis=None,
        title=title,
        toolbar=None,
    )
