"""The Event Explorer globe: an orthographic view drawn in projected metres with plain HoloViews.

The globe is projected by hand (numpy) rather than through GeoViews: GeoViews 1.15.1 with cartopy
0.26 fails in ``geoviews.util.project_extents`` (``KeyError: 'lon_0'``) for an orthographic
projection, and with cartopy 0.25, where it works, it draws the same layers 6.7x slower
(``benchmarks/bench_globe.py``). Projecting the coastlines, the gridded images and the
spacecraft ourselves keeps the globe offline (GSHHS coastlines from Debian's
``python-cartopy-data``) and lets the dashboard "rotate" it by re-projecting about a new centre.
"""

from __future__ import annotations

from collections.abc import Sequence

import holoviews as hv
import numpy as np
import pandas as pd

from . import _backend  # noqa: F401
from ._coastlines import coastlines_joined, collapse_breaks, join_polylines, joined_lonlat
from ._globe_raster import (
    EARTH_RADIUS_M,
    IMAGE_CMAPS,
    globe_colour_image,
    globe_image,
    globe_oval,
)

__all__ = [
    "DEFAULT_GLOBE_LAYERS",
    "EARTH_RADIUS_M",
    "GLOBE_LAYERS",
    "IMAGE_CMAPS",
    "globe_colour_image",
    "globe_oval",
    "globe_coastlines",
    "globe_graticule",
    "globe_image",
    "globe_spacecraft",
    "plot_globe",
    "project_orthographic",
]

GLOBE_LAYERS = ("coastlines", "graticule", "images", "positions", "footprints", "tracks", "oval")
#: The layers drawn unless asked otherwise (the statistical oval is an option).
DEFAULT_GLOBE_LAYERS = GLOBE_LAYERS[:-1]
TRACK_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
# Bokeh's legend (13 px labels): pixels of an entry beside its label's characters (glyph,
# standoff, spacing) and per character (DejaVu Sans, generous for capitals), and of the box
# around the entries (padding and margin on both sides).
_LEGEND_ENTRY_PX = 32
_LEGEND_CHAR_PX = 8
_LEGEND_BOX_PX = 40


