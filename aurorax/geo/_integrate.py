"""The field-line integrator behind :mod:`aurorax.geo._trace`: RK4 steps of all traces at once.

Positions are GEO (ECEF) Cartesian in Earth radii of 6371.2 km; each step follows the unit field
direction (sign +1 toward the north footprint, -1 toward the south one) with a step proportional to
the geocentric distance, and a trace ends where it crosses the footprint altitude, located exactly by
Hermite interpolation of the last step.
"""

from __future__ import annotations

import functools

import numpy as np

from ._constants import EARTH_RADIUS_KM
from ._ellipsoid import ecef_to_geodetic
from ._igrf import NMAX, IGRFCoefficients, field_geo

#: Integration step as a fraction of the geocentric distance: ds = STEP_FACTOR * r. Steps that scale with r
#: keep the number of steps per field line roughly logarithmic in its apex distance.
STEP_FACTOR = 0.1
#: A trace that goes beyond this distance (Earth radii) gets NaN: with an internal field only, such field
#: lines stand in for open (polar cap / lobe) field lines, which have no conjugate footprint.
MAX_RADIUS_RE = 30.0
MAX_STEPS = 2000
#: Traces integrated at once (a pool refilled as traces finish). Bounds memory (a few kB per trace, so
#: ~100 MB at most) while keeping arrays long enough that NumPy's per-call overhead is small.
CHUNK_SIZE = 32_000
#: Relative contribution below which a spherical-harmonic degree is dropped at a given radius.
DEGREE_TOLERANCE = 1e-5
#: Same for the secular-variation terms over a batch's time span (1e-5 moved footprints by up to 0.1 km
#: for a month-long batch, 1e-6 by < 5 m for 5 % more time).
SV_TOLERANCE = 1e-6
DEGREE_LEVELS = (13, 11, 9, 7, 5, 4, 3, 2, 1)
#: Degree groups smaller than this are evaluated with the next higher degree (fewer, longer NumPy calls).
MIN_GROUP = 1500


@functools.lru_cache(maxsize=64)
def degree_thresholds(coeffs: IGRFCoefficients) -> tuple[tuple[int, float], ...]:
    """For each truncation level, the radius (RE) beyond which it is accurate to ``DEGREE_TOLERANCE``.

    The degree-n part of the field falls off as r^-(n+2), i.e. relative to the dipole as r^-(n-1); its
    surface amplitude relative to the dipole is the square root of the Lowes-Mauersberger power ratio.
    """
    n = np.arange(NMAX + 1)
    power = (n + 1) * ((coeffs.g**2).sum(axis=1) + (coeffs.h**2).sum(axis=1))
    rel = np.sqrt(power / power[1])
    out = []
    for level in DEGREE_LEVELS:
        if level >= coeffs.nmax:
            out.append((coeffs.nmax, 0.0))
            continue
        higher = np.arange(level + 1, coeffs.nmax + 1)
        with np.errstate(divide="ignore"):
            radii = (rel[higher] / DEGREE_TOLERANCE) ** (1.0 / (higher - 1.0))
        out.append((level, float(np.max(radii))))
    # Keep only levels that actually start at a larger radius than the previous one.
    result = []
    for level, radius in out:
        if not result or radius > result[-1][1]:
            result.append((level, radius))
    return tuple(result)


def unit_field(px, py, pz, sign, coeffs, thresholds, years):
    """Unit vector of sign * B at positions (RE), evaluating each point at the lowest adequate degree.

    Points are grouped by the truncation level their radius allows; a group smaller than
    ``MIN_GROUP`` joins the next higher-degree group, since below that size NumPy's per-call overhead
    costs more than the degrees saved.
    """
    r = np.sqrt(px * px + py * py + pz * pz)
    n_levels = len(thresholds)
    if n_levels > 1 and r.size >= 2 * MIN_GROUP:
        edges = np.array([radius for _, radius in thresholds[1:]])
        level = np.searchsorted(edges, r, side="right")  # 0 = highest degree
        counts = np.bincount(level, minlength=n_levels)
        groups = []
        pending = None
        for k in range(n_levels - 1, -1, -1):  # from the lowest degree upward
            members = level == k if pending is None else (level == k) | pending
            size = counts[k] + (0 if pending is None else int(pending.sum()))
            if size == 0:
                continue
            if size < MIN_GROUP and k > 0:
                pending = members
                continue
            groups.append((thresholds[k][0], members))
            pending = None
    else:
        groups = []
    if len(groups) <= 1:
        degree = groups[0][0] if groups else thresholds[0][0]
        bx, by, bz = field_geo(px, py, pz, coeffs, degree, years)
    else:
        bx = np.empty_like(px)
        by = np.empty_like(px)
        bz = np.empty_like(px)
        for degree, members in groups:
            sel = np.flatnonzero(members)
            fx, fy, fz = field_geo(px[sel], py[sel], pz[sel], coeffs, degree, years[sel])
            bx[sel] = fx
            by[sel] = fy
            bz[sel] = fz
    scale = sign / np.sqrt(bx * bx + by * by + bz * bz)
    return bx * scale, by * scale, bz * scale


