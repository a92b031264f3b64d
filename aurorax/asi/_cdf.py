"""THEMIS and REGO level-1 image CDF files: readers (registered) and writers.

Layout (observed on the real THEMIS file ``thg_l1_asf_gako_2011010617_v01.cdf``; REGO assumed to
follow the same University of Calgary layout with the ``clg_rgf`` prefix, as asilib's REGO loader
and the THEMIS IDL ``thm_load_rego`` routine name it):

=============================  ================  =========================================
zVariable                      type              meaning
=============================  ================  =========================================
``<p>_<site>``                 CDF_UINT2         frames (records, ny, nx), gzip level 6
``<p>_<site>_epoch``           CDF_EPOCH         start of exposure, ms since 0000-01-01
``<p>_<site>_time``            CDF_REAL8         same instant, Unix seconds
``<p>_<site>_tend``            CDF_REAL8         end of exposure, Unix seconds
``<p>_<site>_epoch0``          CDF_EPOCH         the Unix epoch (time base), one value
``<p>_<site>_row/_column``     CDF_UINT2         pixel numbers, not record-varying
``range_epoch``                CDF_EPOCH         first and last epoch of the file
=============================  ================  =========================================

with ``<p>`` = ``thg_asf`` (THEMIS, 256 x 256, white light) or ``clg_rgf`` (REGO, 512 x 512,
630.0 nm). Orientation: a frame as stored has row 0 at the SOUTH edge and column 0 at the WEST
edge (checked against the stars and Venus in the real Gakona file, see ``docs/asi.md``); readers
return frames with rows reversed (a view, no copy) so that row 0 is the NORTH edge and x grows
eastward (north up, east right, as on a map). Writers take frames in that same aurorax
orientation and store them in the file orientation, so a round trip is exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import cdflib
import numpy as np
import pandas as pd
from cdflib.cdfwrite import CDF as CdfWriter

from ._cdfblocks import read_records, variable_layout
from ._registry import AsiFileError, register_reader
from ._time import CDF_EPOCH_UNIX_MS, cdf_epoch_to_utc, utc_to_cdf_epoch

__all__ = [
    "ThemisReader",
    "ThemisThumbnailReader",
    "RegoReader",
    "write_themis_cdf",
    "write_rego_cdf",
]

# First four bytes of CDF files: version 3, version 2.6/2.7 and version 2.5 and older.
_CDF_MAGIC = (b"\xcd\xf3\x00\x01", b"\xcd\xf2\x60\x02", b"\x00\x00\xff\xff")
_CDF_UINT2, _CDF_REAL8, _CDF_EPOCH = 12, 22, 31
# Record budget for one decompression call: bounds memory when a caller asks for a whole hour.
_CHUNK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class _Layout:
    name: str
    prefix: str  # "thg_asf" or "clg_rgf"
    file_prefix: str  # "thg_l1_asf" or "clg_l1_rgf"
    shape: tuple[int, int]
    project: str
    description: str
    date_digits: int = 10  # YYYYMMDDHH (hourly files); 8 for daily files


def _check_magic(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise AsiFileError(f"{path}: cannot open ({exc.strerror})") from exc
    if len(head) < 8 or head[:4] not in _CDF_MAGIC:
        raise AsiFileError(f"{path}: not a CDF file (bad magic number {head[:4].hex() or 'empty'})")
    if head == b"\xcd\xf3\x00\x01\x00\x00\xff\xff":
        _check_length(path)


def _check_length(path: Path) -> None:
    """Compare an uncompressed CDF v3 file's size with the end-of-file offset its header records.

    CDR at byte 8: record size (8 bytes), type (4), GDR offset (8). GDR: size (8), type (4),
    rVDR head, zVDR head, ADR head (8 each), then the EOF offset (8). All big-endian.
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(8 + 12)
        gdr = int.from_bytes(fh.read(8), "big")
        if 0 < gdr < size:
            fh.seek(gdr + 12 + 24)
            raw = fh.read(8)
            eof = int.from_bytes(raw, "big") if len(raw) == 8 else None
        else:
            eof = None
    if eof is None:
        raise AsiFileError(f"{path}: truncated CDF file ({size} bytes; the header is incomplete)")
    if size < eof:
        raise AsiFileError(f"{path}: truncated CDF file ({size} bytes; its header says {eof})")


