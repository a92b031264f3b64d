"""Animations of fisheye and mapped frames to mp4, with frame generators the caller can draw on.

The generators (:func:`iter_fisheye_frames`, :func:`iter_map_frames`) yield one
:class:`AnimationFrame` per imager frame. The caller may draw on it (change pixels of ``rgb``, or add
artists to ``ax``) and hand it to :func:`write_movie`, which renders and encodes it. In figure mode
one matplotlib figure is reused for all frames: artists the caller added are removed when the
generator advances, so render or write each frame before asking for the next one.

Colour limits are fixed for a whole animation (no flicker): by default the ASI core's fisheye
percentiles (:data:`aurorax.asi.FISHEYE_PERCENTILES`) of the first frame's sky pixels. Colour frames
(TREx RGB, ``(y, x, 3)``) are drawn in their own colours, the three channels scaled together between
those limits (:func:`aurorax.asi.rgb_levels`); the colour map applies to monochrome frames only.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from ._projection import DEFAULT_MIN_ELEVATION_DEG, make_fisheye, project_frame, rgb_levels

__all__ = [
    "AnimationFrame",
    "iter_fisheye_frames",
    "iter_map_frames",
    "write_movie",
    "animate_fisheye",
    "animate_map",
]


@dataclass(frozen=True, eq=False)
class AnimationFrame:
    """One frame of an animation, open for drawing before it is written.

    Attributes
    ----------
    index
        Frame number in the animation (0-based).
    time
        Frame time (UTC).
    image
        The imager's counts ``(y, x)``, or ``(y, x, 3)`` red, green, blue for a colour imager
        (aurorax orientation: row 0 north edge, x eastward).
    rgb
        ``(height, width, 3)`` uint8 picture in RGB mode (draw by assigning pixels; image pixel
        ``[row, col]`` covers ``rgb[row * scale:(row + 1) * scale, col * scale:(col + 1) * scale]``),
        else None.
    figure, ax
        The matplotlib figure and axes in figure mode (fisheye axes use pixel coordinates:
        ``ax.plot(col, row)``; map axes use longitude/latitude in degrees), else None.
    """

    index: int
    time: pd.Timestamp
    image: np.ndarray
    rgb: np.ndarray | None = None
    figure: object | None = None
    ax: object | None = None

    def render(self) -> np.ndarray:
        """The frame as an ``(height, width, 3)`` uint8 RGB array (draws the figure if any)."""
        if self.figure is None:
            return self.rgb
        self.figure.canvas.draw()
        return np.asarray(self.figure.canvas.buffer_rgba())[..., :3].copy()


def _colour_limits(skymap, first_frame, first_time, vmin, vmax) -> tuple[float, float]:
    if vmin is not None and vmax is not None:
        return float(vmin), float(vmax)
    fish = make_fisheye(first_frame, first_time, skymap)
    return (fish.vmin if vmin is None else float(vmin)), (
        fish.vmax if vmax is None else float(vmax)
    )


def _agg_figure(figsize, dpi):
    """A matplotlib figure on the Agg canvas (no pyplot, no GUI), so frames render to pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _lookup_table(cmap: str) -> np.ndarray:
    import matplotlib

    return (
        (matplotlib.colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)
    )


class _CallerArtists:
    """Remembers an axes' artists so that the ones a caller adds to one frame can be removed."""

    def __init__(self, ax):
        self.ax = ax
        self.keep = set(self._artists())

    def _artists(self):
        ax = self.ax
        return [*ax.lines, *ax.patches, *ax.collections, *ax.texts, *ax.images, *ax.artists]

    def clear(self):
        for artist in self._artists():
            if artist not in self.keep:
                artist.remove()


def _peek(frames):
    iterator = iter(frames)
    try:
        first = next(iterator)
    except StopIteration:
        return None, iterator

    def chain():
        yield first
        yield from iterator

    return first, chain()


