"""Small parsing helpers shared by the search query classes (times, string lists, JSON keys)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from ..store import ValidationError, check_time_range

__all__ = ["to_utc_timestamp", "as_strings", "check_keys"]


def to_utc_timestamp(value: Any, where: str) -> pd.Timestamp:
    """Parse a time (ISO string, datetime, numpy or pandas) to a naive-UTC ``pandas.Timestamp``.

    Naive inputs are taken as UTC; aware inputs are converted to UTC.
    """
    if isinstance(value, str | datetime | np.datetime64 | pd.Timestamp):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError):
            ts = None
        if ts is not None and ts is not pd.NaT:
            if ts.tzinfo is not None:
                ts = ts.tz_convert("UTC").tz_localize(None)
            return check_time_range(ts, where).as_unit("ns")
    raise ValidationError(
        f"{where}: {value!r} is not a time; give an ISO 8601 string such as "
        "'2008-01-01T00:00:00' or a datetime (naive = UTC)"
    )


def as_strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"{where}: must be a list of strings, got {value!r}")
    return tuple(value)


def check_keys(data: Any, allowed: Sequence[str], where: str) -> None:
    if not isinstance(data, Mapping):
        raise ValidationError(f"{where}: must be an object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(
            f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}"
        )
