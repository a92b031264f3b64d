"""Time conversions shared by the ASI modules (UTC everywhere)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

# CDF_EPOCH counts milliseconds from 0000-01-01T00:00 (proleptic Gregorian); this is the value at
# the Unix epoch 1970-01-01T00:00 (the same constant the real files store in *_epoch0).
CDF_EPOCH_UNIX_MS = 62167219200000.0


def to_utc(value) -> pd.Timestamp:
    """Convert a datetime-like (naive = UTC) to a timezone-aware UTC ``pandas.Timestamp``."""
    if isinstance(value, str | dt.datetime | dt.date | np.datetime64 | pd.Timestamp):
        ts = pd.Timestamp(value)
    else:
        raise TypeError(
            f"expected a datetime, numpy.datetime64, pandas.Timestamp or ISO string, got {value!r}"
        )
    if ts is pd.NaT:
        raise ValueError(f"time {value!r} is not a valid time")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def cdf_epoch_to_utc(epoch: np.ndarray) -> pd.DatetimeIndex:
    """CDF_EPOCH values (ms since year 0) to a timezone-aware UTC ``DatetimeIndex`` (ns)."""
    # A float64 near 6.3e13 ms resolves ~10 microseconds, so round to whole microseconds rather
    # than inventing nanosecond digits.
    unix_us = np.round((np.asarray(epoch, dtype="float64") - CDF_EPOCH_UNIX_MS) * 1e3)
    return pd.DatetimeIndex(unix_us.astype("int64").astype("datetime64[us]"), tz="UTC").as_unit(
        "ns"
    )


def utc_to_cdf_epoch(times) -> np.ndarray:
    """Times (anything ``pandas.DatetimeIndex`` accepts; naive = UTC) to CDF_EPOCH floats."""
    index = pd.DatetimeIndex(times)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    unix_ns = index.as_unit("ns").asi8.astype("float64")
    return unix_ns / 1e6 + CDF_EPOCH_UNIX_MS