def iter_fisheye_frames(
    imager,
    *,
    mode: str = "figure",
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    scale: int = 2,
    label: bool = True,
) -> Iterator[AnimationFrame]:
    """Yield the imager's frames as fisheye pictures (north up, east right) to draw on.

    Parameters
    ----------
    imager
        An :class:`~aurorax.asi.Imager` (its time range is the animation's).
    mode
        ``"figure"``: a matplotlib figure whose axes use pixel coordinates (``ax.plot(col, row)``),
        with the time stamp and site written in a corner; ``"rgb"``: a bare uint8 RGB array
        (fast; draw by setting pixels).
    cmap
        Matplotlib colour map name (monochrome frames; colour frames keep their colours).
    vmin, vmax
        Colour limits in counts; default: the first frame's fisheye percentiles. The three
        channels of a colour frame are scaled together between them.
    scale
        Output pixels per image pixel (integer), so that overlays are legible.
    label
        Write ``<SITE> <time> UTC`` on the figure (figure mode only).

    Yields
    ------
    AnimationFrame
    """
    if mode not in ("figure", "rgb"):
        raise ValueError(f"mode must be 'figure' or 'rgb', got {mode!r}")
    if int(scale) != scale or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    scale = int(scale)
    first, frames = _peek(imager.iter_frames())
    if first is None:
        return
    skymap = imager.skymap
    lo, hi = _colour_limits(skymap, first[1], first[0], vmin, vmax)
    sky = np.isfinite(skymap.elevation)

    colour = first[1].ndim == 3
    if mode == "rgb" and colour:
        for index, (time, frame) in enumerate(frames):
            level = np.nan_to_num(rgb_levels(frame, lo, hi, sky), nan=0.0)
            rgb = (level * 255.0).round().astype(np.uint8)
            if scale > 1:
                rgb = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
            yield AnimationFrame(index, time, frame, rgb=rgb)
        return
    if mode == "rgb":
        lut = _lookup_table(cmap)
        for index, (time, frame) in enumerate(frames):
            level = np.clip((frame.astype(np.float32) - lo) / (hi - lo), 0.0, 1.0) * 255.0
            rgb = lut[np.where(sky, level, 0.0).astype(np.uint8)]
            if scale > 1:
                rgb = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
            yield AnimationFrame(index, time, frame, rgb=rgb)
        return

    ny, nx = first[1].shape[:2]
    fig = _agg_figure((nx * scale / 100, ny * scale / 100), 100)
    fig.set_facecolor("black")  # the sky outside the lens circle (NaN) shows the figure
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    shown = ax.imshow(
        np.zeros((ny, nx, 4) if colour else (ny, nx)), cmap=cmap, vmin=lo, vmax=hi,
        origin="upper", extent=(-0.5, nx - 0.5, ny - 0.5, -0.5), interpolation="nearest",
    )  # fmt: skip
    stamp = ax.text(0.02, 0.98, "", color="white", va="top", ha="left", transform=ax.transAxes,
                    fontsize=max(6, 4 * scale))  # fmt: skip
    ax.text(0.5, 0.98, "N", color="yellow", va="top", ha="center", transform=ax.transAxes)
    ax.text(0.98, 0.5, "E", color="yellow", va="center", ha="right", transform=ax.transAxes)
    caller = _CallerArtists(ax)
    for index, (time, frame) in enumerate(frames):
        caller.clear()
        if colour:
            # Opaque sky, transparent elsewhere (the black figure shows), as NaN does in grey.
            level = np.nan_to_num(rgb_levels(frame, lo, hi, sky), nan=0.0)
            shown.set_data(np.concatenate([level, sky[..., None].astype(np.float32)], axis=2))
        else:
            shown.set_data(np.where(sky, frame.astype(np.float32), np.nan))
        if label:
            stamp.set_text(f"{skymap.site_uid.upper()} {time:%Y-%m-%d %H:%M:%S} UTC")
        yield AnimationFrame(index, time, frame, figure=fig, ax=ax)