class _CdfImageReader:
    layout: _Layout

    def __init__(self) -> None:
        lay = self.layout
        self._pattern = re.compile(
            rf"^{lay.file_prefix}_([a-z0-9]+)_(\d{{{lay.date_digits}}})_v\d\d\.cdf$"
        )
        self.name = lay.name

    def can_read(self, path: Path) -> bool:
        return self._pattern.match(Path(path).name) is not None

    def _open(self, path: Path) -> tuple[cdflib.CDF, str]:
        path = Path(path)
        _check_magic(path)
        match = self._pattern.match(path.name)
        if match is None:
            raise AsiFileError(
                f"{path}: file name does not follow {self.layout.file_prefix}_<site>_<date>_vNN.cdf"
            )
        try:
            cdf = cdflib.CDF(path)
            names = cdf.cdf_info().zVariables
        except Exception as exc:  # cdflib raises bare Exceptions/struct errors on damaged files
            raise AsiFileError(f"{path}: not a readable CDF file ({exc})") from exc
        var = f"{self.layout.prefix}_{match.group(1)}"
        missing = [v for v in (var, f"{var}_epoch") if v not in names]
        if missing:
            raise AsiFileError(
                f"{path}: missing variable(s) {missing}; the file has {sorted(names)}"
            )
        return cdf, var

    def read_times(self, path: Path) -> pd.DatetimeIndex:
        cdf, var = self._open(path)
        try:
            epoch = np.atleast_1d(cdf.varget(f"{var}_epoch"))
        except Exception as exc:
            raise AsiFileError(f"{path}: cannot read {var}_epoch ({exc})") from exc
        if epoch.ndim != 1 or epoch.dtype.kind != "f":
            raise AsiFileError(f"{path}: {var}_epoch is not a 1-D CDF_EPOCH variable")
        return cdf_epoch_to_utc(epoch)

    def frame_shape(self, path: Path) -> tuple[int, int]:
        cdf, var = self._open(path)
        info = cdf.varinq(var)
        if info.Num_Dims != 2:
            raise AsiFileError(
                f"{path}: {var} has {info.Num_Dims} dimensions per record, expected 2"
            )
        return int(info.Dim_Sizes[0]), int(info.Dim_Sizes[1])

    def read_pixels(self, path: Path, start: int, stop: int, rows, cols) -> np.ndarray:
        """Pixels ``(rows, cols)`` (aurorax orientation) of frames ``start:stop``: ``(time, n)``.

        Uses the block reader's selection so whole frames are never assembled; falls back to
        slicing :meth:`read_frames` when the file is outside the fast path.
        """
        rows, cols = np.asarray(rows), np.asarray(cols)
        cdf, var = self._open(path)
        info = cdf.varinq(var)
        stop = min(stop, int(info.Last_Rec) + 1)
        if info.Num_Dims != 2:
            raise AsiFileError(
                f"{path}: {var} has {info.Num_Dims} dimensions per record, expected 2"
            )
        try:
            layout = variable_layout(path, var)
            if layout is None or layout.dims != tuple(info.Dim_Sizes):
                return self.read_frames(path, start, stop)[:, rows, cols]
            ny = int(info.Dim_Sizes[0])  # file rows run south to north: flip the row index
            return read_records(path, layout, start, stop, (ny - 1 - rows, cols))
        except AsiFileError:
            raise
        except Exception as exc:
            raise AsiFileError(
                f"{path}: cannot read records {start}..{stop - 1} of {var} ({exc})"
            ) from exc

    def read_frames(self, path: Path, start: int = 0, stop: int | None = None) -> np.ndarray:
        cdf, var = self._open(path)
        info = cdf.varinq(var)
        n_rec = int(info.Last_Rec) + 1
        stop = n_rec if stop is None else min(stop, n_rec)
        if info.Num_Dims != 2:
            raise AsiFileError(
                f"{path}: {var} has {info.Num_Dims} dimensions per record, expected 2"
            )
        if start >= stop:
            return np.empty((0, *info.Dim_Sizes), dtype=np.uint16)
        try:
            layout = variable_layout(path, var)
            if layout is not None and layout.dims == tuple(info.Dim_Sizes):
                frames = read_records(path, layout, start, stop)  # fast path, same values
            else:
                frames = cdf.varget(var, startrec=start, endrec=stop - 1)
        except Exception as exc:
            raise AsiFileError(
                f"{path}: cannot read records {start}..{stop - 1} of {var} ({exc})"
            ) from exc
        frames = np.asarray(frames)
        if frames.ndim == 2:  # cdflib drops the record axis when one record is read
            frames = frames[np.newaxis]
        if frames.shape[0] != stop - start:
            raise AsiFileError(
                f"{path}: {var} returned {frames.shape[0]} records, expected {stop - start} (truncated?)"
            )
        return frames[:, ::-1, :]