def _legend_columns(names: Sequence[str], width_px: int) -> int:
    """Columns of a legend of ``names`` that keep it within ``width_px`` (the globe's width)."""
    if not len(names):
        return 1
    entry_px = _LEGEND_ENTRY_PX + _LEGEND_CHAR_PX * max(len(str(n)) for n in names)
    return int(np.clip((width_px - _LEGEND_BOX_PX) // entry_px, 1, len(names)))


def project_orthographic(lat, lon, central_lat: float, central_lon: float):
    """Orthographic projection of geographic points (degrees) seen from above ``central_lat/lon``.

    Returns
    -------
    x, y : numpy.ndarray
        Projected coordinates, metres on a sphere of radius ``EARTH_RADIUS_M`` (x east, y north
        at the centre).
    visible : numpy.ndarray of bool
        True on the near hemisphere (the side facing the viewer).
    """
    phi = np.radians(np.asarray(lat, dtype=float))
    dlam = np.radians(np.asarray(lon, dtype=float) - central_lon)
    phi0 = np.radians(central_lat)
    cos_phi = np.cos(phi)
    x = EARTH_RADIUS_M * cos_phi * np.sin(dlam)
    y = EARTH_RADIUS_M * (np.cos(phi0) * np.sin(phi) - np.sin(phi0) * cos_phi * np.cos(dlam))
    cos_c = np.sin(phi0) * np.sin(phi) + np.cos(phi0) * cos_phi * np.cos(dlam)
    return x, y, cos_c >= 0


def _near_side(lat, lon, central_lat, central_lon, max_jump_m=2_000_000.0) -> np.ndarray:
    """One polyline projected, as ``(n, 2)`` metres with NaN rows where it leaves the near side.

    A jump longer than ``max_jump_m`` between consecutive points (a track crossing the far side
    between two samples) is broken too. HoloViews/Bokeh draw NaN-separated pieces as one path.
    """
    x, y, visible = project_orthographic(lat, lon, central_lat, central_lon)
    xy = np.column_stack([x, y])
    xy[~visible] = np.nan
    if len(xy) > 1:
        jump = np.flatnonzero(np.hypot(np.diff(x), np.diff(y)) > max_jump_m) + 1
        xy = np.insert(xy, jump, np.nan, axis=0)
    return xy


def _near_side_paths(lonlat: np.ndarray, central_lat, central_lon) -> np.ndarray:
    """NaN-separated ``(lon, lat)`` polylines projected in one vectorised pass (near side only),
    with runs of NaN rows collapsed to one."""
    return collapse_breaks(_near_side(lonlat[:, 1], lonlat[:, 0], central_lat, central_lon))


def _limb() -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 361)
    return np.column_stack([EARTH_RADIUS_M * np.cos(t), EARTH_RADIUS_M * np.sin(t)])


def globe_coastlines(central_lat: float, central_lon: float, scale: str = "c") -> hv.Path:
    """GSHHS coastlines on the near hemisphere plus the globe's outline, in projected metres."""
    paths = join_polylines(
        [_limb(), _near_side_paths(coastlines_joined(scale), central_lat, central_lon)]
    )
    return hv.Path([paths], kdims=["x", "y"], group="Coastlines").opts(
        color="#444444", line_width=1
    )


def globe_graticule(central_lat: float, central_lon: float, step_deg: float = 30.0) -> hv.Path:
    """Meridians every ``step_deg`` and parallels every ``step_deg / 2`` on the near side."""
    rings = []
    lats = np.linspace(-90, 90, 181)
    for lon in np.arange(-180, 180, step_deg):
        rings.append(np.column_stack([np.full_like(lats, lon), lats]))
    lons = np.linspace(-180, 180, 361)
    for lat in np.arange(-90 + step_deg / 2, 90, step_deg / 2):
        rings.append(np.column_stack([lons, np.full_like(lons, lat)]))
    paths = _near_side_paths(joined_lonlat(rings), central_lat, central_lon)
    return hv.Path([paths], kdims=["x", "y"], group="Graticule").opts(
        color="#9aa5b1", line_width=0.5, line_dash="dotted"
    )


def _track_segments(lat, lon, central_lat, central_lon, max_jump_m=2_000_000.0):
    """Segments ``x0, y0, x1, y1`` (metres) between consecutive points, and which to draw.

    Returns ``(n - 1, 4)`` segments and a mask that is False where either end is on the far side
    or where a segment jumps further than ``max_jump_m`` (a track crossing the far side between
    two samples).
    """
    x, y, visible = project_orthographic(lat, lon, central_lat, central_lon)
    if len(x) < 2:
        return np.empty((0, 4)), np.zeros(0, dtype=bool)
    seg = np.column_stack([x[:-1], y[:-1], x[1:], y[1:]])
    keep = visible[:-1] & visible[1:] & (np.hypot(np.diff(x), np.diff(y)) <= max_jump_m)
    return seg, keep & np.isfinite(seg).all(axis=1)


def globe_spacecraft(
    ephemeris: pd.DataFrame,
    time,
    central_lat: float,
    central_lon: float,
    layers: Sequence[str] = ("positions", "footprints", "tracks"),
    legend: bool = True,
) -> hv.Overlay:
    """Spacecraft positions, magnetic footprints and footprint tracks on the globe.

    Parameters
    ----------
    ephemeris
        ``search_ephemeris`` rows of space data sources (``display_name, epoch, geo_lat, geo_lon,
        nbtrace_lat, nbtrace_lon, sbtrace_lat, sbtrace_lon``) over the track window.
    time
        The minute shown: positions and footprints are the records at the epoch nearest it.
    layers
        Any of ``"positions"`` (sub-spacecraft points), ``"footprints"`` (north and south B-trace
        points) and ``"tracks"`` (north and south footprint tracks over the whole window).
    legend
        Name the spacecraft in a legend (their colours; triangles are positions, circles
        footprints).

    Returns
    -------
    holoviews.Overlay
        ``Tracks`` (one ``hv.Segments`` element for every spacecraft, coloured per spacecraft,
        ``spacecraft`` and ``colour`` value columns), ``Positions`` and ``Footprints``
        (``hv.Points`` with ``spacecraft``, ``point`` (what the point is), ``lat`` and ``lon``
        columns, shown on hover), for the layers asked for; one colour per spacecraft. One element per
        layer, not per spacecraft: each element is one Bokeh glyph, which keeps the page fast.
    """
    time = pd.Timestamp(time)
    time = time.tz_localize("UTC") if time.tzinfo is None else time.tz_convert("UTC")
    # Vectorised over all spacecraft at once: one sort, then numpy (a pandas step per spacecraft
    # cost more than drawing them).
    eph = ephemeris.sort_values(["display_name", "epoch"], kind="stable")
    names = eph["display_name"].to_numpy()
    distinct, code = np.unique(names, return_inverse=True)
    colours = np.asarray(TRACK_COLOURS, dtype=object)[np.arange(len(distinct)) % len(TRACK_COLOURS)]
    gap = np.abs((eph["epoch"] - time).dt.total_seconds().to_numpy())
    # The record nearest the minute shown, per spacecraft (the first of equals).
    order = np.lexsort((gap, code))
    first = np.ones(len(order), dtype=bool)
    first[1:] = code[order][1:] != code[order][:-1]
    now = order[first]
    points = {}
    for key, pairs in (
        ("positions", [("geo_lat", "geo_lon", "position")]),
        (
            "footprints",
            [
                ("nbtrace_lat", "nbtrace_lon", "north B-trace footprint"),
                ("sbtrace_lat", "sbtrace_lon", "south B-trace footprint"),
            ],
        ),
    ):
        frames = []
        for lat_col, lon_col, what in pairs:
            lat = eph[lat_col].to_numpy(dtype=float)[now]
            lon = eph[lon_col].to_numpy(dtype=float)[now]
            x, y, vis = project_orthographic(lat, lon, central_lat, central_lon)
            ok = vis & np.isfinite(x)
            frames.append(
                pd.DataFrame(
                    {
                        "x": x[ok],
                        "y": y[ok],
                        "spacecraft": names[now][ok],
                        "point": what,
                        "lat": lat[ok],
                        "lon": lon[ok],
                    }
                )
            )
        points[key] = pd.concat(frames, ignore_index=True)
    segments = []
    for lat_col, lon_col in (("nbtrace_lat", "nbtrace_lon"), ("sbtrace_lat", "sbtrace_lon")):
        lat = eph[lat_col].to_numpy(dtype=float)
        lon = eph[lon_col].to_numpy(dtype=float)
        valid = np.isfinite(lat) & np.isfinite(lon)
        seg, keep = _track_segments(lat[valid], lon[valid], central_lat, central_lon)
        c = code[valid]
        same = keep & (c[:-1] == c[1:])  # never join two spacecraft
        frame = pd.DataFrame(seg[same], columns=["x0", "y0", "x1", "y1"])
        frame["spacecraft"] = names[valid][:-1][same]
        frame["colour"] = colours[c[:-1][same]]
        segments.append(frame)
    # One colour per spacecraft for its track, position and footprints (a categorical colour
    # map on the spacecraft column, so Bokeh draws the legend from the data: one glyph each).
    palette = dict(zip(distinct, colours, strict=True)) or {"": TRACK_COLOURS[0]}
    elements = []
    if "tracks" in layers:
        tracks = pd.concat(segments, ignore_index=True)
        elements.append(
            hv.Segments(
                tracks,
                kdims=["x0", "y0", "x1", "y1"],
                vdims=["spacecraft", "colour"],
                group="Tracks",
            ).opts(
                color="spacecraft",
                cmap=palette,
                line_width=2,
                alpha=0.8,
                show_legend=False,
                tools=["hover"],
                hover_tooltips=[("footprint track", "@spacecraft")],
            )
        )
    styles = {
        "positions": {"marker": "triangle", "size": 12},
        "footprints": {"marker": "circle", "size": 8},
    }
    # The legend goes on the first point layer drawn (the positions, else the footprints).
    legend_on = next((k for k in ("positions", "footprints") if k in layers), None)
    for key in ("positions", "footprints"):
        if key in layers:
            elements.append(
                hv.Points(
                    points[key],
                    kdims=["x", "y"],
                    vdims=["spacecraft", "point", "lat", "lon"],
                    group=key.title(),
                ).opts(
                    color="spacecraft",
                    cmap=palette,
                    line_color="black",
                    show_legend=legend and key == legend_on,
                    tools=["hover"],
                    hover_tooltips=[
                        ("spacecraft", "@spacecraft"),
                        ("", "@point"),
                        ("lat", "@lat{0.0} deg"),
                        ("lon", "@lon{0.0} deg"),
                    ],
                    **styles[key],
                )
            )
    return hv.Overlay(elements)


_NO_EPHEMERIS = pd.DataFrame(
    {
        "display_name": pd.Series(dtype=object),
        "epoch": pd.Series(dtype="datetime64[ns, UTC]"),
        **{
            c: pd.Series(dtype=float)
            for c in (
                "geo_lat",
                "geo_lon",
                "nbtrace_lat",
                "nbtrace_lon",
                "sbtrace_lat",
                "sbtrace_lon",
            )
        },
    }
)


def plot_globe(
    central_lat: float = 60.0,
    central_lon: float = -100.0,
    grid_values: np.ndarray | None = None,
    ephemeris: pd.DataFrame | None = None,
    time=None,
    layers: Sequence[str] = DEFAULT_GLOBE_LAYERS,
    title: str = "",
    size_px: int = 600,
    oval_values: np.ndarray | None = None,
    cmap="aurora (green)",
    image_alpha: float = 1.0,
    colorbar: bool = False,
    legend: bool = False,
    colour_values: np.ndarray | None = None,
) -> hv.Overlay:
    """The Event Explorer globe: an orthographic view with the chosen layers.

    Parameters
    ----------
    central_lat, central_lon
        Point of the Earth facing the viewer, degrees (rotate the globe by changing them).
    grid_values
        ASI mosaic on the ``GlobalGrid`` (``Mosaic.regrid`` output, the monochrome imagers),
        drawn through ``cmap`` when ``"images"`` is in ``layers``, the dark sky transparent: a
        cell's opacity rises from 0 at the colour scale's lower limit (the dark-sky level, the
        1st percentile of the cells seen) to 1 at its upper one (see :func:`globe_image`).
    colour_values
        The colour imagers' mosaic (TREx RGB; the colour layer of ``Mosaic.regrid_layers``),
        drawn in true colour above the monochrome one, the dark sky transparent (see
        :func:`globe_colour_image`), when ``"images"`` is in ``layers``.
    ephemeris, time
        Space sources' ephemeris over the track window and the minute shown
        (see :func:`globe_spacecraft`).
    layers
        Subset of ``GLOBE_LAYERS`` (default ``DEFAULT_GLOBE_LAYERS``: all but the oval).
    title, size_px
        Plot title; width and height of the globe in screen pixels.
    oval_values
        The statistical auroral oval on the ``GlobalGrid`` (:func:`aurorax.viz.oval_grid`),
        drawn as a translucent band when ``"oval"`` is in ``layers``.
    cmap, image_alpha, colorbar
        Colour map (a name of ``IMAGE_CMAPS`` or any HoloViews one) and colour bar (each
        count's colour and opacity as drawn) of the monochrome ASI images, and the opacity (0 to
        1) of all of them: that of their brightest cells.
    legend
        Name the spacecraft (their colours) in a legend above the globe, in as many columns as
        fit its width (beside it, after the colour bar, the plot was too wide for the Event
        Explorer in a 1400 px window).

    Returns
    -------
    holoviews.Overlay
        In projected metres; the globe's outline is always drawn. Every layer asked for has its
        element even when it has nothing to show (no images that minute, no spacecraft): the
        overlay's structure depends on ``layers`` only, so a ``DynamicMap`` of it can update the
        data in place as the minute or the view changes.
    """
    unknown = sorted(set(layers) - set(GLOBE_LAYERS))
    if unknown:
        raise ValueError(f"unknown layer(s) {unknown}; choose from {list(GLOBE_LAYERS)}")
    ocean = hv.Polygons([{"x": _limb()[:, 0], "y": _limb()[:, 1]}], group="Ocean").opts(
        color="#f4f8fb", line_alpha=0
    )
    elements = [ocean]
    if "graticule" in layers:
        elements.append(globe_graticule(central_lat, central_lon))
    if "images" in layers:
        elements.append(
            globe_image(
                grid_values,
                central_lat,
                central_lon,
                size_px=size_px,
                cmap=cmap,
                alpha=image_alpha,
                colorbar=colorbar,
            )
        )
        elements.append(
            globe_colour_image(
                colour_values, central_lat, central_lon, size_px=size_px, alpha=image_alpha
            )
        )
    if "oval" in layers:
        elements.append(globe_oval(oval_values, central_lat, central_lon, size_px=size_px))
    if "coastlines" in layers:
        elements.append(globe_coastlines(central_lat, central_lon))
    else:
        elements.append(hv.Path([_limb()], group="Coastlines").opts(color="#444444"))
    if ephemeris is None or time is None:
        ephemeris, time = _NO_EPHEMERIS, pd.Timestamp(0, tz="UTC")
    spacecraft = list(
        globe_spacecraft(ephemeris, time, central_lat, central_lon, layers, legend=legend)
    )
    elements += spacecraft
    # The legend's entries: the spacecraft of the first point layer (see globe_spacecraft). With
    # none (no spacecraft, or all behind the globe) it is hidden, not an empty box.
    points = [el for el in spacecraft if el.group in ("Positions", "Footprints")]
    names = points[0].data["spacecraft"].unique() if points else []
    legend_opts = {"ncols": _legend_columns(names, size_px), "visible": len(names) > 0}
    r = EARTH_RADIUS_M * 1.02
    return hv.Overlay(elements).opts(
        title=title,
        legend_position="top",
        legend_opts={**legend_opts, "margin": 4, "padding": 6},
        fontsize={"title": 11},
        xlim=(-r, r),
        ylim=(-r, r),
        frame_width=size_px,
        frame_height=size_px,
        xaxis=None,
        yaxis=None,
        show_grid=False,
        toolbar="above",
    )
