"""``Imager``: the frames of one site over a time range, read lazily from hourly files."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from ._files import download_skymaps, find_image_files, resolve_base_url, skymap_folder
from ._projection import (
    DEFAULT_MIN_ELEVATION_DEG,
    FISHEYE_PERCENTILES,
    Fisheye,
    MappedFrame,
    default_altitude_km,
    make_fisheye,
    project_frame,
)
from ._registry import AsiError, AsiFileError, AsiFileNotFoundError, get_program, get_reader
from ._skymap import Skymap, load_skymap, read_skymap
from ._time import to_utc

__all__ = ["Imager"]

T = TypeVar("T")

# Frames decompressed per read: bounds memory (64 MiB of uint16) whatever the frame size.
CHUNK_BYTES = 64 * 2**20


class Imager:
    """Frames of one all-sky imager between ``start`` and ``end`` (half-open), read on demand.

    Building an ``Imager`` reads only each file's time variable; frames are decompressed when
    asked for, a chunk at a time, so a night of frames never sits in memory at once.

    Parameters
    ----------
    site_uid : str
        Site code, e.g. ``"gako"``.
    start, end : datetime-like
        Half-open UTC range ``[start, end)`` (naive = UTC).
    program : str
        Imager program; selects file names, folders and the default emission altitude:
        ``"themis"``, ``"rego"`` (hourly L1 CDFs) or a registered :class:`ImageProgram` such as
        the UCalgary stream0 programs ``"themis_stream0"``, ``"rego_stream0"``, ``"trex_nir"``,
        ``"trex_blue"``, ``"trex_rgb"`` (one-minute ``.pgm.gz`` / ``.h5`` files).
    skymap : Skymap, path, or None
        Geometry; ``None`` loads the skymap valid at ``start`` from the skymap folder (downloading
        the folder's skymaps first when none is local and a base URL is set). A path is read and,
        like :func:`load_skymap`, refused when its validity starts after ``start`` unless
        ``allow_nearest_skymap``; a :class:`Skymap` object is used as given.
    files : sequence of paths, optional
        Use these image files instead of searching the data folder.
    asi_dir, base_url : optional
        Data folder and download server (defaults from :func:`aurorax.config.load_settings`).
    download : bool, optional
        Try downloading missing hours (default: when a base URL is known).
    allow_nearest_skymap : bool
        Passed to :func:`load_skymap` as ``allow_nearest``; also allows a ``skymap`` path valid
        only from after ``start``.

    Raises
    ------
    AsiFileNotFoundError
        No file or no frame in the range.
    AsiFileError
        A file cannot be read, or frame and skymap shapes disagree.
    """

    def __init__(
        self,
        site_uid: str,
        start,
        end,
        *,
        program: str = "themis",
        skymap: Skymap | str | Path | None = None,
        files: Sequence[str | Path] | None = None,
        asi_dir=None,
        base_url: str | None = None,
        download: bool | None = None,
        allow_nearest_skymap: bool = False,
    ) -> None:
        self.site_uid = site_uid.lower()
        self.program = program.lower()
        self.start, self.end = to_utc(start), to_utc(end)
        if self.end <= self.start:
            raise AsiError(f"end ({self.end}) must be after start ({self.start})")
        registered = get_program(self.program)
        self._skymap_program = registered.skymap_program if registered else self.program
        self._altitude_program = registered.altitude_program if registered else self.program
        if files is None and registered is not None:
            files = registered.find_files(self.site_uid, self.start, self.end, asi_dir)
        elif files is None:
            files = find_image_files(
                self.program, self.site_uid, self.start, self.end, asi_dir, base_url, download
            )
        self.files = tuple(Path(f) for f in files)
        self._index_files()
        self.skymap = self._resolve_skymap(skymap, asi_dir, base_url, allow_nearest_skymap)
        if self.skymap is not None and self.skymap.shape != self.shape:
            raise AsiFileError(
                f"skymap {self.skymap.source or self.skymap.site_uid} has shape {self.skymap.shape} "
                f"but the frames of {self.files[0].name} are {self.shape}"
            )
        self._grid_cache: dict = {}

    # -- construction helpers -------------------------------------------------------------

    def _index_files(self) -> None:
        times, file_idx, rec_idx, shape = [], [], [], None
        for i, path in enumerate(self.files):
            reader = get_reader(path)
            file_shape = reader.frame_shape(path)
            if shape is None:
                shape = file_shape
            elif file_shape != shape:
                raise AsiFileError(f"{path}: frames are {file_shape}, other files have {shape}")
            t = reader.read_times(path)
            keep = np.flatnonzero((t >= self.start) & (t < self.end))
            times.append(t.asi8[keep])
            file_idx.append(np.full(len(keep), i, dtype=np.int32))
            rec_idx.append(keep.astype(np.int64))
        if not self.files:
            raise AsiFileNotFoundError(f"no image files given for site {self.site_uid!r}")
        ns = np.concatenate(times)
        order = np.argsort(ns, kind="stable")
        self._ns = ns[order]
        self._file = np.concatenate(file_idx)[order]
        self._rec = np.concatenate(rec_idx)[order]
        self.shape: tuple[int, int] = tuple(shape)
        if len(self._ns) == 0:
            raise AsiFileNotFoundError(
                f"no {self.program} frames for site {self.site_uid!r} between "
                f"{self.start.isoformat()} and {self.end.isoformat()} in "
                f"{', '.join(p.name for p in self.files)}"
            )

    def _resolve_skymap(self, skymap, asi_dir, base_url, allow_nearest):
        if isinstance(skymap, Skymap):
            return skymap
        if skymap is not None:
            sky = read_skymap(skymap)
            if sky.valid_from > self.start and not allow_nearest:
                raise AsiFileNotFoundError(
                    f"skymap {Path(skymap).name} is valid from {sky.valid_from.isoformat()}, after "
                    f"the first image time {self.start.isoformat()} of site {self.site_uid!r}; "
                    "pass allow_nearest_skymap=True to use it"
                )
            return sky
        program = self._skymap_program
        folder = skymap_folder(program, self.site_uid, asi_dir)
        try:
            return load_skymap(self.site_uid, self.start, folder, program, allow_nearest)
        except AsiFileNotFoundError:
            has_local = folder.is_dir() and any(folder.iterdir())
            if has_local or not resolve_base_url(base_url):
                raise
        download_skymaps(program, self.site_uid, asi_dir, base_url)
        return load_skymap(self.site_uid, self.start, folder, program, allow_nearest)

    def _subset(self, start: pd.Timestamp, end: pd.Timestamp) -> Imager:
        keep = (self._ns >= start.value) & (self._ns < end.value)
        if not keep.any():
            raise AsiFileNotFoundError(
                f"no frames of site {self.site_uid!r} in [{start.isoformat()}, {end.isoformat()}) "
                f"(the imager spans {self.times[0].isoformat()} .. {self.times[-1].isoformat()})"
            )
        new = object.__new__(Imager)
        new.__dict__.update(self.__dict__)  # shares files, skymap and the grid-index cache
        new._ns, new._file, new._rec = self._ns[keep], self._file[keep], self._rec[keep]
        new.start, new.end = max(start, self.start), min(end, self.end)
        return new

    # -- time axis ------------------------------------------------------------------------

    @property
    def times(self) -> pd.DatetimeIndex:
        """Frame times (start of exposure), timezone-aware UTC."""
        return pd.DatetimeIndex(self._ns.view("datetime64[ns]"), tz="UTC")

    @property
    def cadence_s(self) -> float:
        """Median interval between frames, seconds (NaN for a single frame)."""
        return float(np.median(np.diff(self._ns)) / 1e9) if len(self) > 1 else float("nan")

    def __len__(self) -> int:
        return len(self._ns)

    def __repr__(self) -> str:
        return (
            f"Imager({self.program}/{self.site_uid}, {len(self)} frames {self.shape}, "
            f"{self.times[0].isoformat()} .. {self.times[-1].isoformat()})"
        )

    def __getitem__(self, key):
        """``imager[t0:t1]`` -> a new Imager on ``[t0, t1)``; ``imager[i]`` -> (time, frame)."""
        if isinstance(key, slice):
            if key.step is not None:
                raise AsiError("time slices take no step")
            start = self.start if key.start is None else to_utc(key.start)
            end = self.end if key.stop is None else to_utc(key.stop)
            return self._subset(start, end)
        if isinstance(key, int | np.integer):
            i = range(len(self))[key]
            return self.times[i], self._read(np.array([i]))[0]
        raise TypeError(f"index an Imager with a time slice or a frame number, not {key!r}")

    def nearest_index(self, time, max_offset_s: float | None = None) -> int:
        """Index of the frame nearest ``time``; error when farther than ``max_offset_s``."""
        t = to_utc(time).value
        i = int(np.clip(np.searchsorted(self._ns, t), 1, len(self) - 1)) if len(self) > 1 else 0
        if len(self) > 1 and abs(self._ns[i - 1] - t) <= abs(self._ns[i] - t):
            i -= 1
        offset = abs(self._ns[i] - t) / 1e9
        if max_offset_s is not None and offset > max_offset_s:
            raise AsiError(
                f"no frame of {self.site_uid!r} within {max_offset_s} s of {to_utc(time).isoformat()} "
                f"(nearest is {offset:.1f} s away)"
            )
        return i

    # -- frames ---------------------------------------------------------------------------

    def _read(self, positions: np.ndarray) -> np.ndarray:
        """Frames at sorted positions, read file by file in contiguous record runs."""
        parts = []
        for f, recs in self._runs(positions):
            path = self.files[f]
            block = get_reader(path).read_frames(path, int(recs[0]), int(recs[-1]) + 1)
            if len(recs) != len(block):  # records skipped (outside the range): pick them
                block = block[recs - recs[0]]
            parts.append(block)
        # One run (the common case: a chunk) is returned as read, without another copy.
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _runs(self, positions):
        files, recs = self._file[positions], self._rec[positions]
        cut = np.flatnonzero((np.diff(files) != 0) | (np.diff(recs) < 0)) + 1
        for lo, hi in zip(np.r_[0, cut], np.r_[cut, len(positions)], strict=True):
            yield int(files[lo]), recs[lo:hi]

    def chunk_size(self) -> int:
        """Frames per chunk of :meth:`iter_chunks` (about 64 MiB of uint16)."""
        return max(1, CHUNK_BYTES // (2 * self.shape[0] * self.shape[1]))

    def _chunk_bounds(self, max_frames: int | None) -> list[tuple[int, int]]:
        step = max_frames or self.chunk_size()
        bounds, start = [], 0
        while start < len(self):
            # Stop a chunk at a file boundary so every chunk is one contiguous read.
            stop = min(start + step, len(self))
            other = np.flatnonzero(self._file[start:stop] != self._file[start])
            if len(other):
                stop = start + int(other[0])
            bounds.append((start, stop))
            start = stop
        return bounds

    def map_chunks(
        self,
        func: Callable[[pd.DatetimeIndex, np.ndarray], T],
        max_frames: int | None = None,
        workers: int = 1,
    ) -> Iterator[T]:
        """Yield ``func(times, frames)`` for each chunk of :meth:`iter_chunks`, in time order.

        With ``workers > 1`` chunks are read and reduced in that many threads (zlib releases the
        GIL while decompressing, so reading scales with cores); at most ``workers + 1`` chunks are
        in flight, so memory stays bounded. ``func`` should reduce the chunk (e.g. slice a
        keogram column) so the frames can be freed.
        """
        times = self.times

        def task(bounds):
            lo, hi = bounds
            return func(times[lo:hi], self._read(np.arange(lo, hi)))

        yield from self._run_tasks(task, self._chunk_bounds(max_frames), workers)

    def iter_pixels(
        self, rows, cols, max_frames: int | None = None, workers: int = 1
    ) -> Iterator[tuple[pd.DatetimeIndex, np.ndarray]]:
        """Yield ``(times, values)`` with ``values[i, k] = frame_i[rows[k], cols[k]]``.

        Like :meth:`iter_chunks` but only the requested pixels are kept; readers that can
        (``read_pixels``) never assemble whole frames, so memory is a few MiB whatever the range.
        """
        rows, cols = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
        times = self.times
        # Small tasks balance threads well; each holds one task's pixels, not whole frames.
        step = max_frames or 256

        def task(bounds):
            lo, hi = bounds
            parts = []
            for f, recs in self._runs(np.arange(lo, hi)):
                path = self.files[f]
                reader = get_reader(path)
                first, last = int(recs[0]), int(recs[-1]) + 1
                if hasattr(reader, "read_pixels"):
                    part = reader.read_pixels(path, first, last, rows, cols)
                else:
                    part = reader.read_frames(path, first, last)[:, rows, cols]
                parts.append(part if len(recs) == last - first else part[recs - first])
            return times[lo:hi], parts[0] if len(parts) == 1 else np.concatenate(parts)

        yield from self._run_tasks(task, self._chunk_bounds(step), workers)

    def _run_tasks(self, task, plan, workers):
        if workers <= 1:
            yield from map(task, plan)
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: deque = deque()
            for bounds in plan:
                pending.append(pool.submit(task, bounds))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def iter_chunks(
        self, max_frames: int | None = None, workers: int = 1
    ) -> Iterator[tuple[pd.DatetimeIndex, np.ndarray]]:
        """Yield ``(times, frames)`` chunks in time order; frames have dims (time, y, x).

        Each chunk comes from one file and one decompression call of at most ``max_frames``
        records (default :meth:`chunk_size`), so memory stays bounded for any time range.
        ``workers`` > 1 reads ahead in threads (see :meth:`map_chunks`).
        """
        return self.map_chunks(lambda t, f: (t, f), max_frames, workers)

    def iter_frames(
        self, max_frames: int | None = None
    ) -> Iterator[tuple[pd.Timestamp, np.ndarray]]:
        """Yield ``(time, frame)`` one frame at a time (read chunk-wise underneath)."""
        for times, frames in self.iter_chunks(max_frames):
            yield from zip(times, frames, strict=True)

    def read(self) -> tuple[pd.DatetimeIndex, np.ndarray]:
        """All frames at once, dims (time, y, x). Use :meth:`iter_chunks` for long ranges."""
        return self.times, self._read(np.arange(len(self)))

    def frame_at(self, time, max_offset_s: float | None = None) -> tuple[pd.Timestamp, np.ndarray]:
        """The frame nearest ``time`` and its timestamp (see :meth:`nearest_index`)."""
        i = self.nearest_index(time, max_offset_s)
        return self.times[i], self._read(np.array([i]))[0]

    # -- views ----------------------------------------------------------------------------

    def _require_skymap(self) -> Skymap:
        if self.skymap is None:
            raise AsiError(f"imager {self.site_uid!r} has no skymap")
        return self.skymap

    @property
    def default_altitude_km(self) -> float:
        """Default emission altitude: 230 km REGO (CDF or stream0), otherwise 110 km."""
        return default_altitude_km(self._altitude_program)

    def fisheye(self, time, percentiles=FISHEYE_PERCENTILES) -> Fisheye:
        """The frame nearest ``time`` with default colour limits (north up, east right)."""
        t, frame = self.frame_at(time)
        return make_fisheye(frame, t, self.skymap, percentiles)

    def map_frame(
        self,
        time,
        altitude_km: float | None = None,
        min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG,
        compute: bool = False,
    ) -> MappedFrame:
        """The frame nearest ``time`` projected to ``altitude_km`` (see :func:`project_frame`)."""
        t, frame = self.frame_at(time)
        return project_frame(
            self._require_skymap(), frame, t, altitude_km, min_elevation_deg, compute
        )

    def grid_index(self, grid=None, altitude_km=None, min_elevation_deg=DEFAULT_MIN_ELEVATION_DEG):
        """The cached :class:`GridIndex` of this imager's skymap on ``grid`` (default global)."""
        from ._grid import GlobalGrid, GridIndex

        grid = grid or GlobalGrid()
        key = (grid, altitude_km, float(min_elevation_deg))
        if key not in self._grid_cache:
            self._grid_cache[key] = GridIndex.build(
                self._require_skymap(), grid, altitude_km, min_elevation_deg
            )
        return self._grid_cache[key]

    def to_grid(
        self, time, grid=None, altitude_km=None, min_elevation_deg=DEFAULT_MIN_ELEVATION_DEG
    ):
        """The frame nearest ``time`` on the global grid: float32 ``(n_lat, n_lon)``, NaN empty."""
        index = self.grid_index(grid, altitude_km, min_elevation_deg)
        return index.regrid(self.frame_at(time)[1])
