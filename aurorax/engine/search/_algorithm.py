"""The conjunction algorithm on numpy arrays (no SQL, no I/O).

Definitions (AuroraX leaves these undocumented; these are ours):

* **Grid.** A search runs on a grid of steps of ``step_s`` seconds (60, or 30 with
  ``epoch_search_precision=30``) starting at the first whole minute at or after the query start;
  step ``k`` is the epoch ``start + k * step_s``. Every criteria block has *members*: one per
  matched data source (ground, space, events) or one per custom location.
* **Presence.** A member is present at a step when it has an ephemeris record there that passes
  the block's metadata filter (and hemisphere), i.e. the instrument was operating. Its location of
  the conjunction type (``nbtrace``, ``sbtrace`` or ``geographic``) may still be null there.
* **Distance.** Great-circle (haversine) distance between the two locations on a sphere of radius
  ``EARTH_RADIUS_KM + FOOTPRINT_ALTITUDE_KM`` (6371.2 km + 110 km, the footprint altitude) —
  :func:`aurorax.geo.great_circle_distance_km` with its default altitude.
* **Qualifying step.** One member per block is present, and for every pair of blocks with a
  maximum distance both locations exist and their distance is ``<= max_distance_km``. Pairs
  whose maximum distance is ``None`` are unconstrained (only presence counts).
* **Merge.** Consecutive qualifying steps of the same combination of members merge into one
  conjunction; a single missing step splits it. ``end`` is the last qualifying step (AuroraX's
  convention: a one-minute conjunction has ``start == end``).
* **Conjunction distance.** At each step, the largest of the constrained pairwise distances (the
  constraint that binds hardest; with no constrained pair, the largest defined pairwise distance).
  ``min_distance``/``max_distance`` and ``closest``/``farthest`` epochs are taken over the interval
  (first step on ties). Each pair of blocks also gets a sub-conjunction (AuroraX's ``events``)
  with its own first/last defined step and min/max distance inside the interval.

Speed: per pair of blocks, the member-rich block is laid out densely over a chunk of steps
(``members x steps``); the other block's members are prefiltered by a latitude band (the
great-circle distance is at least the latitude difference times the sphere radius) before the
vectorised haversine, so only steps near some member of the other block are measured.
Combinations of three or more blocks intersect the sparse qualifying-step lists of each pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from aurorax.geo import EARTH_RADIUS_KM, FOOTPRINT_ALTITUDE_KM, great_circle_distance_km

__all__ = [
    "Track",
    "RawConjunctions",
    "find_conjunctions",
    "interpolate_half_steps",
    "field_of_view_radius_km",
]

# Dense chunk size (members x steps) per pair computation; bounds the memory of one chunk to
# a few tens of MB whatever the time range.
_CHUNK_ELEMENTS = 4_000_000
_SPHERE_KM = EARTH_RADIUS_KM + FOOTPRINT_ALTITUDE_KM


@dataclass(frozen=True, eq=False)
class Track:
    """The steps at which one block member is present, and its location there.

    Parameters
    ----------
    steps : ndarray of int64
        Sorted, unique step indices on the search grid.
    lat, lon : ndarray of float64
        Location (degrees) at each step; NaN where the record has no location of this type.
    """

    steps: np.ndarray
    lat: np.ndarray
    lon: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", np.asarray(self.steps, dtype=np.int64))
        object.__setattr__(self, "lat", np.asarray(self.lat, dtype=np.float64))
        object.__setattr__(self, "lon", np.asarray(self.lon, dtype=np.float64))
        if not (self.steps.shape == self.lat.shape == self.lon.shape and self.steps.ndim == 1):
            raise ValueError("Track: steps, lat and lon must be 1-D arrays of one length")

    def __len__(self) -> int:
        return int(self.steps.size)

    def at(self, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Location at ``steps`` (NaN where the member is absent)."""
        steps = np.asarray(steps, dtype=np.int64)
        pos = np.searchsorted(self.steps, steps)
        pos_c = np.minimum(pos, max(self.steps.size - 1, 0))
        hit = (pos < self.steps.size) & (self.steps[pos_c] == steps) if self.steps.size else pos < 0
        lat = np.where(hit, self.lat[pos_c] if self.steps.size else np.nan, np.nan)
        lon = np.where(hit, self.lon[pos_c] if self.steps.size else np.nan, np.nan)
        return lat, lon


