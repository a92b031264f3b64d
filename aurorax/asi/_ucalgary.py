"""UCalgary native data: finding stream0 files by site and time, and Rayleigh calibration files.

Stream0 files (``_pgm.py``, ``_trex_rgb.py``) are one per minute. Under the ASI data folder they
keep the University of Calgary's own tree below a per-instrument folder::

    <asi_dir>/themis/stream0/<YYYY>/<MM>/<DD>/<site>_themisNN/ut<HH>/<YYYYMMDD>_<HHMM>_<site>_themisNN_full.pgm.gz
    <asi_dir>/rego/stream0/.../<site>_rego-NNN/ut<HH>/..._rego-NNN_6300.pgm.gz
    <asi_dir>/trex/nir/stream0/.../<site>_nir-NNN/ut<HH>/..._nir-NNN_8446.pgm.gz
    <asi_dir>/trex/blue/stream0/.../<site>_blue-NNN/ut<HH>/..._blue-NNN_full.pgm.gz
    <asi_dir>/trex/rgb/stream0/.../<site>_rgb-NN/ut<HH>/..._rgb-NN_full.h5

Each is registered as an :class:`ImageProgram`, so ``Imager(site, start, end, program="trex_nir")``
finds them by date; skymaps are looked up as ``<asi_dir>/<skymap program>/skymaps/<site>/`` with
the UCalgary names (``themis_``, ``rego_``, ``nir_``, ``blue_``, ``rgb_skymap_<site>_...``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ._pgm import UCALGARY_FILE_NAME
from ._registry import (
    AsiError,
    AsiFileError,
    AsiFileNotFoundError,
    ImageProgram,
    get_reader,
    register_program,
)
from ._skymap import read_idl_save
from ._time import to_utc

__all__ = [
    "STREAM0_PROGRAMS",
    "Calibration",
    "find_stream0_files",
    "read_calibration",
    "to_rayleighs",
]

# program -> (folder under asi_dir, reader name, skymap program, altitude program)
STREAM0_PROGRAMS = {
    "themis_stream0": ("themis/stream0", "themis_stream0", "themis", "themis"),
    "rego_stream0": ("rego/stream0", "rego_stream0", "rego", "rego"),
    "trex_nir": ("trex/nir/stream0", "trex_nir", "nir", "trex_nir"),
    "trex_blue": ("trex/blue/stream0", "trex_blue", "blue", "trex_blue"),
    "trex_rgb": ("trex/rgb/stream0", "trex_rgb", "rgb", "trex_rgb"),
}


def _asi_dir(asi_dir) -> Path:
    if asi_dir is not None:
        return Path(asi_dir).expanduser()
    from aurorax.config import load_settings

    return load_settings().asi_dir


def _list(folder: Path) -> list[os.DirEntry]:
    try:
        return sorted(os.scandir(folder), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []


def find_stream0_files(program: str, site_uid: str, start, end, asi_dir=None) -> list[Path]:
    """One-minute stream0 files of ``site_uid`` overlapping ``[start, end)``, in time order.

    Parameters
    ----------
    program : str
        One of :data:`STREAM0_PROGRAMS` (``"themis_stream0"``, ``"rego_stream0"``,
        ``"trex_nir"``, ``"trex_blue"``, ``"trex_rgb"``).
    site_uid : str
        Site code.
    start, end : datetime-like
        Half-open UTC range.
    asi_dir : path, optional
        Data folder (default ``settings.asi_dir``); see the module docstring for the tree.

    Raises
    ------
    AsiFileNotFoundError
        No file in the range (names the folder looked in).
    """
    try:
        folder, reader_name, _, _ = STREAM0_PROGRAMS[program.lower()]
    except KeyError:
        raise AsiError(
            f"unknown stream0 program {program!r}; known: {sorted(STREAM0_PROGRAMS)}"
        ) from None
    site = site_uid.lower()
    start, end = to_utc(start), to_utc(end)
    if end <= start:
        raise AsiError(f"end ({end.isoformat()}) must be after start ({start.isoformat()})")
    root = _asi_dir(asi_dir) / folder
    found = []
    minute = pd.Timedelta(1, "min")
    for hour in pd.date_range(start.floor("h"), end - pd.Timedelta(1, "ns"), freq="h"):
        day = root / f"{hour:%Y}" / f"{hour:%m}" / f"{hour:%d}"
        for imager in _list(day):
            if not imager.name.startswith(f"{site}_"):
                continue
            for entry in _list(Path(imager.path) / f"ut{hour:%H}"):
                match = UCALGARY_FILE_NAME.match(entry.name)
                if not match or match["site"] != site:
                    continue
                t0 = pd.Timestamp(f"{match['date']}T{match['hhmm']}", tz="UTC")
                path = Path(entry.path)
                if t0 < end and t0 + minute > start and get_reader(path).name == reader_name:
                    found.append((t0, path))
    if not found:
        raise AsiFileNotFoundError(
            f"no {program} files for site {site!r} between {start.isoformat()} and "
            f"{end.isoformat()} under {root} (<YYYY>/<MM>/<DD>/{site}_<imager>/ut<HH>/)"
        )
    return [p for _, p in sorted(found)]


for _name, (_, _, _skymap, _altitude) in STREAM0_PROGRAMS.items():
    register_program(ImageProgram(_name, partial(find_stream0_files, _name), _skymap, _altitude))


# -- calibration ----------------------------------------------------------------------------------

_CALIBRATION_NAME = re.compile(
    r"^(?P<instrument>REGO|NIR|Blue)_Rayleighs_(?P<detector>[A-Za-z0-9-]+)_(?P<date>\d{8})-\+_v\d+\.sav$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Calibration:
    """A UCalgary Rayleigh calibration: ``rayleighs = counts / exposure_s * rayleighs_per_dn_per_s``.

    Attributes
    ----------
    instrument : str
        ``"rego"``, ``"nir"`` or ``"blue"`` (from the file name).
    detector_uid : str
        Camera serial number the calibration belongs to (from the file name).
    rayleighs_per_dn_per_s : float
        Rayleighs per count per second of exposure.
    valid_from : pandas.Timestamp
        UTC start of validity (from the file name).
    source : Path
    """

    instrument: str
    detector_uid: str
    rayleighs_per_dn_per_s: float
    valid_from: pd.Timestamp
    source: Path


def read_calibration(path: str | Path) -> Calibration:
    """Read a UCalgary Rayleighs calibration ``<REGO|NIR|Blue>_Rayleighs_<detector>_<YYYYMMDD>-+_vNN.sav``.

    Observed on ``REGO_Rayleighs_15651_20210908-+_v02.sav``: an IDL save file holding
    ``rper_dnpersecond_<detector>`` (float64, Rayleighs per DN per second) with
    ``rper_dnpersecond_<detector>_mean_value`` (float32), ``author`` and ``input_data_dir`` strings.

    Raises
    ------
    AsiFileError
        Name not of that form, not an IDL save file, or the variable missing (names file and field).
    """
    path = Path(path)
    match = _CALIBRATION_NAME.match(path.name)
    if match is None:
        raise AsiFileError(
            f"{path}: calibration file name does not follow "
            "<REGO|NIR|Blue>_Rayleighs_<detector>_<YYYYMMDD>-+_vNN.sav"
        )
    if not path.is_file():
        raise AsiFileNotFoundError(f"calibration file {path} does not exist")
    data = read_idl_save(path)
    detector = match["detector"]
    field = f"rper_dnpersecond_{detector}".lower()
    if field not in data:
        raise AsiFileError(f"{path}: no variable {field!r} (found {sorted(data)})")
    value = float(np.asarray(data[field]).ravel()[0])
    if not np.isfinite(value) or value <= 0:
        raise AsiFileError(f"{path}: variable {field!r} is not a positive number")
    return Calibration(
        match["instrument"].lower(),
        detector,
        value,
        to_utc(pd.Timestamp(match["date"])),
        path,
    )


def to_rayleighs(frames, calibration: Calibration, exposure_s: float) -> np.ndarray:
    """Counts to Rayleighs (float32): ``frames / exposure_s * calibration.rayleighs_per_dn_per_s``.

    Dark-frame and flat-field corrections are the caller's (UCalgary subtract a dark level and
    divide by the flat field before this step).
    """
    if not exposure_s > 0:
        raise AsiError(f"exposure_s must be positive, got {exposure_s!r}")
    scale = np.float32(calibration.rayleighs_per_dn_per_s / exposure_s)
    return np.asarray(frames, dtype=np.float32) * scale
