"""Skymaps: where each imager pixel looks, and where that is at an emission altitude.

Orientation (aurorax convention, used by every array here and by the frames the readers return):
arrays are ``(y, x)`` with row 0 at the NORTH edge of the image and x growing EASTWARD, i.e. north
up and east right as on a map (the way asilib plots fisheye images). The University of Calgary
IDL skymaps, as ``scipy.io.readsav`` returns them, have row 0 north but column 0 EAST (the sky as
seen from below); the reader reverses their columns. The image CDFs store row 0 south and column
0 west; the image readers reverse their rows. Both facts were checked on the real Gakona files
(Venus and ten bright stars land on the skymap pixels predicted for 2011-01-06 17:00 UT).

Open skymap format (``*.npz``, written by :func:`write_skymap`), all arrays in aurorax orientation:

=================  ==================  ==========================================================
key                dtype / shape       meaning
=================  ==================  ==========================================================
``format``         str                 ``"aurorax-skymap"``
``version``        int                 1
``site_uid``       str                 site code, lower case
``program``        str                 ``"themis"``, ``"rego"`` or another imager program
``site_lat``       float               degrees north
``site_lon``       float               degrees east, -180..180
``site_alt_km``    float               km
``valid_from``     str                 ISO 8601 UTC start of validity
``azimuth``        float32 (ny, nx)    pixel-centre azimuth, degrees east of north, NaN off-sky
``elevation``      float32 (ny, nx)    pixel-centre elevation, degrees, NaN off-sky
``altitudes_km``   float64 (n_alt,)    mapping altitudes
``vertex_lat``     float32 (n_alt, ny+1, nx+1)  pixel-vertex latitude at each altitude
``vertex_lon``     float32 (n_alt, ny+1, nx+1)  pixel-vertex longitude, -180..180
=================  ==================  ==========================================================
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.io import readsav
from scipy.spatial import cKDTree

from ._geometry import azel_to_lla, lla_to_azel
from ._registry import AsiError, AsiFileError, AsiFileNotFoundError
from ._time import to_utc

__all__ = ["Skymap", "read_skymap", "write_skymap", "load_skymap", "skymap_file_date"]

log = logging.getLogger(__name__)

_FORMAT = "aurorax-skymap"
_SKYMAP_NAME = re.compile(r"^([a-z]+)_skymap_([a-z0-9]+)_(\d{8})(?:-\+)?_v\w+\.(sav|npz)$")


def _frozen(a, dtype) -> np.ndarray:
    a = np.array(a, dtype=dtype)
    a.flags.writeable = False
    return a


def _wrap_lon(lon):
    return (np.asarray(lon, dtype=float) + 180.0) % 360.0 - 180.0


@dataclass(frozen=True, eq=False)
class Skymap:
    """Pixel geometry of one imager, valid from a date (arrays are read-only).

    Attributes
    ----------
    site_uid, program : str
        Site code (lower case) and imager program (``"themis"``, ``"rego"``, ...).
    site_lat, site_lon, site_alt_km : float
        Site location: degrees north, degrees east (-180..180), km.
    azimuth, elevation : ndarray (ny, nx)
        Pixel-centre look direction, degrees; NaN for pixels that do not see the sky.
    altitudes_km : tuple of float
        Altitudes at which vertex positions are stored.
    vertex_lat, vertex_lon : ndarray (n_alt, ny+1, nx+1)
        Pixel-vertex latitude/longitude (degrees, lon in -180..180) at each altitude; NaN off-sky.
    valid_from : pandas.Timestamp
        UTC start of validity.
    source : Path or None
        File it was read from.
    """

    site_uid: str
    program: str
    site_lat: float
    site_lon: float
    site_alt_km: float
    azimuth: np.ndarray
    elevation: np.ndarray
    altitudes_km: tuple[float, ...]
    vertex_lat: np.ndarray
    vertex_lon: np.ndarray
    valid_from: pd.Timestamp
    source: Path | None = field(default=None)

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "site_uid", str(self.site_uid).lower())
        set_(self, "program", str(self.program).lower())
        set_(self, "site_lon", float(_wrap_lon(self.site_lon)))
        set_(self, "azimuth", _frozen(self.azimuth, np.float32))
        set_(self, "elevation", _frozen(self.elevation, np.float32))
        set_(self, "altitudes_km", tuple(float(a) for a in np.atleast_1d(self.altitudes_km)))
        set_(self, "vertex_lat", _frozen(self.vertex_lat, np.float32))
        set_(self, "vertex_lon", _frozen(_wrap_lon(self.vertex_lon), np.float32))
        set_(self, "valid_from", to_utc(self.valid_from))
        where = f"skymap {self.source or self.site_uid}"
        ny, nx = self.elevation.shape
        if self.azimuth.shape != (ny, nx):
            raise AsiFileError(
                f"{where}: azimuth shape {self.azimuth.shape} != elevation shape {(ny, nx)}"
            )
        want = (len(self.altitudes_km), ny + 1, nx + 1)
        for name in ("vertex_lat", "vertex_lon"):
            if getattr(self, name).shape != want:
                raise AsiFileError(
                    f"{where}: {name} shape {getattr(self, name).shape}, expected {want} "
                    "(altitudes, y+1, x+1)"
                )

    @property
    def shape(self) -> tuple[int, int]:
        """Image shape ``(ny, nx)`` the skymap describes."""
        return self.elevation.shape

    def check_altitude(self, altitude_km: float) -> int:
        """Index of ``altitude_km`` in :attr:`altitudes_km`; a clear error when absent."""
        for i, alt in enumerate(self.altitudes_km):
            if abs(alt - altitude_km) < 1e-6:
                return i
        raise AsiError(
            f"skymap {self.source or self.site_uid} has no vertices at {altitude_km:g} km; "
            f"available altitudes are {[f'{a:g}' for a in self.altitudes_km]} km "
            "(pass compute=True to compute vertices from the line-of-sight geometry)"
        )

    def vertices(self, altitude_km: float, compute: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Pixel-vertex latitude and longitude at ``altitude_km``, each ``(ny+1, nx+1)``.

        Parameters
        ----------
        altitude_km : float
            Emission altitude, km.
        compute : bool
            When the altitude is not stored, recover each vertex's line of sight from the stored
            altitude nearest to it and intersect it with the requested shell (spherical Earth;
            reproduces the stored 150 km THEMIS vertices from the 110 km ones to 0.002 degrees).
            When False (default) an absent altitude raises :class:`AsiError`.
        """
        try:
            i = self.check_altitude(altitude_km)
        except AsiError:
            if not compute:
                raise
        else:
            return self.vertex_lat[i], self.vertex_lon[i]
        return self._computed_vertices(float(altitude_km))

    def _computed_vertices(self, altitude_km):
        near = int(np.argmin([abs(a - altitude_km) for a in self.altitudes_km]))
        az, el = lla_to_azel(
            self.site_lat, self.site_lon, self.site_alt_km,
            self.vertex_lat[near], self.vertex_lon[near], self.altitudes_km[near],
        )  # fmt: skip
        lat, lon = azel_to_lla(self.site_lat, self.site_lon, self.site_alt_km, az, el, altitude_km)
        return lat.astype(np.float32), lon.astype(np.float32)

    @cached_property
    def _centres(self) -> dict:
        return {}

    def pixel_centres(self, altitude_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude (degrees) of each pixel centre's line of sight at an altitude.

        Computed once per altitude and kept (read-only arrays): the footprint tools ask for the
        same altitude for every frame and every page.
        """
        key = float(altitude_km)
        hit = self._centres.get(key)
        if hit is None:
            hit = azel_to_lla(
                self.site_lat, self.site_lon, self.site_alt_km,
                self.azimuth.astype(float), self.elevation.astype(float), key,
            )  # fmt: skip
            for a in hit:
                a.setflags(write=False)
            self._centres[key] = hit
        return hit

    @cached_property
    def _tree(self):
        ok = np.isfinite(self.elevation) & np.isfinite(self.azimuth)
        flat = np.flatnonzero(ok)
        az, el = np.radians(self.azimuth.ravel()[flat]), np.radians(self.elevation.ravel()[flat])
        xyz = np.column_stack([np.cos(el) * np.sin(az), np.cos(el) * np.cos(az), np.sin(el)])
        tree = cKDTree(xyz)
        # Largest gap between neighbouring pixel centres (in chord length): a direction farther
        # than that from every pixel is outside the field of view.
        dist, _ = tree.query(xyz, k=2)
        return tree, flat, 1.5 * float(np.percentile(dist[:, 1], 99.9))

    def azel_to_pixel(self, azimuth_deg, elevation_deg) -> tuple[np.ndarray, np.ndarray]:
        """Nearest pixel ``(row, col)`` to look directions; ``-1`` outside the field of view."""
        tree, flat, max_chord = self._tree
        az, el = (
            np.radians(np.asarray(azimuth_deg, float)),
            np.radians(np.asarray(elevation_deg, float)),
        )
        az, el = np.broadcast_arrays(az, el)
        xyz = np.stack([np.cos(el) * np.sin(az), np.cos(el) * np.cos(az), np.sin(el)], -1)
        good = np.isfinite(xyz).all(-1)
        dist, idx = tree.query(np.where(good[..., None], xyz, 0.0))
        inside = good & (dist <= max_chord)
        pix = np.where(inside, flat[np.minimum(idx, len(flat) - 1)], -1)
        nx = self.shape[1]
        return np.where(inside, pix // nx, -1), np.where(inside, pix % nx, -1)

    def lla_to_azel(self, lat, lon, altitude_km) -> tuple[np.ndarray, np.ndarray]:
        """Azimuth and elevation (degrees) at which this site sees points (lat, lon, altitude)."""
        return lla_to_azel(self.site_lat, self.site_lon, self.site_alt_km, lat, lon, altitude_km)

    def lla_to_pixel(self, lat, lon, altitude_km) -> tuple[np.ndarray, np.ndarray]:
        """Nearest pixel ``(row, col)`` seeing points (lat, lon, altitude); ``-1`` if unseen."""
        az, el = self.lla_to_azel(lat, lon, altitude_km)
        return self.azel_to_pixel(az, el)


def skymap_file_date(path: str | Path) -> pd.Timestamp:
    """Validity start encoded in a skymap file name (``<program>_skymap_<site>_<YYYYMMDD>...``)."""
    match = _SKYMAP_NAME.match(Path(path).name)
    if match is None:
        raise AsiFileError(
            f"{path}: skymap file name does not follow <program>_skymap_<site>_<YYYYMMDD>-+_vNN.sav|npz"
        )
    return to_utc(pd.Timestamp(match.group(3)))


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace").strip()
    if isinstance(value, np.ndarray) and value.size == 1:
        return _text(value.item())
    return str(value).strip()


def read_idl_save(path: Path) -> dict:
    """The variables of an IDL save file (skymaps, calibrations), or an AsiFileError naming it."""
    with path.open("rb") as fh:
        signature = fh.read(4)
    if signature != b"SR\x00\x04":  # IDL save-file signature; checked first as readsav leaks
        raise AsiFileError(f"{path}: not an IDL save file (signature {signature.hex() or 'empty'})")
    try:
        with warnings.catch_warnings():
            # scipy warns "Not able to verify number of bytes from header" on every UCalgary
            # skymap (their structures carry no byte count); the content reads correctly.
            warnings.filterwarnings("ignore", "Not able to verify number of bytes", UserWarning)
            return readsav(str(path))
    except Exception as exc:
        raise AsiFileError(f"{path}: not a readable IDL save file ({exc})") from exc


def _read_sav(path: Path) -> Skymap:
    data = read_idl_save(path)
    if "skymap" not in data:
        raise AsiFileError(f"{path}: no 'skymap' structure (found {sorted(data)})")
    rec = data["skymap"]
    need = ["SITE_UID", "PROJECT_UID", "SITE_MAP_LATITUDE", "SITE_MAP_LONGITUDE",
            "SITE_MAP_ALTITUDE", "FULL_AZIMUTH", "FULL_ELEVATION", "FULL_MAP_ALTITUDE",
            "FULL_MAP_LATITUDE", "FULL_MAP_LONGITUDE"]  # fmt: skip
    missing = [k for k in need if k not in rec.dtype.names]
    if missing:
        raise AsiFileError(f"{path}: skymap structure lacks {missing}")
    get = {k: rec[k][0] for k in rec.dtype.names}
    valid_from = skymap_file_date(path) if _SKYMAP_NAME.match(path.name) else None
    info = get.get("GENERATION_INFO")
    if info is not None and "VALID_INTERVAL_START" in info.dtype.names:
        start = _text(info["VALID_INTERVAL_START"][0])
        if re.fullmatch(r"\d{10}", start):
            valid_from = pd.Timestamp(f"{start[:8]}T{start[8:]}")
    if valid_from is None:
        raise AsiFileError(f"{path}: cannot tell when the skymap becomes valid")
    # Reverse columns: the IDL arrays have column 0 at the east edge (see module docstring).
    return Skymap(
        site_uid=_text(get["SITE_UID"]),
        program=_text(get["PROJECT_UID"]) or "themis",
        site_lat=float(get["SITE_MAP_LATITUDE"]),
        site_lon=float(get["SITE_MAP_LONGITUDE"]),
        site_alt_km=float(get["SITE_MAP_ALTITUDE"]) / 1000.0,
        azimuth=np.asarray(get["FULL_AZIMUTH"])[:, ::-1],
        elevation=np.asarray(get["FULL_ELEVATION"])[:, ::-1],
        altitudes_km=tuple(np.atleast_1d(get["FULL_MAP_ALTITUDE"]).astype(float) / 1000.0),
        vertex_lat=np.asarray(get["FULL_MAP_LATITUDE"])[:, :, ::-1],
        vertex_lon=np.asarray(get["FULL_MAP_LONGITUDE"])[:, :, ::-1],
        valid_from=valid_from,
        source=path,
    )


def _read_npz(path: Path) -> Skymap:
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except Exception as exc:
        raise AsiFileError(f"{path}: not a readable .npz file ({exc})") from exc
    if str(data.get("format", "")) != _FORMAT:
        raise AsiFileError(f"{path}: not an aurorax skymap (format key is not {_FORMAT!r})")
    keys = ["site_uid", "program", "site_lat", "site_lon", "site_alt_km", "valid_from",
            "azimuth", "elevation", "altitudes_km", "vertex_lat", "vertex_lon"]  # fmt: skip
    missing = [k for k in keys if k not in data]
    if missing:
        raise AsiFileError(f"{path}: aurorax skymap lacks {missing}")
    return Skymap(
        site_uid=str(data["site_uid"]),
        program=str(data["program"]),
        site_lat=float(data["site_lat"]),
        site_lon=float(data["site_lon"]),
        site_alt_km=float(data["site_alt_km"]),
        azimuth=data["azimuth"],
        elevation=data["elevation"],
        altitudes_km=tuple(data["altitudes_km"].astype(float)),
        vertex_lat=data["vertex_lat"],
        vertex_lon=data["vertex_lon"],
        valid_from=pd.Timestamp(str(data["valid_from"])),
        source=path,
    )


def read_skymap(path: str | Path) -> Skymap:
    """Read a skymap: UCalgary IDL ``.sav`` (THEMIS, REGO) or the aurorax ``.npz`` format.

    Raises
    ------
    AsiFileError
        Unknown extension, unreadable file, or missing/inconsistent fields (message names the file).
    """
    path = Path(path)
    if not path.is_file():
        raise AsiFileNotFoundError(f"skymap file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".sav":
        return _read_sav(path)
    if suffix == ".npz":
        return _read_npz(path)
    raise AsiFileError(f"{path}: unknown skymap format {suffix!r}; expected .sav or .npz")


def write_skymap(path: str | Path, skymap: Skymap) -> Path:
    """Write ``skymap`` in the open aurorax ``.npz`` format (see the module docstring)."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"aurorax skymaps are .npz files, got {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        format=np.array(_FORMAT),
        version=np.array(1),
        site_uid=np.array(skymap.site_uid),
        program=np.array(skymap.program),
        site_lat=np.array(skymap.site_lat),
        site_lon=np.array(skymap.site_lon),
        site_alt_km=np.array(skymap.site_alt_km),
        valid_from=np.array(skymap.valid_from.isoformat()),
        azimuth=skymap.azimuth,
        elevation=skymap.elevation,
        altitudes_km=np.array(skymap.altitudes_km, dtype=float),
        vertex_lat=skymap.vertex_lat,
        vertex_lon=skymap.vertex_lon,
    )
    return path


def load_skymap(
    site_uid: str,
    when,
    skymap_dir: str | Path | None = None,
    program: str = "themis",
    allow_nearest: bool = False,
) -> Skymap:
    """The skymap valid at ``when``: the newest file whose validity start is not after it.

    Parameters
    ----------
    site_uid : str
        Site code.
    when : datetime-like
        Time the skymap must be valid for (naive = UTC).
    skymap_dir : path, optional
        Folder holding ``<program>_skymap_<site>_<YYYYMMDD>-+_vNN.sav|npz`` files; defaults to
        ``<settings.asi_dir>/<program>/skymaps/<site>``.
    program : str
        Imager program, used in the default folder and the file-name pattern.
    allow_nearest : bool
        When every skymap starts after ``when``, use the earliest one (logged at INFO) instead of
        raising. Real archives have this gap (the Gakona skymap starts 2011-03-05, after images of
        2011-01-06); the geometry of a fixed imager changes little between calibrations.

    Raises
    ------
    AsiFileNotFoundError
        No skymap files, or none valid yet and ``allow_nearest`` is False.
    """
    from ._files import skymap_folder  # deferred: _files imports this module's names

    site = site_uid.lower()
    when = to_utc(when)
    folder = Path(skymap_dir) if skymap_dir is not None else skymap_folder(program, site)
    candidates = []
    if folder.is_dir():
        for p in folder.iterdir():
            m = _SKYMAP_NAME.match(p.name)
            if m and m.group(1) == program.lower() and m.group(2) == site:
                candidates.append((skymap_file_date(p), p.suffix != ".npz", p))
    if not candidates:
        raise AsiFileNotFoundError(
            f"no {program} skymap for site {site!r} in {folder} "
            f"(expected {program.lower()}_skymap_{site}_<YYYYMMDD>-+_vNN.sav or .npz)"
        )
    candidates.sort()
    valid = [c for c in candidates if c[0] <= when]
    if valid:
        return read_skymap(valid[-1][2])
    first = candidates[0]
    if not allow_nearest:
        raise AsiFileNotFoundError(
            f"no {program} skymap for site {site!r} valid at {when.isoformat()}: the earliest in "
            f"{folder} is {first[2].name} (valid from {first[0].date()}); "
            "pass allow_nearest=True to use it"
        )
    log.info("using %s for %s: no skymap valid that early", first[2].name, when.isoformat())
    return read_skymap(first[2])
