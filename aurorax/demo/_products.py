"""Data product files of the demo imagers: keogram PNGs (daily, hourly) and fisheye movies (mp4).

Files are written under ``settings.products_dir`` at the path of their server-relative URL (see
``_urls``: the server maps ``/products/<rest>`` to ``<products_dir>/<rest>``).

Keogram images follow the AuroraX keogram standard: full-bleed (no axes), 720 pixels wide spanning
the whole UT day (daily, 2 min per column) or hour (hourly, 5 s per column), north at the top,
white where there is no data, scaled from the night's dark sky (1st percentile) to at least
``DISPLAY_SPAN_R`` above it (:func:`keogram_limits`). TREx RGB keograms and movies are in colour:
the three channels scaled together between the same limits, so the colour balance is kept.
The keogram data come from the ASI core's :func:`aurorax.asi.make_keogram` (the camera meridian);
the movies from :func:`aurorax.asi.iter_fisheye_frames` and :func:`aurorax.asi.write_movie`
(what ``animate_fisheye`` does, at most ``MOVIE_SIZE_PX`` square), one per UT day of frames.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from aurorax.asi import Imager, Keogram, iter_fisheye_frames, stored_keogram, write_movie

from ._skymaps import core_program
from ._urls import keogram_url, movie_url, product_path

__all__ = [
    "KEOGRAM_WIDTH_PX",
    "keogram_image",
    "keogram_limits",
    "DISPLAY_SPAN_R",
    "write_keogram_png",
    "render_products",
    "render_demo_products",
]

KEOGRAM_WIDTH_PX = 720
#: Largest side (pixels) of the demo movies (REGO frames are subsampled to it).
MOVIE_SIZE_PX = 256
#: Minimum brightness range (Rayleighs at zenith) a demo keogram or movie spans from its dark sky
#: to white: a 6 kR green arc or a 1.5 kR red glow saturates (see :func:`keogram_limits`).
DISPLAY_SPAN_R = {"557.7": 6000.0, "630.0": 1500.0}
_COLOURS = {"themis-asi": "gray", "rego": "gist_heat"}


def keogram_image(
    keogram: Keogram,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    width_px: int = KEOGRAM_WIDTH_PX,
    limits: tuple[float, float] | None = None,
    cmap: str = "gray",
) -> np.ndarray:
    """A keogram as an RGB picture ``(n_y, width_px, 3)`` uint8 covering ``[start, end)``.

    A monochrome keogram (values ``(time, y)``) is drawn through the colour map ``cmap``; a
    colour one (``(time, y, 3)``, TREx RGB) as its own red, green and blue, the channels scaled
    together between ``limits``.

    Each column covers ``(end - start) / width_px`` and shows the frame whose exposure slot (from
    its time to one cadence later, the cadence being the median frame spacing) contains the
    column's middle; white where no frame's slot does (a data gap). Columns narrower than the
    cadence repeat a frame, wider ones show the last frame before their middle. Rows are the
    keogram's (row 0 = the northernmost pixel).
    """
    import matplotlib

    values = keogram.values.astype(np.float32)
    if limits is None:
        lo, hi = np.percentile(values, (1, 99)) if values.size else (0.0, 1.0)
    else:
        lo, hi = limits
    hi = hi if hi > lo else lo + 1.0
    lut = (matplotlib.colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    picture = np.full((values.shape[1], width_px, 3), 255, dtype=np.uint8)
    if len(keogram.times) == 0:
        return picture
    seconds = (keogram.times - start).total_seconds().to_numpy()
    span = (end - start).total_seconds()
    cadence = float(np.median(np.diff(seconds))) if len(seconds) > 1 else span / width_px
    middle = (np.arange(width_px) + 0.5) * span / width_px
    frame = np.searchsorted(seconds, middle, side="right") - 1
    covered = (frame >= 0) & (middle - seconds[np.clip(frame, 0, None)] < max(cadence, 1e-9))
    cols = np.flatnonzero(covered)
    level = (np.clip((values[frame[cols]] - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8)
    if level.ndim == 3:  # colour: (column, y, channel) is the picture already
        picture[:, cols] = level.transpose(1, 0, 2)
    else:
        picture[:, cols] = lut[level].transpose(1, 0, 2)
    return picture


def keogram_limits(values, program: str) -> tuple[float, float]:
    """Colour limits (counts) of a night's keogram and movie of a demo imager.

    The lower limit is the night's 1st percentile (the dark sky); the upper one the 99.5th
    percentile but at least :data:`DISPLAY_SPAN_R` Rayleighs (at zenith) above the lower, so a
    quiet night is not stretched until its noise fills the picture, and a substorm saturates
    instead of turning the rest of the night black.
    """
    from ._images import camera_for_program

    values = np.asarray(values, dtype=np.float32)
    if not values.size:
        return 0.0, 1.0
    camera = camera_for_program(program)
    lo, hi = (float(v) for v in np.percentile(values, (1, 99.5)))
    span = DISPLAY_SPAN_R[camera.emission] * camera.gain_counts_per_rayleigh
    return lo, max(hi, lo + span)


def write_keogram_png(picture: np.ndarray, path) -> Path:
    """Write an RGB picture (from :func:`keogram_image`) to ``path`` as a PNG, pixel for pixel."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(picture, dtype=np.uint8), "RGB").save(
        path, format="PNG", compress_level=3
    )
    return path


