"""The global 1024 x 512 longitude/latitude grid of the AuroraX Event Explorer, and regridding.

``GlobalGrid`` cells are equal steps in longitude (-180..180, 360/1024 degrees) and latitude
(-90..90, 180/512 degrees); cell ``(j, i)`` is centred at ``lat = -90 + (j + 0.5) * 180/512``,
``lon = -180 + (i + 0.5) * 360/1024``. Gridded arrays are float32 with dims ``(lat, lon)``,
row 0 = southernmost, NaN where no imager sees the cell.

A :class:`GridIndex` is computed once per skymap, altitude and minimum elevation; regridding a
frame is then one gather and one ``bincount``. Cells containing pixel centres get the mean of those
pixels (near zenith many pixels fall in a cell); cells inside the field of view that no pixel
centre falls in (near the horizon a pixel spans many cells) take the pixel whose look direction is
nearest the cell centre's. In a :class:`Mosaic` each cell belongs to the imager that sees it at
the highest elevation (closest to zenith: smallest pixels, least atmosphere); of imagers that see
it equally high (two cameras at one site), the one listed first. Colour frames (TREx RGB,
``(y, x, channel)``) regrid channel by channel; :meth:`Mosaic.regrid_layers` keeps monochrome and
colour imagers of one mosaic apart, each cell in the layer of the imager that owns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._projection import DEFAULT_MIN_ELEVATION_DEG, resolve_altitude, valid_pixels
from ._registry import AsiError
from ._skymap import Skymap

__all__ = ["GlobalGrid", "GridIndex", "Mosaic"]


@dataclass(frozen=True)
class GlobalGrid:
    """Regular lon/lat grid; defaults are the Event Explorer's 1024 x 512 global grid."""

    n_lon: int = 1024
    n_lat: int = 512

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_lat, n_lon)``."""
        return self.n_lat, self.n_lon

    @property
    def lon_edges(self) -> np.ndarray:
        return np.linspace(-180.0, 180.0, self.n_lon + 1)

    @property
    def lat_edges(self) -> np.ndarray:
        return np.linspace(-90.0, 90.0, self.n_lat + 1)

    @property
    def lon_centres(self) -> np.ndarray:
        return -180.0 + (np.arange(self.n_lon) + 0.5) * (360.0 / self.n_lon)

    @property
    def lat_centres(self) -> np.ndarray:
        return -90.0 + (np.arange(self.n_lat) + 0.5) * (180.0 / self.n_lat)

    def cell_of(self, lat, lon) -> np.ndarray:
        """Flat cell index ``j * n_lon + i`` of points (degrees); -1 for NaN input."""
        lat, lon = np.asarray(lat, float), np.asarray(lon, float)
        ok = np.isfinite(lat) & np.isfinite(lon)
        i = np.floor((np.where(ok, lon, 0.0) + 180.0) % 360.0 / (360.0 / self.n_lon)).astype(int)
        j = np.floor((np.where(ok, lat, 0.0) + 90.0) / (180.0 / self.n_lat)).astype(int)
        i, j = np.clip(i, 0, self.n_lon - 1), np.clip(j, 0, self.n_lat - 1)
        return np.where(ok, j * self.n_lon + i, -1)

    def empty(self) -> np.ndarray:
        """A NaN-filled float32 ``(n_lat, n_lon)`` array."""
        return np.full(self.shape, np.nan, dtype=np.float32)


@dataclass(frozen=True, eq=False)
class GridIndex:
    """Precomputed mapping from one imager's pixels to grid cells (build with :meth:`build`).

    ``cells`` are the flat indices of the cells the imager fills, ``cell_elevation`` the elevation
    (degrees) at which the site sees each cell centre; ``pixels``/``slots`` list, for every
    contribution, the flat pixel index and the position in ``cells`` it adds to; ``counts`` is
    the number of contributions per cell.
    """

    grid: GlobalGrid
    shape: tuple[int, int]
    altitude_km: float
    min_elevation_deg: float
    cells: np.ndarray
    cell_elevation: np.ndarray
    pixels: np.ndarray
    slots: np.ndarray
    counts: np.ndarray

    @classmethod
    def build(
        cls,
        skymap: Skymap,
        grid: GlobalGrid | None = None,
        altitude_km: float | None = None,
        min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG,
        compute: bool = False,
    ) -> GridIndex:
        """Compute the index of ``skymap`` at ``altitude_km`` (default by program, see
        :func:`~aurorax.asi.project_frame`); ``compute`` allows an altitude the skymap lacks."""
        grid = grid or GlobalGrid()
        alt, compute = resolve_altitude(skymap, altitude_km, compute)
        vlat, vlon = skymap.vertices(alt, compute=compute)
        keep = valid_pixels(skymap, vlat, vlon, min_elevation_deg)
        nx = skymap.shape[1]
        # 1) every valid pixel centre adds to the cell it falls in
        clat, clon = skymap.pixel_centres(alt)
        pix_a = np.flatnonzero(keep)
        cell_a = grid.cell_of(clat.ravel()[pix_a], clon.ravel()[pix_a])
        # 2) cells inside the field of view with no pixel centre take the nearest-looking pixel
        lat_c, lon_c = grid.lat_centres, grid.lon_centres
        lat_ok = (lat_c >= np.nanmin(vlat) - 1) & (lat_c <= np.nanmax(vlat) + 1)
        lons = vlon[np.isfinite(vlon)]
        if lons.max() - lons.min() > 180:  # field of view straddles the antimeridian
            lon_ok = np.ones_like(lon_c, dtype=bool)
        else:
            lon_ok = (lon_c >= lons.min() - 1) & (lon_c <= lons.max() + 1)
        jj, ii = np.meshgrid(np.flatnonzero(lat_ok), np.flatnonzero(lon_ok), indexing="ij")
        cand = (jj * grid.n_lon + ii).ravel()
        az, el = skymap.lla_to_azel(lat_c[jj].ravel(), lon_c[ii].ravel(), alt)
        rows, cols = skymap.azel_to_pixel(az, el)
        pix_b = rows * nx + cols
        good = (rows >= 0) & (el >= min_elevation_deg)
        good[good] = keep.ravel()[pix_b[good]]
        good &= ~np.isin(cand, cell_a)
        cells = np.concatenate([cell_a, cand[good]])
        pixels = np.concatenate([pix_a, pix_b[good]])
        uniq, slots = np.unique(cells, return_inverse=True)
        counts = np.bincount(slots, minlength=len(uniq)).astype(np.float32)
        j, i = np.divmod(uniq, grid.n_lon)
        _, cell_el = skymap.lla_to_azel(lat_c[j], lon_c[i], alt)
        return cls(
            grid, skymap.shape, alt, float(min_elevation_deg), uniq, cell_el.astype(np.float32),
            pixels.astype(np.intp), slots.astype(np.intp), counts,
        )  # fmt: skip

    def cell_means(self, frame) -> np.ndarray:
        """Mean counts of each cell in :attr:`cells` (float32) for one frame.

        A colour frame ``(y, x, channel)`` gives ``(n_cells, channel)``.
        """
        frame = np.asarray(frame)
        if frame.shape[:2] != self.shape or frame.ndim not in (2, 3):
            raise AsiError(f"frame shape {frame.shape} does not match the index shape {self.shape}")
        if frame.ndim == 3:
            return np.stack([self.cell_means(frame[..., c]) for c in range(frame.shape[2])], -1)
        sums = np.bincount(
            self.slots, weights=frame.ravel()[self.pixels], minlength=len(self.cells)
        )
        return (sums / self.counts).astype(np.float32)

    def regrid(self, frame, out: np.ndarray | None = None) -> np.ndarray:
        """Frame ``(y, x)`` -> float32 grid ``(n_lat, n_lon)``, NaN outside the field of view.

        A colour frame ``(y, x, channel)`` gives ``(n_lat, n_lon, channel)``.
        """
        frame = np.asarray(frame)
        if frame.ndim == 3:
            if out is None:
                out = np.stack([self.grid.empty()] * frame.shape[2], -1)
            for c in range(frame.shape[2]):
                out[..., c] = self.regrid(frame[..., c])
            return out
        out = self.grid.empty() if out is None else out
        out.ravel()[self.cells] = self.cell_means(frame)
        return out


class Mosaic:
    """Several imagers on one grid; each cell taken from the imager seeing it highest.

    Parameters
    ----------
    indexes : sequence of GridIndex
        One per imager, all on the same grid. Where two imagers see a cell at the same elevation
        (cameras at one site), the one listed first takes it.
    """

    def __init__(self, indexes: Sequence[GridIndex]) -> None:
        if not indexes:
            raise AsiError("a mosaic needs at least one imager")
        grid = indexes[0].grid
        if any(ix.grid != grid for ix in indexes):
            raise AsiError("all imagers of a mosaic must use the same grid")
        self.grid = grid
        self.indexes = tuple(indexes)
        cells = np.concatenate([ix.cells for ix in indexes])
        elev = np.concatenate([ix.cell_elevation for ix in indexes])
        owner = np.concatenate([np.full(len(ix.cells), k) for k, ix in enumerate(indexes)])
        # Sort by cell, then by descending elevation: the first entry of each cell wins.
        order = np.lexsort((-elev, cells))
        first = np.r_[True, np.diff(cells[order]) != 0]
        win = np.zeros(len(cells), dtype=bool)
        win[order[first]] = True
        bounds = np.cumsum([0] + [len(ix.cells) for ix in indexes])
        self._keep = [win[bounds[k] : bounds[k + 1]] for k in range(len(indexes))]
        self.owner = owner[win]
        self.imagers = None

    @classmethod
    def from_imagers(
        cls,
        imagers: Sequence,
        grid: GlobalGrid | None = None,
        altitude_km: float | None = None,
        min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG,
    ) -> Mosaic:
        """A mosaic of :class:`~aurorax.asi.Imager` objects (their cached grid indexes)."""
        mosaic = cls([im.grid_index(grid, altitude_km, min_elevation_deg) for im in imagers])
        mosaic.imagers = tuple(imagers)
        return mosaic

    def regrid_at(self, time, max_offset_s: float = 3.0) -> np.ndarray:
        """Mosaic of each imager's frame nearest ``time`` (needs :meth:`from_imagers`).

        An imager with no frame within ``max_offset_s`` seconds contributes nothing.
        """
        imagers = self.imagers
        if imagers is None:
            raise AsiError("regrid_at needs a mosaic built with Mosaic.from_imagers")
        frames = []
        for imager in imagers:
            try:
                frames.append(imager.frame_at(time, max_offset_s=max_offset_s)[1])
            except AsiError:
                frames.append(None)
        return self.regrid(frames)

    def regrid(self, frames: Sequence[np.ndarray | None]) -> np.ndarray:
        """One frame per imager (``None`` where an imager has none) -> float32 grid.

        Monochrome frames ``(y, x)`` give ``(n_lat, n_lon)``; colour frames ``(y, x, channel)``,
        all of them colour, give ``(n_lat, n_lon, channel)``. A mosaic of both kinds is
        :meth:`regrid_layers`.
        """
        grey, colour = self.regrid_layers(frames)
        if grey is not None and colour is not None:
            raise AsiError(
                "the frames are monochrome and colour: regrid_layers gives the two layers"
            )
        return colour if colour is not None else grey if grey is not None else self.grid.empty()

    def regrid_layers(
        self, frames: Sequence[np.ndarray | None]
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """One frame per imager -> the monochrome and the colour layer of the mosaic.

        Each cell is taken from the imager that owns it, into the layer of that imager's frame,
        so a cell is in one layer at most (NaN in the other).

        Returns
        -------
        grey : numpy.ndarray or None
            float32 ``(n_lat, n_lon)`` of the monochrome frames ``(y, x)``; None without any.
        colour : numpy.ndarray or None
            float32 ``(n_lat, n_lon, channel)`` of the colour frames ``(y, x, channel)``; None
            without any. Every colour frame must have the same number of channels.
        """
        if len(frames) != len(self.indexes):
            raise AsiError(f"{len(frames)} frames for a mosaic of {len(self.indexes)} imagers")
        channels = {np.shape(f)[2] for f in frames if f is not None and np.ndim(f) == 3}
        if len(channels) > 1:
            raise AsiError(f"colour frames of a mosaic have {sorted(channels)} channels")
        grey = colour = None
        for ix, keep, frame in zip(self.indexes, self._keep, frames, strict=True):
            if frame is None:
                continue
            if np.ndim(frame) == 3:
                if colour is None:
                    colour = np.stack([self.grid.empty()] * next(iter(channels)), axis=-1)
                target = colour.reshape(-1, colour.shape[-1])
            else:
                grey = self.grid.empty() if grey is None else grey
                target = grey.reshape(-1)
            target[ix.cells[keep]] = ix.cell_means(frame)[keep]
        return grey, colour