def iter_map_frames(
    imager,
    *,
    altitude_km: float | None = None,
    min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG,
    lon_bounds: tuple[float, float] | None = None,
    lat_bounds: tuple[float, float] | None = None,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    figsize: tuple[float, float] = (6.0, 5.0),
    dpi: int = 100,
) -> Iterator[AnimationFrame]:
    """Yield the imager's frames projected onto a longitude/latitude map, to draw on.

    Each pixel is drawn as the quadrilateral of its skymap vertices at ``altitude_km``; pixels below
    ``min_elevation_deg`` are left out (the ASI core's ``project_frame``). The axes are plain
    longitude (x) / latitude (y) in degrees with the aspect ratio of the site's latitude, so the
    caller draws tracks with ``ax.plot(lon, lat)``.

    Parameters
    ----------
    imager
        An :class:`~aurorax.asi.Imager`.
    altitude_km
        Emission altitude, km (default by program: 110 THEMIS, 230 REGO).
    min_elevation_deg
        Elevation mask, degrees.
    lon_bounds, lat_bounds
        Map extent in degrees; default: the mapped field of view.
    cmap, vmin, vmax
        Colour map and fixed colour limits (default: the first frame's fisheye percentiles); a
        colour frame is drawn in its colours, the channels scaled together between the limits.
    figsize, dpi
        Figure size in inches and resolution.

    Yields
    ------
    AnimationFrame
        In figure mode (``figure`` and ``ax`` set).
    """
    first, frames = _peek(imager.iter_frames())
    if first is None:
        return
    skymap = imager.skymap
    lo, hi = _colour_limits(skymap, first[1], first[0], vmin, vmax)
    mapped = project_frame(skymap, first[1], first[0], altitude_km, min_elevation_deg)
    colour = mapped.values.ndim == 3
    keep = np.isfinite(mapped.values).all(axis=2) if colour else np.isfinite(mapped.values)
    # pcolormesh refuses non-finite vertices; vertices of masked pixels only bound masked (invisible)
    # quadrilaterals, so any finite stand-in (the site) will do.
    lat = np.where(np.isfinite(mapped.lat), mapped.lat, skymap.site_lat)
    lon = np.where(np.isfinite(mapped.lon), mapped.lon, skymap.site_lon)
    used_lat = mapped.lat[:-1, :-1][keep]
    used_lon = mapped.lon[:-1, :-1][keep]

    fig = _agg_figure(figsize, dpi)
    ax = fig.add_subplot()
    if colour:
        mesh = ax.pcolormesh(lon, lat, _map_rgba(first[1], keep, lo, hi))
    else:
        mesh = ax.pcolormesh(
            lon, lat, np.ma.masked_invalid(mapped.values), cmap=cmap, vmin=lo, vmax=hi
        )
    ax.set_xlim(lon_bounds or (float(np.nanmin(used_lon)), float(np.nanmax(used_lon))))
    ax.set_ylim(lat_bounds or (float(np.nanmin(used_lat)), float(np.nanmax(used_lat))))
    ax.set_aspect(1.0 / np.cos(np.radians(skymap.site_lat)))
    ax.set_xlabel("geographic longitude (deg)")
    ax.set_ylabel("geographic latitude (deg)")
    ax.set_facecolor("black")
    title = ax.set_title("")
    caller = _CallerArtists(ax)
    for index, (time, frame) in enumerate(frames):
        caller.clear()
        if colour:
            mesh.set_array(_map_rgba(frame, keep, lo, hi))
        else:
            values = np.where(keep, frame.astype(np.float32), np.float32(np.nan))
            mesh.set_array(np.ma.masked_invalid(values))
        title.set_text(
            f"{skymap.site_uid.upper()} {time:%Y-%m-%d %H:%M:%S} UTC at {mapped.altitude_km:g} km"
        )
        yield AnimationFrame(index, time, frame, figure=fig, ax=ax)


def _map_rgba(frame, keep, lo: float, hi: float) -> np.ndarray:
    # A colour frame's quadrilaterals: its colours where mapped, transparent elsewhere.
    level = np.nan_to_num(rgb_levels(frame, lo, hi, keep), nan=0.0)
    return np.concatenate([level, keep[..., None].astype(np.float32)], axis=2)


