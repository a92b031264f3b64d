"""``build_demo``: assemble the demo repository from the sites, orbits, auroral and weather models."""

from __future__ import annotations

import multiprocessing
import os
import time as _time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from aurorax import geo
from aurorax.engine import Repository, StoreError
from aurorax.geo import AACGM_FOOTPRINT_MAX_ALTITUDE_KM

from ._model import AuroralModel
from ._orbits import SPACECRAFT
from ._products import render_demo_products
from ._records import ground_frame, keogram_frame, movie_frame, space_frame
from ._schemas import DEMO_MARKER, ground_data_source, space_data_source
from ._sites import load_sites
from ._weather import WeatherModel

__all__ = [
    "DemoSummary",
    "DemoBuildError",
    "build_demo",
    "demo_programs",
    "DARK_SUN_ELEVATION_DEG",
    "AACGM_FOOTPRINT_MAX_ALTITUDE_KM",
    "IMAGE_CADENCE_S",
    "IMAGE_BINNING",
    "TREX_IMAGE_CADENCE_S",
    "RENDERED_PROGRAMS",
    "DEFAULT_DAYS",
]

#: Imagers operate when the Sun is below this elevation (degrees): astronomical darkness begins at
#: -18 deg, but THEMIS/REGO/TREx start imaging at -12 deg (nautical dusk).
DARK_SUN_ELEVATION_DEG = -12.0
#: Frame cadence (s) of the images ``build_demo`` renders: one frame every 10 minutes (plus the
#: first operating minute of each hour) keeps every imager of every night of the default week to a
#: few minutes of rendering (the real THEMIS cadence is 3 s, 200x more frames;
#: ``render_demo_images`` renders any cadence).
IMAGE_CADENCE_S = 600.0
#: Model evaluation block of the rendered THEMIS images (REGO uses twice it, the same ground
#: resolution): the auroral model is evaluated once per 4 x 4 pixels (~15 km at zenith, below the
#: width of the arcs' bright cores seen from the horizon), the noise stays per pixel.
IMAGE_BINNING = 4
#: Frame cadence (s) of the TREx RGB colour images ``build_demo`` renders: one frame every 20
#: minutes (plus the first operating minute of each hour; the real TREx RGB cadence is 3 s, 400x
#: more frames), at 128 x 128 pixels (the real frames are 480 x 553; see ``TREX_LENS``), so
#: that its six imagers add seconds, not minutes, to the build. A coarser ``image_cadence_s``
#: applies to TREx RGB too (the larger of the two is used).
TREX_IMAGE_CADENCE_S = 1200.0
#: Programs whose images ``build_demo`` renders (every built imager of them, every night):
#: THEMIS ASI and REGO at ``image_cadence_s``, TREx RGB colour at ``TREX_IMAGE_CADENCE_S``.
RENDERED_PROGRAMS = ("themis-asi", "rego", "trex")
#: Default span of the demo (days from 2021-12-01): a week, every night of it rendered.
DEFAULT_DAYS = 7
_MAX_DAYS = 3660


class DemoBuildError(ValueError):
    """``build_demo`` was given options it cannot use, or the target file cannot be replaced."""


@dataclass(frozen=True)
class DemoSummary:
    """What ``build_demo`` built.

    Attributes
    ----------
    db_path
        The repository file.
    start, end
        The span, ``[start, end)`` (UTC).
    seed
        Seed of every model.
    data_sources
        Number of data sources created.
    ephemeris_records, data_product_records
        Records stored.
    elapsed_s
        Wall-clock build time (s).
    stage_seconds
        ``(stage, seconds)`` pairs: ``models`` (auroral/weather models, MLT), ``ground`` (imager
        ephemeris and keogram records), ``space`` (spacecraft), ``images`` (rendered images,
        keograms and movies of the first ``image_nights`` nights), ``optimize`` (table clustering).
    image_nights
        UTC days whose images and products were rendered.
    rendered_imagers
        ``(program, site_uid)`` of the imagers rendered (the built imagers of
        ``RENDERED_PROGRAMS`` that operated on those days).
    asi_dir, products_dir
        Where the images and the product files went.
    """

    db_path: Path
    start: pd.Timestamp
    end: pd.Timestamp
    seed: int
    data_sources: int
    ephemeris_records: int
    data_product_records: int
    elapsed_s: float
    stage_seconds: tuple[tuple[str, float], ...]
    image_nights: int = 0
    rendered_imagers: tuple[tuple[str, str], ...] = ()
    asi_dir: Path | None = None
    products_dir: Path | None = None

    def __str__(self) -> str:
        days = (self.end - self.start).days
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.stage_seconds)
        lines = [
            f"demo repository {self.db_path}: {days} day(s) from {self.start:%Y-%m-%d}, "
            f"seed {self.seed}",
            f"  {self.data_sources} data sources, {self.ephemeris_records:,} ephemeris records, "
            f"{self.data_product_records:,} data product records",
            f"  built in {self.elapsed_s:.1f} s ({stages})",
        ]
        if self.image_nights:
            sites = ", ".join(f"{p} {s.upper()}" for p, s in self.rendered_imagers)
            lines.append(
                f"  images of {self.image_nights} night(s) for {len(self.rendered_imagers)} "
                f"imagers ({sites}) in {self.asi_dir}; products in {self.products_dir}"
            )
        return "\n".join(lines)


