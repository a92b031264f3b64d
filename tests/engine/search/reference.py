"""Brute-force reference for conjunction search: plain numpy, every minute, every combination.

Written from the documented definition in ``docs/search.md`` only; it imports nothing from
``aurorax.engine`` so that an error in the engine cannot be copied into the reference.

Definition implemented here:

* minute ``k`` of the search is ``origin + k`` minutes, ``origin`` the first whole minute at or
  after ``start``, for every minute before ``end``;
* a member of a block is present at a minute when it has a record there that passes the block's
  predicate; for every constrained pair of blocks both locations exist and the haversine distance
  on a sphere of radius 6371.2 + 110 km is ``<= limit``;
* consecutive qualifying minutes of one combination merge; ``end`` is the last one;
* the conjunction distance at a minute is the largest constrained pair distance (the largest
  defined pair distance when no pair is constrained); min/max/closest/farthest over the interval,
  first minute on ties.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

SPHERE_KM = 6371.2 + 110.0


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance, km, on the footprint sphere (own implementation)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * SPHERE_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def member_grid(
    records: pd.DataFrame, origin: pd.Timestamp, n_minutes: int, lat_col: str, lon_col: str
):
    """Dense (present, lat, lon) arrays of one member's records over the minute grid."""
    present = np.zeros(n_minutes, dtype=bool)
    lat = np.full(n_minutes, np.nan)
    lon = np.full(n_minutes, np.nan)
    for _, r in records.iterrows():
        k = int((r["epoch"] - origin) / pd.Timedelta(minutes=1))
        if 0 <= k < n_minutes:
            present[k] = True
            lat[k] = r[lat_col]
            lon[k] = r[lon_col]
    return present, lat, lon


def to_half_minutes(present, lat, lon, n_steps):
    """30 s grid: step 2m is minute m; step 2m+1 exists when minutes m and m+1 both do, at the
    great-circle midpoint of their locations (mean of unit vectors, renormalised)."""
    p2 = np.zeros(n_steps, dtype=bool)
    lat2 = np.full(n_steps, np.nan)
    lon2 = np.full(n_steps, np.nan)
    for m in range(present.size):
        if 2 * m < n_steps and present[m]:
            p2[2 * m], lat2[2 * m], lon2[2 * m] = True, lat[m], lon[m]
        if 2 * m + 1 < n_steps and m + 1 < present.size and present[m] and present[m + 1]:
            p2[2 * m + 1] = True
            v = np.zeros(3)
            for la, lo in ((lat[m], lon[m]), (lat[m + 1], lon[m + 1])):
                la, lo = np.radians(la), np.radians(lo)
                v += [np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]
            lat2[2 * m + 1] = np.degrees(np.arctan2(v[2], np.hypot(v[0], v[1])))
            lon2[2 * m + 1] = np.degrees(np.arctan2(v[1], v[0]))
    return p2, lat2, lon2


def brute_force(blocks, limits, origin, n_minutes, step=None):
    """All conjunctions of one member per block.

    Parameters
    ----------
    blocks : list of list of (key, present, lat, lon)
        Per block, its members: a hashable key (data source identifier) and dense arrays.
    limits : dict of (i, j) -> float or None
    origin : pandas.Timestamp (naive UTC)
    n_minutes : int
        Grid length (steps).
    step : pandas.Timedelta
        Grid step (default 1 minute; 30 s after :func:`to_half_minutes`).

    Returns
    -------
    list of dict
        ``members`` (tuple of keys), ``start``, ``end``, ``min_distance_km``,
        ``max_distance_km``, ``closest_epoch``, ``farthest_epoch`` (naive UTC).
    """
    k = len(blocks)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    out = []
    for combo in itertools.product(*blocks):
        ok = np.ones(n_minutes, dtype=bool)
        for m in combo:
            ok &= m[1]
        dists = {}
        for i, j in pairs:
            d = haversine_km(combo[i][2], combo[i][3], combo[j][2], combo[j][3])
            dists[(i, j)] = d
            if limits.get((i, j)) is not None:
                with np.errstate(invalid="ignore"):
                    ok &= d <= limits[(i, j)]
        constrained = [p for p in pairs if limits.get(p) is not None] or pairs
        minute = 0
        while minute < n_minutes:
            if not ok[minute]:
                minute += 1
                continue
            first = minute
            while minute + 1 < n_minutes and ok[minute + 1]:
                minute += 1
            last = minute
            minute += 1
            series = []
            for t in range(first, last + 1):
                vals = [dists[p][t] for p in constrained if not np.isnan(dists[p][t])]
                series.append(max(vals) if vals else np.nan)
            series = np.array(series)
            if np.isnan(series).all():
                closest = farthest = first
                dmin = dmax = np.nan
            else:
                closest = first + int(np.nanargmin(series))
                farthest = first + int(np.nanargmax(series))
                dmin, dmax = float(np.nanmin(series)), float(np.nanmax(series))
            minute_td = pd.Timedelta(minutes=1) if step is None else step
            out.append(
                {
                    "members": tuple(m[0] for m in combo),
                    "start": origin + first * minute_td,
                    "end": origin + last * minute_td,
                    "min_distance_km": dmin,
                    "max_distance_km": dmax,
                    "closest_epoch": origin + closest * minute_td,
                    "farthest_epoch": origin + farthest * minute_td,
                }
            )
    return out
