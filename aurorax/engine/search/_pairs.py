"""The two-block fast path: a ground block against a space block, read from the pair table.

The store's ``ephemeris_pairs`` (``aurorax/engine/store/_pairs.py``) lists every minute a ground
source and a spacecraft are within ``PAIR_MAX_KM`` of each other, for each location kind, with
both locations. A search of one ground block against one space block whose maximum distance is at
most that reads only those rows, so its cost grows with the minutes where a pair is close, not
with the records of the two blocks.

The answer is the one the general path (:func:`find_conjunctions` on the blocks' tracks) gives,
bit for bit: each row's distance is recomputed from the stored locations with
:func:`aurorax.geo.great_circle_distance_km` (the stored SQL distance only selects rows, with a
margin), in the argument order the general path uses; a step qualifies when that distance is at
most the limit; consecutive qualifying minutes of one (ground, space) pair merge into one
conjunction. With two blocks the conjunction distance is the pair's distance, and the one
sub-conjunction spans the whole interval. The tracks kept for ``distance_series`` hold each
member's locations at the minutes read, which include every minute of every interval.

With more blocks (one ground block and several space blocks, each constrained against the
ground block within ``PAIR_MAX_KM``), every qualifying minute has each space member within its
limit of the ground member, so it lies in the pair rows: the blocks' tracks are built from
those rows alone (a superset of the qualifying minutes, selected with a margin) and the general
algorithm runs on them, measuring every distance itself, space-space pairs included.

A block with a metadata filter or a one-hemisphere condition (the table has neither metadata
nor the spacecraft's position) is read from the ephemeris at the minutes of its pair-built
tracks only, through the filter, and its tracks are those rows.

The pair table serves 60 s searches on a DuckDB file that has the table; every other search
takes the general path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from aurorax.geo import great_circle_distance_km

from ..store import PAIR_MAX_KM, PAIRS_TABLE
from ._algorithm import RawConjunctions, Track, _empty, _present

__all__ = [
    "PAIRS_TABLE",
    "PAIR_MAX_KM",
    "PairPlan",
    "plan_pairs",
    "pairs_available",
    "pair_search",
    "pair_tracks",
    "restrict_qualified",
    "candidate_minutes",
]

_KIND = {"geographic": 0, "nbtrace": 1, "sbtrace": 2}
_PAD_KM = 1e-2  # the stored distance is a FLOAT computed in SQL: select with a margin
_US_PER_MIN = 60_000_000


@dataclass(frozen=True)
class PairPlan:
    """A search the pair table can serve: the ground block and the space blocks against it."""

    ground: int  # block index of the ground block
    ground_ids: tuple  # its data sources, in member order
    space: tuple  # ((block index, data source ids, limit km against the ground block), ...)
    filtered: tuple = ()  # blocks with a metadata filter or a one-hemisphere condition


def plan_pairs(
    kinds: Sequence[str], ids: Mapping[int, Sequence[int]], filtered: Mapping[int, bool], limits
) -> PairPlan | None:
    """The plan when the pair table can serve the search, else None.

    Parameters
    ----------
    kinds : sequence of str
        Each block's kind (``ground``, ``space``, ``events``, ``adhoc``).
    ids : mapping
        ``block -> data source ids`` of the blocks that matched sources.
    filtered : mapping
        ``block -> whether it has a metadata filter or a one-hemisphere condition``.
    limits : dict
        ``(i, j) -> km or None`` for every pair of blocks.

    It can when there is one ground block and every other block is a space block constrained
    against it within ``PAIR_MAX_KM``, and every block matched sources.
    """
    if kinds.count("ground") != 1 or any(k not in ("ground", "space") for k in kinds):
        return None
    if len(ids) != len(kinds) or len(kinds) < 2:
        return None
    g = kinds.index("ground")
    space = []
    for b in range(len(kinds)):
        if b == g:
            continue
        limit = limits.get((min(b, g), max(b, g)))
        if limit is None or not 0 <= limit <= PAIR_MAX_KM:
            return None
        space.append((b, tuple(ids[b]), float(limit)))
    marked = tuple(b for b in range(len(kinds)) if filtered.get(b))
    return PairPlan(g, tuple(ids[g]), tuple(space), marked)


def pairs_available(cursor) -> bool:
    """Whether this store has the pair table as a base table (not, e.g., an older file opened
    read-only, or a Parquet export)."""
    rows = cursor.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ?",
        [PAIRS_TABLE],
    ).fetchall()
    return bool(rows[0][0])


def _read(cursor, kind: int, ground: Sequence[int], space: Sequence[int], origin, end, limit):
    gm = ", ".join("?" for _ in ground)
    sm = ", ".join("?" for _ in space)
    origin_us = int(np.datetime64(origin.to_datetime64(), "us").astype(np.int64))
    sql = (
        "SELECT ground, space, (epoch_us(epoch) - ?) // 60000000 AS m, "
        "ground_lat, ground_lon, space_lat, space_lon "
        f"FROM {PAIRS_TABLE} WHERE kind = ? AND ground IN ({gm}) AND space IN ({sm}) "
        "AND epoch >= ? AND epoch < ? AND distance_km <= ? "
        "ORDER BY ground, space, epoch"
    )
    params = [origin_us, kind, *map(int, ground), *map(int, space)]
    params += [origin.to_pydatetime(), end.to_pydatetime(), float(limit) + _PAD_KM]
    table = cursor.sql(sql, params=params).to_arrow_table()
    return {name: table.column(name).to_numpy() for name in table.column_names}


def _tracks(member: np.ndarray, m: np.ndarray, lat, lon, n_members: int) -> list[Track]:
    """One Track per member from rows (member, minute, location), duplicates dropped."""
    key = member.astype(np.int64) * (int(m.max()) + 1 if m.size else 1) + m
    # The rows come as a few sorted runs per member (one per pair): a stable sort (timsort)
    # merges them in about linear time, where np.unique's full sort takes four times as long.
    order = np.argsort(key, kind="stable")
    first = order[np.append(True, np.diff(key[order]) != 0)] if key.size else order
    member, m, lat, lon = member[first], m[first], lat[first], lon[first]
    bounds = np.searchsorted(member, np.arange(n_members + 1))
    return [Track(m[a:b], lat[a:b], lon[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _runs(g: np.ndarray, s: np.ndarray, m: np.ndarray, dist: np.ndarray, ground_block: int):
    """RawConjunctions of rows sorted by (g, s, m): runs of consecutive minutes per pair."""
    pairs = [(0, 1)]
    if m.size == 0:
        return _empty(2, pairs)
    new = np.ones(m.size, dtype=bool)
    new[1:] = (np.diff(m) != 1) | (np.diff(g) != 0) | (np.diff(s) != 0)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], m.size) - 1
    run_id = np.cumsum(new) - 1
    run_min = np.minimum.reduceat(dist, starts)
    run_max = np.maximum.reduceat(dist, starts)

    def first_where(mask):  # per run, its first row where mask holds (every run has one)
        idx = np.flatnonzero(mask)
        return idx[np.append(True, np.diff(run_id[idx]) != 0)]

    closest = m[first_where(dist == run_min[run_id])]
    farthest = m[first_where(dist == run_max[run_id])]
    members = np.empty((starts.size, 2), dtype=np.int64)
    members[:, ground_block] = g[starts]
    members[:, 1 - ground_block] = s[starts]
    start, end = m[starts], m[ends]
    order = np.lexsort((members[:, 1], members[:, 0], start))
    col = lambda a: a[order][:, None]  # noqa: E731 - one pair of blocks: (n, 1) arrays
    return RawConjunctions(
        members=members[order],
        start=start[order],
        end=end[order],
        closest=closest[order],
        farthest=farthest[order],
        min_distance_km=run_min[order],
        max_distance_km=run_max[order],
        pairs=pairs,
        pair_start=col(start),
        pair_end=col(end),
        pair_min_km=col(run_min),
        pair_max_km=col(run_max),
    )


def _indexed(rows: dict, ground_ids, space_ids) -> dict:
    """Pair rows with member indices: ``g``, ``s``, ``m`` and both locations."""
    return {
        "g": np.searchsorted(ground_ids, rows["ground"].astype(np.int64)),
        "s": np.searchsorted(space_ids, rows["space"].astype(np.int64)),
        "m": rows["m"].astype(np.int64),
        "glat": rows["ground_lat"],
        "glon": rows["ground_lon"],
        "slat": rows["space_lat"],
        "slon": rows["space_lon"],
    }


def _exact(r: dict, limit_km: float, ground_first: bool) -> dict:
    """The indexed rows within ``limit_km`` by the general path's own distance (``dist``
    added), in the rows' (ground, space, epoch) order."""
    if ground_first:
        dist = great_circle_distance_km(r["glat"], r["glon"], r["slat"], r["slon"])
    else:
        dist = great_circle_distance_km(r["slat"], r["slon"], r["glat"], r["glon"])
    keep = dist <= limit_km
    return {k: v[keep] for k, v in (r | {"dist": dist}).items()}