def demo_programs() -> dict[str, tuple[str, ...]]:
    """Programs of the demo and their platforms (ground sites and spacecraft)."""
    programs: dict[str, list[str]] = {}
    for row in load_sites().itertuples():
        programs.setdefault(row.program, []).append(row.platform)
    for sc in SPACECRAFT:
        programs.setdefault(sc.program, []).append(sc.platform)
    return {k: tuple(v) for k, v in programs.items()}


def _span(start, days) -> tuple[pd.Timestamp, pd.Timestamp]:
    if isinstance(start, datetime | pd.Timestamp):
        ts = pd.Timestamp(start)
    elif isinstance(start, date):
        ts = pd.Timestamp(start.isoformat())
    else:
        try:
            ts = pd.Timestamp(start)
        except (TypeError, ValueError):
            raise DemoBuildError(f"start must be a date, got {start!r}") from None
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    if ts != ts.normalize():
        raise DemoBuildError(f"start must be a whole UTC day (00:00), got {ts.isoformat()}")
    if (
        isinstance(days, bool)
        or not isinstance(days, int | np.integer)
        or not 1 <= days <= _MAX_DAYS
    ):
        raise DemoBuildError(f"days must be an integer from 1 to {_MAX_DAYS}, got {days!r}")
    return ts, ts + pd.Timedelta(days=int(days))


def _select(sites: pd.DataFrame, programs, platforms):
    known = demo_programs()
    spacecraft = list(SPACECRAFT)
    if programs is not None:
        programs = [programs] if isinstance(programs, str) else list(programs)
        unknown = sorted(set(programs) - set(known))
        if unknown:
            raise DemoBuildError(f"unknown program(s) {unknown}; demo programs are {sorted(known)}")
        sites = sites[sites["program"].isin(programs)]
        spacecraft = [sc for sc in spacecraft if sc.program in programs]
    if platforms is not None:
        platforms = [platforms] if isinstance(platforms, str) else list(platforms)
        all_platforms = {p for values in known.values() for p in values}
        unknown = sorted(set(platforms) - all_platforms)
        if unknown:
            raise DemoBuildError(
                f"unknown platform(s) {unknown}; demo platforms are {sorted(all_platforms)}"
            )
        sites = sites[sites["platform"].isin(platforms)]
        spacecraft = [sc for sc in spacecraft if sc.platform in platforms]
    if sites.empty and not spacecraft:
        raise DemoBuildError(
            f"programs={programs} and platforms={platforms} select no demo data source"
        )
    return sites.reset_index(drop=True), spacecraft


def _is_demo(path: Path) -> bool:
    try:
        with Repository(path, read_only=True) as repo:
            sources = repo.list_data_sources()
    except (StoreError, OSError):
        return False
    return bool(sources) and all(DEMO_MARKER in s.metadata for s in sources)


def _remove(path: Path) -> None:
    for p in (path, Path(str(path) + ".wal")):
        if p.exists():
            p.unlink()


_WORKER_MODELS: dict = {}


def _noop() -> None:
    return None


def _start_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of image workers, started now (before the repository is opened).

    On POSIX the workers are forked, so a calling script without an ``if __name__ ==
    "__main__"`` guard is not run again in them; forking before DuckDB opens the repository
    keeps its threads and file out of the children. Elsewhere they are spawned.
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
    for job in [pool.submit(_noop) for _ in range(workers)]:
        job.result()
    return pool


