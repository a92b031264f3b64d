"""The Event Explorer globe's rasters: grid arrays (ASI mosaics, the oval) drawn on the globe.

Each screen pixel of the orthographic view takes the ``GlobalGrid`` cell under it (a cached
lookup per view), so a new minute redraws only the values. In both kinds of mosaic the brightness
of a cell is its opacity, so the dark sky is transparent over the map and the coastlines, and the
aurora stands out: monochrome mosaics (THEMIS ASI, REGO) go through a colour map whose opacity
rises from 0 at the colour scale's lower limit (the dark-sky level) to 1 at its upper one, with a
colour bar; colour mosaics (TREx RGB) are drawn in the colours the camera recorded.
"""

from __future__ import annotations

import functools

import holoviews as hv
import numpy as np
from holoviews.plotting.util import process_cmap

from aurorax.asi import GlobalGrid

from . import _backend  # noqa: F401

__all__ = [
    "AURORA_CMAP",
    "EARTH_RADIUS_M",
    "IMAGE_CMAPS",
    "OVAL_COLOUR",
    "globe_colour_image",
    "globe_image",
    "globe_oval",
]

EARTH_RADIUS_M = 6_371_000.0

# Dark sky to green (557.7 nm) to white; drawn with the opacity ramp of _faded_palette, so the
# dark end is see-through and bright aurora shows in full colour on the light ocean.
AURORA_CMAP = ("#000000", "#0b3d2e", "#138a4a", "#3ddc84", "#d9ffe6")
#: Colour maps offered for the ASI images: name -> a colour list or a Bokeh/colorcet name.
IMAGE_CMAPS = {
    "aurora (green)": list(AURORA_CMAP),
    "gray": "gray",
    "viridis": "viridis",
    "inferno": "inferno",
}
OVAL_COLOUR = "#e0a000"
# Entries of the grey layer's palette: smooth steps of colour and of opacity.
_PALETTE_SIZE = 256
# The grey layer's opacity is its level on the colour scale (0 at the dark-sky level, 1 at the
# upper limit) to this power. Squared, not linear as the colour layer's (whose faint cells keep
# their hue at full value): the faint end of a colour map is dark, and with a linear ramp the
# demo's dark imagers still showed as grey discs on the light map. Squared, the sky just above
# the dark-sky level (noise, airglow, the brighter horizon of the van Rhijn effect) stays nearly
# clear: a cell a fifth of the way up the scale is 4 % opaque, one half way up 25 %.
_OPACITY_POWER = 2