@dataclass(frozen=True, eq=False)
class RawConjunctions:
    """Conjunctions found on the grid, one row per merged interval (steps, not epochs).

    Attributes
    ----------
    members : ndarray of int, shape (n, n_blocks)
        The member index within each block.
    start, end, closest, farthest : ndarray of int64
        Step indices (``end`` inclusive).
    min_distance_km, max_distance_km : ndarray of float64
        Conjunction distance extremes over the interval.
    pairs : list of (int, int)
        The block pairs, in the order used by ``pair_*`` arrays.
    pair_start, pair_end : ndarray of int64, shape (n, n_pairs)
        First/last step in the interval where the pair's distance is defined (-1 if never).
    pair_min_km, pair_max_km : ndarray of float64, shape (n, n_pairs)
        Pair distance extremes over the interval (NaN if never defined).
    """

    members: np.ndarray
    start: np.ndarray
    end: np.ndarray
    closest: np.ndarray
    farthest: np.ndarray
    min_distance_km: np.ndarray
    max_distance_km: np.ndarray
    pairs: list = field(default_factory=list)
    pair_start: np.ndarray = field(default_factory=lambda: np.empty((0, 0), np.int64))
    pair_end: np.ndarray = field(default_factory=lambda: np.empty((0, 0), np.int64))
    pair_min_km: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    pair_max_km: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))

    def __len__(self) -> int:
        return int(self.start.size)


def field_of_view_radius_km(
    min_elevation_deg: float = 5.0,
    emission_altitude_km: float = 110.0,
    earth_radius_km: float = EARTH_RADIUS_KM,
) -> float:
    """Radius of an all-sky imager's field of view, as a search distance.

    A line of sight leaving the site at elevation ``e`` meets the emission shell of radius
    ``R + h`` at the Earth-centred angle ``theta = arccos(R cos(e) / (R + h)) - e`` from the site.
    Points of the shell within ``theta`` of the site are seen above ``e``. The angle is returned
    as a great-circle distance on the footprint sphere (``R + FOOTPRINT_ALTITUDE_KM``), the same
    units every conjunction distance uses, so a footprint qualifies exactly when its angle from
    the site is at most ``theta``.

    Approximations: spherical Earth; the site at sea level; the footprint compared where it is
    given (mapped to 110 km), not re-traced to ``emission_altitude_km``; a circular field of view
    (no skymap, no horizon obstructions).

    Parameters
    ----------
    min_elevation_deg : float
        Lowest elevation angle of usable sky, degrees (AuroraX's FoV helper uses 5).
    emission_altitude_km : float
        Altitude of the emission shell, km (110 for green line/white light, 230 for 630.0 nm).
    earth_radius_km : float
        Earth radius, km.

    Returns
    -------
    float
        Distance, km, on the footprint sphere: about 756 km for 5 degrees at 110 km.
    """
    if not 0.0 <= min_elevation_deg < 90.0:
        raise ValueError(f"min_elevation_deg: must be in [0, 90), got {min_elevation_deg}")
    if not emission_altitude_km > 0.0:
        raise ValueError(f"emission_altitude_km: must be > 0, got {emission_altitude_km}")
    e = math.radians(min_elevation_deg)
    theta = math.acos(earth_radius_km * math.cos(e) / (earth_radius_km + emission_altitude_km)) - e
    return theta * (earth_radius_km + FOOTPRINT_ALTITUDE_KM)


def interpolate_half_steps(track: Track) -> Track:
    """Re-grid a one-minute track to 30 s steps (step ``k`` becomes ``2k``).

    Each half-minute between two consecutive present minutes gets the great-circle midpoint of
    the two locations (normalised mean of unit vectors, so the antimeridian and the poles need no
    special case); NaN if either end has no location. Gaps are not bridged.
    """
    s = track.steps
    if s.size == 0:
        return track
    pair = np.flatnonzero(np.diff(s) == 1)
    lat1, lon1 = np.radians(track.lat[pair]), np.radians(track.lon[pair])
    lat2, lon2 = np.radians(track.lat[pair + 1]), np.radians(track.lon[pair + 1])
    x = np.cos(lat1) * np.cos(lon1) + np.cos(lat2) * np.cos(lon2)
    y = np.cos(lat1) * np.sin(lon1) + np.cos(lat2) * np.sin(lon2)
    z = np.sin(lat1) + np.sin(lat2)
    mid_lat = np.degrees(np.arctan2(z, np.hypot(x, y)))
    mid_lon = np.degrees(np.arctan2(y, x))
    steps = np.concatenate([2 * s, 2 * s[pair] + 1])
    order = np.argsort(steps, kind="stable")
    return Track(
        steps[order],
        np.concatenate([track.lat, mid_lat])[order],
        np.concatenate([track.lon, mid_lon])[order],
    )


