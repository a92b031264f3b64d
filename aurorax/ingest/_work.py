"""What the Dask workers do: one task per image file (ephemeris and image-content metadata of its
minutes) and one per imager-day (daily and hourly keograms, the daily movie).

Tasks return records and never touch the repository (DuckDB allows one writing process: the
driver writes). A task that cannot read its input returns a :class:`TaskFailure` naming the file
rather than raising, so one bad file never stops the others; its message never echoes what the file
contains (see :func:`describe_problem`). Product files are written under a temporary name beside
their final one and renamed into place, so a killed ingest never leaves a truncated keogram or movie
under a URL's name; :func:`remove_stale_partials` removes the temporary files a killed run left.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from aurorax import geo
from aurorax.asi import AsiError, AsiFileError, Imager, animate_fisheye, make_keogram
from aurorax.demo import keogram_image, keogram_url, movie_url, product_path, write_keogram_png

from ._features import MinuteFeatureBuilder, sky_masks

__all__ = [
    "Site", "TaskFailure", "FileResult", "DayResult", "process_file", "process_day",
    "describe_problem", "remove_stale_partials",
]  # fmt: skip

log = logging.getLogger(__name__)

_COLOURS = {"themis-asi": "gray", "rego": "gist_heat"}
# Frames per decompression: bounds a worker's memory (THEMIS: 16 MiB, REGO: 64 MiB of uint16).
_CHUNK_FRAMES = 128


@dataclass(frozen=True)
class Site:
    """An imager site as the tasks need it: program, code, location (degrees, km), skymap."""

    program: str
    core_program: str
    site_uid: str
    lat: float
    lon: float
    alt_km: float
    skymap: object  # aurorax.asi.Skymap


@dataclass(frozen=True)
class TaskFailure:
    """A task that could not do its work; ``message`` names the file and the problem."""

    unit: str
    path: str
    message: str


@dataclass(frozen=True)
class FileResult:
    """One file's ephemeris records (columnar frame, metadata as ``metadata.<field>`` columns)."""

    unit: str
    signature: str
    frames: int
    ephemeris: pd.DataFrame


@dataclass(frozen=True)
class DayResult:
    """One imager-day's data-product records and the product files written."""

    unit: str
    signature: str
    products: pd.DataFrame
    paths: tuple[str, ...]


# The reader's messages about a file, by their opening words: (pattern, safe wording). The reader
# puts details from the file's own bytes in its messages (the hex of a wrong magic number, integers
# decoded from the header, cdflib's error text, the file's variable names); those are dropped, so
# a message never echoes what a file contains (a text file, or another user's file, say). A
# wording of None keeps the matched text (it holds only the file name's facts and counts).
_FILE_PROBLEMS = tuple(
    (re.compile(pattern), wording)
    for pattern, wording in (
        (r"not a CDF file\b", "not a CDF file (it does not begin with a CDF magic number)"),
        (r"truncated CDF file\b", "truncated CDF file ({size} bytes, fewer than its header says)"),
        (r"not a readable CDF file\b", "not a readable CDF file (damaged)"),
        (r"missing variable\(s\) \[[^\]]*\]", None),  # expected names, made from the file name
        (r"cannot open \([^()]*\)$", None),  # the operating system's reason
        (r"file name does not follow \S+", None),
        (r"no image reader recognises this file name", None),
        (r"cannot read (?:records \d+\.\.\d+ of )?\w+", "{0} (damaged)"),
        (r"\w+ is not a 1-D CDF_EPOCH variable", None),
        (r"(\w+) has \d+ dimensions per record, expected 2", "{1} does not hold 2-D frames"),
        (r"(\w+) returned \d+ records, expected \d+", "{1} holds fewer records than it lists"),
        (r"frames are \(\d+, \d+\), other files have \(\d+, \d+\)", None),
        (r"skymap \S+ has shape \(\d+, \d+\) but the frames of \S+ are \(\d+, \d+\)", None),
    )
)


def describe_problem(exc: BaseException, paths=()) -> tuple[str | None, str]:
    """``(file, problem)``: which of ``paths`` an error is about (or None) and what went wrong.

    The problem never quotes the file's contents: the reader's messages about a file are reworded
    (:data:`_FILE_PROBLEMS`; an unknown one becomes "cannot be read as an image file"), other
    errors of the ASI core (about the parameters: time range, no frames) are kept, and the rest
    are named by their operating-system reason or their type.
    """
    text = str(exc)
    if isinstance(exc, AsiError):
        for path in map(str, paths):
            if text.startswith(f"{path}: "):
                return path, _file_problem(path, text[len(path) + 2 :])
        if isinstance(exc, AsiFileError):
            return None, _file_problem(None, text)
        return None, text
    if isinstance(exc, OSError):
        name = exc.filename if isinstance(exc.filename, str) else None
        return (name if name in map(str, paths) else None), (exc.strerror or text)
    # cdflib raises what it happens to hit on a damaged file (struct.error, KeyError, ...).
    return None, f"cannot be processed ({type(exc).__name__})"


