"""IGRF-14 internal field: coefficients (read from the file aacgmv2 ships) and vectorised evaluation.

The field is evaluated in geocentric spherical coordinates with Schmidt semi-normalised associated
Legendre functions and returned as GEO (ECEF) Cartesian components. Everything is plain NumPy over
arrays of points; no compiled code of our own.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._time import decimal_year

NMAX = 13
IGRF_FIRST_YEAR = 1900.0
IGRF_LAST_YEAR = 2030.0


def _coefficient_file() -> Path:
    import aacgmv2

    path = Path(getattr(aacgmv2, "IGRF_COEFFS", ""))
    if not path.is_file():  # pragma: no cover - depends on the installed aacgmv2
        path = Path(aacgmv2.__file__).with_name("igrf14coeffs.txt")
    return path


@functools.lru_cache(maxsize=1)
def _table():
    """(epochs, g[epoch, n, m], h[epoch, n, m], g_sv[n, m], h_sv[n, m]) from the IGRF coefficient file."""
    path = _coefficient_file()
    epochs = None
    g_rows: dict[tuple[int, int], list[float]] = {}
    h_rows: dict[tuple[int, int], list[float]] = {}
    with path.open() as handle:
        for line in handle:
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            if parts[0] == "g/h":
                epochs = np.array([float(p) for p in parts[3:-1]])
                continue
            if parts[0] not in ("g", "h"):
                continue
            n, m = int(parts[1]), int(parts[2])
            values = [float(p) for p in parts[3:]]
            (g_rows if parts[0] == "g" else h_rows)[(n, m)] = values
    if epochs is None:  # pragma: no cover - malformed file
        raise ValueError(f"IGRF coefficient file {path} has no 'g/h n m' header line")
    n_epochs = epochs.size
    g = np.zeros((n_epochs, NMAX + 1, NMAX + 1))
    h = np.zeros((n_epochs, NMAX + 1, NMAX + 1))
    g_sv = np.zeros((NMAX + 1, NMAX + 1))
    h_sv = np.zeros((NMAX + 1, NMAX + 1))
    for rows, main, sv in ((g_rows, g, g_sv), (h_rows, h, h_sv)):
        for (n, m), values in rows.items():
            main[:, n, m] = values[:n_epochs]
            sv[n, m] = values[n_epochs]
    return epochs, g, h, g_sv, h_sv


@dataclass(frozen=True, eq=False)
class IGRFCoefficients:
    """Gauss coefficients (nT) ``g[n, m]``, ``h[n, m]`` at ``epoch`` (decimal year), degree 1..``nmax``.

    ``g_sv``/``h_sv`` (nT per year) give the linear time dependence valid from ``epoch`` to the end of its
    IGRF segment: the coefficients ``years`` after ``epoch`` are ``g + years * g_sv``.
    """

    epoch: float
    g: np.ndarray
    h: np.ndarray
    nmax: int = NMAX
    g_sv: np.ndarray | None = None
    h_sv: np.ndarray | None = None
    #: Highest degree of the secular variation used when a field is evaluated at per-point times.
    sv_nmax: int = NMAX

    def dipole_axis(self) -> np.ndarray:
        """Unit vector (GEO Cartesian) of the centred dipole's northern axis (towards the north
        geomagnetic pole): ``-(g11, h11, g10) / B0``."""
        axis = -np.array([self.g[1, 1], self.h[1, 1], self.g[1, 0]])
        return axis / np.linalg.norm(axis)

    def truncated(self, nmax: int) -> IGRFCoefficients:
        """The same coefficients with degrees above ``nmax`` removed (``nmax=1``: tilted centred dipole)."""

        def cut(a):
            if a is None:
                return None
            a = a.copy()
            a[nmax + 1 :] = 0.0
            return a

        return IGRFCoefficients(
            self.epoch,
            cut(self.g),
            cut(self.h),
            nmax,
            cut(self.g_sv),
            cut(self.h_sv),
            min(self.sv_nmax, nmax),
        )

    def at(self, year: float, sv_nmax: int = NMAX) -> IGRFCoefficients:
        """The coefficients moved to ``year`` along their secular variation (same segment, same rates).

        ``sv_nmax`` limits the secular-variation degrees used for per-point times near ``year``.
        """
        dt_years = year - self.epoch
        return IGRFCoefficients(
            year,
            self.g + dt_years * self.g_sv,
            self.h + dt_years * self.h_sv,
            self.nmax,
            self.g_sv,
            self.h_sv,
            sv_nmax,
        )


def _check_year(year: float, label) -> None:
    if not (IGRF_FIRST_YEAR <= year <= IGRF_LAST_YEAR):
        raise ValueError(
            f"time must be between 1900-01-01 and 2030-01-01 for the IGRF-14 field model; got {label}"
        )


@functools.lru_cache(maxsize=512)
def igrf_coefficients(when: _dt.datetime) -> IGRFCoefficients:
    """IGRF-14 coefficients at a naive-UTC ``datetime``.

    Linear interpolation between the 5-yearly models (1900-2025), then the 2025 secular variation up to
    2030. Raises ``ValueError`` outside 1900-2030.
    """
    year = decimal_year(when)
    _check_year(year, f"{when:%Y-%m-%d}")
    segment = igrf_segment(segment_index(year))
    dt_years = year - segment.epoch
    return IGRFCoefficients(
        year, segment.g + dt_years * segment.g_sv, segment.h + dt_years * segment.h_sv, NMAX
    )


def segment_index(year) -> np.ndarray | int:
    """Index of the IGRF segment (5-year interval; the last one runs 2025-2030) containing ``year``."""
    epochs = _table()[0]
    index = np.searchsorted(epochs, year, side="right") - 1
    return np.clip(index, 0, epochs.size - 1)


@functools.lru_cache(maxsize=64)
def igrf_segment(index: int) -> IGRFCoefficients:
    """The IGRF-14 model of one segment: coefficients at its start epoch and their (constant) rate.

    Within a segment IGRF is linear in time by definition (interpolation between the 5-yearly models,
    or the predictive secular variation after the last one), so a field evaluated as
    ``B(g + t * g_sv)`` is exact for any time in it.
    """
    epochs, g, h, g_sv, h_sv = _table()
    i = int(index)
    if i >= epochs.size - 1:
        return IGRFCoefficients(float(epochs[-1]), g[-1], h[-1], NMAX, g_sv, h_sv)
    span = epochs[i + 1] - epochs[i]
    return IGRFCoefficients(
        float(epochs[i]), g[i], h[i], NMAX, (g[i + 1] - g[i]) / span, (h[i + 1] - h[i]) / span
    )


@functools.lru_cache(maxsize=32)
def _recursion_constants(nmax: int):
    """Constants of the Schmidt semi-normalised Legendre recursion, arrays indexed [n, m].

    P_n^m = a[n, m] cos(theta) P_{n-1}^m - b[n, m] P_{n-2}^m for n > m, and on the diagonal
    P_n^n = diag[n] sin(theta) P_{n-1}^{n-1}.
    """
    a = np.zeros((nmax + 1, nmax + 1))
    b = np.zeros((nmax + 1, nmax + 1))
    for n in range(1, nmax + 1):
        for m in range(0, n):
            denom = np.sqrt(n * n - m * m)
            a[n, m] = (2 * n - 1) / denom
            b[n, m] = np.sqrt(max((n - 1) ** 2 - m * m, 0)) / denom
    diag = np.ones(nmax + 1)
    for n in range(2, nmax + 1):
        diag[n] = np.sqrt((2 * n - 1) / (2 * n))
    return a, b, diag


@functools.lru_cache(maxsize=256)
def _sum_matrices(coeffs: IGRFCoefficients, nmax: int, with_sv: bool):
    """Per order m, the rows that turn the column stack of (a/r)^(n+2) P_n^m into the field sums.

    Rows (over n = n0..nmax, n0 = 0 for m = 0 else m): (n+1) g, (n+1) h, g, h, and the "shifted" rows
    g[n+1, m] sqrt((n+1)^2 - m^2), h[...] used for dP/dtheta through the identity
    sin(theta) dP_n^m/dtheta = n cos(theta) P_n^m - sqrt(n^2 - m^2) P_{n-1}^m.
    For m = 0 only the g rows are kept. With ``with_sv`` the same rows built from the secular variation
    (degrees up to ``coeffs.sv_nmax``) follow for m <= sv_nmax, so one product gives both the field at
    the epoch and its rate of change.
    """
    sv_nmax = min(coeffs.sv_nmax, nmax) if with_sv else 0
    mats = []
    for m in range(nmax + 1):
        n0 = 0 if m == 0 else m
        sets = [(coeffs.g, coeffs.h, nmax)]
        if m <= sv_nmax and sv_nmax >= 1:
            sets.append((coeffs.g_sv, coeffs.h_sv, sv_nmax))
        blocks = []
        for g, h, top in sets:
            rows = np.zeros((6, nmax + 1 - n0))
            for j, n in enumerate(range(n0, nmax + 1)):
                if 1 <= n <= top:
                    rows[0, j] = (n + 1) * g[n, m]
                    rows[1, j] = (n + 1) * h[n, m]
                    rows[2, j] = g[n, m]
                    rows[3, j] = h[n, m]
                if n + 1 <= top:
                    k = np.sqrt((n + 1) ** 2 - m * m)
                    rows[4, j] = g[n + 1, m] * k
                    rows[5, j] = h[n + 1, m] * k
            blocks.append(rows[[0, 2, 4]] if m == 0 else rows)
        mats.append(np.ascontiguousarray(np.vstack(blocks)))
    return mats


_MATMUL_BLOCK = 4096


def _small_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for a tiny ``a`` and a wide ``b``, on column blocks.

    OpenBLAS spreads wide products over all its threads, which for these ~6x14 matrices costs far more
    than it saves (15-20x slower when the machine is busy); blocks of 4096 columns stay single-threaded.
    """
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    for start in range(0, b.shape[1], _MATMUL_BLOCK):
        np.matmul(a, b[:, start : start + _MATMUL_BLOCK], out=out[:, start : start + _MATMUL_BLOCK])
    return out