def _dense(tracks: list[Track], cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lay ``tracks`` out over the sorted steps ``cols`` as (members x cols) arrays, NaN-filled."""
    lat = np.full((len(tracks), cols.size), np.nan)
    lon = np.full((len(tracks), cols.size), np.nan)
    for m, tr in enumerate(tracks):
        a, b = np.searchsorted(tr.steps, [cols[0], cols[-1] + 1])
        if b > a:
            # Every step of a dense-block member is in ``cols`` (their union), so this is exact.
            pos = np.searchsorted(cols, tr.steps[a:b])
            lat[m, pos] = tr.lat[a:b]
            lon[m, pos] = tr.lon[a:b]
    return lat, lon


def _union(step_arrays: list[np.ndarray]) -> np.ndarray:
    """Sorted union of sorted step arrays (a bitmap over their span: linear time, no sort)."""
    first = min(int(a[0]) for a in step_arrays)
    last = max(int(a[-1]) for a in step_arrays)
    seen = np.zeros(last - first + 1, dtype=bool)
    for a in step_arrays:
        seen[a - first] = True
    return np.flatnonzero(seen) + first


def _constrained_pair(
    dense_block: list[Track], other_block: list[Track], limit_km: float
) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """Qualifying steps of every (dense member, other member) with distance <= ``limit_km``.

    The dense block is laid out over the union of its members' steps only (a prefiltered block
    is sparse), in chunks that bound the memory.
    """
    out: dict[tuple[int, int], list] = {}
    present = [tr.steps for tr in dense_block if len(tr)]
    if not present:
        return {}
    union = _union(present)
    chunk = max(1440, _CHUNK_ELEMENTS // max(len(dense_block), 1))
    band_deg = math.degrees(limit_km / _SPHERE_KM) + 1e-6
    for p0 in range(0, union.size, chunk):
        cols = union[p0 : p0 + chunk]
        d_lat, d_lon = _dense(dense_block, cols)
        # fmin/fmax ignore NaN without the all-NaN RuntimeWarning of nanmin.
        lo = np.fmin.reduce(d_lat, axis=0) - band_deg
        hi = np.fmax.reduce(d_lat, axis=0) + band_deg
        for b, tr in enumerate(other_block):
            a0, a1 = np.searchsorted(tr.steps, [cols[0], cols[-1] + 1])
            if a1 == a0:
                continue
            steps_b = tr.steps[a0:a1]
            rel = np.minimum(np.searchsorted(cols, steps_b), cols.size - 1)
            lat_b, lon_b = tr.lat[a0:a1], tr.lon[a0:a1]
            keep = (cols[rel] == steps_b) & (lat_b >= lo[rel]) & (lat_b <= hi[rel])
            if not keep.any():
                continue
            rel, lat_b, lon_b = rel[keep], lat_b[keep], lon_b[keep]
            dist = great_circle_distance_km(d_lat[:, rel], d_lon[:, rel], lat_b, lon_b)
            rows, hits = np.nonzero(dist <= limit_km)
            if rows.size == 0:
                continue
            bounds = np.flatnonzero(np.diff(rows)) + 1
            for r_idx in np.split(np.arange(rows.size), bounds):
                a = int(rows[r_idx[0]])
                c = hits[r_idx]
                out.setdefault((a, b), []).append((cols[rel[c]], dist[a, c]))
    return {
        k: (np.concatenate([p[0] for p in v]), np.concatenate([p[1] for p in v]))
        for k, v in out.items()
    }


def _pair_distance(ta: Track, tb: Track, steps: np.ndarray) -> np.ndarray:
    lat_a, lon_a = ta.at(steps)
    lat_b, lon_b = tb.at(steps)
    return great_circle_distance_km(lat_a, lon_a, lat_b, lon_b)


def _block_order(n_blocks: int, limits: dict) -> list[int]:
    """Blocks in an order where each one joins through a constrained pair when possible.

    Starting from a constrained pair keeps the intermediate combination lists short.
    """
    constrained = [p for p, d in limits.items() if d is not None]
    if not constrained:
        return list(range(n_blocks))
    order = list(constrained[0])
    while len(order) < n_blocks:
        rest = [b for b in range(n_blocks) if b not in order]
        linked = [b for b in rest if any(limits[_key(b, o)] is not None for o in order)]
        order.append((linked or rest)[0])
    return order


def _key(i: int, j: int) -> tuple[int, int]:
    return (i, j) if i < j else (j, i)


def find_conjunctions(
    blocks: list[list[Track]],
    max_distances_km: dict[tuple[int, int], float | None],
    qualified: dict | None = None,
) -> RawConjunctions:
    """Find every merged conjunction of one member per block on the search grid.

    Parameters
    ----------
    blocks : list of list of Track
        Per criteria block, the tracks of its members (at least two blocks).
    max_distances_km : dict
        ``(i, j) -> km or None`` for every pair of block indices ``i < j``; ``None`` means
        unconstrained.
    qualified : dict, optional
        For some constrained pairs ``(i, j)``, their qualifying steps already known:
        ``{(member of i, member of j): (sorted steps, distances km)}`` for every member pair
        and step where both tracks have a location within the pair's limit (the distances
        measured as :func:`_constrained_pair` does). The other pairs are measured here.

    Returns
    -------
    RawConjunctions
        Sorted by start step, then by member indices.
    """
    k = len(blocks)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    limits = {p: max_distances_km.get(p) for p in pairs}
    qualified = dict(qualified or {})
    for (i, j), lim in limits.items():
        if lim is None or (i, j) in qualified:
            continue
        if len(blocks[i]) >= len(blocks[j]):
            qualified[(i, j)] = _constrained_pair(blocks[i], blocks[j], lim)
        else:
            flipped = _constrained_pair(blocks[j], blocks[i], lim)
            qualified[(i, j)] = {(a, b): v for (b, a), v in flipped.items()}

    order = _block_order(k, limits)
    first, second = order[0], order[1]
    combos: list[tuple[dict, np.ndarray]] = []
    key01 = _key(first, second)
    if limits[key01] is not None:
        for (a, b), (steps, _) in qualified[key01].items():
            members = {key01[0]: a, key01[1]: b}
            combos.append((members, steps))
    else:
        for a, ta in enumerate(blocks[first]):
            for b, tb in enumerate(blocks[second]):
                steps = np.intersect1d(ta.steps, tb.steps, assume_unique=True)
                if steps.size:
                    combos.append(({first: a, second: b}, steps))
    for nxt in order[2:]:
        grown = []
        for members, steps in combos:
            for c, tc in enumerate(blocks[nxt]):
                s = steps[_present(tc.steps, steps)]
                for prev, m in members.items():
                    if s.size == 0:
                        break
                    key = _key(prev, nxt)
                    if limits[key] is None:
                        continue
                    pair_members = (m, c) if prev < nxt else (c, m)
                    q = qualified[key].get(pair_members)
                    s = s[:0] if q is None else np.intersect1d(s, q[0], assume_unique=True)
                if s.size:
                    grown.append(({**members, nxt: c}, s))
        combos = grown

    # Summaries are computed for all combinations at once: concatenate their qualifying steps,
    # cut runs where the combination changes or a step is missing, then reduce per run.
    n_pairs = len(pairs)
    constrained = [p for p, pr in enumerate(pairs) if limits[pr] is not None]
    all_steps, all_conj, all_pair, all_combo, member_rows = [], [], [], [], []
    for c, (members, steps) in enumerate(combos):
        member_tuple = tuple(members[b] for b in range(k))
        tracks = [blocks[b][member_tuple[b]] for b in range(k)]
        pair_dist = np.empty((n_pairs, steps.size))
        for p, (i, j) in enumerate(pairs):
            if limits[(i, j)] is not None:
                q_steps, q_dist = qualified[(i, j)][(member_tuple[i], member_tuple[j])]
                pair_dist[p] = q_dist[np.searchsorted(q_steps, steps)]
            else:
                pair_dist[p] = _pair_distance(tracks[i], tracks[j], steps)
        use = pair_dist[constrained] if constrained else pair_dist
        all_conj.append(np.fmax.reduce(use, axis=0))  # fmax skips NaN: largest defined distance
        all_steps.append(steps)
        all_pair.append(pair_dist)
        all_combo.append(np.full(steps.size, c))
        member_rows.append(member_tuple)
    if not combos:
        return _empty(k, pairs)
    steps = np.concatenate(all_steps)
    conj = np.concatenate(all_conj)
    pair_dist = np.hstack(all_pair)
    combo = np.concatenate(all_combo)
    new_run = np.ones(steps.size, dtype=bool)
    new_run[1:] = (np.diff(steps) != 1) | (np.diff(combo) != 0)
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], steps.size) - 1
    run_id = np.cumsum(new_run) - 1
    n_runs = starts.size
    run_min = np.fmin.reduceat(conj, starts)
    run_max = np.fmax.reduceat(conj, starts)
    closest = _first_where(conj == run_min[run_id], run_id, n_runs)
    farthest = _first_where(conj == run_max[run_id], run_id, n_runs)
    # Runs whose conjunction distance is never defined: extremes at the first step.
    closest = np.where(closest < 0, starts, closest)
    farthest = np.where(farthest < 0, starts, farthest)
    p_first = np.empty((n_runs, n_pairs), np.int64)
    p_last = np.empty((n_runs, n_pairs), np.int64)
    p_min = np.empty((n_runs, n_pairs))
    p_max = np.empty((n_runs, n_pairs))
    for p in range(n_pairs):
        row = pair_dist[p]
        defined = ~np.isnan(row)
        first = _first_where(defined, run_id, n_runs)
        last = _last_where(defined, run_id, n_runs)
        p_first[:, p] = np.where(first < 0, -1, steps[first])
        p_last[:, p] = np.where(last < 0, -1, steps[last])
        p_min[:, p] = np.fmin.reduceat(row, starts)
        p_max[:, p] = np.fmax.reduceat(row, starts)
    members = np.array(member_rows, dtype=np.int64).reshape(len(member_rows), k)[combo[starts]]
    order = np.lexsort((*members.T[::-1], steps[starts]))
    return RawConjunctions(
        members=members[order],
        start=steps[starts][order],
        end=steps[ends][order],
        closest=steps[closest][order],
        farthest=steps[farthest][order],
        min_distance_km=run_min[order],
        max_distance_km=run_max[order],
        pairs=pairs,
        pair_start=p_first[order],
        pair_end=p_last[order],
        pair_min_km=p_min[order],
        pair_max_km=p_max[order],
    )


def _present(track_steps: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Which of the sorted ``steps`` the sorted ``track_steps`` contain (a boolean mask)."""
    if track_steps.size == 0:
        return np.zeros(steps.size, dtype=bool)
    pos = np.minimum(np.searchsorted(track_steps, steps), track_steps.size - 1)
    return track_steps[pos] == steps