def rk4_step(px, py, pz, ds, sign, coeffs, thresholds, years):
    """One classical Runge-Kutta step of length ``ds`` (RE, per point) along sign * B-hat.

    Returns the new position and the unit directions k1 (at the start) and k4 (near the end).
    """
    k1 = unit_field(px, py, pz, sign, coeffs, thresholds, years)
    h = 0.5 * ds
    k2 = unit_field(px + h * k1[0], py + h * k1[1], pz + h * k1[2], sign, coeffs, thresholds, years)
    k3 = unit_field(px + h * k2[0], py + h * k2[1], pz + h * k2[2], sign, coeffs, thresholds, years)
    k4 = unit_field(
        px + ds * k3[0], py + ds * k3[1], pz + ds * k3[2], sign, coeffs, thresholds, years
    )
    w = ds / 6.0
    new = tuple(
        p + w * (a + 2.0 * (b + c) + d)
        for p, a, b, c, d in zip((px, py, pz), k1, k2, k3, k4, strict=True)
    )
    return new, k1, k4


def height_above(px, py, pz, target_km):
    """Geodetic height (km) above the footprint altitude of positions in RE."""
    return (
        ecef_to_geodetic(
            px * EARTH_RADIUS_KM, py * EARTH_RADIUS_KM, pz * EARTH_RADIUS_KM, height_only=True
        )
        - target_km
    )