@register_reader
class ThemisReader(_CdfImageReader):
    """THEMIS ASI L1 full-resolution files ``thg_l1_asf_<site>_<YYYYMMDDHH>_v01.cdf``."""

    layout = _Layout(
        "themis",
        "thg_asf",
        "thg_l1_asf",
        (256, 256),
        "THEMIS",
        "Ground-based All Sky Imager, 3sec Level-1, THEMIS GBO network",
    )


@register_reader
class RegoReader(_CdfImageReader):
    """REGO L1 full-resolution 630.0 nm files ``clg_l1_rgf_<site>_<YYYYMMDDHH>_v01.cdf``."""

    layout = _Layout(
        "rego",
        "clg_rgf",
        "clg_l1_rgf",
        (512, 512),
        "REGO",
        "Redline Emission Geospace Observatory 630.0 nm imager, 3sec Level-1",
    )


@register_reader
class ThemisThumbnailReader(_CdfImageReader):
    """THEMIS ASI L1 thumbnail files ``thg_l1_ast_<site>_<YYYYMMDD>_v01.cdf`` (one day, 32 x 32).

    Observed on the real Gakona file ``thg_l1_ast_gako_20110505_v01.cdf``: ``thg_ast_<site>``
    (1075, 32, 32) uint16 at ~3 s; ``thg_ast_<site>_epoch`` is a VIRTUAL variable with a single
    stored record (the CDAWeb ``comp_themis_epoch`` function builds it from ``_epoch0`` + ``_time``),
    so the frame times come from ``thg_ast_<site>_time`` (Unix seconds). The frames are stored in
    the same orientation as the full-resolution files (assumed: same pipeline) and are read the
    same way. No 32 x 32 skymap is distributed; ``Imager`` therefore needs one passed in.
    """

    layout = _Layout(
        "themis_ast",
        "thg_ast",
        "thg_l1_ast",
        (32, 32),
        "THEMIS",
        "Ground-based All Sky Imager, thumbnails, Level-1, THEMIS GBO network",
        date_digits=8,
    )

    def read_times(self, path: Path) -> pd.DatetimeIndex:
        cdf, var = self._open(path)
        n_rec = int(cdf.varinq(var).Last_Rec) + 1
        try:
            unix_s = np.atleast_1d(cdf.varget(f"{var}_time"))
        except Exception as exc:
            raise AsiFileError(f"{path}: cannot read {var}_time ({exc})") from exc
        if unix_s.ndim != 1 or unix_s.dtype.kind != "f" or len(unix_s) != n_rec:
            raise AsiFileError(
                f"{path}: {var}_time is not a 1-D CDF_REAL8 variable with one value per frame "
                f"({n_rec} frames)"
            )
        us = np.round(unix_s * 1e6).astype("int64").astype("datetime64[us]")
        return pd.DatetimeIndex(us, tz="UTC").as_unit("ns")