def _ground_first(n_ground: int, n_space: int, ground_block: int, space_block: int) -> bool:
    """Whether the general path measures this pair from the ground block: from the block with
    more members, the lower block index on a tie (:func:`find_conjunctions`)."""
    lo, hi = sorted((ground_block, space_block))
    sizes = {ground_block: n_ground, space_block: n_space}
    return (lo if sizes[lo] >= sizes[hi] else hi) == ground_block


def pair_search(cursor, plan: PairPlan, types: Sequence[str], origin, end):
    """Conjunctions of a ground block and one space block (a two-block ``plan``).

    Parameters
    ----------
    cursor
        A DuckDB cursor on a store with the pair table (:func:`pairs_available`).
    plan : PairPlan
        From :func:`plan_pairs`, with one space block.
    types : sequence of str
        Conjunction types.
    origin, end : pandas.Timestamp
        The grid's first minute (step 0) and the end of the window (exclusive), naive UTC.

    Returns
    -------
    raw : dict
        ``type -> RawConjunctions``, as :func:`find_conjunctions` returns them.
    tracks : list of dict
        Per block, ``type -> [Track per member]``.
    """
    if len(plan.space) != 1 or plan.filtered:
        raise ValueError("pair_search: a two-block plan without filtered blocks is needed")
    ground_block = plan.ground
    space_block, space_ids, limit_km = plan.space[0]
    ground_ids = np.asarray(plan.ground_ids, dtype=np.int64)
    space_ids = np.asarray(space_ids, dtype=np.int64)
    first = _ground_first(len(ground_ids), len(space_ids), ground_block, space_block)
    raw, tracks = {}, [{}, {}]
    for t in types:
        rows = _read(cursor, _KIND[t], ground_ids, space_ids, origin, end, limit_km)
        r = _exact(_indexed(rows, ground_ids, space_ids), limit_km, first)
        raw[t] = _runs(r["g"], r["s"], r["m"], r["dist"], ground_block)
        tracks[ground_block][t] = _tracks(r["g"], r["m"], r["glat"], r["glon"], len(ground_ids))
        tracks[space_block][t] = _tracks(r["s"], r["m"], r["slat"], r["slon"], len(space_ids))
    return raw, tracks


