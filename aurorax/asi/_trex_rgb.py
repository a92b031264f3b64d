"""TREx RGB colour files (HDF5, ``<YYYYMMDD>_<HHMM>_<site>_rgb-NN_full.h5``): reader and writer.

Layout, as pyUCalgarySRS reads it (no real file was available here; the writer follows it):

=================================  =============================================================
HDF5 object                        content
=================================  =============================================================
``data/images``                    uint8 ``(height, width, 3, n_frames)`` (red, green, blue), or
                                   ``(height, width, 3)`` for a single frame
``data/timestamp``                 ``(n_frames,)`` strings ``YYYY-MM-DD HH:MM:SS.ffffff UTC``
``metadata/file`` (attributes)     file-wide ``key: value`` (site, imager, project, ...)
``metadata/frame/frame<i>``        per-frame attributes, among them
                                   ``image_request_start_timestamp`` (same time format)
=================================  =============================================================

Frame times are the per-frame ``image_request_start_timestamp`` attributes, falling back to
``data/timestamp``. Orientation: pyUCalgarySRS flips the first image axis of these arrays exactly
as it does for the stream0 PGMs and pairs them with the same IDL skymaps, so the readers treat both
alike: they return ``stored[::-1, ::-1]`` (row 0 north, x eastward), as dims ``(time, y, x,
channel)`` with 3 channels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._pgm import UCALGARY_FILE_NAME
from ._registry import AsiFileError, register_reader

__all__ = ["TrexRgbReader", "write_trex_rgb_h5"]

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
_FRAME_TIME = "image_request_start_timestamp"


def _h5py():
    try:
        import h5py
    except ImportError as exc:  # pragma: no cover - h5py is a dependency
        raise AsiFileError("reading TREx RGB .h5 files needs the h5py package") from exc
    return h5py


def _text(value) -> str:
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).decode("ascii", "replace")
    return str(value)


class _Open:
    """``with _Open(path) as (file, images):`` the HDF5 file and its checked image dataset."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __enter__(self):
        h5py = _h5py()
        path = self.path
        if not path.is_file():
            raise AsiFileError(f"{path}: cannot open (no such file)")
        try:
            self.file = h5py.File(path, "r")
        except OSError:
            raise AsiFileError(f"{path}: not a readable HDF5 file") from None
        images = self.file.get("data/images")
        if not isinstance(images, h5py.Dataset):
            names = sorted(self.file.get("data", {}).keys()) if "data" in self.file else []
            self.file.close()
            raise AsiFileError(
                f"{path}: missing dataset 'data/images' (the file's 'data' group holds {names})"
            )
        if images.ndim not in (3, 4) or images.shape[2] != 3:
            self.file.close()
            raise AsiFileError(
                f"{path}: dataset 'data/images' has shape {images.shape}, expected "
                "(height, width, 3, frames) or (height, width, 3)"
            )
        return self.file, images

    def __exit__(self, *exc) -> None:
        self.file.close()


def _n_frames(images) -> int:
    return images.shape[3] if images.ndim == 4 else 1