def _write(layout: _Layout, path, site_uid: str, times, frames, exposure_s: float) -> Path:
    path = Path(path)
    site = site_uid.lower()
    if not re.fullmatch(r"[a-z0-9]+", site):
        raise ValueError(f"site_uid must be letters and digits, got {site_uid!r}")
    frames = np.asarray(frames)
    index = pd.DatetimeIndex(times)
    if frames.ndim != 3:
        raise ValueError(f"frames must have dims (time, y, x), got shape {frames.shape}")
    if frames.shape[0] != len(index):
        raise ValueError(f"{len(index)} times but {frames.shape[0]} frames")
    if frames.dtype != np.uint16:
        if frames.size and (np.nanmin(frames) < 0 or np.nanmax(frames) > 65535):
            raise ValueError("frame values must fit in uint16 (0..65535)")
        frames = np.nan_to_num(frames, nan=0).astype(np.uint16)
    if len(index) == 0:
        raise ValueError("at least one frame is needed to write an image file")
    epoch = utc_to_cdf_epoch(index)
    unix_s = (epoch - CDF_EPOCH_UNIX_MS) / 1e3
    ny, nx = frames.shape[1:]
    var = f"{layout.prefix}_{site}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    hour = index[0].strftime("%Y%m%d%H")
    cdf = CdfWriter(path, cdf_spec={"Majority": "Row_major", "Checksum": False})
    try:
        cdf.write_globalattrs(
            {
                "Project": {0: layout.project},
                "Data_type": {0: "ASF>All Sky Imager, Full resolution images"},
                "Descriptor": {0: site.upper()},
                "Logical_source": {0: f"{layout.file_prefix}_{site}"},
                "Logical_file_id": {0: f"{layout.file_prefix}_{site}_{hour}_v01"},
                "Logical_source_description": {0: layout.description},
                "Time_resolution": {0: "3s"},
                "Generated_by": {0: "aurorax"},
            }
        )

        def spec(name, dtype, dims, rec_vary=True, compress=0, block=1):
            return {
                "Variable": name,
                "Data_Type": dtype,
                "Num_Elements": 1,
                "Rec_Vary": rec_vary,
                "Dim_Sizes": dims,
                "Compress": compress,
                "Block_Factor": block,
            }

        cdf.write_var(
            spec(var, _CDF_UINT2, [ny, nx], compress=6, block=7),
            {
                "CATDESC": f"Images of {ny}x{nx} pixels",
                "DEPEND_0": f"{var}_epoch",
                "DEPEND_1": f"{var}_column",
                "DEPEND_2": f"{var}_row",
                "DISPLAY_TYPE": "image",
                "FIELDNAM": var,
                "UNITS": "counts",
                "VAR_TYPE": "data",
                "DEPEND_TIME": f"{var}_time",
                "DEPEND_EPOCH0": f"{var}_epoch0",
            },
            np.ascontiguousarray(frames[:, ::-1, :]),
        )
        cdf.write_var(
            spec(f"{var}_column", _CDF_UINT2, [nx], rec_vary=False),
            {"UNITS": "wpix#"},
            np.arange(nx, dtype=np.uint16),
        )
        cdf.write_var(
            spec(f"{var}_row", _CDF_UINT2, [ny], rec_vary=False),
            {"UNITS": "hpix#"},
            np.arange(ny, dtype=np.uint16),
        )
        cdf.write_var(
            spec(f"{var}_time", _CDF_REAL8, [], compress=6, block=len(index)),
            {"UNITS": "sec", "VAR_NOTES": "Unleaped seconds"},
            unix_s,
        )
        cdf.write_var(
            spec(f"{var}_tend", _CDF_REAL8, [], compress=6, block=len(index)),
            {"UNITS": "sec", "VAR_NOTES": "Unleaped seconds, end time of integration"},
            unix_s + exposure_s,
        )
        cdf.write_var(
            spec(f"{var}_epoch", _CDF_EPOCH, [], block=len(index)),
            {
                "CATDESC": "Epoch of start of image exposure",
                "VAR_TYPE": "support_data",
                "VIRTUAL": "TRUE",
                "FUNCT": "comp_themis_epoch",
                "COMPONENT_0": f"{var}_epoch0",
                "COMPONENT_1": f"{var}_time",
            },
            epoch,
        )
        cdf.write_var(
            spec(f"{var}_epoch0", _CDF_EPOCH, [], rec_vary=False),
            {"UNITS": "msec", "VAR_NOTES": "EPOCH of 01-Jan-1970 00:00:00"},
            np.array([CDF_EPOCH_UNIX_MS]),
        )
        cdf.write_var(
            spec("range_epoch", _CDF_EPOCH, [], block=2),
            {"CATDESC": "Epochs of first and last image in file", "UNITS": "msec"},
            np.array([epoch[0], epoch[-1]]),
        )
    finally:
        cdf.close()
    return path


def write_themis_cdf(path, site_uid: str, times, frames, exposure_s: float = 1.0) -> Path:
    """Write frames to a THEMIS ASI L1 CDF in the layout of the real files.

    Parameters
    ----------
    path : str or Path
        Output file; its name should be ``thg_l1_asf_<site>_<YYYYMMDDHH>_v01.cdf`` so that the
        reader registry recognises it. Parent folders are created.
    site_uid : str
        Four-letter site code (lower case in variable names).
    times : sequence of datetime-like
        Start of exposure of each frame (naive = UTC).
    frames : ndarray, dims (time, y, x)
        Counts in the aurorax orientation (row 0 = north edge, x eastward); uint16, or numbers that
        fit in uint16 (NaN is written as 0).
    exposure_s : float
        Exposure length in seconds, stored as ``<var>_tend - <var>_time``.

    Returns
    -------
    Path
        The written file.
    """
    return _write(ThemisReader.layout, path, site_uid, times, frames, exposure_s)


def write_rego_cdf(path, site_uid: str, times, frames, exposure_s: float = 2.0) -> Path:
    """Write frames to a REGO L1 CDF (``clg_l1_rgf_<site>_<YYYYMMDDHH>_v01.cdf``).

    Same arguments as :func:`write_themis_cdf`; REGO frames are normally 512 x 512.
    """
    return _write(RegoReader.layout, path, site_uid, times, frames, exposure_s)
