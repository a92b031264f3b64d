"""Spacecraft positions from CDAWeb-style CDF files, resampled to 1-minute geodetic positions.

Reads the position variable of THEMIS ``thX_l1_state`` / ``thX_or_ssc`` files (``thX_pos``,
``thX_pos_gse``, ``thX_pos_gsm``), SSCWeb files (``XYZ_GEO``, ``XYZ_GEI``, ``XYZ_GSE``, ``XYZ_GSM``,
...) and Swarm-style files (``Latitude``/``Longitude``/``Radius``), with the ISTP attributes that say
what they are: ``DEPEND_0`` (the time variable), ``UNITS``, ``FILLVAL`` and the frame
(``COORDINATE_SYSTEM``, else the variable name, ``CATDESC``, ``FIELDNAM``, ``LABLAXIS``).
"""

from __future__ import annotations

import re
from pathlib import Path

import cdflib
import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline

from aurorax import geo

__all__ = ["PositionFileError", "read_position_cdf"]

# First four bytes of CDF files: version 3, version 2.6/2.7, version 2.5 and earlier.
_CDF_MAGIC = (b"\xcd\xf3\x00\x01", b"\xcd\xf2\x60\x02", b"\x00\x00\xff\xff")
# Frames in order of preference when a file holds several (GEO needs no rotation; GSM the most).
_FRAME_PREFERENCE = ("GEO", "GEI", "J2000", "GSE", "GSM")
_FRAME_WORDS = {
    "GEO": "GEO",
    "ECEF": "GEO",
    "ITRF": "GEO",
    "GEOGRAPHIC": "GEO",
    "GEI": "GEI",
    "GCI": "GEI",
    "TOD": "GEI",
    "MOD": "GEI",
    "J2000": "J2000",
    "J2K": "J2000",
    "EME2000": "J2000",
    "GCRF": "J2000",
    "GSE": "GSE",
    "GSM": "GSM",
}
_FRAME_RE = re.compile(
    r"(?<![A-Za-z0-9])(GEI[_ ]?J2000|GEI[_ ]?TOD|GEI[_ ]?MOD|"
    + "|".join(sorted(_FRAME_WORDS, key=len, reverse=True))
    + r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_FRAME_ATTRIBUTES = ("COORDINATE_SYSTEM", "REFERENCE_FRAME", "COORDINATE_FRAME", "COORD_SYS")
_TEXT_ATTRIBUTES = ("CATDESC", "FIELDNAM", "LABLAXIS", "DESCRIPTION", "VAR_NOTES")
_LENGTH_UNITS = {
    "km": 1.0,
    "kilometer": 1.0,
    "kilometers": 1.0,
    "kilometre": 1.0,
    "kilometres": 1.0,
    "m": 1e-3,
    "meter": 1e-3,
    "meters": 1e-3,
    "metre": 1e-3,
    "metres": 1e-3,
    "re": geo.EARTH_RADIUS_KM,
    "earthradii": geo.EARTH_RADIUS_KM,
    "earthradius": geo.EARTH_RADIUS_KM,
}
_ANGLE_UNITS = {"deg", "degree", "degrees"}
_POSITION_NAME = re.compile(r"(?<![a-z0-9])(pos|position|xyz)(?![a-z0-9])", re.IGNORECASE)
_POSITION_TEXT = re.compile(r"\bposition\b", re.IGNORECASE)
_NOT_POSITION = re.compile(r"vel|velocity|err|sigma|label|lbl", re.IGNORECASE)
_THEMIS_POS = re.compile(r"^th[a-e]_pos$", re.IGNORECASE)
_SPHERICAL = {"lat": ("latitude", "lat"), "lon": ("longitude", "lon"), "radius": ("radius", "r")}
_CDF_EPOCH_UNIX_MS = 62167219200000.0  # CDF_EPOCH (ms since 0000-01-01) of 1970-01-01
# Unix seconds of 1957-01-01 and 2100-01-01: anything outside is not a unix-seconds time variable.
_UNIX_RANGE_S = (-410227200.0, 4102444800.0)
_TYPE_NAMES = {21: "CDF_REAL4", 22: "CDF_REAL8", 44: "CDF_FLOAT", 45: "CDF_DOUBLE"}
_FLOAT_TYPES = set(_TYPE_NAMES)


class PositionFileError(ValueError):
    """A CDF position file that cannot be used; the message names the file and the variable."""


class _File:
    """The open CDF with every cdflib call wrapped so cdflib's own exceptions never leak."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise PositionFileError(f"{path}: no such file")
        with path.open("rb") as handle:
            magic = handle.read(4)
        if magic not in _CDF_MAGIC:
            raise PositionFileError(f"{path}: not a CDF file (first bytes {magic.hex() or 'none'})")
        try:
            self.cdf = cdflib.CDF(path)
            info = self.cdf.cdf_info()
            self.names = list(info.zVariables) + list(info.rVariables)
        except Exception as exc:  # cdflib raises bare Exceptions / struct errors on damaged files
            raise PositionFileError(f"{path}: not a readable CDF file ({exc})") from exc
        self._cache: dict[str, tuple] = {}

    def error(self, name: str, text: str) -> PositionFileError:
        return PositionFileError(f"{self.path}: variable {name!r}: {text}")

    def describe(self, name: str):
        """(varinq record, attributes with upper-case keys) of a variable."""
        if name not in self._cache:
            try:
                inq = self.cdf.varinq(name)
                atts = self.cdf.varattsget(name)
            except Exception as exc:
                raise self.error(name, f"cannot read its description ({exc})") from exc
            self._cache[name] = (inq, {str(k).upper(): v for k, v in atts.items()})
        return self._cache[name]

    def values(self, name: str) -> np.ndarray:
        try:
            data = self.cdf.varget(name)
        except Exception as exc:
            raise self.error(name, f"cannot read its values ({exc})") from exc
        if data is None or (isinstance(data, str)):
            raise self.error(name, "has no numeric records")
        return np.asarray(data)


def _text(value) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return " ".join(str(v) for v in np.ravel(value))
    return str(value).strip()


def _frame_of_text(text: str) -> set[str]:
    found = set()
    for match in _FRAME_RE.finditer(text):
        word = re.sub(r"[_ ]", "", match.group(1).upper())
        found.add(
            "J2000"
            if word == "GEIJ2000"
            else "GEI"
            if word in ("GEITOD", "GEIMOD")
            else _FRAME_WORDS[word]
        )
    return found


def _detect_frame(name: str, atts: dict) -> tuple[str | None, str]:
    """(frame or None, where it came from / why unknown) for one variable."""
    for key in _FRAME_ATTRIBUTES:
        if key in atts and _text(atts[key]):
            value = _text(atts[key])
            frames = _frame_of_text(value.split(">")[0]) or _frame_of_text(value)
            if len(frames) == 1:
                return frames.pop(), f"{key} attribute"
            return None, f"{key} attribute is {value!r}"
    frames = _frame_of_text(name)
    if len(frames) == 1:
        return frames.pop(), "variable name"
    for key in _TEXT_ATTRIBUTES:
        if key in atts:
            frames = _frame_of_text(_text(atts[key]))
            if len(frames) == 1:
                return frames.pop(), f"{key} attribute"
    if _THEMIS_POS.match(name):
        return "GEI", "THEMIS naming (thX_pos is GEI)"
    checked = ", ".join(_FRAME_ATTRIBUTES + _TEXT_ATTRIBUTES)
    return None, f"no frame in its name or attributes ({checked})"


def _length_scale_km(f: _File, name: str, atts: dict) -> tuple[float, str]:
    if "UNITS" not in atts or not _text(atts["UNITS"]):
        raise f.error(name, "no UNITS attribute (need km, m or Re)")
    raw = _text(atts["UNITS"])
    key = re.sub(r"[\s_.\-]", "", raw.lower())
    if key not in _LENGTH_UNITS:
        raise f.error(name, f"unknown UNITS {raw!r} (need km, m or Re)")
    return _LENGTH_UNITS[key], raw


def _float_records(f: _File, name: str, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(values as float64 of shape (n, width) or (n,), valid mask) with FILLVAL/NaN removed."""
    inq, atts = f.describe(name)
    if inq.Data_Type not in _FLOAT_TYPES and inq.Data_Type not in (1, 2, 4, 8, 11, 12, 14, 41):
        raise f.error(name, f"has type {inq.Data_Type_Description}, not a number")
    data = f.values(name)
    shape = (-1, width) if width > 1 else (-1,)
    if data.size % width:
        raise f.error(name, f"has {data.size} values, not a multiple of {width}")
    data = data.reshape(shape)
    valid = np.isfinite(data.astype(np.float64))
    if "FILLVAL" in atts:
        fill = np.asarray(atts["FILLVAL"]).ravel()[:1].astype(data.dtype)
        valid &= data != fill
    valid &= np.abs(data.astype(np.float64)) < 1e30  # ISTP fill (-1e31) whatever FILLVAL says
    if width > 1:
        valid = valid.all(axis=1)
    return data.astype(np.float64), valid


def _times(f: _File, name: str, n_records: int) -> tuple[np.ndarray, str, str]:
    """(datetime64[ns] per record, NaT where fill; time variable name; its CDF type)."""
    _, atts = f.describe(name)
    key = "DEPEND_0" if "DEPEND_0" in atts else "DEPEND_TIME" if "DEPEND_TIME" in atts else None
    if key is None:
        raise f.error(name, "no DEPEND_0 attribute naming its time variable")
    tname = _text(atts[key])
    if tname not in f.names:
        raise f.error(name, f"{key} names {tname!r}, which is not a variable in the file")
    inq, tatts = f.describe(tname)
    kind = inq.Data_Type_Description
    raw = f.values(tname).ravel() if inq.Data_Type != 32 else f.values(tname).reshape(-1, 2)
    if raw.shape[0] != n_records:
        raise f.error(tname, f"time variable has {raw.shape[0]} records, {name!r} has {n_records}")
    if inq.Data_Type == 31:  # CDF_EPOCH: ms since 0000-01-01
        ok = np.isfinite(raw) & (raw > 0)
        ns = np.round((np.where(ok, raw, _CDF_EPOCH_UNIX_MS) - _CDF_EPOCH_UNIX_MS) * 1e6)
        t64 = ns.astype(np.int64).astype("datetime64[ns]")
    elif inq.Data_Type in (32, 33):  # CDF_EPOCH16 / CDF_TIME_TT2000 (leap seconds: cdflib)
        try:
            t64 = np.asarray(cdflib.cdfepoch.to_datetime(raw)).astype("datetime64[ns]").ravel()
        except Exception as exc:
            raise f.error(tname, f"cannot convert {kind} times ({exc})") from exc
        ok = ~np.isnat(t64)
        if inq.Data_Type == 33:
            ok &= raw > -9223372036854775807  # TT2000 fill and pad values
    elif inq.Data_Type in _FLOAT_TYPES:  # THEMIS-style: seconds since 1970-01-01 (UTC)
        ok = np.isfinite(raw) & (np.abs(raw) < 1e30)
        if "FILLVAL" in tatts:
            ok &= raw != np.asarray(tatts["FILLVAL"]).ravel()[:1].astype(raw.dtype)
        outside = ok & ((raw < _UNIX_RANGE_S[0]) | (raw > _UNIX_RANGE_S[1]))
        if outside.any():
            bad = float(raw[np.flatnonzero(outside)[0]])
            raise f.error(
                tname,
                f"{kind} time {bad!r} is not in seconds since 1970-01-01 (1957..2100 expected)",
            )
        ns = np.round(np.where(ok, raw.astype(np.float64), 0.0) * 1e9)
        t64 = ns.astype(np.int64).astype("datetime64[ns]")
    else:
        raise f.error(
            tname,
            f"time variable has type {kind}; expected CDF_EPOCH, CDF_EPOCH16, CDF_TIME_TT2000 "
            "or CDF_DOUBLE seconds since 1970",
        )
    return np.where(ok, t64, np.datetime64("NaT", "ns")), tname, kind


def _vector_candidates(f: _File) -> list[str]:
    found = []
    for name in f.names:
        inq, atts = f.describe(name)
        if list(inq.Dim_Sizes) != [3] or _NOT_POSITION.search(name):
            continue
        text = " ".join(_text(atts.get(k, "")) for k in ("CATDESC", "FIELDNAM"))
        if _POSITION_NAME.search(name) or _POSITION_TEXT.search(text):
            found.append(name)
    return found


def _spherical_names(f: _File) -> dict[str, str] | None:
    lower = {n.lower(): n for n in f.names}
    picked = {}
    for role, options in _SPHERICAL.items():
        match = next((lower[o] for o in options if o in lower), None)
        if match is None:
            return None
        picked[role] = match
    return picked


def _choose(f: _File, variable: str | None, frame: str | None):
    """(kind, names, frame, frame source): kind ``vector`` (one name) or ``spherical`` (three)."""
    spherical = _spherical_names(f)
    if variable is not None:
        if variable not in f.names:
            raise PositionFileError(
                f"{f.path}: no variable {variable!r}; the file has {sorted(f.names)}"
            )
        if spherical and variable in spherical.values():
            return _spherical_choice(f, spherical, frame)
        _, atts = f.describe(variable)
        found, source = (frame, "frame argument") if frame else _detect_frame(variable, atts)
        if found is None:
            raise f.error(variable, f"unknown frame: {source}; pass frame= one of {geo.FRAMES}")
        return "vector", [variable], found, source
    candidates = _vector_candidates(f)
    if not candidates:
        if spherical:
            return _spherical_choice(f, spherical, frame)
        raise PositionFileError(
            f"{f.path}: no position variable (a 3-vector named *pos*/XYZ_* or described as a "
            f"position, or Latitude/Longitude/Radius); the file has {sorted(f.names)}"
        )
    detected = [(name, *_detect_frame(name, f.describe(name)[1])) for name in candidates]
    if frame is not None:
        matching = [d for d in detected if d[1] == frame]
        if not matching and len(detected) == 1 and detected[0][1] is None:
            return "vector", candidates, frame, "frame argument"
        if not matching:
            raise PositionFileError(
                f"{f.path}: no position variable in frame {frame}; found "
                + ", ".join(f"{n} ({fr or 'unknown frame'})" for n, fr, _ in detected)
            )
        name, found, source = matching[0]
        return "vector", [name], found, source
    known = [d for d in detected if d[1] is not None]
    if not known:
        name, _, why = detected[0]
        raise f.error(name, f"unknown frame: {why}; pass frame= one of {geo.FRAMES}")
    name, found, source = min(known, key=lambda d: _FRAME_PREFERENCE.index(d[1]))
    return "vector", [name], found, source


def _spherical_choice(f: _File, names: dict[str, str], frame: str | None):
    if frame is not None:
        return "spherical", names, frame, "frame argument"
    found, source = _detect_frame(names["lat"], f.describe(names["lat"])[1])
    if found is None:
        # Latitude/longitude/radius triples (Swarm, CHAMP) are Earth-fixed unless they say otherwise.
        return "spherical", names, "GEO", "assumed (latitude/longitude/radius are Earth-fixed)"
    return "spherical", names, found, source


def _read_cartesian(f: _File, kind: str, names):
    """(xyz_km (n, 3), valid mask, units text, n records, the variable whose DEPEND_0 is used)."""
    if kind == "vector":
        name = names[0]
        inq, atts = f.describe(name)
        if list(inq.Dim_Sizes) != [3]:
            raise f.error(name, f"is not a 3-vector per record (dimensions {list(inq.Dim_Sizes)})")
        scale, units = _length_scale_km(f, name, atts)
        xyz, valid = _float_records(f, name, 3)
        return xyz * scale, valid, units, name
    lat, ok_lat = _float_records(f, names["lat"], 1)
    lon, ok_lon = _float_records(f, names["lon"], 1)
    radius, ok_r = _float_records(f, names["radius"], 1)
    for role in ("lat", "lon"):
        units = _text(f.describe(names[role])[1].get("UNITS", ""))
        if units.lower() not in _ANGLE_UNITS:
            raise f.error(names[role], f"unknown UNITS {units!r} (need deg)")
    scale, r_units = _length_scale_km(f, names["radius"], f.describe(names["radius"])[1])
    if not lat.size == lon.size == radius.size:
        raise f.error(names["lat"], "latitude, longitude and radius differ in length")
    phi, lam = np.radians(lat), np.radians(lon)
    r = radius * scale
    xyz = np.column_stack(
        [r * np.cos(phi) * np.cos(lam), r * np.cos(phi) * np.sin(lam), r * np.sin(phi)]
    )
    return xyz, ok_lat & ok_lon & ok_r, f"deg, deg, {r_units}", names["lat"]


def _segments(t_s: np.ndarray, max_gap_s: float):
    """Index ranges [start, end) of runs of samples no more than ``max_gap_s`` apart."""
    breaks = np.flatnonzero(np.diff(t_s) > max_gap_s) + 1
    starts = np.r_[0, breaks]
    ends = np.r_[breaks, t_s.size]
    return zip(starts, ends, strict=True)


def _to_minutes(t64: np.ndarray, xyz: np.ndarray, max_gap_s: float):
    """Positions at the whole minutes inside each run of samples (cubic spline, linear if < 4)."""
    base = t64[0].astype("datetime64[m]").astype("datetime64[ns]")
    t_s = (t64 - base).astype(np.int64) / 1e9
    out_t, out_xyz = [], []
    for start, end in _segments(t_s, max_gap_s):
        ts, xs = t_s[start:end], xyz[start:end]
        # 1 ms of slack: CDF_EPOCH doubles carry ~10 us of rounding, so a sample meant to sit on a
        # whole minute may fall a hair short of it; the spline is evaluated at most 1 ms outside.
        first, last = np.ceil((ts[0] - 1e-3) / 60.0), np.floor((ts[-1] + 1e-3) / 60.0)
        minutes = np.arange(first, last + 1) * 60.0
        if minutes.size == 0:
            continue
        if ts.size >= 4:
            values = CubicSpline(ts, xs, axis=0)(minutes)
        elif ts.size >= 2:
            values = np.column_stack([np.interp(minutes, ts, xs[:, k]) for k in range(3)])
        else:
            values = xs[:1]
        out_t.append(minutes)
        out_xyz.append(values)
    if not out_t:
        return np.array([], dtype="datetime64[ns]"), np.empty((0, 3))
    minutes = np.concatenate(out_t)
    t_out = base + (np.round(minutes).astype(np.int64) * 10**9).astype("timedelta64[ns]")
    return t_out, np.concatenate(out_xyz)


def read_position_cdf(
    path,
    *,
    variable: str | None = None,
    frame: str | None = None,
    max_gap_s: float | None = None,
) -> pd.DataFrame:
    """Read a CDF file of spacecraft positions into 1-minute WGS84 geodetic positions.

    The position variable is a 3-vector per record (``thX_pos``, ``XYZ_GSM``, ...; a file with
    several is read in the first of GEO, GEI, J2000, GSE, GSM it has) or a
    ``Latitude``/``Longitude``/``Radius`` triple (geocentric, Earth-fixed unless its attributes name
    another frame). Its time variable is the one ``DEPEND_0`` (else ``DEPEND_TIME``) names:
    CDF_EPOCH, CDF_EPOCH16, CDF_TIME_TT2000 or doubles of seconds since 1970 (THEMIS). ``UNITS``
    may be km, m or Re (6371.2 km, :data:`aurorax.geo.EARTH_RADIUS_KM`); records whose time or
    position is ``FILLVAL``/NaN are dropped. The frame comes from ``COORDINATE_SYSTEM`` (or
    ``REFERENCE_FRAME``), else the variable name, else ``CATDESC``/``FIELDNAM``/``LABLAXIS``.

    Resampling: the records are split into runs wherever consecutive valid samples are more than
    ``max_gap_s`` apart; inside each run the Cartesian position (in the file's frame) is
    interpolated to every whole UTC minute by a cubic spline through the samples (linear for runs
    of 2-3 samples), then rotated to GEO at that minute (:func:`aurorax.geo.convert_frame`) and
    converted to geodetic coordinates. Nothing is extrapolated: minutes before the first sample,
    after the last or inside a longer gap are left out.

    Parameters
    ----------
    path : str or pathlib.Path
        The CDF file.
    variable : str, optional
        The position variable to read (default: found as above).
    frame : str, optional
        One of ``GEO``, ``GEI``, ``J2000``, ``GSE``, ``GSM``: pick the variable in that frame, or
        (with ``variable``, or a file whose only position variable has no frame) the frame to
        read it in.
    max_gap_s : float, optional
        Longest spacing of samples bridged by interpolation; default 4 times the median sample
        spacing (up to 3 missing samples in a row).

    Returns
    -------
    pandas.DataFrame
        Columns ``epoch`` (``datetime64[ns, UTC]``, whole minutes, increasing), ``geo_lat``,
        ``geo_lon`` (deg, -180..180) and ``altitude_km`` (above the WGS84 ellipsoid). ``attrs``
        holds ``source`` (the path), ``variable``, ``frame``, ``frame_source``, ``units``,
        ``time_variable``, ``time_type``, ``n_samples`` (records), ``n_valid_samples``,
        ``cadence_s`` (median spacing), ``max_gap_s`` and ``n_minutes``.

    Raises
    ------
    PositionFileError
        The file is missing or not a CDF, has no position variable, unknown units or frame, or a
        missing or bad time variable; the message names the file and the variable or attribute.

    Examples
    --------
    >>> positions = read_position_cdf("tha_l1_state_20230101.cdf")  # doctest: +SKIP
    >>> positions.attrs["variable"], positions.attrs["frame"]  # doctest: +SKIP
    ('tha_pos', 'GEI')
    """
    f = _File(Path(path))
    if frame is not None:
        if str(frame).upper() not in geo.FRAMES:
            raise PositionFileError(f"{f.path}: frame must be one of {geo.FRAMES}, not {frame!r}")
        frame = str(frame).upper()
    kind, names, found_frame, frame_source = _choose(f, variable, frame)
    xyz, valid, units, time_of = _read_cartesian(f, kind, names)
    t64, tname, tkind = _times(f, time_of, xyz.shape[0])
    label = names[0] if kind == "vector" else "/".join(names.values())
    valid &= ~np.isnat(t64)
    if not valid.any():
        raise f.error(label, f"no record has both a valid position and a valid time ({tname})")
    t_valid, xyz_valid = t64[valid], xyz[valid]
    steps = np.diff(t_valid).astype(np.int64) / 1e9
    if (steps <= 0).any():
        index = int(np.flatnonzero(valid)[np.flatnonzero(steps <= 0)[0] + 1])
        raise f.error(tname, f"times do not increase at record {index} ({t64[index]})")
    cadence = float(np.median(steps)) if steps.size else 60.0
    gap = float(max_gap_s) if max_gap_s is not None else 4.0 * cadence
    t_min, xyz_min = _to_minutes(t_valid, xyz_valid, gap)
    lat, lon, alt = geo.frame_to_geodetic(xyz_min, t_min, found_frame)
    out = pd.DataFrame(
        {
            "epoch": pd.DatetimeIndex(t_min).tz_localize("UTC"),
            "geo_lat": np.asarray(lat, dtype=float),
            "geo_lon": np.asarray(lon, dtype=float),
            "altitude_km": np.asarray(alt, dtype=float),
        }
    )
    out.attrs.update(
        {
            "source": str(f.path),
            "variable": label,
            "frame": found_frame,
            "frame_source": frame_source,
            "units": units,
            "time_variable": tname,
            "time_type": tkind,
            "n_samples": int(xyz.shape[0]),
            "n_valid_samples": int(valid.sum()),
            "cadence_s": cadence,
            "max_gap_s": gap,
            "n_minutes": len(out),
        }
    )
    return out