def _faded_palette(cmap, n: int = _PALETTE_SIZE) -> list[str]:
    """``cmap`` as ``n`` ``#rrggbbaa`` colours from its lowest to its highest, the opacity of
    each its level (0 to 1) squared (``_OPACITY_POWER``): 0 for the lowest (the dark sky), 1 for
    the highest (an opacity the colour map itself has, as in a list of RGBA colours, multiplies
    this one).

    A list of colours is interpolated linearly between its entries (the five of ``AURORA_CMAP``
    become a smooth ramp); a name is sampled by HoloViews (matplotlib, Bokeh or colorcet maps).
    """
    from matplotlib.colors import to_hex, to_rgba_array

    colours = IMAGE_CMAPS.get(cmap, cmap) if isinstance(cmap, str) else cmap
    if isinstance(colours, str):
        colours = process_cmap(colours, ncolors=n)
    rgba = to_rgba_array(list(colours))
    at = np.linspace(0.0, 1.0, len(rgba))
    level = np.linspace(0.0, 1.0, n)
    ramp = np.column_stack([np.interp(level, at, rgba[:, c]) for c in range(4)])
    ramp[:, 3] *= level**_OPACITY_POWER
    return [to_hex(c, keep_alpha=True) for c in ramp]


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
    """A global-grid array drawn on the globe (nearest cell per screen pixel) through a colour
    map, the dark sky transparent.

    A cell's colour is its level on the colour scale ``clim`` (0 at the lower limit, 1 at the
    upper one) and so is its opacity: 0 at or below the lower limit, the dark-sky level (the
    background a camera records from the night sky without aurora; by default the 1st
    percentile of the cells seen, most of which are dark sky in a mosaic of several imagers),
    rising as the level squared to 1 at and above the upper one (bright aurora, in the colour
    map's full colours), times ``alpha``. Squared, the faint sky just above the dark-sky level
    stays nearly clear instead of a grey haze. The colour bar shows the same colours and
    opacities (its dark-sky end see-through, as on the globe).

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
        Colour limits (counts); default the 1st and 99th percentiles of the finite values. The
        lower one is the dark-sky level, drawn transparent.
    cmap
        A name of ``IMAGE_CMAPS``, or any HoloViews colour map (a list of colours or a name).
    alpha
        Opacity of the images, 0 (invisible) to 1: that of a cell at or above the upper limit.
    colorbar
        Draw the colour bar (counts) on the right.

    Returns
    -------
    holoviews.Image
        Bounds ``(-R, -R, R, R)`` in metres; NaN (transparent) off the globe and where the grid
        has no data; all transparent (``alpha`` 0) when nothing on the near side has data. Its
        ``cmap`` option is the colour map as ``#rrggbbaa`` colours with the opacity ramp.
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
        # The opacity ramp is in the palette, as Bokeh's Image glyph has one opacity for all
        # its pixels: the colour mapper then draws the dark sky see-through, the colour bar too.
        cmap=_faded_palette(cmap),
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


def globe_colour_image(
    values: np.ndarray | None,
    central_lat: float,
    central_lon: float,
    grid: GlobalGrid | None = None,
    size_px: int = 600,
    clim: tuple[float, float] | None = None,
    alpha: float = 1.0,
) -> hv.RGB:
    """A colour global-grid array (a TREx RGB mosaic) drawn on the globe in its own colours.

    The channels are scaled together between the limits ``clim`` (so the colour balance is the
    camera's): a cell's opacity is its brightest channel's level, 0 at the lower limit (the dark
    sky, transparent over the map) to 1 at the upper one, and its colour is its channels divided
    by that brightest one (the hue the camera recorded, at full value).

    Parameters
    ----------
    values
        ``(n_lat, n_lon, 3)`` red, green, blue on ``grid`` (row 0 southernmost; NaN = nothing
        seen), e.g. the colour layer of ``Mosaic.regrid_layers``; None draws nothing.
    central_lat, central_lon
        Centre of the view, degrees.
    size_px
        Raster size across the globe's diameter; each screen pixel takes the grid cell under it.
    clim
        Lower and upper limits of the channels (counts); default the 1st and 99.5th percentiles
        of the seen cells' brightest channel (as the fisheye frames are scaled).
    alpha
        Opacity of the images, 0 (invisible) to 1: multiplies every cell's opacity.

    Returns
    -------
    holoviews.RGB
        Group ``ASIColour``, channels ``R, G, B, A`` from 0 to 1, cropped to the screen pixels
        that show a colour cell (a transparent 2 x 2 picture when none does), in projected
        metres: only that part of the globe is sent to the browser.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    grid = grid or GlobalGrid()
    r = EARTH_RADIUS_M
    empty = hv.RGB(
        np.zeros((2, 2, 4), dtype=np.float32), bounds=(-r, -r, r, r), kdims=["x", "y"],
        vdims=["R", "G", "B", "A"], group="ASIColour",
    )  # fmt: skip
    if values is None:
        return empty
    values = np.asarray(values, dtype=np.float32)
    if values.shape != (*grid.shape, 3):
        raise ValueError(
            f"colour values have shape {values.shape}, the grid is {(*grid.shape, 3)} "
            "(latitude, longitude, red/green/blue)"
        )
    on, j, i = _globe_lookup(float(central_lat), float(central_lon), int(size_px), grid.shape)
    brightest = values.max(axis=2)
    seen = np.isfinite(brightest)
    if clim is None:
        clim = tuple(np.percentile(brightest[seen], [1.0, 99.5])) if seen.any() else (0.0, 1.0)
    lo, hi = float(clim[0]), float(clim[1])
    screen = np.zeros(on.shape, dtype=bool)
    screen[on] = seen[j, i]
    if not screen.any():  # nothing in colour on the near side
        return empty
    rows, cols = np.flatnonzero(screen.any(axis=1)), np.flatnonzero(screen.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    cells = np.full((*on.shape, 3), np.nan, dtype=np.float32)
    cells[on] = values[j, i]
    cells = cells[top:bottom, left:right]
    peak = np.nanmax(cells, axis=2, initial=-np.inf)
    shown = np.isfinite(peak)
    rgba = np.zeros((*cells.shape[:2], 4), dtype=np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        hue = np.clip(cells / np.where(peak > 0, peak, np.inf)[..., None], 0.0, 1.0)
    level = np.clip((peak - lo) / (hi - lo or 1.0), 0.0, 1.0)
    rgba[..., :3] = np.where(shown[..., None], hue, 0.0)
    rgba[..., 3] = np.where(shown, level * float(alpha), 0.0)
    # Screen pixel edges in metres (row 0 = the top of the view).
    edges = np.linspace(-r, r, int(size_px) + 1)
    bounds = (edges[left], edges[size_px - bottom], edges[right], edges[size_px - top])
    return hv.RGB(
        rgba, bounds=bounds, kdims=["x", "y"], vdims=["R", "G", "B", "A"], group="ASIColour"
    )