@functools.cache
def _prctl():
    """libc's ``prctl`` (Linux), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


_PR_SET_PDEATHSIG = 1


def _die_with_caller():
    """A ``preexec_fn`` that has the kernel kill the child when the thread that started it ends.

    An encoder that outlives the process feeding it (a Dask worker of a killed ``aurorax
    ingest``, say) would otherwise go on encoding the frames it has buffered and finish a movie
    nobody will use. Linux only (``PR_SET_PDEATHSIG``); elsewhere None (no preexec).
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:  # runs in the forked child, before exec: keep it to two system calls
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _ffmpeg_command(path: Path, width: int, height: int, fps: float, quality: float) -> list:
    """ffmpeg reading raw RGB frames on stdin and writing H.264 (as imageio-ffmpeg builds it)."""
    import imageio_ffmpeg

    crf = int((1 - quality / 10.0) * 51)
    rate = str(Fraction(fps).limit_denominator())
    return [
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-f", "rawvideo", "-vcodec", "rawvideo",
        "-s", f"{width}x{height}", "-pix_fmt", "rgb24", "-r", rate, "-i", "-", "-an",
        "-vcodec", "libx264", "-pix_fmt", "yuv420p", "-crf", str(crf), "-v", "error", str(path),
    ]  # fmt: skip


class _Encoder:
    """An ffmpeg child encoding the raw RGB frames sent to its stdin into an H.264 mp4.

    It stays in the caller's process group (imageio-ffmpeg's ``write_frames`` gives it a group of
    its own, which a Ctrl-C or a signal to the caller's group does not reach) and, on Linux, dies
    with the thread that started it (:func:`_die_with_caller`).
    """

    def __init__(self, path: Path, width: int, height: int, fps: float, quality: float):
        self.path = path
        self.log = tempfile.TemporaryFile()  # ffmpeg's errors, for the message if it fails
        try:
            self.proc = subprocess.Popen(
                _ffmpeg_command(path, width, height, fps, quality), stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=self.log, preexec_fn=_die_with_caller(),
            )  # fmt: skip
        except BaseException:
            self.log.close()
            raise

    def send(self, rgb: np.ndarray) -> bool:
        """Write one frame; False when ffmpeg has stopped reading (:meth:`close` says why)."""
        try:
            self.proc.stdin.write(rgb.tobytes())
        except BrokenPipeError:
            return False
        return True

    def close(self, *, kill: bool = False, check: bool = True) -> None:
        """Let ffmpeg finish the file with what it was sent (or ``kill`` it), and wait for it.

        Raises
        ------
        OSError
            With ``check``: ffmpeg failed (its exit status and last error line).
        """
        try:
            if kill:
                self.proc.kill()
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
            status = self.proc.wait()
            if check and status != 0:
                self.log.seek(0)
                text = self.log.read()[-2000:].decode("utf-8", "replace")
                lines = [line.strip() for line in text.splitlines() if line.strip()]
                detail = f": {lines[-1]}" if lines else ""
                raise OSError(f"ffmpeg could not write {self.path} (exit status {status}){detail}")
        finally:
            self.log.close()