@register_reader
class TrexRgbReader:
    """TREx RGB ``<date>_<HHMM>_<site>_rgb-NN_<mode>.h5``: colour frames ``(time, y, x, 3)`` uint8."""

    name = "trex_rgb"

    def can_read(self, path: Path) -> bool:
        match = UCALGARY_FILE_NAME.match(Path(path).name)
        return bool(match and match["ext"] == "h5" and match["imager"].startswith("rgb-"))

    def read_times(self, path: Path) -> pd.DatetimeIndex:
        path = Path(path)
        with _Open(path) as (h5, images):
            n = _n_frames(images)
            frame_group = h5.get("metadata/frame")
            values = []
            for i in range(n):
                attrs = frame_group.get(f"frame{i}") if frame_group is not None else None
                if attrs is None or _FRAME_TIME not in attrs.attrs:
                    values = None
                    break
                values.append(_text(attrs.attrs[_FRAME_TIME]))
            field = f"metadata/frame/frame<i>.{_FRAME_TIME}"
            if values is None:
                field = "data/timestamp"
                stamps = h5.get(field)
                if stamps is None:
                    raise AsiFileError(
                        f"{path}: missing dataset 'data/timestamp' (and per-frame "
                        f"'{_FRAME_TIME}' attributes): no frame times"
                    )
                values = [_text(v) for v in np.atleast_1d(stamps[()])]
        if len(values) != n:
            raise AsiFileError(f"{path}: {field} has {len(values)} times for {n} frames")
        try:
            times = pd.to_datetime([v.strip() for v in values], format=_TIME_FORMAT)
        except ValueError:
            raise AsiFileError(
                f"{path}: {field} holds values that are not times of the form "
                "YYYY-MM-DD HH:MM:SS.ffffff UTC"
            ) from None
        return pd.DatetimeIndex(times).tz_localize("UTC").as_unit("ns")

    def frame_shape(self, path: Path) -> tuple[int, int]:
        with _Open(Path(path)) as (_, images):
            return int(images.shape[0]), int(images.shape[1])

    def read_metadata(self, path: Path) -> dict:
        """File-wide attributes of ``metadata/file`` (strings)."""
        with _Open(Path(path)) as (h5, _):
            group = h5.get("metadata/file")
            return {} if group is None else {k: _text(v) for k, v in group.attrs.items()}

    def read_frames(self, path: Path, start: int = 0, stop: int | None = None) -> np.ndarray:
        path = Path(path)
        with _Open(path) as (_, images):
            if images.ndim == 3:
                block = images[()][np.newaxis][start:stop]
            else:
                lo, hi, _ = slice(start, stop).indices(images.shape[3])
                block = np.moveaxis(images[:, :, :, lo:hi], 3, 0)
        if block.dtype != np.uint8:
            raise AsiFileError(f"{path}: dataset 'data/images' is {block.dtype}, expected uint8")
        return block[:, ::-1, ::-1, :]


def write_trex_rgb_h5(
    path, site_uid: str, imager_uid: str, times, frames, metadata: dict | None = None
) -> Path:
    """Write colour frames in the TREx RGB HDF5 layout (see the module docstring).

    Parameters
    ----------
    path : str or Path
        Output file, normally ``<YYYYMMDD>_<HHMM>_<site>_rgb-NN_full.h5``.
    site_uid, imager_uid : str
        Written to the ``metadata/file`` attributes ``site_unique_id`` / ``imager_unique_id``.
    times : sequence of datetime-like
        Start of exposure of each frame (naive = UTC).
    frames : ndarray, dims (time, y, x, channel), uint8
        Red, green, blue in aurorax orientation (row 0 = north edge, x eastward).
    metadata : dict, optional
        More file-wide attributes.
    """
    h5py = _h5py()
    path = Path(path)
    frames = np.asarray(frames)
    index = pd.DatetimeIndex(times)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    if frames.ndim != 4 or frames.shape[3] != 3 or frames.shape[0] != len(index) or not len(index):
        raise ValueError(
            f"need uint8 frames (time, y, x, 3) with one time each; got {frames.shape}"
        )
    if frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8, got {frames.dtype}")
    stamps = [t.strftime(_TIME_FORMAT) for t in index]
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as h5:
        stored = np.moveaxis(frames[:, ::-1, ::-1, :], 0, 3)
        h5.create_dataset("data/images", data=stored, compression="gzip", compression_opts=4)
        h5.create_dataset("data/timestamp", data=np.array(stamps, dtype="S"))
        attrs = h5.create_group("metadata/file").attrs
        file_meta = {
            "project_unique_id": "trex",
            "site_unique_id": site_uid.lower(),
            "imager_unique_id": imager_uid,
            **(metadata or {}),
        }
        for key, value in file_meta.items():
            attrs[key] = value
        for i, stamp in enumerate(stamps):
            h5.create_group(f"metadata/frame/frame{i}").attrs[_FRAME_TIME] = stamp
    return path
