"""Image-file reader registry and the errors all ASI readers raise.

Readers register themselves with :func:`register_reader`; :func:`get_reader` asks each registered
reader's ``can_read(path)`` in registration order and returns the first that accepts the file.
A reader is a small object (usually a class instance) with:

``name``
    short identifier, e.g. ``"themis"``.
``can_read(path) -> bool``
    cheap check on the file name (no I/O beyond the name).
``read_times(path) -> pandas.DatetimeIndex``
    the frame times of one file, timezone-aware UTC, without decompressing any image.
``frame_shape(path) -> (ny, nx)``
    the image shape recorded in the file, without decompressing any image.
``read_frames(path, start=0, stop=None) -> numpy.ndarray``
    frames ``start:stop`` with dims ``(time, y, x)`` in the aurorax orientation (row 0 = north
    edge, x increasing eastward; see ``docs/asi.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

__all__ = [
    "AsiError",
    "AsiFileError",
    "AsiFileNotFoundError",
    "ImageReader",
    "register_reader",
    "get_reader",
    "list_readers",
    "ImageProgram",
    "register_program",
    "get_program",
]


class AsiError(ValueError):
    """Base class for every error raised by :mod:`aurorax.asi`."""


class AsiFileError(AsiError):
    """A file exists but cannot be used (truncated, not a CDF, wrong variables, bad shape)."""


class AsiFileNotFoundError(AsiError, FileNotFoundError):
    """No file was found locally (or on the configured server) for a site and time."""


@runtime_checkable
class ImageReader(Protocol):
    """What a registered image reader provides (see the module docstring)."""

    name: str

    def can_read(self, path: Path) -> bool: ...

    def read_times(self, path: Path) -> pd.DatetimeIndex: ...

    def frame_shape(self, path: Path) -> tuple[int, int]: ...

    def read_frames(self, path: Path, start: int = 0, stop: int | None = None) -> np.ndarray: ...


_READERS: list[ImageReader] = []


def register_reader(reader):
    """Register an image reader; usable as a class decorator (the class is instantiated).

    Parameters
    ----------
    reader : class or instance
        Anything satisfying :class:`ImageReader`. When a class is given it is instantiated with
        no arguments, registered, and returned unchanged so the decorator keeps the class usable.
    """
    instance = reader() if isinstance(reader, type) else reader
    if not isinstance(instance, ImageReader):
        raise TypeError(f"{reader!r} does not provide the ImageReader methods")
    _READERS[:] = [r for r in _READERS if r.name != instance.name]
    _READERS.append(instance)
    return reader


def list_readers() -> tuple[ImageReader, ...]:
    """The registered readers, in the order they are asked."""
    return tuple(_READERS)


def get_reader(path: str | Path) -> ImageReader:
    """Return the first registered reader whose ``can_read`` accepts ``path``.

    Raises
    ------
    AsiFileError
        When no reader accepts the file name; the message lists the readers asked.
    """
    path = Path(path)
    for reader in _READERS:
        if reader.can_read(path):
            return reader
    names = ", ".join(r.name for r in _READERS) or "none registered"
    raise AsiFileError(f"{path}: no image reader recognises this file name (readers: {names})")


@dataclass(frozen=True)
class ImageProgram:
    """How :class:`~aurorax.asi.Imager` finds the files of an imager program other than the CDFs.

    Attributes
    ----------
    name : str
        The ``program`` argument of ``Imager``, e.g. ``"trex_nir"``.
    find_files : callable
        ``find_files(site_uid, start, end, asi_dir) -> list[Path]``: existing files overlapping
        the half-open UTC range, in time order; raises :class:`AsiFileNotFoundError` when none.
    skymap_program : str
        Program part of the skymap file names (``<skymap_program>_skymap_<site>_...``), which is
        also the skymap folder: ``<asi_dir>/<skymap_program>/skymaps/<site>``.
    altitude_program : str
        Program whose default emission altitude applies (``"rego"``: 230 km, else 110 km).
    """

    name: str
    find_files: Callable
    skymap_program: str
    altitude_program: str


_PROGRAMS: dict[str, ImageProgram] = {}


def register_program(program: ImageProgram) -> ImageProgram:
    """Register (or replace) an :class:`ImageProgram` under ``program.name``."""
    _PROGRAMS[program.name.lower()] = program
    return program


def get_program(name: str) -> ImageProgram | None:
    """The registered :class:`ImageProgram` called ``name``, or None (the CDF programs)."""
    return _PROGRAMS.get(name.lower())
