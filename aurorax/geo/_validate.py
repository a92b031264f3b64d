"""Input checks shared by the public functions; errors are ``ValueError`` naming the offending argument."""

from __future__ import annotations

import numpy as np

_HEMISPHERES = {
    "north": "north",
    "northern": "north",
    "n": "north",
    "south": "south",
    "southern": "south",
    "s": "south",
}


def as_float_array(value, name: str) -> np.ndarray:
    """``value`` as a float64 array; a clear ``ValueError`` if it is not numeric."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric (degrees or km), got {value!r}") from err


def check_latitude(lat: np.ndarray, name: str = "lat") -> None:
    """Raise ``ValueError`` if any finite latitude lies outside -90..90 degrees (NaN is allowed)."""
    with np.errstate(invalid="ignore"):
        bad = np.abs(lat) > 90.0
    if np.any(bad):
        worst = lat[bad].flat[0].item()
        raise ValueError(f"{name} must be within -90..90 degrees; got {worst!r}")


def check_finite_or_nan(values: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` for infinite values (NaN is allowed and propagates)."""
    if np.any(np.isinf(values)):
        raise ValueError(f"{name} must be finite or NaN; got an infinite value")


def normalise_hemisphere(hemisphere: str) -> str:
    """Return ``"north"`` or ``"south"``; accepts north/northern/n and south/southern/s (any case)."""
    key = str(hemisphere).strip().lower()
    if key not in _HEMISPHERES:
        raise ValueError(
            f"hemisphere must be 'north' or 'south' (or 'northern'/'southern'); got {hemisphere!r}"
        )
    return _HEMISPHERES[key]


def wrap_longitude(lon: np.ndarray) -> np.ndarray:
    """Longitudes wrapped into -180..180 degrees (180 maps to -180; NaN stays NaN)."""
    return (np.asarray(lon) + 180.0) % 360.0 - 180.0


def scalar_or_array(arr: np.ndarray, scalar: bool):
    """Return a NumPy scalar when every input was a scalar, else the array."""
    return arr[()] if scalar else arr
