"""The dashboard's only road into the library: cached reads of the repository.

Each function opens its own read-only cursor (STYLE.md: one writer; readers open their own cursors) and
returns plain data (DataFrames), so pages never touch DuckDB directly.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import panel as pn

from aurorax.engine import Repository, shared_repository

__all__ = ["availability", "cached_on", "cached_on_repository", "repository_counts"]


@contextmanager
def _reading(db_path) -> Iterator[Repository]:
    """The repository to read: the process's shared one when the server opened it (the API may
    hold it writable, and DuckDB refuses a second, read-only open of that file), else a
    read-only connection of our own for this call."""
    shared = shared_repository(db_path)
    if shared is not None:
        yield shared
        return
    with Repository(Path(db_path), read_only=True) as repo:
        yield repo


def _stamp(path: Path) -> tuple:
    """Cache key of the repository's content: the file's and its WAL's modification times, and
    the shared repository's count of committed writes (in-process writes may touch neither file
    until DuckDB checkpoints)."""
    wal = path.with_name(path.name + ".wal")
    shared = shared_repository(path)
    return (
        path.stat().st_mtime_ns,
        wal.stat().st_mtime_ns if wal.exists() else 0,
        -1 if shared is None else shared.changes,
    )


def _hashable(value):
    # pn.cache hashes its arguments; lists (of members, programs) become tuples so that equal
    # arguments give one key whatever sequence type the caller passed.
    return tuple(value) if isinstance(value, list) else value


def cached_on(stamp_of: Callable, max_items: int):
    """Cache a service with ``pn.cache``, keyed on its arguments and on ``stamp_of(*arguments)``.

    ``stamp_of`` receives the service's arguments (defaults applied, lists as tuples) and
    returns ``(arguments, stamp)``: the arguments the service is called with (e.g. a path made
    a string) and what the content they name looks like now (modification times, a write
    counter). A changed stamp is a new key, so a written file is read afresh.
    """

    def wrap(func):
        signature = inspect.signature(func)

        def compute(stamp, *arguments):
            return func(*arguments)

        # pn.cache keeps one cache per (module file, function name): the inner function takes
        # the service's name so that every service has a cache of its own.
        compute.__name__ = compute.__qualname__ = func.__name__
        compute.__module__ = func.__module__
        cached = pn.cache(compute, max_items=max_items, policy="LRU")

        @functools.wraps(func)
        def service(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments, stamp = stamp_of(*(_hashable(v) for v in bound.arguments.values()))
            return cached(stamp, *arguments)

        return service

    return wrap


def _existing(db_path) -> Path:
    path = Path(db_path)
    if not path.exists():
        raise FileNotFoundError(f"no repository at {path}")
    return path


def _repository_stamp(db_path, *arguments) -> tuple:
    path = _existing(db_path)
    return (str(path), *arguments), _stamp(path)


def cached_on_repository(max_items: int):
    """Cache a service ``func(db_path, ...)`` that reads the repository at ``db_path``: the key
    is its arguments and the repository's content stamp (the file's and its WAL's modification
    times, the shared repository's count of writes), so a write is seen at once. A missing file
    is a ``FileNotFoundError``; ``db_path`` reaches ``func`` as a string."""
    return cached_on(_repository_stamp, max_items)


@cached_on_repository(max_items=16)
def repository_counts(db_path: Path) -> pd.DataFrame:
    """Data sources with their record counts (see ``Repository.counts``).

    Raises
    ------
    FileNotFoundError
        When there is no repository file at ``db_path``.
    """
    with _reading(db_path) as repo:
        return repo.counts()


@cached_on_repository(max_items=64)
def availability(db_path: Path, start=None, end=None) -> pd.DataFrame:
    """Per-source, per-day record counts in ``[start, end)`` (see ``Repository.availability``)."""
    with _reading(db_path) as repo:
        return repo.availability(start=start, end=end)


# -- conjunction search page ------------------------------------------------------------------
__all__ += ["data_sources", "search_conjunctions", "member_tracks", "night_products"]


@cached_on_repository(max_items=16)
def data_sources(db_path: Path) -> list:
    """Every data source of the repository (``DataSource`` values, ordered by identifier)."""
    with _reading(db_path) as repo:
        return repo.list_data_sources()


@cached_on_repository(max_items=32)
def search_conjunctions(db_path: Path, query_json: str):
    """``aurorax.engine.search_conjunctions`` on an AuroraX JSON body (a string, the cache key)."""
    import json

    from aurorax.engine import search_conjunctions as _search

    with _reading(db_path) as repo:
        return _search(repo, json.loads(query_json))


@cached_on_repository(max_items=64)
def member_tracks(db_path: Path, start, end, members, location: str) -> pd.DataFrame:
    """Locations of data sources in ``[start, end)``: ``name, epoch, lat, lon`` (degrees).

    ``members`` is a sequence of ``(identifier, program, platform)``; ``location`` one of
    ``geo``, ``nbtrace``, ``sbtrace``.
    """
    from aurorax.engine import EphemerisQuery, search_ephemeris

    frames = []
    with _reading(db_path) as repo:
        for identifier, program, platform in members:
            rows = search_ephemeris(
                repo, EphemerisQuery(start, end, programs=[program], platforms=[platform])
            )
            rows = rows[rows["data_source"] == identifier]
            frames.append(
                pd.DataFrame(
                    {
                        "name": rows["display_name"],
                        "epoch": rows["epoch"],
                        "lat": rows[f"{location}_lat"],
                        "lon": rows[f"{location}_lon"],
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=["name", "epoch", "lat", "lon"])
    return pd.concat(frames, ignore_index=True).dropna(subset=["lat", "lon"])


@cached_on_repository(max_items=64)
def night_products(db_path: Path, start, end, members) -> pd.DataFrame:
    """Keogram and movie data products of ``members`` (``(identifier, program, platform)``)
    lying in ``[start, end)`` (see ``search_data_products``)."""
    from aurorax.engine import DataProductQuery, search_data_products

    frames = []
    with _reading(db_path) as repo:
        for identifier, program, platform in members:
            rows = search_data_products(
                repo,
                DataProductQuery(
                    start,
                    end,
                    programs=[program],
                    platforms=[platform],
                    data_product_types=["keogram", "movie"],
                ),
            )
            frames.append(rows[rows["data_source"] == identifier])
    if not frames:
        return pd.DataFrame(columns=["display_name", "data_product_type", "start", "url"])
    return pd.concat(frames, ignore_index=True)


# -- keogramist page --------------------------------------------------------------------------
__all__ += ["daily_keograms", "daily_movies", "keogram_of_day", "fisheye_at", "movie_fps"]


@cached_on_repository(max_items=32)
def _daily_products(db_path, start, end, programs, filter_json, kind) -> pd.DataFrame:
    import json

    from aurorax.engine import DataProductQuery, search_data_products

    query = DataProductQuery(
        start,
        end,
        programs=programs,
        metadata_filter=json.loads(filter_json),
        data_product_types=[kind],
    )
    with _reading(db_path) as repo:
        rows = search_data_products(repo, query)
        uids = {s.identifier: s.metadata.get("site_uid") for s in repo.list_data_sources()}
    daily = [(m or {}).get(f"{kind}_type") == "daily" for m in rows["metadata"]]
    rows = rows.loc[pd.Series(daily, index=rows.index, dtype=bool)].copy()
    rows["site_uid"] = rows["data_source"].map(uids)
    return rows.reset_index(drop=True)


def daily_keograms(db_path: Path, start, end, programs=(), filter_json: str = "{}") -> pd.DataFrame:
    """Daily keogram records in ``[start, end)`` of ``programs`` (empty = all) matching a data
    product metadata filter (AuroraX JSON, a string so it can be the cache key): the columns of
    ``search_data_products`` plus ``site_uid`` (from the data source's metadata, or None)."""
    return _daily_products(db_path, start, end, tuple(programs), filter_json, "keogram")


def daily_movies(db_path: Path, start, end, programs=()) -> pd.DataFrame:
    """Daily movie records (``metadata.movie_type`` daily) in ``[start, end)``, as
    :func:`daily_keograms` gives the keograms."""
    return _daily_products(db_path, start, end, tuple(programs), "{}", "movie")


def _file_stamp(path) -> tuple:
    return (str(path),), Path(path).stat().st_mtime_ns


@cached_on(_file_stamp, max_items=128)
def movie_fps(path: Path) -> float:
    """Frames per second of a movie file, measured (frame count / duration)."""
    import imageio_ffmpeg

    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    return frames / seconds if seconds > 0 else float("nan")


def _imager_program(program: str) -> str:
    # Repository programs ("themis-asi", "rego") -> the reader family of aurorax.asi.
    return "themis" if program.lower().startswith("themis") else program.lower()


def _image_files_stamp(asi_dir, program: str, site_uid: str, start, end, files) -> tuple:
    """The arguments of an image service with the repository program turned into the reader's
    and the imager's local files in ``[start, end)`` found (unless given); the stamp is those
    files' modification times, so a replaced file is read afresh."""
    from aurorax.asi import find_image_files

    core = _imager_program(program)
    if files is None:
        files = find_image_files(core, site_uid, start, end, Path(asi_dir), None, False)
    paths = tuple(str(f) for f in files)
    stamp = tuple(Path(f).stat().st_mtime_ns for f in paths)
    return (str(asi_dir), core, site_uid, start, end, paths), stamp


@cached_on(_image_files_stamp, max_items=128)
def keogram_of_day(asi_dir: Path, program: str, site_uid: str, start, end, files=None):
    """The meridian keogram (``aurorax.asi.make_keogram``) of one imager from the image files
    under ``asi_dir`` in ``[start, end)`` (or ``files``); nothing is downloaded.

    Raises
    ------
    aurorax.asi.AsiFileNotFoundError
        No image file or frame in the range.
    """
    from aurorax.asi import stored_keogram

    # From the keogram store beside the images when it was made from these files (the demo
    # builder fills it), so a fresh server does not re-read every night's frames.
    return stored_keogram(program, site_uid, start, end, Path(asi_dir), files=list(files))


def fisheye_at(asi_dir: Path, program: str, site_uid: str, start, end, time):
    """The frame nearest ``time`` (``Imager.fisheye``) of one imager's files in ``[start, end)``."""
    from aurorax.asi import Imager

    program = _imager_program(program)
    imager = Imager(site_uid, start, end, program=program, asi_dir=Path(asi_dir), download=False)
    return imager.fisheye(time)


# -- event explorer page ----------------------------------------------------------------------
__all__ += ["asi_mosaic_at", "imager_hours", "space_ephemeris"]


def _ground_imagers(db_path: Path) -> tuple:
    # (reader program, site_uid, display name) of the repository's all-sky imagers with image
    # files the ASI core reads: THEMIS ASI, REGO and TREx RGB.
    from app._mosaic import mosaic_imagers

    return mosaic_imagers(data_sources(db_path))


def imager_hours(db_path: Path, asi_dir: Path, day) -> list:
    """UTC hours (``pd.Timestamp``) of ``day`` with at least one image file under ``asi_dir``."""
    from app._mosaic import image_hours

    return image_hours(Path(asi_dir), _ground_imagers(db_path), day)


def asi_mosaic_at(db_path: Path, asi_dir: Path, time):
    """The all-sky images of the minute ``time`` on the 1024 x 512 global grid: THEMIS ASI and
    REGO in the grey layer, TREx RGB in the colour layer (``app._mosaic.mosaic_at``; each imager
    with a file that hour contributes its frame nearest ``time`` within half a cadence, at least
    30 s); nothing is downloaded.

    Returns
    -------
    app._mosaic.AsiMosaic
        ``(grid, colour, names)``: the ``(512, 1024)`` grey and ``(512, 1024, 3)`` colour
        float32 layers (None where no imager of the kind contributed) and the display names of
        the imagers that contributed a frame.
    """
    from app._mosaic import mosaic_at

    return mosaic_at(Path(asi_dir), _ground_imagers(db_path), time)


@cached_on_repository(max_items=64)
def _spacecraft_rows(db_path: str, start, end, programs: tuple) -> pd.DataFrame:
    from aurorax.engine import EphemerisQuery, search_ephemeris

    with _reading(db_path) as repo:
        return search_ephemeris(repo, EphemerisQuery(start, end, programs=list(programs)))


def space_ephemeris(db_path: Path, start, end) -> pd.DataFrame:
    """Ephemeris of the repository's spacecraft (non-ground sources) in ``[start, end)``
    (``search_ephemeris`` columns); empty when the repository has no spacecraft."""
    path = _existing(db_path)
    programs = tuple(sorted({s.program for s in data_sources(path) if s.source_type != "ground"}))
    if not programs:
        return pd.DataFrame(columns=["display_name", "epoch", "geo_lat", "geo_lon"])
    rows = _spacecraft_rows(path, start, end, programs)
    kinds = {s.identifier: s.source_type for s in data_sources(path)}
    return rows[rows["data_source"].map(kinds) != "ground"].reset_index(drop=True)


# -- conjunction analysis page ----------------------------------------------------------------
__all__ += [
    "analysis_imagers",
    "analysis_passes",
    "analysis_site",
    "analysis_spacecraft",
    "footprint_track",
    "window_imager",
]


def analysis_site(program: str, site_uid: str) -> str:
    """The Conjunction analysis page's key of an imager: ``<reader program>:<site_uid>``."""
    return f"{_imager_program(program)}:{site_uid}"


@cached_on_repository(max_items=128)
def _span_image_hours(db_path: str, asi_dir: str, core: str, uid: str):
    # Hours with a local image file of one imager over the repository's days: a folder listing
    # per month (a file check per hour cost 1 s for 34 imagers), shared by the imager list and
    # the pass search.
    from aurorax.asi import local_image_hours

    counts = repository_counts(Path(db_path))
    first, last = counts["first_epoch"].min(), counts["last_epoch"].max()
    if pd.isna(first):
        return pd.DatetimeIndex([], tz="UTC")
    end = last.floor("D") + pd.Timedelta(days=1)
    return local_image_hours(core, uid, first.floor("D"), end, asi_dir)


@cached_on_repository(max_items=16)
def analysis_imagers(db_path: Path, asi_dir: Path) -> tuple:
    """(reader program, site_uid, display name) of the repository's all-sky imagers (THEMIS
    ASI, REGO and TREx RGB: ``app._analysis_data.ANALYSIS_PROGRAMS``) that have image files
    under ``asi_dir`` within the repository's time span; nothing is downloaded."""
    from app._analysis_data import analysis_imager_rows

    return tuple(
        (core, uid, name)
        for core, uid, name in analysis_imager_rows(data_sources(Path(db_path)))
        if len(_span_image_hours(db_path, str(asi_dir), core, uid))
    )


@cached_on_repository(max_items=64)
def analysis_passes(
    db_path: Path, asi_dir: Path, site: str, spacecraft: str, min_elevation_deg: float = 10.0
) -> pd.DataFrame:
    """Passes of a spacecraft's north footprint through an imager's field of view.

    The conjunction search (north B-trace, field-of-view mode at 110 km and
    ``min_elevation_deg``) of the imager (``program:site_uid``, as ``analysis_imagers``) and the
    spacecraft platform over the hours with local image files; only passes with images are
    kept (of a minute-file imager, TREx RGB: with a frame during the pass). Returns ``start,
    end`` (UTC, inclusive minutes) and ``min_distance_km``, time-sorted.
    """
    from aurorax.engine import search_conjunctions as _search

    asi_dir, min_elevation_deg = str(asi_dir), float(min_elevation_deg)

    empty = pd.DataFrame({"start": [], "end": [], "min_distance_km": []})
    core, uid = site.split(":")
    sources = data_sources(Path(db_path))
    ground = [
        s
        for s in sources
        if s.source_type == "ground"
        and (s.metadata or {}).get("site_uid") == uid
        and _imager_program(s.program) == core
    ]
    space = [s for s in sources if s.platform == spacecraft and s.source_type != "ground"]
    hours = _span_image_hours(db_path, asi_dir, core, uid)
    if not ground or not space or not len(hours):
        return empty

    def block(source) -> dict:
        return {
            "programs": [source.program],
            "platforms": [source.platform],
            "instrument_types": [source.instrument_type],
        }

    query = {
        "start": hours[0].isoformat(),
        "end": (hours[-1] + pd.Timedelta(hours=1)).isoformat(),
        "ground": [block(ground[0])],
        # No hemisphere restriction: that is where the spacecraft is, and a spacecraft over
        # the southern hemisphere can have its north footprint in the imager's sky.
        "space": [block(space[0])],
        "conjunction_types": ["nbtrace"],
        "max_distances": {"ground1-space1": None},
        "field_of_view": {"min_elevation_deg": min_elevation_deg, "emission_altitude_km": 110},
    }
    with _reading(db_path) as repo:
        found = _search(repo, query).data
    if found.empty:
        return empty
    rows = found[["start", "end", "min_distance_km"]].sort_values("start")
    # Only the passes with images: their first or last minute in an hour that has a file, and
    # for minute-file imagers (TREx RGB) a file in one of their minutes.
    from app._analysis_data import passes_with_frames

    with_images = rows["start"].dt.floor("h").isin(hours) | rows["end"].dt.floor("h").isin(hours)
    return passes_with_frames(rows[with_images].reset_index(drop=True), core, uid, asi_dir)


def analysis_spacecraft(db_path: Path) -> tuple:
    """(platform, display name) of the repository's spacecraft (non-ground data sources)."""
    rows = {
        (s.platform, s.display_name) for s in data_sources(db_path) if s.source_type != "ground"
    }
    return tuple(sorted(rows))


@cached_on_repository(max_items=64)
def footprint_track(db_path: Path, platform: str, start, end) -> pd.DataFrame:
    """North B-trace footprint (``epoch``, ``nbtrace_lat``, ``nbtrace_lon``) of one spacecraft
    platform in ``[start, end)`` from the repository (``search_ephemeris``), time-sorted."""
    from aurorax.engine import EphemerisQuery, search_ephemeris

    with _reading(db_path) as repo:
        rows = search_ephemeris(repo, EphemerisQuery(start, end, platforms=[platform]))
    rows = rows[rows["nbtrace_lat"].notna() & rows["nbtrace_lon"].notna()]
    return rows[["epoch", "nbtrace_lat", "nbtrace_lon"]].sort_values("epoch").reset_index(drop=True)


@cached_on(_image_files_stamp, max_items=8)
def window_imager(asi_dir: Path, program: str, site_uid: str, start, end, files=None):
    """The :class:`aurorax.asi.Imager` of one site's files under ``asi_dir`` in ``[start, end)``
    (or ``files``).

    Raises
    ------
    aurorax.asi.AsiFileNotFoundError
        No image file in the range.
    """
    from aurorax.asi import Imager

    return Imager(
        site_uid, start, end, program=program, files=list(files), asi_dir=Path(asi_dir),
        download=False,
    )  # fmt: skip