def trace_batch(
    px, py, pz, hemi_sign, years, coeffs, target_km, *, step_factor, max_radius_re, max_steps, chunk
):
    """Trace every start point (RE, GEO) to its footprint; returns footprint x, y, z (RE) with NaN on failure.

    ``hemi_sign`` is +1 for the north footprint (follow +B) and -1 for the south footprint (follow -B);
    ``years`` is each trace's time in years after ``coeffs.epoch`` (the field is evaluated at that time).
    Up to ``chunk`` traces are integrated at once; the pool is refilled as traces finish.
    """
    n_total = px.size
    out = np.full((3, n_total), np.nan)
    thresholds = degree_thresholds(coeffs)
    # Classify every start point: which way along the field line, and which crossing ends the trace.
    f_start = height_above(px, py, pz, target_km)
    sign = hemi_sign.astype(np.float64).copy()
    ascending = np.zeros(n_total, dtype=bool)
    below = np.flatnonzero(f_start < 0.0)
    for part in np.array_split(below, max(1, -(-below.size // chunk))):
        if part.size == 0:
            continue
        ux, uy, uz = unit_field(
            px[part], py[part], pz[part], sign[part], coeffs, thresholds, years[part]
        )
        # Below the footprint altitude with hemi_sign * B pointing down: the wanted footprint is the
        # point of this field line just above, so go up (against hemi_sign * B) to the upward crossing.
        downward = ux * px[part] + uy * py[part] + uz * pz[part] <= 0.0
        flip = part[downward]
        sign[flip] = -sign[flip]
        ascending[flip] = True
    # Traces that wander this far below where they started never reach the footprint altitude.
    floor = np.minimum(f_start, 0.0) - 100.0
    start_state = {
        "x": px,
        "y": py,
        "z": pz,
        "f": f_start,
        "s": sign,
        "yr": years,
        "floor": floor,
        "asc": ascending,
    }

    queue = np.flatnonzero(np.isfinite(px) & np.isfinite(py) & np.isfinite(pz))
    next_in_queue = 0
    pool = {k: v[:0] for k, v in start_state.items()}
    pool["idx"] = np.empty(0, dtype=np.int64)
    pool["steps"] = np.empty(0, dtype=np.int64)
    finished = []  # per crossing step: idx, start, end, start direction, ds, heights, sign, years

    while True:
        if pool["idx"].size < chunk // 2 and next_in_queue < queue.size:
            take = queue[next_in_queue : next_in_queue + chunk - pool["idx"].size]
            next_in_queue += take.size
            new = {k: v[take] for k, v in start_state.items()}
            new["idx"] = take
            new["steps"] = np.zeros(take.size, dtype=np.int64)
            pool = {k: np.concatenate([pool[k], new[k]]) for k in pool}
        if pool["idx"].size == 0:
            break
        x, y, z, f, s, yr = (pool[k] for k in ("x", "y", "z", "f", "s", "yr"))
        ds = step_factor * np.sqrt(x * x + y * y + z * z)
        (nx, ny, nz), k1, _ = rk4_step(x, y, z, ds, s, coeffs, thresholds, yr)
        f_new = height_above(nx, ny, nz, target_km)
        crossed = np.where(pool["asc"], (f <= 0.0) & (f_new > 0.0), (f >= 0.0) & (f_new < 0.0))
        r_new = np.sqrt(nx * nx + ny * ny + nz * nz)
        steps = pool["steps"] + 1
        failed = ~crossed & (
            ~np.isfinite(f_new)
            | (r_new > max_radius_re)
            | (f_new < pool["floor"])
            | (steps >= max_steps)
        )
        if crossed.any():
            c = np.flatnonzero(crossed)
            finished.append(
                tuple(a[c] for a in (pool["idx"], x, y, z, nx, ny, nz, *k1, ds, f, f_new, s, yr))
            )
        keep = ~(crossed | failed)
        pool.update(x=nx, y=ny, z=nz, f=f_new, steps=steps)
        pool = {k: v[keep] for k, v in pool.items()}

    if finished:
        cols = [np.concatenate(parts) for parts in zip(*finished, strict=True)]
        idx = cols[0]
        for start in range(0, idx.size, chunk):
            sl = slice(start, start + chunk)
            part = [c[sl] for c in cols[1:]]
            p0, p1, d0 = part[0:3], part[3:6], part[6:9]
            ds, f0, f1, s, yr = part[9:14]
            fx, fy, fz = refine_crossing(
                p0, p1, d0, ds, f0, f1, s, yr, coeffs, thresholds, target_km
            )
            out[0, idx[sl]] = fx
            out[1, idx[sl]] = fy
            out[2, idx[sl]] = fz
    return out


def hermite(p0, p1, d0, d1, ds, u):
    """Cubic Hermite interpolation between two points of a field line (positions, unit tangents)."""
    u2 = u * u
    u3 = u2 * u
    h00 = 2 * u3 - 3 * u2 + 1
    h10 = (u3 - 2 * u2 + u) * ds
    h01 = -2 * u3 + 3 * u2
    h11 = (u3 - u2) * ds
    return tuple(
        h00 * a + h10 * b + h01 * c + h11 * d for a, b, c, d in zip(p0, d0, p1, d1, strict=True)
    )


def refine_crossing(
    p0, p1, d0, ds, f0, f1, sign, years, coeffs, thresholds, target_km, iterations=6
):
    """Locate the footprint inside a step that crossed the footprint altitude.

    1. Root of the height along the cubic Hermite curve through the step's ends (no field evaluations;
       regula falsi, Illinois variant). 2. One RK4 sub-step of that length from the step's start.
    3. A Newton move along the field line for the small remaining height error. The result lies within
       a few metres of the footprint altitude (checked in the tests).
    """
    d1 = unit_field(*p1, sign, coeffs, thresholds, years)
    lo = np.zeros_like(ds)
    hi = np.ones_like(ds)
    f_lo = f0.copy()
    f_hi = f1.copy()
    side = np.zeros_like(ds)
    u = np.zeros_like(ds)
    for _ in range(iterations):
        denom = f_hi - f_lo
        u = lo - f_lo * (hi - lo) / np.where(denom == 0, 1.0, denom)
        u = np.clip(u, lo, hi)
        fu = height_above(*hermite(p0, p1, d0, d1, ds, u), target_km)
        keep_hi = np.sign(fu) == np.sign(f_lo)
        lo = np.where(keep_hi, u, lo)
        hi = np.where(keep_hi, hi, u)
        new_f_lo = np.where(keep_hi, fu, np.where(side == -1, 0.5 * f_lo, f_lo))
        new_f_hi = np.where(keep_hi, np.where(side == 1, 0.5 * f_hi, f_hi), fu)
        side = np.where(keep_hi, 1.0, -1.0)
        f_lo, f_hi = new_f_lo, new_f_hi
    u = np.where(f0 == 0, 0.0, u)
    (px, py, pz), _, k4 = rk4_step(*p0, u * ds, sign, coeffs, thresholds, years)
    resid = height_above(px, py, pz, target_km)
    r = np.sqrt(px * px + py * py + pz * pz)
    rate = (
        (k4[0] * px + k4[1] * py + k4[2] * pz) / r * EARTH_RADIUS_KM
    )  # km of height per RE along B
    limit = 0.05 * ds
    with np.errstate(divide="ignore", invalid="ignore"):
        move = np.clip(-resid / rate, -limit, limit)
    move = np.where(np.isfinite(move), move, 0.0)
    return px + move * k4[0], py + move * k4[1], pz + move * k4[2]
