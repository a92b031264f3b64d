"""The Event Explorer globe: an orthographic view drawn in projected metres with plain HoloViews.

The globe is projected by hand (numpy) rather than through GeoViews: GeoViews 1.15.1 with cartopy
0.26 fails in ``geoviews.util.project_extents`` (``KeyError: 'lon_0'``) for an orthographic
projection, and with cartopy 0.25, where it works, it draws the same layers 6.7x slower
(``benchmarks/bench_globe.py``). Projecting the coastlines, the gridded images and the
spacecraft ourselves keeps the globe offline (GSHHS coastlines from Debian's
``python-cartopy-data``) and lets the dashboard "rotate" it by re-projecting about a new centre.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import holoviews as hv
import numpy as np
import pandas as pd

from aurorax.asi import GlobalGrid

from . import _backend  # noqa: F401
from ._coastlines import coastlines_joined, collapse_breaks, join_polylines, joined_lonlat

__all__ = [
    "DEFAULT_GLOBE_LAYERS",
    "EARTH_RADIUS_M",
    "GLOBE_LAYERS",
    "IMAGE_CMAPS",
    "globe_oval",
    "globe_coastlines",
    "globe_graticule",
    "globe_image",
    "globe_spacecraft",
    "plot_globe",
    "project_orthographic",
]

EARTH_RADIUS_M = 6_371_000.0
GLOBE_LAYERS = ("coastlines", "graticule", "images", "positions", "footprints", "tracks", "oval")
#: The layers drawn unless asked otherwise (the statistical oval is an option).
DEFAULT_GLOBE_LAYERS = GLOBE_LAYERS[:-1]
TRACK_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
# Dark sky to green (557.7 nm) to white: faint aurora stays visible on the light ocean.
AURORA_CMAP = ("#000000", "#0b3d2e", "#138a4a", "#3ddc84", "#d9ffe6")
#: Colour maps offered for the ASI images: name -> a colour list or a Bokeh/colorcet name.
IMAGE_CMAPS = {
    "aurora (green)": list(AURORA_CMAP),
    "gray": "gray",
    "viridis": "viridis",
    "inferno": "inferno",
}
OVAL_COLOUR = "#e0a000"
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


def _inverse_orthographic(x, y, central_lat: float, central_lon: float):
    rho = np.hypot(x, y)
    inside = rho <= EARTH_RADIUS_M
    c = np.arcsin(np.clip(rho / EARTH_RADIUS_M, 0, 1))
    phi0 = np.radians(central_lat)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(rho > 0, y * np.sin(c) * np.cos(phi0) / np.where(rho > 0, rho, 1), 0)
    lat = np.degrees(np.arcsin(np.clip(np.cos(c) * np.sin(phi0) + ratio, -1, 1)))
    lon = central_lon + np.degrees(
        np.arctan2(x * np.sin(c), rho * np.cos(c) * np.cos(phi0) - y * np.sin(c) * np.sin(phi0))
    )
    lon = (lon + 180.0) % 360.0 - 180.0
    return np.where(inside, lat, np.nan), np.where(inside, lon, np.nan)


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


@functools.lru_cache(maxsize=16)
def _globe_lookup(central_lat: float, central_lon: float, size_px: int, shape: tuple[int, int]):
    """Which screen pixels of the globe are on the Earth, and the grid cell under each.

    Cached: the player changes the minute, not the view, so each frame reuses the lookup.
    Returns ``(on, rows, cols)``: a ``(size_px, size_px)`` mask (image row 0 = top) and the grid
    row and column of every pixel where it is True.
    """
    n_lat, n_lon = shape
    edges = np.linspace(-EARTH_RADIUS_M, EARTH_RADIUS_M, size_px + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    x, y = np.meshgrid(centres, centres[::-1])  # image row 0 = top (north side of the view)
    lat, lon = _inverse_orthographic(x, y, central_lat, central_lon)
    on = np.isfinite(lat)
    rows = np.clip(((lat[on] + 90.0) / 180.0 * n_lat).astype(int), 0, n_lat - 1)
    cols = np.clip(((lon[on] + 180.0) / 360.0 * n_lon).astype(int), 0, n_lon - 1)
    for a in (on, rows, cols):
        a.setflags(write=False)
    return on, rows, cols


def globe_image(
    values: np.ndarray | None,
    central_lat: float,
    central_lon: float,
    grid: GlobalGrid | None = None,
    size_px: int = 600,
    clim: tuple[float, float] | None = None,
    cmap="aurora (green)",
    alpha: float = 1.0,
    colorbar: bool = False,
) -> hv.Image:
    """A global-grid array drawn on the globe (nearest cell per screen pixel).

    Parameters
    ----------
    values
        ``(n_lat, n_lon)`` float array on ``grid`` (row 0 southernmost; NaN = nothing seen), e.g.
        ``Mosaic.regrid(...)`` output; None draws nothing (a transparent image).
    central_lat, central_lon
        Centre of the view, degrees.
    size_px
        Raster size across the globe's diameter; each screen pixel takes the grid cell under it.
    clim
        Colour limits; default the 1st and 99th percentiles of the finite values.
    cmap
        A name of ``IMAGE_CMAPS``, or any HoloViews colour map (a list of colours or a name).
    alpha
        Opacity of the images, 0 (invisible) to 1.
    colorbar
        Draw the colour bar (counts) on the right.

    Returns
    -------
    holoviews.Image
        Bounds ``(-R, -R, R, R)`` in metres; NaN (transparent) off the globe and where the grid
        has no data; all transparent (``alpha`` 0) when nothing on the near side has data.
    """
    grid = grid or GlobalGrid()
    on, j, i = _globe_lookup(float(central_lat), float(central_lon), int(size_px), grid.shape)
    out = np.full(on.shape, np.nan, dtype=np.float32)
    finite = np.empty(0, dtype=np.float32)
    if values is not None:  # None: nothing seen, a transparent image keeps the layer's place
        values = np.asarray(values, dtype=np.float32)
        if values.shape != grid.shape:
            raise ValueError(f"values have shape {values.shape}, the grid is {grid.shape}")
        out[on] = values[j, i]
        finite = values[np.isfinite(values)]
    if clim is None:
        clim = (
            tuple(float(v) for v in np.percentile(finite, [1, 99])) if finite.size else (0.0, 1.0)
        )
    # Nothing on the near side (no images, or all of them behind the limb): a fully transparent
    # image of finite values, since an all-NaN one has no range for HoloViews to compute.
    seen = bool(np.isfinite(out).any())
    if not seen:
        out[:] = clim[0]
    bounds = (-EARTH_RADIUS_M, -EARTH_RADIUS_M, EARTH_RADIUS_M, EARTH_RADIUS_M)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    bar = {"clabel": "ASI counts"} if colorbar else {}
    return hv.Image(out, bounds=bounds, kdims=["x", "y"], vdims=["counts"], group="ASI").opts(
        cmap=IMAGE_CMAPS.get(cmap, cmap) if isinstance(cmap, str) else cmap,
        clim=clim,
        clipping_colors={"NaN": (0, 0, 0, 0)},
        colorbar=colorbar,
        framewise=True,
        alpha=float(alpha) if seen else 0.0,
        **bar,
    )


def globe_oval(
    values: np.ndarray | None,
    central_lat: float,
    central_lon: float,
    grid: GlobalGrid | None = None,
    size_px: int = 600,
) -> hv.Image:
    """The statistical auroral oval (``aurorax.viz.oval_grid`` output) as a translucent band.

    Returns
    -------
    holoviews.Image
        Group ``Oval``, in projected metres: the oval in ``OVAL_COLOUR`` at 35 % opacity, the
        rest transparent (all of it when ``values`` is None).
    """
    grid = grid or GlobalGrid()
    on, j, i = _globe_lookup(float(central_lat), float(central_lon), int(size_px), grid.shape)
    out = np.full(on.shape, np.nan, dtype=np.float32)
    if values is not None:
        values = np.asarray(values, dtype=np.float32)
        if values.shape != grid.shape:
            raise ValueError(f"oval values have shape {values.shape}, the grid is {grid.shape}")
        out[on] = values[j, i]
    seen = bool(np.isfinite(out).any())
    if not seen:
        out[:] = 0.0
    bounds = (-EARTH_RADIUS_M, -EARTH_RADIUS_M, EARTH_RADIUS_M, EARTH_RADIUS_M)
    return hv.Image(out, bounds=bounds, kdims=["x", "y"], vdims=["oval"], group="Oval").opts(
        cmap=[OVAL_COLOUR, OVAL_COLOUR],
        clim=(0.0, 1.0),
        clipping_colors={"NaN": (0, 0, 0, 0)},
        alpha=0.35 if seen else 0.0,
        framewise=True,
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
) -> hv.Overlay:
    """The Event Explorer globe: an orthographic view with the chosen layers.

    Parameters
    ----------
    central_lat, central_lon
        Point of the Earth facing the viewer, degrees (rotate the globe by changing them).
    grid_values
        ASI mosaic on the ``GlobalGrid`` (``Mosaic.regrid`` output), drawn when ``"images"`` is
        in ``layers``.
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
        Colour map (a name of ``IMAGE_CMAPS`` or any HoloViews one), opacity (0 to 1) and
        colour bar of the ASI images.
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