def _first_where(mask: np.ndarray, run_id: np.ndarray, n_runs: int) -> np.ndarray:
    """Per run, the position of its first True in ``mask`` (-1 if none)."""
    idx = np.flatnonzero(mask)
    out = np.full(n_runs, -1, dtype=np.int64)
    runs, pos = np.unique(run_id[idx], return_index=True)
    out[runs] = idx[pos]
    return out


def _last_where(mask: np.ndarray, run_id: np.ndarray, n_runs: int) -> np.ndarray:
    """Per run, the position of its last True in ``mask`` (-1 if none)."""
    idx = np.flatnonzero(mask)[::-1]
    out = np.full(n_runs, -1, dtype=np.int64)
    runs, pos = np.unique(run_id[idx], return_index=True)
    out[runs] = idx[pos]
    return out


def _empty(k: int, pairs: list) -> RawConjunctions:
    n_pairs = len(pairs)
    ints, floats = np.empty(0, np.int64), np.empty(0)
    return RawConjunctions(
        members=np.empty((0, k), np.int64),
        start=ints,
        end=ints,
        closest=ints,
        farthest=ints,
        min_distance_km=floats,
        max_distance_km=floats,
        pairs=pairs,
        pair_start=np.empty((0, n_pairs), np.int64),
        pair_end=np.empty((0, n_pairs), np.int64),
        pair_min_km=np.empty((0, n_pairs)),
        pair_max_km=np.empty((0, n_pairs)),
    )