def field_geo(x, y, z, coeffs: IGRFCoefficients, nmax: int | None = None, years=None):
    """Internal field (nT) at GEO Cartesian positions ``x, y, z`` in Earth radii (6371.2 km).

    Returns ``(bx, by, bz)`` in GEO Cartesian components, arrays like ``x`` (1-D). ``nmax`` truncates the
    expansion (default: the model's full degree). ``years`` (array like ``x``) evaluates each point at its
    own time, ``years`` after ``coeffs.epoch``, using the coefficients' secular variation.

    In geocentric spherical coordinates (a = 1)::

        B_r     =  sum_n (n+1) (a/r)^(n+2) sum_m (g cos m phi + h sin m phi) P_n^m(cos theta)
        B_theta = -sum_n (a/r)^(n+2) sum_m (g cos m phi + h sin m phi) dP_n^m/dtheta
        B_phi   =  sum_n (a/r)^(n+2) sum_m m (g sin m phi - h cos m phi) P_n^m / sin(theta)

    Only P_n^m is computed by recursion; dP/dtheta comes from the identity in :func:`_sum_matrices`, so
    each order m costs one small matrix product over the stack of (a/r)^(n+2) P_n^m.
    """
    nmax = coeffs.nmax if nmax is None else min(nmax, coeffs.nmax)
    a_rec, b_rec, diag = _recursion_constants(nmax)
    with_sv = years is not None
    if with_sv and coeffs.g_sv is None:
        raise ValueError("years given but the coefficients carry no secular variation")
    mats = _sum_matrices(coeffs, nmax, with_sv)
    npts = x.size
    rho2 = x * x + y * y
    r = np.sqrt(rho2 + z * z)
    inv_r = 1.0 / r
    cos_t = z * inv_r
    rho = np.sqrt(rho2)
    # On the polar axis longitude is undefined: any phi works if the same one rotates back to Cartesian.
    # The floor keeps 1/sin(theta) finite (error ~1e-8 of |B| within 60 m of the axis).
    sin_t = np.maximum(rho * inv_r, 1e-8)
    on_axis = rho == 0
    safe_rho = np.where(on_axis, 1.0, rho)
    cos_p = np.where(on_axis, 1.0, x / safe_rho)
    sin_p = np.where(on_axis, 0.0, y / safe_rho)
    ratio = np.empty((nmax + 1, npts))
    ratio[0] = inv_r * inv_r
    for n in range(1, nmax + 1):
        np.multiply(ratio[n - 1], inv_r, out=ratio[n])
    stack = np.empty((nmax + 1, npts))
    tmp = np.empty(npts)
    br = np.zeros(npts)
    u2 = np.zeros(npts)
    u3 = np.zeros(npts)
    bp = np.zeros(npts)
    cos_m = np.ones(npts)
    sin_m = np.zeros(npts)
    p_mm = np.ones(npts)
    for m in range(nmax + 1):
        if m >= 1:
            cos_m, sin_m = cos_m * cos_p - sin_m * sin_p, sin_m * cos_p + cos_m * sin_p
            p_mm = sin_t.copy() if m == 1 else (diag[m] * sin_t) * p_mm
        n0 = 0 if m == 0 else m
        count = nmax + 1 - n0
        buf = stack[:count]
        p_prev = None
        p_cur = p_mm
        np.multiply(ratio[n0], p_cur, out=buf[0])
        for j in range(1, count):
            n = n0 + j
            p_next = cos_t * p_cur
            p_next *= a_rec[n, m]
            if p_prev is not None and b_rec[n, m] != 0.0:
                np.multiply(p_prev, b_rec[n, m], out=tmp)
                p_next -= tmp
            p_prev, p_cur = p_cur, p_next
            np.multiply(ratio[n], p_cur, out=buf[j])
        sums = _small_matmul(mats[m], buf)
        if with_sv and sums.shape[0] == (6 if m == 0 else 12):
            half = sums.shape[0] // 2
            sums = sums[:half] + sums[half:] * years
        if m == 0:
            br += sums[0]
            u2 += sums[1]
            u3 += sums[2]
        else:
            br += cos_m * sums[0] + sin_m * sums[1]
            u2 += cos_m * sums[2] + sin_m * sums[3]
            u3 += cos_m * sums[4] + sin_m * sums[5]
            bp += m * (sin_m * sums[2] - cos_m * sums[3])
    inv_sin = 1.0 / sin_t
    # sum (a/r)^(n+2) (g cos + h sin) sin(theta) dP/dtheta = cos(theta) sum n (...) P_n - (1/r) sum (shifted)
    bt = -(cos_t * (br - u2) - inv_r * u3) * inv_sin
    bp *= inv_sin
    b_horiz = br * sin_t + bt * cos_t
    bx = b_horiz * cos_p - bp * sin_p
    by = b_horiz * sin_p + bp * cos_p
    bz = br * cos_t - bt * sin_t
    return bx, by, bz