def render_products(
    asi_dir,
    products_dir,
    imagers: pd.DataFrame,
    days,
    *,
    hourly: bool = True,
    movies: bool = True,
    fps: float = 20.0,
    overwrite: bool = False,
    progress: bool = False,
) -> pd.DataFrame:
    """Render keograms (daily and hourly) and daily movies of demo imagers, and describe them.

    Parameters
    ----------
    asi_dir
        ASI data folder holding the rendered image files (see ``render_demo_images``).
    products_dir
        ``settings.products_dir``.
    imagers
        Rows with ``program`` (``themis-asi``, ``rego`` or ``trex``) and ``site_uid``.
    days
        UTC days to render (each day's frames, where image files exist).
    hourly
        Also write one keogram per hour with frames.
    movies
        Also write one fisheye movie per day.
    fps
        Movie frame rate.
    overwrite
        Re-render files that exist.
    progress
        Show a progress bar.

    Returns
    -------
    pandas.DataFrame
        Data product records, one per file: ``program``, ``site_uid``, ``data_product_type``
        (``keogram``/``movie``), ``start``, ``end`` (first and last frame, UTC), ``url``, ``path``,
        ``metadata.keogram_type`` / ``metadata.movie_type`` (``daily``/``hourly``; the other is
        None) and ``metadata.operating_minutes`` (distinct minutes with frames, as in the demo's
        keogram schema). Imager-days without image files are skipped.
    """
    from tqdm.auto import tqdm

    from aurorax.asi import AsiFileNotFoundError

    rows = []
    jobs = [(r.program, r.site_uid, pd.Timestamp(d)) for r in imagers.itertuples() for d in days]
    for program, site_uid, day in tqdm(jobs, disable=not progress, desc="demo products"):
        day = _utc_day(day)
        core = core_program(program)
        try:
            imager = Imager(
                site_uid, day, day + pd.Timedelta(days=1), program=core, asi_dir=asi_dir
            )
        except AsiFileNotFoundError:
            continue
        # Kept in the keogram store too: the dashboard's Keogramist reads it from there.
        keogram = stored_keogram(
            core, site_uid, day, day + pd.Timedelta(days=1), asi_dir, imager=imager
        )
        cmap = _COLOURS.get(program, "gray")
        limits = keogram_limits(keogram.values, program)
        buckets = [("daily", day, day + pd.Timedelta(days=1))]
        if hourly:
            for hour in keogram.times.floor("h").unique():
                buckets.append(("hourly", hour, hour + pd.Timedelta(hours=1)))
        for kind, start, end in buckets:
            url = keogram_url(program, site_uid, start, kind == "hourly")
            path = product_path(products_dir, url)
            sel = (keogram.times >= start) & (keogram.times < end)
            if overwrite or not path.exists():
                picture = keogram_image(keogram, start, end, limits=limits, cmap=cmap)
                write_keogram_png(picture, path)
            times = keogram.times[sel]
            rows.append(
                (
                    program,
                    site_uid,
                    "keogram",
                    times[0],
                    times[-1],
                    url,
                    path,
                    kind,
                    None,
                    times.floor("min").nunique(),
                )
            )
        if movies:
            url = movie_url(program, site_uid, day)
            path = product_path(products_dir, url)
            if overwrite or not path.exists():
                # Movies are at most MOVIE_SIZE_PX square: REGO's 512 x 512 frames are shown at
                # half size (every other pixel), which halves the cost of encoding them.
                step = max(1, imager.skymap.elevation.shape[0] // MOVIE_SIZE_PX)
                write_movie(
                    (rgb[::step, ::step] for rgb in _movie_frames(imager, cmap, limits)),
                    path,
                    fps=fps,
                )
            times = imager.times
            rows.append(
                (
                    program,
                    site_uid,
                    "movie",
                    times[0],
                    times[-1],
                    url,
                    path,
                    None,
                    "daily",
                    times.floor("min").nunique(),
                )
            )
    columns = [
        "program", "site_uid", "data_product_type", "start", "end", "url", "path",
        "metadata.keogram_type", "metadata.movie_type", "metadata.operating_minutes",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _movie_frames(imager: Imager, cmap: str, limits: tuple[float, float]):
    """RGB pictures of the imager's frames between ``limits``; black outside the sky."""
    if imager[0][1].ndim == 2:
        frames = iter_fisheye_frames(
            imager, mode="rgb", scale=1, cmap=cmap, vmin=limits[0], vmax=limits[1]
        )
        yield from (f.rgb for f in frames)
        return
    # Colour frames (TREx RGB) are their own picture: the channels scaled together.
    lo, hi = limits
    hi = hi if hi > lo else lo + 1.0
    sky = np.isfinite(imager.skymap.elevation)[..., None]
    for _, frame in imager.iter_frames():
        level = np.clip((frame.astype(np.float32) - lo) / (hi - lo), 0.0, 1.0) * 255.0
        yield np.where(sky, level, 0.0).astype(np.uint8)


def _utc_day(day) -> pd.Timestamp:
    day = pd.Timestamp(day)
    return (day.tz_localize("UTC") if day.tzinfo is None else day.tz_convert("UTC")).normalize()


def render_demo_products(
    asi_dir,
    products_dir,
    model,
    days,
    *,
    sites: pd.DataFrame | None = None,
    imagers=None,
    weather=None,
    cadence_s: float = 120.0,
    binning: int = 2,
    seed: int = 2021,
    progress: bool = False,
    operating=None,
) -> pd.DataFrame:
    """Render the demo images of a few nights and their data products, in one call.

    For each imager and UTC day: the dark hours at the site (Sun below -12 degrees), or the hours
    in which it operated if ``operating`` gives its minutes, frames every ``cadence_s`` seconds
    from the auroral model (``render_demo_images``), then the daily and hourly keograms and the
    daily movie (:func:`render_products`). Existing files are kept.

    Parameters
    ----------
    asi_dir, products_dir
        ``settings.asi_dir`` and ``settings.products_dir``.
    model
        The demo's :class:`AuroralModel`.
    days
        UTC days to render.
    sites
        The sites table (default :func:`load_sites`).
    imagers
        ``(program, site_uid)`` pairs (default ``DEMO_IMAGE_SITES``).
    weather
        Optional ``WeatherModel`` (clouds dim the frames).
    cadence_s, binning, seed
        See ``render_demo_images``. 120 s frames fill the daily keogram's 2-minute columns
        exactly; ``build_demo`` renders 600 s frames (see ``IMAGE_CADENCE_S``).
    progress
        Show progress bars.
    operating
        Optional mapping ``(program, site_uid) -> DatetimeIndex`` of operating minutes (see
        ``render_demo_images``); ``build_demo`` passes the minutes of its ephemeris records so
        that the rendered keograms are exactly the ones its keogram records name.

    Returns
    -------
    pandas.DataFrame
        The data product records of :func:`render_products`.
    """
    from ._images import DEMO_IMAGE_SITES, dark_hours, render_demo_images
    from ._sites import load_sites

    sites = load_sites() if sites is None else sites
    imagers = DEMO_IMAGE_SITES if imagers is None else imagers
    chosen = []
    for program, site_uid in imagers:
        match = sites[(sites["program"] == program) & (sites["site_uid"] == site_uid)]
        if match.empty:
            raise ValueError(f"imager {program}/{site_uid} is not in the sites table")
        chosen.append(match.iloc[0])
    table = pd.DataFrame(chosen).reset_index(drop=True)
    for row in table.itertuples(index=False):
        key = (row.program, row.site_uid)
        if operating is not None and key in operating:
            minutes = pd.DatetimeIndex(operating[key])
            minutes = minutes.tz_localize("UTC") if minutes.tz is None else minutes
            wanted = {_utc_day(d) for d in days}
            hours = [h for h in minutes.floor("h").unique() if h.normalize() in wanted]
        else:
            hours = [h for d in days for h in dark_hours(row.lat, row.lon, d)]
        render_demo_images(
            asi_dir, table[(table.program == row.program) & (table.site_uid == row.site_uid)],
            model, hours, cadence_s=cadence_s, binning=binning, weather=weather, seed=seed,
            progress=progress, operating=operating,
        )  # fmt: skip
    return render_products(
        asi_dir, products_dir, table[["program", "site_uid"]], days, progress=progress
    )
