"""What the Dask workers do: one task per image file (ephemeris and image-content metadata of its
minutes) and one per imager-day (daily and hourly keograms, the daily movie).

Tasks return records and never touch the repository (DuckDB allows one writing process: the
driver writes). A task that cannot read its input returns a :class:`TaskFailure` naming the file
rather than raising, so one bad file never stops the others. Product files are written under a
temporary name beside their final one and renamed into place, so a killed ingest never leaves a
truncated keogram or movie under a URL's name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from aurorax import geo
from aurorax.asi import AsiError, Imager, animate_fisheye, make_keogram
from aurorax.demo import keogram_image, keogram_url, movie_url, product_path, write_keogram_png

from ._features import MinuteFeatureBuilder, sky_masks

__all__ = ["Site", "TaskFailure", "FileResult", "DayResult", "process_file", "process_day"]

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


def _fail(unit: str, path, exc: BaseException) -> TaskFailure:
    text = str(exc)
    # Readers already start their messages with the path; do not name it twice.
    message = text if str(path) in text else f"{path}: {text}"
    return TaskFailure(unit, str(path), message)


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
    except (AsiError, OSError, ValueError) as exc:
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
    except (AsiError, OSError, ValueError) as exc:
        return _fail(unit, ", ".join(Path(p).name for p in paths), exc)
    columns = [
        "data_source", "data_product_type", "start", "end", "url",
        "metadata.keogram_type", "metadata.movie_type", "metadata.operating_minutes",
    ]  # fmt: skip
    return DayResult(unit, signature, pd.DataFrame(rows, columns=columns), tuple(written))