def _qualified(r: dict, ground_block: int, space_block: int) -> dict:
    """``{(member of the lower block, member of the higher): (steps, km)}`` of exact rows."""
    if r["m"].size == 0:
        return {}
    new = np.ones(r["m"].size, dtype=bool)
    new[1:] = (np.diff(r["g"]) != 0) | (np.diff(r["s"]) != 0)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], r["m"].size)
    out = {}
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        g, s = int(r["g"][a]), int(r["s"][a])
        key = (g, s) if ground_block < space_block else (s, g)
        out[key] = (r["m"][a:b], r["dist"][a:b])
    return out


def pair_tracks(cursor, plan: PairPlan, types: Sequence[str], origin, end):
    """Tracks and ground-space qualifying steps from the pair rows alone.

    Returns
    -------
    tracks : list of dict
        Per block, ``type -> [Track per member]``: each space member at the minutes it is
        within its block's limit (plus a margin) of some ground member, each ground member at
        the minutes of its rows.
    qualified : dict
        ``type -> {(ground block, space block) in index order: {member pair: (steps, km)}}``,
        the ``qualified`` argument of :func:`find_conjunctions` (which measures the
        space-space pairs itself).
    """
    ground_ids = np.asarray(plan.ground_ids, dtype=np.int64)
    tracks: list[dict] = [{} for _ in range(1 + len(plan.space))]
    qualified: dict = {}
    for t in types:
        g_parts = []
        qualified[t] = {}
        for b, ids, limit in plan.space:
            ids = np.asarray(ids, dtype=np.int64)
            r = _indexed(
                _read(cursor, _KIND[t], ground_ids, ids, origin, end, limit), ground_ids, ids
            )
            tracks[b][t] = _tracks(r["s"], r["m"], r["slat"], r["slon"], len(ids))
            g_parts.append((r["g"], r["m"], r["glat"], r["glon"]))
            first = _ground_first(len(ground_ids), len(ids), plan.ground, b)
            key = (min(plan.ground, b), max(plan.ground, b))
            qualified[t][key] = _qualified(_exact(r, limit, first), plan.ground, b)
        g, m, lat, lon = (np.concatenate(parts) for parts in zip(*g_parts, strict=True))
        tracks[plan.ground][t] = _tracks(g, m, lat, lon, len(ground_ids))
    return tracks, qualified


def restrict_qualified(qualified: dict, block: int, block_tracks: dict) -> None:
    """Keep, in place, only the qualifying steps where ``block``'s member has a track step
    (after its tracks were re-read through its filters)."""
    for t, by_pair in qualified.items():
        for (i, j), members in by_pair.items():
            if block not in (i, j):
                continue
            side = 0 if block == i else 1
            for key, (steps, dist) in list(members.items()):
                keep = _present(block_tracks[t][key[side]].steps, steps)
                if keep.all():
                    continue
                if keep.any():
                    members[key] = (steps[keep], dist[keep])
                else:
                    del members[key]


def candidate_minutes(block_tracks: dict, ids: Sequence[int], origin) -> pa.Table:
    """``(data_source, epoch)`` of every minute in a block's tracks (any type), to read its
    records there through its filters (``compile_ephemeris_sql(kind="candidates")``)."""
    ids = np.asarray(ids, dtype=np.int64)
    parts = [
        (np.full(len(tr), ids[k]), tr.steps)
        for trs in block_tracks.values()
        for k, tr in enumerate(trs)
        if len(tr)
    ]
    if parts:
        ds = np.concatenate([p[0] for p in parts])
        m = np.concatenate([p[1] for p in parts])
        span = int(m.max()) + 1
        ds, m = np.divmod(np.unique(ds * span + m), span)
    else:
        ds = m = np.empty(0, dtype=np.int64)
    origin_us = int(np.datetime64(origin.to_datetime64(), "us").astype(np.int64))
    epoch = origin_us + m * _US_PER_MIN
    return pa.table(
        {
            "data_source": pa.array(ds.astype(np.int32)),
            "epoch": pa.array(epoch, type=pa.timestamp("us")),
        }
    )
