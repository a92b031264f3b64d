"""Meridian keograms kept beside the image files they were made from.

Making a night's keogram reads every frame of the night (seconds per imager); the keogram itself
is a few hundred kB. ``stored_keogram`` keeps each one it makes in an ``.npz`` file under
``<asi_dir>/keograms/`` together with the names, sizes and modification times of the image files
it came from, and gives the stored one back, in any process, for as long as those files are
unchanged. The demo builder stores the keograms it renders, so the dashboard's first Keogramist
visit reads arrays rather than a month of images. Colour keograms (TREx RGB, ``(time, y, 3)``
uint8) are stored with their channels::

    <asi_dir>/keograms/<program>/<site>/<program>_keogram_<site>_<start>_<end>.npz

Files are written to a temporary name and renamed, so a reader never sees half a file; a store
file that cannot be read (damaged, another version) is made again, never trusted.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ._files import _asi_dir, _program, find_image_files
from ._imager import Imager
from ._keogram import Keogram, make_keogram
from ._time import to_utc

__all__ = ["keogram_store_path", "load_keogram", "save_keogram", "stored_keogram"]

log = logging.getLogger(__name__)
_FORMAT = 1  # bump when the stored arrays change meaning


def keogram_store_path(program: str, site_uid: str, start, end, asi_dir=None) -> Path:
    """Where ``stored_keogram`` keeps the keogram of ``site_uid`` over ``[start, end)``."""
    _program(program)  # an unknown program is an error here too
    start, end = to_utc(start), to_utc(end)
    prog, site = program.lower(), site_uid.lower()
    name = f"{prog}_keogram_{site}_{start:%Y%m%dT%H%M%S}_{end:%Y%m%dT%H%M%S}.npz"
    return _asi_dir(asi_dir) / "keograms" / prog / site / name


def _stamp(files) -> np.ndarray:
    # What the keogram was made from: each file's name, size and modification time.
    rows = []
    for f in files:
        st = Path(f).stat()
        rows.append(f"{Path(f).name}:{st.st_size}:{st.st_mtime_ns}")
    return np.array(rows, dtype=str)


def save_keogram(keogram: Keogram, path, sources=()) -> Path:
    """Write ``keogram`` (and the stamp of its ``sources`` files) to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {
        "format": np.array(_FORMAT),
        "times_ns": keogram.times.tz_convert("UTC").asi8,
        "y": np.asarray(keogram.y),
        "values": np.asarray(keogram.values),
        "axis": np.array(keogram.axis),
        "pixel_rows": np.asarray(keogram.pixel_rows),
        "pixel_cols": np.asarray(keogram.pixel_cols),
        "altitude_km": np.array(np.nan if keogram.altitude_km is None else keogram.altitude_km),
        "site_uid": np.array(keogram.site_uid),
        "sources": _stamp(sources),
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_keogram(path) -> tuple[Keogram, np.ndarray]:
    """The keogram stored at ``path`` and the stamp of the files it was made from.

    Raises
    ------
    ValueError
        The file is not a keogram of this format (damaged, or written by another version).
    """
    try:
        # Our own file handle: np.load leaves its own open when the file is damaged.
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as z:
            if int(z["format"]) != _FORMAT:
                raise ValueError(f"keogram store format {int(z['format'])}, expected {_FORMAT}")
            altitude = float(z["altitude_km"])
            keogram = Keogram(
                times=pd.DatetimeIndex(pd.to_datetime(z["times_ns"], utc=True)),
                y=z["y"],
                values=z["values"],
                axis=str(z["axis"]),
                pixel_rows=z["pixel_rows"],
                pixel_cols=z["pixel_cols"],
                altitude_km=None if np.isnan(altitude) else altitude,
                site_uid=str(z["site_uid"]),
            )
            return keogram, z["sources"]
    except (OSError, KeyError, ValueError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a readable stored keogram: {exc}") from exc


def stored_keogram(
    program: str, site_uid: str, start, end, asi_dir=None, files=None, imager: Imager | None = None
) -> Keogram:
    """The camera-meridian keogram (``make_keogram``, pixel axis) of the site's image files in
    ``[start, end)``: the stored one if it was made from exactly these files, else made now
    and stored (when ``asi_dir`` is writable). Nothing is downloaded. ``files`` are the image
    files of the range when the caller has already found them (``find_image_files``), and
    ``imager`` the :class:`Imager` of exactly ``[start, end)`` when the caller has built it
    (its files are then the ones used; it is not indexed again). Colour frames (TREx RGB) give
    a keogram of values ``(time, y, 3)``: their three channels are kept.

    Raises
    ------
    AsiFileNotFoundError
        No image file for the range.
    """
    if imager is not None:
        files = imager.files
    elif files is None:
        files = find_image_files(program, site_uid, start, end, asi_dir, None, False)
    files = [Path(f) for f in files]
    path = keogram_store_path(program, site_uid, start, end, asi_dir)
    stamp = _stamp(files)
    if path.exists():
        try:
            keogram, sources = load_keogram(path)
            if np.array_equal(sources, stamp):
                return keogram
        except ValueError as exc:
            log.warning("making the keogram again: %s", exc)
    if imager is None:
        imager = Imager(
            site_uid, start, end, program=program, files=files, asi_dir=asi_dir, download=False
        )
    keogram = make_keogram(imager)
    try:
        save_keogram(keogram, path, files)
    except OSError as exc:  # a read-only data folder: still answer, just slower next time
        log.warning("cannot store the keogram at %s: %s", path, exc)
    return keogram
