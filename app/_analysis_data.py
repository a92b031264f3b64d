"""What the Conjunction analysis page analyses: its imagers, and which passes have images.

Plain functions of the repository's data sources and the image folder, called by the page's
services in ``app/services.py`` (which cache them); nothing here reads the repository itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

__all__ = [
    "ANALYSIS_PROGRAMS",
    "MINUTE_FILE_PROGRAMS",
    "analysis_imager_rows",
    "minute_file_times",
    "passes_with_frames",
]

#: Repository programs of the imagers the page analyses, and the reader program of their files
#: (``aurorax.asi.find_image_files``): THEMIS ASI and REGO (grey, hourly CDFs) and TREx RGB
#: (colour, ``(y, x, 3)``, a file per minute).
ANALYSIS_PROGRAMS = {"themis-asi": "themis", "rego": "rego", "trex": "trex"}

#: Reader programs whose files hold one minute each (UCalgary stream0 layout). A pass of theirs
#: has images when one of its minutes has a file; an hourly file covers its whole hour.
MINUTE_FILE_PROGRAMS = frozenset({"trex"})

# UCalgary file names start <YYYYMMDD>_<HHMM>_ (e.g. 20211201_0504_gill_rgb-01_full.h5).
_MINUTE_NAME = re.compile(r"^(\d{8})_(\d{4})_")


def analysis_imager_rows(sources: Iterable) -> tuple:
    """``(reader program, site_uid, display name)`` of the all-sky imagers among ``sources``
    (``aurorax.engine.DataSource`` values): ground sources of :data:`ANALYSIS_PROGRAMS` with a
    ``site_uid`` in their metadata, sorted."""
    rows = set()
    for source in sources:
        uid = (source.metadata or {}).get("site_uid")
        core = ANALYSIS_PROGRAMS.get(source.program)
        if source.source_type == "ground" and uid and core:
            rows.add((core, uid, source.display_name))
    return tuple(sorted(rows))


def minute_file_times(core: str, site_uid: str, start, end, asi_dir: Path) -> pd.DatetimeIndex:
    """The minutes in ``[start, end)`` (UTC) that have a local image file of a minute-file
    imager (:data:`MINUTE_FILE_PROGRAMS`), from the file names; nothing is opened or downloaded.
    """
    from aurorax.asi import AsiFileNotFoundError, find_image_files

    start, end = pd.Timestamp(start), pd.Timestamp(end)
    try:
        files = find_image_files(core, site_uid, start, end, Path(asi_dir), "", False)
    except AsiFileNotFoundError:
        return pd.DatetimeIndex([], tz="UTC")
    stamps = [m[1] + m[2] for m in (_MINUTE_NAME.match(Path(f).name) for f in files) if m]
    minutes = pd.DatetimeIndex(pd.to_datetime(stamps, format="%Y%m%d%H%M", utc=True))
    return minutes[(minutes >= start) & (minutes < end)].unique().sort_values()


def passes_with_frames(passes: pd.DataFrame, core: str, site_uid: str, asi_dir: Path):
    """The passes (``start``, ``end``: UTC, inclusive minutes) during which the imager took a
    frame, for a minute-file imager: a colour imager at a coarse cadence (the demo's TREx RGB
    takes one every 20 minutes) often has none while a footprint crosses its sky, and a window
    without the footprint in any frame has no intensity to show. Passes of hourly-file imagers
    are returned as they are (their hour's file is the finest file there is)."""
    if core not in MINUTE_FILE_PROGRAMS or passes.empty:
        return passes
    minute = pd.Timedelta(minutes=1)
    keep = [
        len(minute_file_times(core, site_uid, row.start, row.end + minute, asi_dir)) > 0
        for row in passes.itertuples()
    ]
    return passes[keep].reset_index(drop=True)
