"""Conjunction analysis plots: fisheye frames with a footprint track, and the intensity series."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pandas as pd

from aurorax.asi import CHANNEL_COLUMNS, rgb_levels

from ._keogramist import plot_fisheye

__all__ = ["plot_footprint_fisheye", "plot_footprint_intensity", "plot_footprint_montage"]


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


def _reduce(values: np.ndarray, k: int) -> np.ndarray:
    """Mean of each ``k`` x ``k`` block of finite values (NaN where a block has none); the edge
    rows and columns that do not fill a block are dropped."""
    if k <= 1:
        return values
    ny, nx = (values.shape[0] // k) * k, (values.shape[1] // k) * k
    blocks = values[:ny, :nx].reshape(ny // k, k, nx // k, k)
    finite = np.isfinite(blocks)
    total = np.where(finite, blocks, 0.0).sum(axis=(1, 3))
    count = finite.sum(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan).astype(np.float32)


def _rgb_picture(strip: np.ndarray, block: int, bounds) -> hv.RGB:
    """Colour levels ``(y, x, 3)`` (NaN outside the sky) as an RGBA picture, each channel
    reduced to ``block`` x ``block`` means as the grey frames are; outside the sky transparent."""
    level = np.stack([_reduce(strip[..., c], block) for c in range(3)], axis=-1)
    alpha = np.isfinite(level).all(axis=-1, keepdims=True).astype(np.float32)
    rgba = np.concatenate([np.nan_to_num(level, nan=0.0), alpha], axis=-1)
    return hv.RGB(rgba, kdims=["x", "y"], vdims=["R", "G", "B", "A"], bounds=bounds)


def plot_footprint_montage(
    panels,
    track_rows=(),
    track_cols=(),
    titles=(),
    size: int = 300,
    gap: float = 0.12,
    colorbar: bool = True,
    max_width: int | None = None,
) -> hv.Overlay:
    """Fisheye frames side by side in one plot, each with the footprint track, dot and box.

    The same picture as a row of :func:`plot_footprint_fisheye` plots, drawn as one Bokeh figure
    with one glyph per kind (one image, one track line, one box line, one set of dots, one set
    of titles) rather than four per frame: a dashboard page with a montage shows up several
    times faster.

    Parameters
    ----------
    panels
        ``(fisheye, dot, box)`` per frame: an :class:`aurorax.asi.Fisheye` (all of one imager,
        so of one shape), the footprint ``(row, col)`` or None, and the box outline
        ``(rows, cols)`` or None (as for :func:`plot_footprint_fisheye`).
    track_rows, track_cols
        Pixel row/column of the track points inside the field of view, drawn on every frame.
    titles
        One title per frame, drawn above it (default: the frame times).
    size
        Height of the plot in screen pixels (the frames are square).
    gap
        Blank space between frames, as a fraction of a frame's width (the "E" of each frame is
        drawn in it).
    colorbar
        Draw the grey scale's colour bar, in counts, on the right (monochrome frames only: a
        colour frame's picture has no colour map to show).
    max_width
        Widest the plot may be, colour bar included, in screen pixels (None: no limit). A
        montage that would be wider is drawn smaller (``size`` scaled down), so that it fits a
        page column instead of being cut off at its edge.

    Returns
    -------
    holoviews.Overlay
        The frames in counts on one grey scale, from the lowest ``Fisheye.vmin`` to the highest
        ``Fisheye.vmax`` of the frames (so brightness compares from frame to frame, as the
        intensity series does); outside the sky is transparent. Each frame has its north ("N",
        above it: row 0 is the north edge) and east ("E", right of it: x is eastward, the
        ``Fisheye`` convention) marked. Colour frames (TREx RGB, ``Fisheye.image`` ``(y, x, 3)``)
        are one ``holoviews.RGB`` picture instead, the three channels scaled together over the
        same range (:func:`aurorax.asi.rgb_levels`: the camera's colour balance kept, as TREx
        RGB pictures are shown) and no colour bar; the scale is written under the frames
        (``R, G, B on one scale: <lo>-<hi> counts``, the ``Scale`` labels).
    """
    panels = list(panels)
    if not panels:
        raise ValueError("no frames to draw: panels is empty")
    shapes = {p[0].image.shape for p in panels}
    if len(shapes) != 1:
        raise ValueError(f"the frames have different shapes {sorted(shapes)}: use one imager")
    shape = shapes.pop()
    ny, nx = shape[:2]
    colour = len(shape) == 3
    space = max(1, int(round(nx * gap)))
    step = nx + space
    strip = np.full((ny, step * len(panels) - space, *shape[2:]), np.nan, dtype=np.float32)
    top = ny * 1.18
    # A colour montage has a line under the frames for its scale, in place of a colour bar.
    bottom = -ny * 0.1 if colour else 0.0
    right = strip.shape[1] + space
    bar_px = 90 if colorbar and not colour else 0  # room for the colour bar beside the frames
    if max_width is not None and size * right / (top - bottom) + bar_px > max_width:
        size = max(60, int((max_width - bar_px) * (top - bottom) / right))
    xs, ys, bxs, bys, dots, labels, compass = [], [], [], [], [], [], []
    tx, ty = _to_plot(track_rows, track_cols, ny)
    lo = min(float(p[0].vmin) for p in panels)
    hi = max(float(p[0].vmax) for p in panels)
    hi = hi if hi > lo else lo + 1.0
    for k, (fisheye, dot, box) in enumerate(panels):
        if colour:
            frame = rgb_levels(fisheye.image, lo, hi, fisheye.sky)
        else:
            frame = np.asarray(fisheye.image, dtype=np.float32).copy()
            frame[~np.asarray(fisheye.sky, dtype=bool)] = np.nan
        # Image row 0 is the north edge, drawn at the top (plot_fisheye's convention).
        strip[:, k * step : k * step + nx] = frame
        xs += [tx + k * step, [np.nan]]
        ys += [ty, [np.nan]]
        if box is not None:
            bx, by = _to_plot(box[0], box[1], ny)
            bxs += [bx + k * step, [np.nan]]
            bys += [by, [np.nan]]
        if dot is not None:
            dx, dy = _to_plot([dot[0]], [dot[1]], ny)
            dots.append((dx[0] + k * step, dy[0]))
        title = titles[k] if k < len(titles) else f"{fisheye.time:%H:%M:%S} UT"
        labels.append((k * step + nx / 2, ny * 1.09, title))
        compass += [(k * step + nx / 2, ny * 1.01, "N"), (k * step + nx + space / 2, ny / 2, "E")]
    width = strip.shape[1]
    # The bounds stay in image pixels (the track, box and dots are drawn in them); the data sent
    # is reduced to about the drawn size (a 512-pixel REGO frame in a 300-pixel plot: 2 x 2
    # blocks), a quarter of the bytes for the browser to receive and colour.
    block = max(1, int(round(ny / size)))
    if colour:
        picture = _rgb_picture(strip, block, (0, 0, width, ny))
    else:
        image = hv.Image(
            _reduce(strip, block),
            kdims=["x", "y"],
            vdims=["counts"],
            bounds=(0, 0, width, ny),
        )
        bar = {"colorbar": True, "colorbar_opts": {"title": "counts"}} if colorbar else {}
        picture = image.opts(
            cmap="gray", clim=(lo, hi), clipping_colors={"NaN": (0, 0, 0, 0)}, **bar
        )
    elements = [
        picture,
        hv.Path([np.column_stack([np.concatenate(xs), np.concatenate(ys)])]).opts(
            color="red", line_width=1
        ),
    ]
    if bxs:
        elements.append(
            hv.Path([np.column_stack([np.concatenate(bxs), np.concatenate(bys)])]).opts(
                color="yellow", line_width=2
            )
        )
    elements.append(hv.Points(dots, kdims=["x", "y"]).opts(color="red", size=7))
    elements.append(
        hv.Labels(labels, kdims=["x", "y"], vdims=["title"]).opts(
            text_font_size="11pt", text_baseline="bottom", text_color="black"
        )
    )
    elements.append(
        hv.Labels(compass, kdims=["x", "y"], vdims=["direction"], group="Compass").opts(
            text_font_size="10pt",
            text_font_style="bold",
            text_baseline="bottom",
            text_align="center",
            text_color="#1f4e9c",
        )
    )
    if colour:
        note = f"R, G, B on one scale: {lo:g}-{hi:g} counts"
        elements.append(
            hv.Labels([(0.0, bottom / 2, note)], kdims=["x", "y"], vdims=["note"], group="Scale")
            .opts(text_font_size="10pt", text_baseline="middle", text_align="left",
                  text_color="black")
        )  # fmt: skip
    frames_width = int(round(size * right / (top - bottom)))
    return hv.Overlay(elements).opts(
        height=size,
        width=frames_width + bar_px,
        xlim=(0, right),
        ylim=(bottom, top),
        xaxis=None,
        yaxis=None,
        show_grid=False,
        toolbar=None,
    )


def plot_footprint_intensity(
    series: pd.DataFrame, marks=(), ylabel: str = "mean counts in box", width: int = 900
) -> hv.Overlay:
    """The intensity at the footprint against time, the ``marks`` (the montage's frames) labelled
    (A), (B), ... on the curve.

    For a colour imager (``series`` with ``aurorax.asi.CHANNEL_COLUMNS``, TREx RGB) the red,
    green and blue channels are drawn as curves (with dots) of their colours, labelled R, G and
    B, and the ``intensity`` (the pixels' mean of the three) in black as "mean of R, G, B",
    which carries the marks (in black, not the red of a grey plot's); a legend names them.

    Parameters
    ----------
    series
        ``aurorax.asi.footprint_intensity`` output (``time``, ``intensity``, and for colour
        frames ``intensity_r``, ``intensity_g``, ``intensity_b``).
    marks
        Times (UTC) of the montage panels.
    ylabel
        Axis label (say the box size and the statistic).
    width
        Plot width in screen pixels.
    """
    times = pd.to_datetime(series["time"]).dt.tz_convert(None)
    colour = all(c in series for c in CHANNEL_COLUMNS)
    curve = hv.Curve(
        (times, series["intensity"].to_numpy(dtype=float)),
        kdims=["UTC"],
        vdims=["intensity"],
        label="mean of R, G, B" if colour else "",
    ).opts(color="black", line_width=1.5, width=width, height=260, ylabel=ylabel)
    dots = hv.Scatter(
        (times, series["intensity"].to_numpy(dtype=float)), kdims=["UTC"], vdims=["intensity"]
    ).opts(color="black", size=4)
    # The montage's frames marked on the curve with their letters, (A), (B), ... as one glyph each
    # (an hv.VLine per frame cost a Bokeh renderer apiece; hv.VLines does not export with
    # matplotlib).
    values = series["intensity"].to_numpy(dtype=float)
    ticks = pd.DatetimeIndex([pd.Timestamp(t).tz_convert(None) for t in marks])
    at = np.clip(pd.DatetimeIndex(times).searchsorted(ticks), 0, len(values) - 1)
    y = values[at] if len(values) else np.full(len(ticks), np.nan)
    finite = values[np.isfinite(values)]
    lift = (0.06 * float(np.ptp(finite)) if finite.size else 0.0) or 1.0
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    # Red marks, but black ones beside a red channel.
    mark = "black" if colour else "red"
    marked = hv.Scatter((ticks, y), kdims=["UTC"], vdims=["intensity"]).opts(
        color=mark, size=9, marker="circle"
    )
    names = hv.Labels(
        (ticks, y + lift, [f"({letters[i % 26]})" for i in range(len(ticks))]),
        kdims=["UTC", "intensity"],
        vdims=["frame"],
    ).opts(text_color=mark, text_font_size="10pt")
    if not colour:
        return curve * dots * marked * names
    overlay = None
    for column, name, name_colour in zip(
        CHANNEL_COLUMNS, ("R", "G", "B"), ("red", "green", "blue"), strict=True
    ):
        data = (times, series[column].to_numpy(dtype=float))
        # Dots as well as the line: a frame alone between NaNs (a fast pass through a sky
        # imaged every few minutes) has no line to either side.
        channel = hv.Curve(data, kdims=["UTC"], vdims=["intensity"], label=name).opts(
            color=name_colour, line_width=1.5
        ) * hv.Scatter(data, kdims=["UTC"], vdims=["intensity"], label=name).opts(
            color=name_colour, size=4
        )
        overlay = channel if overlay is None else overlay * channel
    overlay = overlay * curve * dots * marked * names
    return overlay.opts(legend_position="right", width=width, height=260)
