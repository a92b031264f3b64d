"""University of Calgary stream0 PGM files (THEMIS, REGO, TREx NIR and Blueline): readers and writer.

Layout (observed on the real files in ``../shared/data/ucalgary/``): one file per minute,
``<YYYYMMDD>_<HHMM>_<site>_<imager>_<mode>.pgm.gz``, is the gzip of several binary PGM (``P5``)
images written back to back. Each image is::

    P5\\n
    #"Project unique ID" trex\\n          <- comment lines, ``#"<key>" <value>``
    #"Site unique ID" gill\\n
    ...
    #"Image request start" 2022-03-07 06:00:00.000000 UTC\\n
    ...
    256 256\\n                           <- width height
    65535\\n                             <- maxval: 16-bit pixels, big-endian
    <width * height * 2 bytes>

A THEMIS header repeats some keys (``Project unique ID`` is ``themis-gbo`` in the imager block
and ``THEMIS`` in the site block); the last value is kept. The frame time is the ``Image request
start`` comment (start of exposure, UTC).

Orientation: the format's own readers (pyUCalgarySRS flips the first image axis and pairs the
result with the IDL skymap as ``scipy.io.readsav`` gives it; asilib instead reverses the skymap's
first axis) agree that stored row ``r`` pairs with skymap row ``ny - 1 - r``, column for column.
The IDL skymap has row 0 north and column 0 east (see ``_skymap.py``), so a stored image has row 0
at the SOUTH edge and column 0 at the EAST edge; readers return ``stored[::-1, ::-1]`` (row 0 north,
x eastward) and the writer stores the reverse. No skymap of the real sample's sites is available
here, so this pairing rests on those two readers, not on a star check of our own.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ._cdfblocks import gunzip
from ._registry import AsiFileError, register_reader

__all__ = [
    "PgmThemisReader",
    "PgmRegoReader",
    "PgmTrexNirReader",
    "PgmTrexBlueReader",
    "SpectrographRefusal",
    "UCALGARY_FILE_NAME",
    "write_ucalgary_pgm",
]

# <YYYYMMDD>_<HHMM>_<site>_<imager>_<mode>.<ext>: the name every UCalgary stream0 file has.
UCALGARY_FILE_NAME = re.compile(
    r"^(?P<date>\d{8})_(?P<hhmm>\d{4})_(?P<site>[a-z0-9]+)_(?P<imager>[a-z]+-?\d+)_"
    r"(?P<mode>[a-z0-9]+)\.(?P<ext>pgm\.gz|pgm|h5)$"
)
_COMMENT = re.compile(rb'^#\s*"([^"]*)"\s*(.*?)\s*$')
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
_TIME_KEY = "Image request start"
_WHITESPACE = b" \t\r\n\v\f"


@dataclass(frozen=True)
class PgmFrame:
    """Where one image of a multi-image PGM stream is, and its header comments."""

    offset: int  # first pixel byte in the decompressed stream
    width: int
    height: int
    maxval: int
    metadata: dict

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(">u2") if self.maxval > 255 else np.dtype("u1")


def _decompress(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AsiFileError(f"{path}: cannot open ({exc.strerror})") from exc
    if not path.name.endswith(".gz"):
        return raw
    if raw[:2] != b"\x1f\x8b":
        raise AsiFileError(f"{path}: not a gzip file (bad magic number {raw[:2].hex() or 'empty'})")
    fast = gunzip(raw)  # libdeflate, about twice as fast; None: gzip reads it or names the fault
    if fast is not None:
        return fast
    try:
        return gzip.decompress(raw)
    except EOFError as exc:
        raise AsiFileError(
            f"{path}: truncated gzip stream ({len(raw)} bytes; the compressed data end early)"
        ) from exc
    except (OSError, zlib.error) as exc:
        raise AsiFileError(f"{path}: damaged gzip stream ({type(exc).__name__})") from exc


def _parse(path: Path, buf: bytes) -> tuple[PgmFrame, ...]:
    frames: list[PgmFrame] = []
    pos, end = 0, len(buf)
    while True:
        while pos < end and buf[pos] in _WHITESPACE:
            pos += 1
        if pos >= end:
            break
        where = f"{path}: image {len(frames)} (byte {pos} of the decompressed stream)"
        if buf[pos : pos + 2] != b"P5":
            raise AsiFileError(f"{where}: header field 'magic number' is not the PGM 'P5'")
        pos += 2
        metadata: dict[str, str] = {}
        numbers: list[int] = []
        for field in ("width", "height", "maxval"):
            while True:  # whitespace and comment lines may come before every number
                while pos < end and buf[pos] in _WHITESPACE:
                    pos += 1
                if pos < end and buf[pos] == ord("#"):
                    stop = buf.find(b"\n", pos)
                    stop = end if stop < 0 else stop
                    match = _COMMENT.match(buf[pos:stop])
                    if match:
                        key = match.group(1).decode("ascii", "replace").strip()
                        metadata[key] = match.group(2).decode("ascii", "replace")
                    pos = stop + 1
                    continue
                break
            start = pos
            while pos < end and buf[pos] not in _WHITESPACE and buf[pos] != ord("#"):
                pos += 1
            token = buf[start:pos]
            if not token.isdigit():
                what = "missing (the header ends early)" if not token else "not a whole number"
                raise AsiFileError(f"{where}: header field {field!r} is {what}")
            numbers.append(int(token))
        width, height, maxval = numbers
        if width == 0 or height == 0 or not 0 < maxval < 65536:
            raise AsiFileError(
                f"{where}: header fields width/height/maxval out of range ({width}, {height}, {maxval})"
            )
        pos += 1  # exactly one whitespace byte separates maxval from the pixels
        frame = PgmFrame(pos, width, height, maxval, metadata)
        size = width * height * frame.dtype.itemsize
        if pos + size > end:
            raise AsiFileError(
                f"{where}: pixel data truncated ({max(end - pos, 0)} of {size} bytes)"
            )
        frames.append(frame)
        pos += size
    if not frames:
        raise AsiFileError(f"{path}: no PGM image in the file")
    return tuple(frames)


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, size: int) -> tuple[bytes, tuple[PgmFrame, ...]]:
    buf = _decompress(Path(path))
    return buf, _parse(Path(path), buf)


def read_pgm_stream(path: str | Path) -> tuple[bytes, tuple[PgmFrame, ...]]:
    """The decompressed bytes of a (gzipped) multi-image PGM file and where each image is.

    The last few files read are kept (keyed by path, size and modification time), so asking for
    the times and then the frames of one file decompresses it once.
    """
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise AsiFileError(f"{path}: cannot open ({exc.strerror})") from exc
    return _load(str(path), st.st_mtime_ns, st.st_size)


def _frame_time(path: Path, i: int, frame: PgmFrame) -> pd.Timestamp:
    value = frame.metadata.get(_TIME_KEY)
    if value is None:
        raise AsiFileError(f"{path}: image {i} has no {_TIME_KEY!r} header comment")
    try:
        return pd.Timestamp(pd.to_datetime(value.strip(), format=_TIME_FORMAT), tz="UTC")
    except ValueError:
        raise AsiFileError(
            f"{path}: image {i}: header field {_TIME_KEY!r} is not a time of the form "
            "YYYY-MM-DD HH:MM:SS.ffffff UTC"
        ) from None


class _PgmReader:
    """Reader of one stream0 instrument, selected by the imager part of the file name."""

    name = ""
    imager_pattern = ""  # regex on the <imager> part of the file name
    description = ""

    def can_read(self, path: Path) -> bool:
        match = UCALGARY_FILE_NAME.match(Path(path).name)
        return bool(
            match
            and match["ext"] != "h5"
            and re.fullmatch(self.imager_pattern, match["imager"]) is not None
        )

    def read_metadata(self, path: Path) -> list[dict]:
        """Header comments of each image, ``{key: value}`` (strings, as written)."""
        return [dict(f.metadata) for f in read_pgm_stream(path)[1]]

    def read_times(self, path: Path) -> pd.DatetimeIndex:
        path = Path(path)
        frames = read_pgm_stream(path)[1]
        return pd.DatetimeIndex([_frame_time(path, i, f) for i, f in enumerate(frames)]).as_unit(
            "ns"
        )

    def frame_shape(self, path: Path) -> tuple[int, int]:
        path = Path(path)
        frames = read_pgm_stream(path)[1]
        shapes = {(f.height, f.width) for f in frames}
        if len(shapes) != 1:
            raise AsiFileError(f"{path}: images of different shapes {sorted(shapes)} in one file")
        return shapes.pop()

    def read_frames(self, path: Path, start: int = 0, stop: int | None = None) -> np.ndarray:
        path = Path(path)
        ny, nx = self.frame_shape(path)
        buf, frames = read_pgm_stream(path)
        chosen = frames[start:stop]
        dtype = frames[0].dtype
        out = np.empty((len(chosen), ny, nx), dtype=dtype.newbyteorder("="))
        for k, f in enumerate(chosen):
            if f.dtype != dtype:
                raise AsiFileError(f"{path}: images with different maxval in one file")
            out[k] = np.frombuffer(buf, dtype, ny * nx, f.offset).reshape(ny, nx)
        return out[:, ::-1, ::-1]  # stored row 0 = south, column 0 = east (module docstring)


@register_reader
class PgmThemisReader(_PgmReader):
    """THEMIS ASI stream0 ``<date>_<HHMM>_<site>_themisNN_<mode>.pgm.gz``: 256 x 256 uint16."""

    name = "themis_stream0"
    imager_pattern = r"themis\d+"


@register_reader
class PgmRegoReader(_PgmReader):
    """REGO stream0 ``<date>_<HHMM>_<site>_rego-NNN_6300.pgm.gz``: 512 x 512 uint16, 630.0 nm."""

    name = "rego_stream0"
    imager_pattern = r"rego-\d+"


@register_reader
class PgmTrexNirReader(_PgmReader):
    """TREx NIR stream0 ``<date>_<HHMM>_<site>_nir-NNN_8446.pgm.gz``: 256 x 256 uint16."""

    name = "trex_nir"
    imager_pattern = r"nir-\d+"


@register_reader
class PgmTrexBlueReader(_PgmReader):
    """TREx Blueline stream0 ``<date>_<HHMM>_<site>_blue-NNN_full.pgm.gz``: 270 x 320 uint16."""

    name = "trex_blue"
    imager_pattern = r"blue-\d+"


@register_reader
class SpectrographRefusal:
    """TREx Spectrograph ``*_spect-NN_spectra.pgm.gz``: recognised and refused by name.

    Its images are spectra (wavelength x position along the meridian slit, 256 x 1024), not
    all-sky frames: no skymap, fisheye or map projection applies, so aurorax.asi does not read them.
    """

    name = "trex_spectrograph"

    def can_read(self, path: Path) -> bool:
        match = UCALGARY_FILE_NAME.match(Path(path).name)
        return bool(match and match["imager"].startswith("spect-"))

    def _refuse(self, path) -> AsiFileError:
        return AsiFileError(
            f"{path}: TREx Spectrograph file (spectra: wavelength x position along the slit, not "
            "all-sky images); aurorax.asi has no spectrograph reader"
        )

    def read_times(self, path: Path) -> pd.DatetimeIndex:
        raise self._refuse(path)

    def frame_shape(self, path: Path) -> tuple[int, int]:
        raise self._refuse(path)

    def read_frames(self, path: Path, start: int = 0, stop: int | None = None) -> np.ndarray:
        raise self._refuse(path)


def write_ucalgary_pgm(
    path,
    site_uid: str,
    imager_uid: str,
    times,
    frames,
    project_uid: str = "themis",
    mode_uid: str = "full",
    metadata: dict | None = None,
) -> Path:
    """Write frames as a UCalgary stream0 file: gzip of back-to-back ``P5`` images (see above).

    Parameters
    ----------
    path : str or Path
        Output file, normally ``<YYYYMMDD>_<HHMM>_<site>_<imager>_<mode>.pgm.gz`` so the registry
        recognises it (gzip is used when the name ends in ``.gz``). Parent folders are created.
    site_uid, imager_uid : str
        Written as the ``Site unique ID`` / ``Imager unique ID`` comments.
    times : sequence of datetime-like
        Start of exposure of each frame (naive = UTC): the ``Image request start`` comments.
    frames : ndarray, dims (time, y, x)
        Counts in aurorax orientation (row 0 = north edge, x eastward); uint16 or uint8.
    project_uid, mode_uid : str
        ``Project unique ID`` and ``Mode unique ID`` comments.
    metadata : dict, optional
        Further ``key: value`` comments written before the time (e.g. ``Geodetic latitude``).

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    frames = np.asarray(frames)
    index = pd.DatetimeIndex(times)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    if frames.ndim != 3 or frames.shape[0] != len(index) or len(index) == 0:
        raise ValueError(f"need frames (time, y, x) with one time each; got {frames.shape}")
    if frames.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"frames must be uint8 or uint16, got {frames.dtype}")
    ny, nx = frames.shape[1:]
    maxval, dtype = (255, np.dtype("u1")) if frames.dtype == np.uint8 else (65535, np.dtype(">u2"))
    out = bytearray()
    for t, frame in zip(index, frames, strict=True):
        lines = {
            "Project unique ID": project_uid,
            "Site unique ID": site_uid.lower(),
            "Imager unique ID": imager_uid,
            "Mode unique ID": mode_uid,
            **(metadata or {}),
            _TIME_KEY: t.strftime(_TIME_FORMAT),
        }
        out += b"P5\n"
        for key, value in lines.items():
            out += f'#"{key}" {value}\n'.encode("ascii")
        out += f"{nx} {ny}\n{maxval}\n".encode("ascii")
        out += np.ascontiguousarray(frame[::-1, ::-1], dtype=dtype).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = gzip.compress(bytes(out), 6, mtime=0) if path.name.endswith(".gz") else bytes(out)
    path.write_bytes(data)
    return path