def _file_problem(path: str | None, problem: str) -> str:
    for pattern, wording in _FILE_PROBLEMS:
        match = pattern.match(problem)
        if match is None:
            continue
        if wording is None:
            return match.group(0)
        try:
            size = os.stat(path).st_size if path else "?"
        except OSError:
            size = "?"
        return wording.format(match.group(0), *match.groups(), size=size)
    return "cannot be read as an image file"


def _fail(unit: str, label, exc: BaseException, paths=()) -> TaskFailure:
    """A failure whose message starts with the file it is about (else ``label``)."""
    log.debug("%s failed", unit, exc_info=exc)
    path, problem = describe_problem(exc, paths or (label,))
    return TaskFailure(unit, str(label), f"{path or label}: {problem}")


def process_file(
    unit: str,
    path: str,
    signature: str,
    site: Site,
    source_id: int,
    classifier,
    fields: tuple[str, ...],
) -> FileResult | TaskFailure:
    """Ephemeris records for the minutes with frames in one hourly image file.

    Parameters
    ----------
    unit, signature
        The file's ledger key and signature (returned unchanged).
    path
        The image file.
    site
        Its site (location for ``geo``/B-trace, skymap for the sky mask).
    source_id
        Data source identifier of the records.
    classifier
        The :class:`~._classifier.ImageClassifier` of the camera program.
    fields
        Metadata fields the data source declares; only these are filled.

    Returns
    -------
    FileResult or TaskFailure
        Records: ``data_source, epoch`` (each minute with at least one frame), ``geo_*`` (the
        site), ``nbtrace_*``/``sbtrace_*`` (AuroraX's ground rule, :func:`aurorax.geo.ground_btrace`,
        once per UTC day), ``gsm_*`` NaN, ``metadata.<field>`` from the classifier.
    """
    try:
        from aurorax.asi import get_reader

        times = get_reader(path).read_times(path)
        if len(times) == 0:
            raise AsiError("the file has no frames")
        imager = Imager(
            site.site_uid, times.min(), times.max() + pd.Timedelta(microseconds=1),
            program=site.core_program, skymap=site.skymap, files=[path],
        )  # fmt: skip
        builder = MinuteFeatureBuilder(sky_masks(site.skymap.elevation))
        for chunk_times, frames in imager.iter_chunks(max_frames=_CHUNK_FRAMES):
            builder.add(chunk_times, frames)
        features = builder.result()
    except Exception as exc:  # a damaged file raises anything; describe_problem rewords it
        return _fail(unit, path, exc)
    minutes = pd.DatetimeIndex(features.index)
    frame = pd.DataFrame(
        {
            "data_source": source_id,
            "epoch": minutes,
            "geo_lat": site.lat,
            "geo_lon": site.lon,
            "gsm_lat": np.nan,
            "gsm_lon": np.nan,
        }
    )
    days = minutes.floor("D")
    unique_days = days.unique()
    btrace = geo.ground_btrace(site.lat, site.lon, unique_days.tz_convert(None).to_numpy())
    per_day = pd.DataFrame(btrace._asdict(), index=unique_days)
    for column in ("nbtrace_lat", "nbtrace_lon", "sbtrace_lat", "sbtrace_lon"):
        frame[column] = per_day[column].reindex(days).to_numpy(dtype=float)
    labels = classifier.predict(features)
    for name in labels.columns:
        if name in fields:
            frame[f"metadata.{name}"] = labels[name].to_numpy()
    return FileResult(unit, signature, len(imager), frame)


_PARTIAL = re.compile(r"^partial-(\d+)-.")
# Process start times are known to the clock tick, the boot time to the second.
_START_SLACK_S = 2.0


