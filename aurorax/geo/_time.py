"""Time handling: every public function accepts the usual time types and treats naive times as UTC."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

_NS_PER_DAY = 86_400 * 10**9
_UNIX_EPOCH_JD = 2440587.5


def to_datetime64(time) -> np.ndarray:
    """Convert ``time`` to a ``datetime64[ns]`` array of naive UTC times, keeping its shape.

    Accepts ``datetime`` (naive = UTC, aware converted to UTC), ``numpy.datetime64``, ``pandas.Timestamp``,
    ``DatetimeIndex``/``Series`` and array-likes of these. ``NaT`` stays ``NaT``.
    """
    if isinstance(time, np.ndarray) and np.issubdtype(time.dtype, np.datetime64):
        return time.astype("datetime64[ns]")
    if isinstance(time, (pd.DatetimeIndex, pd.Series)):
        converted = pd.to_datetime(time, utc=True)
        if isinstance(converted, pd.Series):
            converted = pd.DatetimeIndex(converted)
        return converted.tz_convert(None).to_numpy().astype("datetime64[ns]")
    if isinstance(time, (str, _dt.datetime, _dt.date, np.datetime64, pd.Timestamp)):
        stamp = pd.Timestamp(time)
        if stamp is pd.NaT:
            return np.array("NaT", dtype="datetime64[ns]")
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return np.array(stamp.tz_convert(None).as_unit("ns").to_datetime64())
    arr = np.asarray(time)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[ns]")
    flat = pd.to_datetime(arr.ravel(), utc=True)
    return flat.tz_convert(None).to_numpy().astype("datetime64[ns]").reshape(arr.shape)


def julian_date(t64: np.ndarray) -> np.ndarray:
    """Julian date (UTC, float) of ``datetime64[ns]`` times."""
    ns = t64.astype("datetime64[ns]").astype(np.int64)
    days = ns // _NS_PER_DAY
    frac = (ns - days * _NS_PER_DAY) / _NS_PER_DAY
    jd = days + _UNIX_EPOCH_JD + frac
    return np.where(np.isnat(t64), np.nan, jd)


def day_groups(t64: np.ndarray):
    """Group flat ``datetime64[ns]`` times by UTC day.

    Yields ``(midday, index)`` with ``midday`` a naive ``datetime`` at 12:00 UTC of the day and ``index``
    the positions of the times in that day. ``NaT`` entries are skipped.
    """
    days = t64.astype("datetime64[D]")
    valid = ~np.isnat(days)
    if not valid.any():
        return
    codes = days[valid].astype(np.int64)
    positions = np.flatnonzero(valid)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    ends = np.r_[starts[1:], sorted_codes.size]
    for start, end in zip(starts, ends, strict=True):
        day = np.datetime64(int(sorted_codes[start]), "D")
        midday = (day.astype("datetime64[s]") + np.timedelta64(12, "h")).astype(_dt.datetime)
        yield midday, positions[order[start:end]]


def decimal_year(when: _dt.datetime) -> float:
    """Decimal year of a naive UTC ``datetime`` (used to interpolate IGRF coefficients)."""
    start = _dt.datetime(when.year, 1, 1)
    end = _dt.datetime(when.year + 1, 1, 1)
    return when.year + (when - start).total_seconds() / (end - start).total_seconds()


def decimal_years(t64: np.ndarray) -> np.ndarray:
    """Decimal years of ``datetime64`` times, vectorised (NaN for NaT)."""
    t = t64.astype("datetime64[ns]")
    year = t.astype("datetime64[Y]")
    start = year.astype("datetime64[ns]")
    end = (year + np.timedelta64(1, "Y")).astype("datetime64[ns]")
    frac = (t - start).astype(np.float64) / (end - start).astype(np.float64)
    out = year.astype(np.int64) + 1970 + frac
    return np.where(np.isnat(t), np.nan, out)