def write_movie(
    frames: Iterable,
    path,
    *,
    fps: float = 20.0,
    quality: float = 8.0,
    progress: bool = False,
    total: int | None = None,
) -> Path:
    """Encode frames to an H.264 mp4 with the ffmpeg that the imageio-ffmpeg wheel carries.

    ffmpeg runs as a child in the caller's process group (a Ctrl-C or a signal to the group
    reaches it) and, on Linux, is killed by the kernel when the thread that started it ends, so
    it never outlives a killed caller.

    Parameters
    ----------
    frames
        :class:`AnimationFrame` objects (each is rendered as it arrives) or ``(height, width, 3)``
        uint8 arrays, all the same size. Odd sizes are padded with one black row/column (H.264 in
        yuv420p needs even sizes).
    path
        Output ``.mp4`` file; parent folders are created.
    fps
        Frames per second of the movie.
    quality
        imageio-ffmpeg's quality scale, 1 (worst) to 10 (best).
    progress
        Show a tqdm progress bar.
    total
        Number of frames, for the progress bar.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ValueError
        No frames, a frame whose size differs from the first, or a quality outside 1-10.
    OSError
        ffmpeg failed (the message gives its exit status and last error line).
    """
    from tqdm.auto import tqdm

    if not 1 <= quality <= 10:
        raise ValueError(f"quality must be between 1 and 10, got {quality!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    encoder = None
    size = None
    count = 0
    try:
        for item in tqdm(frames, total=total, disable=not progress, unit="frame", desc=path.name):
            rgb = item.render() if isinstance(item, AnimationFrame) else np.asarray(item)
            if rgb.ndim != 3 or rgb.shape[2] != 3:
                raise ValueError(f"frame {count} must be (height, width, 3) RGB, got {rgb.shape}")
            if size is None:
                size = rgb.shape[:2]
                height, width = size[0] + size[0] % 2, size[1] + size[1] % 2
                encoder = _Encoder(path, width, height, fps, quality)
            elif rgb.shape[:2] != size:
                raise ValueError(f"frame {count} is {rgb.shape[:2]}, the first frame was {size}")
            padded = np.zeros((height, width, 3), dtype=np.uint8)
            padded[: size[0], : size[1]] = rgb
            if not encoder.send(padded):
                break  # ffmpeg stopped: close() raises with its reason
            count += 1
    except BaseException as exc:
        if encoder is not None:
            # An error in the frames: ffmpeg finishes the movie with the frames it was sent, and
            # the error propagates. Ctrl-C or SystemExit: no waiting for the encoder.
            encoder.close(kill=not isinstance(exc, Exception), check=False)
        raise
    if encoder is not None:
        encoder.close()
    if count == 0:
        raise ValueError(f"no frames to write to {path}: the imager's time range has no frames")
    return path


def _animate(frames, path, hook, fps, progress, total):
    def drawn():
        for frame in frames:
            if hook is not None:
                hook(frame)
            yield frame

    return write_movie(drawn(), path, fps=fps, progress=progress, total=total)


def _frame_count(imager) -> int | None:
    try:
        return len(imager)
    except TypeError:
        return None


def animate_fisheye(
    imager,
    path,
    *,
    hook: Callable[[AnimationFrame], None] | None = None,
    fps: float = 20.0,
    progress: bool = True,
    **kwargs,
) -> Path:
    """Write the imager's fisheye frames to an mp4.

    Parameters
    ----------
    imager
        An :class:`~aurorax.asi.Imager`; all its frames are animated.
    path
        Output ``.mp4`` path.
    hook
        Called with each :class:`AnimationFrame` before it is written (draw a satellite, say).
    fps
        Frames per second.
    progress
        Show a progress bar.
    **kwargs
        Passed to :func:`iter_fisheye_frames` (``mode``, ``cmap``, ``vmin``, ``vmax``, ``scale``,
        ``label``).

    Returns
    -------
    Path
    """
    frames = iter_fisheye_frames(imager, **kwargs)
    return _animate(frames, path, hook, fps, progress, _frame_count(imager))


def animate_map(
    imager,
    path,
    *,
    hook: Callable[[AnimationFrame], None] | None = None,
    fps: float = 20.0,
    progress: bool = True,
    **kwargs,
) -> Path:
    """Write the imager's frames projected on a map to an mp4.

    Same as :func:`animate_fisheye`; ``**kwargs`` go to :func:`iter_map_frames`
    (``altitude_km``, ``min_elevation_deg``, ``lon_bounds``, ``lat_bounds``, ...).
    """
    frames = iter_map_frames(imager, **kwargs)
    return _animate(frames, path, hook, fps, progress, _frame_count(imager))