def _process_state(pid: int) -> tuple[str, float] | None:
    """Process ``pid``'s state letter and start (Unix time), where /proc says (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return fields[0], boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _writer_alive(pid: int, mtime: float) -> bool:
    """Whether the process that wrote a file last modified at ``mtime`` may still be running.

    A zombie (dead, not yet reaped) is not running, and a process of that pid that started after
    the file was last written is another one (pids are reused), so the writer is gone.
    """
    if pid <= 0:  # os.kill(0, ...) would mean the process group
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    except (OverflowError, OSError):
        return False
    state = _process_state(pid)
    if state is None:
        return True  # no /proc: alive as far as we can tell
    letter, started = state
    return letter not in "ZX" and started <= mtime + _START_SLACK_S


def remove_stale_partials(products_dir, before: float) -> int:
    """Remove the temporary product files (``partial-<pid>-<name>``) that no process is writing.

    A killed ingest leaves them: its workers died between starting a keogram or movie and renaming
    it into place. A file is removed when it was last modified before ``before`` (this run's
    start, Unix time) and its writer, the worker process of pid ``<pid>`` on this machine, is
    gone (no such process, or one that started after the file was last written). Links and other
    non-regular files are left alone, and linked folders are not descended into.

    Returns
    -------
    int
        Files removed.
    """
    removed = 0
    for folder, _, names in os.walk(products_dir):
        for name in names:
            match = _PARTIAL.match(name)
            if match is None:
                continue
            path = Path(folder, name)
            try:
                info = path.lstat()
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or info.st_mtime >= before:
                continue
            if _writer_alive(int(match.group(1)), info.st_mtime):
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed += 1
    return removed


def _replace_atomically(write, path: Path) -> Path:
    """Run ``write(tmp)`` for a temporary file beside ``path`` (same suffix), then rename it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same suffix as the target: the PNG and mp4 writers choose the format by it.
    tmp = path.with_name(f"partial-{os.getpid()}-{path.name}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def process_day(
    unit: str,
    signature: str,
    site: Site,
    day: pd.Timestamp,
    paths: tuple[str, ...],
    source_id: int,
    products_dir: str,
    fps: float = 20.0,
) -> DayResult | TaskFailure:
    """Keograms (daily and hourly) and the daily fisheye movie of one imager-day.

    The same products, file names, URLs and records as the demo's ``render_products``: keogram
    data from :func:`aurorax.asi.make_keogram` (camera meridian), pictures from
    :func:`aurorax.demo.keogram_image` scaled between the day's 1st and 99th percentiles, movies
    from :func:`aurorax.asi.animate_fisheye`.

    Returns
    -------
    DayResult or TaskFailure
        Records ``data_source, data_product_type, start, end`` (first and last frame, UTC),
        ``url``, ``metadata.keogram_type`` / ``metadata.movie_type``, ``metadata.operating_minutes``.
    """
    day = pd.Timestamp(day)
    try:
        imager = Imager(
            site.site_uid, day, day + pd.Timedelta(days=1), program=site.core_program,
            skymap=site.skymap, files=list(paths),
        )  # fmt: skip
        keogram = make_keogram(imager, workers=1)
        cmap = _COLOURS.get(site.program, "gray")
        limits = tuple(float(v) for v in np.percentile(keogram.values, (1, 99)))
        rows, written = [], []
        buckets = [("daily", day, day + pd.Timedelta(days=1))]
        for hour in keogram.times.floor("h").unique():
            buckets.append(("hourly", hour, hour + pd.Timedelta(hours=1)))
        for kind, start, end in buckets:
            url = keogram_url(site.program, site.site_uid, start, kind == "hourly")
            picture = keogram_image(keogram, start, end, limits=limits, cmap=cmap)
            path = _replace_atomically(
                lambda tmp, picture=picture: write_keogram_png(picture, tmp),
                product_path(products_dir, url),
            )
            written.append(str(path))
            times = keogram.times[(keogram.times >= start) & (keogram.times < end)]
            rows.append(
                (source_id, "keogram", times[0], times[-1], url, kind, None,
                 times.floor("min").nunique())
            )  # fmt: skip
        url = movie_url(site.program, site.site_uid, day)

        def movie(tmp):
            animate_fisheye(
                imager, tmp, mode="rgb", scale=1, cmap=cmap, vmin=limits[0], vmax=limits[1],
                fps=fps, progress=False,
            )  # fmt: skip

        written.append(str(_replace_atomically(movie, product_path(products_dir, url))))
        times = imager.times
        rows.append(
            (source_id, "movie", times[0], times[-1], url, None, "daily",
             times.floor("min").nunique())
        )  # fmt: skip
    except Exception as exc:  # a damaged file raises anything; describe_problem rewords it
        return _fail(unit, ", ".join(Path(p).name for p in paths), exc, paths)
    columns = [
        "data_source", "data_product_type", "start", "end", "url",
        "metadata.keogram_type", "metadata.movie_type", "metadata.operating_minutes",
    ]  # fmt: skip
    return DayResult(unit, signature, pd.DataFrame(rows, columns=columns), tuple(written))
