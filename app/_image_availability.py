"""Image-file availability of the repository's all-sky imagers, for the availability page.

For each ground imager the ASI core can read (THEMIS ASI, REGO, TREx RGB) and each UTC day: how
many of the minutes the imager is expected to operate (its dark-sky minutes, the Sun below -12
degrees at the site) lie in an hour that has an image file under the ASI data folder. The files are
counted by name per hour (``aurorax.asi.local_image_hours``: one folder listing per imager and
month for the hourly CDFs of THEMIS and REGO, per day and device hour for the TREx RGB minute
files), never opened: an hour with a file, or with any minute file, covers the hour.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from aurorax.asi import local_image_hours
from aurorax.geo import sun_elevation_deg

__all__ = [
    "DARK_SUN_ELEVATION_DEG",
    "IMAGE_AVAILABILITY_COLUMNS",
    "dark_minutes_per_hour",
    "image_availability",
    "imager_reader",
]

#: THEMIS, REGO and TREx imagers start imaging at nautical dusk: the Sun 12 degrees below the
#: horizon (as the demo's operating model).
DARK_SUN_ELEVATION_DEG = -12.0

#: Columns of :func:`image_availability`.
IMAGE_AVAILABILITY_COLUMNS = [
    "data_source",
    "day",
    "expected_minutes",
    "image_minutes",
    "image_hours",
]

_MINUTES_PER_HOUR = 60
_MARGIN_DEG = 2.0
# The image programs of ``aurorax.asi.find_image_files`` / ``local_image_hours``: hourly CDFs of
# THEMIS and REGO, TREx RGB colour minute files. TREx's other imagers (NIR, blue-line) share the
# program "trex" but not those files, so TREx counts only for an RGB instrument type.
_IMAGE_PROGRAMS = ("themis", "rego", "trex")
_TREX_RGB_INSTRUMENT = "rgb"


def imager_reader(source) -> tuple[str, str] | None:
    """``(reader program, site_uid)`` of an all-sky imager data source, or None.

    A ground data source is an imager the ASI core can look up when its program names an image
    program of the ASI core (``themis-asi`` -> ``themis``, ``rego``, and ``trex`` when the
    instrument type is TREx RGB's, ``"RGB ASI"``) and its metadata gives the ``site_uid``.
    """
    if source.source_type != "ground":
        return None
    program = source.program.lower()
    core = "themis" if program.startswith("themis") else program
    uid = (source.metadata or {}).get("site_uid")
    if core not in _IMAGE_PROGRAMS or not uid:
        return None
    if core == "trex" and not source.instrument_type.lower().startswith(_TREX_RGB_INSTRUMENT):
        return None
    return core, str(uid).lower()


def _location(source) -> tuple[float, float] | None:
    metadata = source.metadata or {}
    try:
        lat, lon = float(metadata["geo_lat"]), float(metadata["geo_lon"])
    except (KeyError, TypeError, ValueError):
        return None
    return (lat, lon) if np.isfinite(lat) and np.isfinite(lon) else None


@functools.lru_cache(maxsize=1024)
def dark_minutes_per_hour(lat: float, lon: float, first_day: dt.date, days: int) -> np.ndarray:
    """Minutes of each UTC hour with the Sun below ``DARK_SUN_ELEVATION_DEG`` at a site.

    Parameters
    ----------
    lat, lon
        Geodetic latitude and longitude of the site (degrees).
    first_day, days
        The UTC days ``[first_day, first_day + days)``.

    Returns
    -------
    numpy.ndarray
        ``(days, 24)`` integers from 0 to 60 (read-only: the array is cached). Each minute is
        judged by the Sun's apparent elevation at its start, as the demo's imagers are.
    """
    hours = np.datetime64(first_day, "m") + np.arange(days * 24 + 1) * _MINUTES_PER_HOUR
    edge = sun_elevation_deg(lat, lon, hours) - DARK_SUN_ELEVATION_DEG
    begin, end = edge[:-1], edge[1:]
    # The Sun's elevation changes by under 0.6 degrees between an hour's edge and an extremum
    # inside the hour (the hour angle moves 7.5 degrees in half an hour), so an hour whose two
    # edges are on one side of the threshold and more than _MARGIN_DEG from it is wholly dark or
    # wholly light; only the others (twilight) are judged minute by minute.
    sure = (np.sign(begin) == np.sign(end)) & (np.minimum(abs(begin), abs(end)) > _MARGIN_DEG)
    counts = np.where(begin < 0, _MINUTES_PER_HOUR, 0)
    twilight = np.flatnonzero(~sure)
    if twilight.size:
        minutes = hours[twilight][:, None] + np.arange(_MINUTES_PER_HOUR)
        dark = sun_elevation_deg(lat, lon, minutes.ravel()) < DARK_SUN_ELEVATION_DEG
        counts[twilight] = dark.reshape(-1, _MINUTES_PER_HOUR).sum(axis=1)
    counts = counts.reshape(days, 24)
    counts.flags.writeable = False
    return counts


def _hour_flags(hours: pd.DatetimeIndex, first_day: dt.date, days: int) -> np.ndarray:
    # (days, 24) booleans: does the hour have an image file.
    flags = np.zeros(days * 24, dtype=bool)
    start = pd.Timestamp(first_day, tz="UTC")
    index = ((hours - start) // pd.Timedelta(hours=1)).to_numpy(dtype=np.int64)
    flags[index[(index >= 0) & (index < flags.size)]] = True
    return flags.reshape(days, 24)


def _operating_minutes(ephemeris, identifier: int, day_index: pd.DatetimeIndex) -> np.ndarray:
    # Ephemeris minutes per day of one source (ground imagers have records for the minutes they
    # were operating): the expectation where the site's location is unknown.
    if ephemeris is None or ephemeris.empty:
        return np.zeros(len(day_index), dtype=np.int64)
    rows = ephemeris[ephemeris["data_source"] == identifier]
    days = pd.DatetimeIndex(pd.to_datetime(rows["day"], utc=True)).floor("D")
    counts = pd.Series(rows["ephemeris_count"].to_numpy(), index=days).groupby(level=0).sum()
    return counts.reindex(day_index, fill_value=0).to_numpy(dtype=np.int64)


def image_availability(
    sources: Iterable,
    asi_dir: str | Path | None,
    start: dt.date,
    end: dt.date,
    ephemeris: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per imager and UTC day, the expected operating minutes and those with image files.

    Parameters
    ----------
    sources
        Data sources (``aurorax.engine.DataSource``); those that are not all-sky imagers of a
        known reader family (see :func:`imager_reader`) are left out.
    asi_dir
        The ASI data folder (the ASI core's layout, ``aurorax.asi.image_path``; None =
        ``settings.asi_dir``); nothing is downloaded.
    start, end
        UTC days ``[start, end)``.
    ephemeris
        Optional ``Repository.availability()`` rows (``data_source, day, ephemeris_count``): for
        an imager whose metadata gives no ``geo_lat``/``geo_lon``, its operating (ephemeris)
        minutes of the day are the expected minutes instead of its dark-sky minutes.

    Returns
    -------
    pandas.DataFrame
        ``data_source, day`` (UTC midnight), ``expected_minutes`` (dark-sky minutes of the day;
        0 = the imager is not expected to operate), ``image_minutes`` (expected minutes in an
        hour that has an image file: an hour's file, or any TREx RGB minute file of the hour, is
        taken to cover the hour, never opened;
        for an imager without a location, 60 minutes per file-hour up to the expected minutes)
        and ``image_hours`` (hours of the day with a file), one row per imager and day, ordered
        by data source and day.
    """
    start, end = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    days = (end - start).days
    if days <= 0:
        return pd.DataFrame(columns=IMAGE_AVAILABILITY_COLUMNS)
    day_index = pd.date_range(pd.Timestamp(start, tz="UTC"), periods=days, freq="D")
    first, last = day_index[0], day_index[-1] + pd.Timedelta(days=1)
    frames = []
    for source in sorted(sources, key=lambda s: s.identifier):
        reader = imager_reader(source)
        if reader is None:
            continue
        core, uid = reader
        files = _hour_flags(local_image_hours(core, uid, first, last, asi_dir), start, days)
        location = _location(source)
        if location is not None:
            dark = dark_minutes_per_hour(*location, start, days)
            expected = dark.sum(axis=1)
            with_images = np.where(files, dark, 0).sum(axis=1)
        else:
            expected = _operating_minutes(ephemeris, source.identifier, day_index)
            with_images = np.minimum(expected, files.sum(axis=1) * _MINUTES_PER_HOUR)
        frames.append(
            pd.DataFrame(
                {
                    "data_source": source.identifier,
                    "day": day_index,
                    "expected_minutes": expected.astype(np.int64),
                    "image_minutes": with_images.astype(np.int64),
                    "image_hours": files.sum(axis=1).astype(np.int64),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=IMAGE_AVAILABILITY_COLUMNS)
    return pd.concat(frames, ignore_index=True)
