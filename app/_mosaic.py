"""The Event Explorer's mosaic: every all-sky imager's frame of a minute on the global grid.

THEMIS ASI and REGO (monochrome, hourly CDFs) and TREx RGB (colour, minute files) share one
:class:`aurorax.asi.Mosaic`, so each cell of the 1024 x 512 grid is drawn from one imager only:
the one that sees it highest among the imagers with a frame at that minute (an imager without a
frame then, such as TREx RGB between its frames, leaves its sky to the others, not a hole). At one
site a colour and a monochrome camera see the sky equally high; the colour one, listed first,
takes it (its two emission lines tell more than one band). The cells of monochrome imagers form
the grey layer (drawn through the page's colour map), those of colour imagers the colour layer.
Nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import panel as pn

from app._image_availability import imager_reader

__all__ = ["AsiMosaic", "hour_files", "image_hours", "mosaic_at", "mosaic_imagers"]

# Image programs whose files are one per minute (the others: one file per hour).
_MINUTE_FILE_PROGRAMS = ("trex",)


class AsiMosaic(NamedTuple):
    """The all-sky images of one minute on the global grid.

    Attributes
    ----------
    grid
        ``(512, 1024)`` float32 counts of the monochrome imagers (THEMIS ASI, REGO), NaN where
        none is drawn; None when none contributed.
    colour
        ``(512, 1024, 3)`` float32 red, green, blue of the colour imagers (TREx RGB), NaN where
        none is drawn; None when none contributed.
    names
        Display names of the imagers that contributed a frame, in the order of the imager list.
    """

    grid: np.ndarray | None
    colour: np.ndarray | None
    names: tuple[str, ...]


NO_MOSAIC = AsiMosaic(None, None, ())


def mosaic_imagers(sources: Iterable) -> tuple[tuple[str, str, str], ...]:
    """``(reader program, site_uid, display name)`` of the data sources that are all-sky imagers
    with image files the ASI core reads (THEMIS ASI, REGO, TREx RGB; see
    :func:`app._image_availability.imager_reader`), sorted."""
    rows = set()
    for source in sources:
        reader = imager_reader(source)
        if reader is not None:
            rows.add((*reader, source.display_name))
    return tuple(sorted(rows))


def hour_files(asi_dir: Path, imagers: tuple, hour) -> tuple:
    """The image files of each imager in the UTC hour ``hour``, for those that have any.

    Returns ``(program, site_uid, name, paths, mtimes)`` tuples (``paths`` and their
    modification times as tuples, so the result can key a cache): one stat per hourly CDF, the
    device hour folders' listings for the TREx RGB minute files.
    """
    from aurorax.asi import AsiFileNotFoundError, find_image_files, image_path

    hour = pd.Timestamp(hour)
    found = []
    for core, uid, name in imagers:
        if core in _MINUTE_FILE_PROGRAMS:
            try:
                paths = find_image_files(
                    core, uid, hour, hour + pd.Timedelta(hours=1), asi_dir, "", False
                )
            except AsiFileNotFoundError:
                continue
        else:
            path = image_path(core, uid, hour, asi_dir)
            if not path.is_file():
                continue
            paths = [path]
        found.append(
            (
                core,
                uid,
                name,
                tuple(str(p) for p in paths),
                tuple(p.stat().st_mtime_ns for p in paths),
            )
        )
    return tuple(found)


def image_hours(asi_dir: Path, imagers: tuple, day) -> list[pd.Timestamp]:
    """UTC hours of ``day`` with an image file of at least one of ``imagers`` (folder listings,
    ``aurorax.asi.local_image_hours``, one or a few per imager)."""
    from aurorax.asi import local_image_hours

    start = pd.Timestamp(day).tz_localize("UTC")
    end = start + pd.Timedelta(days=1)
    hours = set()
    for core, uid, _ in imagers:
        hours.update(local_image_hours(core, uid, start, end, asi_dir))
    return sorted(hours)


class _HourImagers:
    """The :class:`aurorax.asi.Imager` of each imager with files in one hour, and the mosaics of
    the sets of them that have a frame at some minute (cached: the player steps through the
    minutes of an hour, and the set changes only where an imager's frames stop or start)."""

    def __init__(self, imagers: tuple, names: tuple[str, ...]) -> None:
        self.imagers, self.names = imagers, names
        self._mosaics: dict[tuple[int, ...], object] = {}

    def mosaic(self, order: tuple[int, ...]):
        from aurorax.asi import Mosaic

        if order not in self._mosaics:
            if len(self._mosaics) >= 16:
                self._mosaics.clear()
            self._mosaics[order] = Mosaic([self.imagers[k].grid_index() for k in order])
        return self._mosaics[order]


@pn.cache(max_items=8, policy="LRU")
def _hour_imagers(asi_dir: str, hour, files: tuple) -> _HourImagers:
    from aurorax.asi import Imager

    imagers = tuple(
        Imager(
            uid,
            hour,
            hour + pd.Timedelta(hours=1),
            program=core,
            files=list(paths),
            asi_dir=Path(asi_dir),
            download=False,
        )
        for core, uid, _, paths, _ in files
    )
    return _HourImagers(imagers, tuple(name for _, _, name, _, _ in files))


def mosaic_at(asi_dir: Path, imagers: tuple, time) -> AsiMosaic:
    """The all-sky images of the minute ``time`` regridded onto the 1024 x 512 global grid.

    Parameters
    ----------
    asi_dir
        The ASI data folder (``aurorax.asi.image_path`` layout); nothing is downloaded.
    imagers
        ``(reader program, site_uid, display name)`` of the imagers to look for
        (:func:`mosaic_imagers`).
    time
        The minute shown (UTC). Each imager with files that hour contributes its frame nearest
        ``time`` if it lies within half its cadence (at least 30 s).

    Returns
    -------
    AsiMosaic
        The grey and the colour layer and the names of the imagers with a frame
        (``NO_MOSAIC``, all None and empty, when none has one).
    """
    from aurorax.asi import AsiError

    time = pd.Timestamp(time)
    hour = time.floor("h")
    files = hour_files(Path(asi_dir), imagers, hour)
    if not files:
        return NO_MOSAIC
    bundle = _hour_imagers(str(asi_dir), hour, files)
    frames: dict[int, np.ndarray] = {}
    for k, imager in enumerate(bundle.imagers):
        cadence = imager.cadence_s
        max_offset = max(30.0, cadence / 2 if np.isfinite(cadence) else 30.0)
        try:
            frames[k] = imager.frame_at(time, max_offset_s=max_offset)[1]
        except AsiError:
            continue
    if not frames:
        return NO_MOSAIC
    # Colour imagers first: of two cameras seeing a cell equally high, the first listed takes it.
    order = tuple(sorted(frames, key=lambda k: (frames[k].ndim != 3, k)))
    grey, colour = bundle.mosaic(order).regrid_layers([frames[k] for k in order])
    return AsiMosaic(grey, colour, tuple(bundle.names[k] for k in sorted(frames)))