def _render_imager(
    seed, start_ts, end_ts, sites, key, image_days, minutes, asi_dir, products_dir, cadence_s,
    binning,
) -> pd.DataFrame:  # fmt: skip
    """Render one imager's nights (images, keograms, movies); runs in a worker process too.

    The models are rebuilt from the seed and span (they are deterministic in them), once per
    process; the noise of each file depends only on the seed, the imager and the hour, so the
    files do not depend on which process renders them or in which order.
    """
    cache_key = (seed, start_ts, end_ts, tuple(map(tuple, sites[["program", "site_uid"]].values)))
    if cache_key not in _WORKER_MODELS:
        _WORKER_MODELS.clear()
        _WORKER_MODELS[cache_key] = (
            AuroralModel(seed, start_ts, end_ts),
            WeatherModel(seed, sites, start_ts, end_ts),
        )
    model, weather = _WORKER_MODELS[cache_key]
    return render_demo_products(
        asi_dir, products_dir, model, image_days, sites=sites, imagers=[key], weather=weather,
        cadence_s=cadence_s, binning=binning, seed=seed, operating={key: minutes},
    )  # fmt: skip


def build_demo(
    db_path: str | Path,
    start: date | datetime | str = date(2021, 12, 1),
    days: int = DEFAULT_DAYS,
    seed: int = 2021,
    progress: bool = True,
    overwrite: bool = False,
    programs: Sequence[str] | str | None = None,
    platforms: Sequence[str] | str | None = None,
    image_nights: int | None = None,
    asi_dir: str | Path | None = None,
    products_dir: str | Path | None = None,
    image_cadence_s: float = IMAGE_CADENCE_S,
    image_binning: int = IMAGE_BINNING,
    image_workers: int | None = None,
) -> DemoSummary:
    """Build the demo data repository (offline, deterministic in ``seed``).

    Parameters
    ----------
    db_path
        DuckDB file to create. It is built beside the target under a temporary name and moved
        into place at the end, so an interrupted build leaves no half-written repository.
    start
        First UTC day of the span (a date, or a datetime at 00:00 UTC).
    days
        Length of the span in days (1 to 3660); the span is ``[start, start + days)``.
    seed
        Seed of the auroral, weather and outage models (same seed -> identical tables).
    progress
        Show a tqdm progress bar over the build stages and sources (on stderr).
    overwrite
        Replace ``db_path`` if it exists *and* is a demo repository built by this function;
        any other existing file is never replaced.
    programs, platforms
        Restrict the build to these programs (e.g. ``["themis-asi", "themis"]``) and/or platforms
        (e.g. ``["gillam", "themisa"]``); ``None`` = all. See :func:`demo_programs`.
    image_nights
        Render all-sky images, keograms and movies for the first ``image_nights`` UTC days of the
        span (0 to ``days``; 0 = none; None, the default = every day) for every built imager of
        ``RENDERED_PROGRAMS`` (THEMIS ASI, REGO and TREx RGB).
        Frames are rendered at the imager's operating minutes (every ``image_cadence_s``), so
        every keogram record of those days names a PNG that exists; one daily movie record per
        rendered imager-day is added (``movie_type`` ``daily``, same ``start``/``end``/
        ``operating_minutes`` as the daily keogram). Existing image and product files are kept
        (never replaced, so real data in ``asi_dir`` is safe; delete them to re-render).
    asi_dir
        Folder for the image files and skymaps (the ASI core's layout, ``aurorax.asi.image_path``). Default: ``asi`` beside
        ``db_path`` (``<db dir>/asi``, which is the configured ``asi_dir`` when the config's
        defaults are used; the CLI passes ``settings.asi_dir``).
    products_dir
        Folder for the keogram PNGs and movies, at the paths of their ``/products/...`` URLs.
        Default: ``products`` beside ``db_path`` (``<db dir>/products``).
    image_cadence_s, image_binning
        Frame cadence (s) and model binning of the rendered images (see ``IMAGE_CADENCE_S``,
        ``IMAGE_BINNING``); ``image_cadence_s`` must divide 3600. TREx RGB renders at the larger
        of ``image_cadence_s`` and ``TREX_IMAGE_CADENCE_S``.
    image_workers
        Processes rendering images alongside the build (default: 2, or 1 on a one-core
        machine; 0 or 1 = render in this process). The files are the same either way.

    Returns
    -------
    DemoSummary

    Raises
    ------
    DemoBuildError
        Bad ``start``/``days``/``image_nights``/``image_cadence_s``, unknown program or platform
        (the message lists the known ones), or ``db_path`` exists and ``overwrite`` is false or it
        is not a demo repository.
    """
    t_begin = _time.perf_counter()
    start_ts, end_ts = _span(start, days)
    seed = int(seed)
    db_path = Path(db_path).expanduser()
    sites, spacecraft = _select(load_sites(), programs, platforms)
    if image_nights is None:
        image_nights = int(days)
    if (
        isinstance(image_nights, bool)
        or not isinstance(image_nights, int | np.integer)
        or not 0 <= image_nights <= days
    ):
        raise DemoBuildError(
            f"image_nights must be an integer from 0 to days ({days}), got {image_nights!r}"
        )
    if not (image_cadence_s > 0 and (3600.0 / image_cadence_s).is_integer()):
        raise DemoBuildError(f"image_cadence_s must divide 3600 s, got {image_cadence_s!r}")
    asi_dir = Path(asi_dir).expanduser() if asi_dir is not None else db_path.parent / "asi"
    products_dir = (
        Path(products_dir).expanduser() if products_dir is not None else db_path.parent / "products"
    )
    if image_workers is None:
        image_workers = min(2, os.cpu_count() or 1)
    if isinstance(image_workers, bool) or not isinstance(image_workers, int | np.integer):
        raise DemoBuildError(f"image_workers must be an integer >= 0, got {image_workers!r}")
    if image_workers < 0:
        raise DemoBuildError(f"image_workers must be an integer >= 0, got {image_workers!r}")
    image_days = pd.date_range(start_ts, periods=int(image_nights), freq="D")
    to_render = [
        (row.program, row.site_uid)
        for row in sites.itertuples()
        if row.program in RENDERED_PROGRAMS and len(image_days)
    ]
    if db_path.exists():
        if not overwrite:
            raise DemoBuildError(f"{db_path} already exists; pass overwrite=True to replace it")
        if not _is_demo(db_path):
            raise DemoBuildError(
                f"{db_path} exists and is not an aurorax demo repository; refusing to overwrite it"
            )
    building = db_path.with_name(f".{db_path.name}.building")
    _remove(building)

    stages: dict[str, float] = {}
    # Imagers at one physical site share its sky, sun and field-of-view model evaluation. (REGO and
    # TREx at Lucky Lake share a site_uid but their cited coordinates differ by 11 km.)
    unique_sites = sites.drop_duplicates(["site_uid", "lat", "lon"])
    bar = tqdm(
        total=2 + len(unique_sites) + len(spacecraft) + len(to_render),
        desc="demo build",
        unit="step",
        disable=not progress,
    )

    def stage(name: str, since: float) -> float:
        now = _time.perf_counter()
        stages[name] = stages.get(name, 0.0) + now - since
        return now

    t = _time.perf_counter()
    bar.set_postfix_str("models")
    minutes = pd.date_range(start_ts, end_ts, freq="1min", inclusive="left")
    t64 = minutes.tz_convert(None).to_numpy()
    model = AuroralModel(seed, start_ts, end_ts)
    weather = WeatherModel(seed, sites, start_ts, end_ts) if len(sites) else None
    mlt0 = geo.magnetic_local_time(np.zeros(len(minutes)), t64)
    mid = (start_ts + (end_ts - start_ts) / 2).tz_convert(None).to_pydatetime()
    bar.update()
    t = stage("models", t)

    ephemeris = products = 0
    daily_keograms: dict[tuple[str, str], pd.DataFrame] = {}
    jobs: dict[tuple[str, str], Future | tuple] = {}
    rendered: list[tuple[str, str]] = []
    pool = None
    if image_workers > 1 and len(to_render) > 1:
        pool = _start_pool(image_workers)

    def render(key, in_days):
        # Submitted as soon as an imager's operating minutes are known, so the workers render
        # while this process builds the other sites and the spacecraft.
        cadence_s = image_cadence_s
        if key[0] == "trex":
            cadence_s = max(image_cadence_s, TREX_IMAGE_CADENCE_S)
        args = (
            seed, start_ts, end_ts, sites, key, image_days, in_days, asi_dir, products_dir,
            cadence_s, image_binning,
        )  # fmt: skip
        jobs[key] = pool.submit(_render_imager, *args) if pool is not None else args

    try:
        with Repository(building) as repo:
            idents = {}
            for site in sites.to_dict("records"):
                ds = repo.add_data_source(ground_data_source(site, seed, start_ts, days))
                idents[(site["program"], site["site_uid"])] = ds.identifier
            for sc in spacecraft:
                ds = repo.add_data_source(space_data_source(sc, seed, start_ts, days))
                idents[(sc.program, sc.platform)] = ds.identifier

            for _, first in unique_sites.iterrows():
                uid = first["site_uid"]
                bar.set_postfix_str(f"ground {uid}")
                lat, lon = float(first["lat"]), float(first["lon"])
                dark = geo.sun_elevation_deg(lat, lon, t64) < DARK_SUN_ELEVATION_DEG
                site_mlat, site_mlon = geo.geo_to_aacgm(lat, lon, 110.0, mid)
                site_mlt = (mlt0 + float(site_mlon) / 15.0) % 24.0
                cloud = weather.cloud_fraction(uid, minutes)
                fov = model.fov_components(minutes[dark], float(site_mlat), site_mlt[dark])
                day_index = pd.date_range(start_ts, end_ts, freq="D", inclusive="left")
                btrace = geo.ground_btrace(lat, lon, day_index.tz_convert(None).to_numpy())
                fp_day = pd.DataFrame(btrace._asdict(), index=day_index)
                here = (sites["site_uid"] == uid) & (sites["lat"] == lat) & (sites["lon"] == lon)
                for site in sites[here].to_dict("records"):
                    down = weather.outage(site["program"], uid, minutes[dark])
                    up = ~down
                    times = minutes[dark][up]
                    if times.empty:
                        continue
                    labels = model.classify(
                        times,
                        float(site_mlat),
                        site_mlt[dark][up],
                        cloud[dark][up],
                        key=f"{site['program']}/{uid}",
                        fov=fov[up].reset_index(drop=True),
                    )
                    key = (site["program"], uid)
                    ident = idents[key]
                    ephemeris += repo.ingest_ephemeris(
                        ground_frame(ident, times, site, fp_day, labels)
                    )
                    keograms = keogram_frame(ident, site["program"], uid, times)
                    products += repo.ingest_data_products(keograms)
                    if key in to_render:
                        in_days = times[times.floor("D").isin(image_days)]
                        if not in_days.empty:
                            daily_keograms[key] = keograms[
                                keograms["metadata.keogram_type"] == "daily"
                            ]
                            render(key, in_days)
                bar.update()
                t = stage("ground", t)

            for sc in spacecraft:
                bar.set_postfix_str(f"space {sc.platform}")
                ident = idents[(sc.program, sc.platform)]
                ephemeris += repo.ingest_ephemeris(space_frame(ident, sc, minutes, mlt0, model))
                bar.update()
                t = stage("space", t)

            for key in to_render:
                bar.set_postfix_str(f"images {key[0]} {key[1]}")
                if key in jobs:
                    job = jobs[key]
                    records = job.result() if isinstance(job, Future) else _render_imager(*job)
                    movies = movie_frame(records, idents[key], daily_keograms[key])
                    products += repo.ingest_data_products(movies)
                    rendered.append(key)
                bar.update()
                t = stage("images", t)

            bar.set_postfix_str("optimize")
            repo.optimize()
            bar.update()
            t = stage("optimize", t)
        if db_path.exists():
            _remove(db_path)
        os.replace(building, db_path)
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            pool = None
        _remove(building)
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
        bar.close()

    return DemoSummary(
        db_path=db_path,
        start=start_ts,
        end=end_ts,
        seed=seed,
        data_sources=len(sites) + len(spacecraft),
        ephemeris_records=int(ephemeris),
        data_product_records=int(products),
        elapsed_s=_time.perf_counter() - t_begin,
        stage_seconds=tuple(stages.items()),
        image_nights=len(image_days),
        rendered_imagers=tuple(rendered),
        asi_dir=asi_dir,
        products_dir=products_dir,
    )
