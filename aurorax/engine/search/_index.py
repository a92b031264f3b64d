"""Pruning a conjunction search with the store's ephemeris index, before any minute is read.

The index (``ephemeris_index``, see ``aurorax/engine/store/_index.py``) has one row per data
source and bin (60 minutes for ground sources, 10 for the others) with the record count and the
box of the bin's locations in unit-vector coordinates ``x, y, z``. For two points ``p, q`` on
the unit sphere at great-circle angle ``theta``, ``|p - q| = 2 sin(theta / 2)``, and ``|p - q|``
is at least the distance between any two axis-aligned boxes holding them. So a pair of bins
whose boxes are farther apart than ``2 sin(d / 2R)`` holds no pair of footprints within ``d`` km:
exact at the poles and across the dateline, where latitude/longitude boxes are not.

For each conjunction type, a bin of a block is *needed* when, for every constrained pair the
block is in, some bin of the other block (at an overlapping time) or some custom location is
within the distance; unconstrained blocks need every bin. Since a conjunction needs one member
of every block at the same minute, only the times covered by needed bins of every block are
*live*; a block keeps its needed bins that overlap live time, over any type. Only the kept bins'
minutes are read (by a join on ``(data_source, slot)``), and the driver choice and the source
boxes of the minute-level prefilter (``_load.candidate_pairs``) come from the kept rows.

Everything is conservative: the index counts records whatever the metadata filter, and a box
holds every location of its bin, so no true conjunction is pruned (the search returns exactly
what a full scan returns). Only 60 s searches are pruned (30 s interpolates across minutes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from aurorax.geo import EARTH_RADIUS_KM, FOOTPRINT_ALTITUDE_KM

__all__ = [
    "IndexRows",
    "index_available",
    "read_index",
    "keep_masks",
    "slot_minutes",
    "slots_table",
    "stats_table",
]

_INDEX_TABLE = "ephemeris_index"
_PREFIX = {"geographic": "geo", "nbtrace": "nbtrace", "sbtrace": "sbtrace"}
_SPHERE_KM = EARTH_RADIUS_KM + FOOTPRINT_ALTITUDE_KM
_CHUNK_PAIRS = 2_000_000  # bin pairs compared at once (bounds the memory of the cross product)
_REL_PAD = 1e-9  # float margin: a footprint at exactly the maximum distance is never pruned
_US_PER_MIN = 60_000_000


@dataclass(frozen=True, eq=False)
class IndexRows:
    """The index rows of one block: minutes since ``base`` (a whole hour) and bounds per type.

    ``box[t]`` is ``(rows, 6)``: x min/max, y min/max, z min/max (NaN: no location of type t);
    ``latlon[t]`` is ``(rows, 4)``: lat min/max, lon min/max.
    """

    base: pd.Timestamp
    ds: np.ndarray
    bin: np.ndarray
    w: np.ndarray
    n: np.ndarray
    box: dict
    latlon: dict

    def __len__(self) -> int:
        return int(self.ds.size)


def index_available(cursor) -> bool:
    """Whether this store has the ephemeris index next to a base ``ephemeris`` table (not, e.g.,
    a version-1 file opened read-only or ephemeris served by a view)."""
    names = {
        row[0]
        for row in cursor.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name IN (?, ?)",
            ["ephemeris", _INDEX_TABLE],
        ).fetchall()
    }
    return names == {"ephemeris", _INDEX_TABLE}


def read_index(
    cursor, ids: Sequence[int], origin: pd.Timestamp, end: pd.Timestamp, types: Sequence[str]
) -> IndexRows:
    """The index rows of sources ``ids`` whose bins overlap ``[origin, end)``."""
    base = origin.floor("h")
    cols = []
    for t in types:
        p = _PREFIX[t]
        cols += [f"{p}_{a}_{m}" for a in ("x", "y", "z") for m in ("min", "max")]
        cols += [f"{p}_{a}_{m}" for a in ("lat", "lon") for m in ("min", "max")]
    marks = ", ".join("?" for _ in ids)
    sql = (
        "SELECT data_source, (epoch_us(bin) - ?) // 60000000 AS m, bin_minutes, n, "
        + ", ".join(cols)
        + f" FROM {_INDEX_TABLE} WHERE data_source IN ({marks}) AND bin >= ? AND bin < ?"
    )
    base_us = int(np.datetime64(base.to_datetime64(), "us").astype(np.int64))
    table = cursor.sql(
        sql, params=[base_us, *map(int, ids), base.to_pydatetime(), end.to_pydatetime()]
    ).to_arrow_table()
    data = {
        name: table.column(name).to_numpy()
        if name in ("data_source", "m", "bin_minutes", "n")
        else pc.fill_null(table.column(name), np.nan).to_numpy()
        for name in table.column_names
    }
    m = np.asarray(data["m"], dtype=np.int64)
    w = np.asarray(data["bin_minutes"], dtype=np.int64)
    origin_min = int((origin - base) / pd.Timedelta(minutes=1))
    inside = m + w > origin_min  # bins ending at or before the window start are out

    def col(name):
        return np.asarray(data[name], dtype=np.float64)[inside]

    box, latlon = {}, {}
    for t in types:
        p = _PREFIX[t]
        box[t] = np.column_stack(
            [col(f"{p}_{a}_{k}") for a in ("x", "y", "z") for k in ("min", "max")]
        )
        latlon[t] = np.column_stack(
            [col(f"{p}_{a}_{k}") for a in ("lat", "lon") for k in ("min", "max")]
        )
    return IndexRows(
        base=base,
        ds=np.asarray(data["data_source"], dtype=np.int64)[inside],
        bin=m[inside],
        w=w[inside],
        n=np.asarray(data["n"], dtype=np.int64)[inside],
        box=box,
        latlon=latlon,
    )


def _chord(limit_km: float) -> float:
    """Largest chord (unit sphere) of two points within ``limit_km``, padded for rounding."""
    angle = limit_km / _SPHERE_KM * (1 + _REL_PAD) + 1e-12
    return 2.0 * math.sin(min(angle, math.pi) / 2.0) * (1 + _REL_PAD) + 1e-12


def _gap2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared distance between boxes ``a`` and ``b`` (rows of x/y/z min/max; NaN -> NaN)."""
    d2 = np.zeros(np.broadcast_shapes(a.shape[:-1], b.shape[:-1]))
    for k in range(3):
        lo, hi = 2 * k, 2 * k + 1
        gap = np.maximum(np.maximum(a[..., lo] - b[..., hi], b[..., lo] - a[..., hi]), 0.0)
        d2 = d2 + gap * gap
    return d2


def _near_hours(rows: np.ndarray, hours: np.ndarray, box: np.ndarray, o_hours, o_box, c2):
    """Of ``rows`` (at ``hours``), those within ``c2`` (squared chord) of the union box of the
    other block's rows in the same hour (``o_hours`` sorted; NaN boxes are no location)."""
    if not rows.size or not o_hours.size:
        return rows[:0]
    uniq, first = np.unique(o_hours, return_index=True)
    union = np.empty((uniq.size, 6))
    union[:, 0::2] = np.fmin.reduceat(o_box[:, 0::2], first, axis=0)
    union[:, 1::2] = np.fmax.reduceat(o_box[:, 1::2], first, axis=0)
    pos = np.minimum(np.searchsorted(uniq, hours), uniq.size - 1)
    same = uniq[pos] == hours
    near = np.zeros(rows.size, bool)
    near[same] = _gap2(box[same], union[pos[same]]) <= c2
    return rows[near]


def _pair_hits(a: IndexRows, b: IndexRows, t: str, chord: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``a`` and of ``b`` that have a row of the other block at an overlapping time
    with boxes within ``chord``."""
    hit_a = np.zeros(len(a), bool)
    hit_b = np.zeros(len(b), bool)
    c2 = chord * chord
    # Rows far from everything of the other block in their hour (bins never cross an hour)
    # are out before the pairwise comparison.
    ia = np.flatnonzero(~np.isnan(a.box[t][:, 0]))
    ib = np.flatnonzero(~np.isnan(b.box[t][:, 0]))
    ha, hb = a.bin[ia] // 60, b.bin[ib] // 60
    order = np.argsort(hb, kind="stable")
    ib, hb = ib[order], hb[order]
    order = np.argsort(ha, kind="stable")
    ia, ha = ia[order], ha[order]
    ia_near = _near_hours(ia, ha, a.box[t][ia], hb, b.box[t][ib], c2)
    ib = _near_hours(ib, hb, b.box[t][ib], ha, a.box[t][ia], c2)
    ia = ia_near
    if not ia.size or not ib.size:
        return hit_a, hit_b
    ha, hb = a.bin[ia] // 60, b.bin[ib] // 60
    lo = np.searchsorted(hb, ha, side="left")
    cnt = np.searchsorted(hb, ha, side="right") - lo
    ends = np.cumsum(cnt)
    cuts = np.searchsorted(ends, np.arange(_CHUNK_PAIRS, int(ends[-1]), _CHUNK_PAIRS))
    for s, e in zip(np.r_[0, cuts], np.r_[cuts, ia.size], strict=True):
        c = cnt[s:e]
        total = int(c.sum())
        if not total:
            continue
        ra = np.repeat(np.arange(s, e), c)
        rb = np.repeat(lo[s:e] - (np.cumsum(c) - c), c) + np.arange(total)
        pa_, pb_ = ia[ra], ib[rb]
        ok = (a.bin[pa_] < b.bin[pb_] + b.w[pb_]) & (b.bin[pb_] < a.bin[pa_] + a.w[pa_])
        pa_, pb_ = pa_[ok], pb_[ok]
        ok = _gap2(a.box[t][pa_], b.box[t][pb_]) <= c2
        hit_a[pa_[ok]] = True
        hit_b[pb_[ok]] = True
    return hit_a, hit_b


def _point_hits(a: IndexRows, points: Sequence[tuple[float, float]], t: str, chord: float):
    """Rows of ``a`` within ``chord`` of some custom location."""
    hit = np.zeros(len(a), bool)
    for lat, lon in points:
        rl, rn = math.radians(lat), math.radians(lon)
        x, y, z = math.cos(rl) * math.cos(rn), math.cos(rl) * math.sin(rn), math.sin(rl)
        hit |= _gap2(a.box[t], np.array([x, x, y, y, z, z])) <= chord * chord
    return hit


def _coverage(rows: IndexRows, mask: np.ndarray, g: int, n_slots: int) -> np.ndarray:
    """Slots of ``g`` minutes covered by the masked rows."""
    cov = np.zeros(n_slots, bool)
    first = rows.bin[mask] // g
    k = rows.w[mask] // g
    if first.size:
        cov[np.repeat(first, k) + np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)] = True
    return cov


def keep_masks(
    blocks: Sequence[IndexRows | Sequence[tuple[float, float]]],
    limits: Mapping[tuple[int, int], float | None],
    types: Sequence[str],
) -> list[np.ndarray | None]:
    """Per block, the index rows to read (None for a custom-locations block).

    Parameters
    ----------
    blocks
        :class:`IndexRows` of each data-source block, or the ``(lat, lon)`` list of a custom
        locations block (present at every minute).
    limits
        ``{(i, j): max distance km or None}`` for every pair of blocks.
    types
        The conjunction types.
    """
    rows = {b: x for b, x in enumerate(blocks) if isinstance(x, IndexRows)}
    keep = {b: np.zeros(len(x), bool) for b, x in rows.items()}
    g = slot_minutes(list(rows.values()))
    n_slots = 1 + max([int(((x.bin + x.w) // g).max()) for x in rows.values() if len(x)] + [0])
    for t in types:
        need = {b: np.ones(len(x), bool) for b, x in rows.items()}
        for (i, j), lim in limits.items():
            if lim is None:
                continue
            chord = _chord(lim)
            if i in rows and j in rows:
                hi, hj = _pair_hits(rows[i], rows[j], t, chord)
                need[i] &= hi
                need[j] &= hj
            elif i in rows:
                need[i] &= _point_hits(rows[i], blocks[j], t, chord)
            elif j in rows:
                need[j] &= _point_hits(rows[j], blocks[i], t, chord)
        live = np.ones(n_slots, bool)
        for b, x in rows.items():
            live &= _coverage(x, need[b], g, n_slots)
        csum = np.r_[0, np.cumsum(live)]
        for b, x in rows.items():
            overlaps = csum[(x.bin + x.w) // g] - csum[x.bin // g] > 0
            keep[b] |= need[b] & overlaps
    return [keep.get(b) for b in range(len(blocks))]


def slots_table(rows: IndexRows, mask: np.ndarray, g: int = 10) -> pa.Table:
    """``(data_source, slot)`` of every ``g``-minute slot of the kept rows (``g`` divides
    every bin width), for the ``slots`` load of ``compile_ephemeris_sql``."""
    ds, first, w = rows.ds[mask], rows.bin[mask], rows.w[mask]
    k = w // g
    total = int(k.sum())
    slot = np.repeat(first, k) + g * (np.arange(total) - np.repeat(np.cumsum(k) - k, k))
    base_us = int(np.datetime64(rows.base.to_datetime64(), "us").astype(np.int64))
    return pa.table(
        {
            "data_source": pa.array(np.repeat(ds, k).astype(np.int32)),
            "slot": pa.array(base_us + slot * _US_PER_MIN, type=pa.timestamp("us")),
        }
    )


def slot_minutes(blocks: Sequence[IndexRows]) -> int:
    """The slot size (minutes) that divides every bin width of these blocks."""
    widths = np.concatenate([x.w for x in blocks] + [np.array([60])])
    return int(np.gcd.reduce(widths))


def stats_table(rows: IndexRows, mask: np.ndarray, types: Sequence[str]) -> pa.Table:
    """Per source of the kept rows: records ``n`` and the lat/lon bounds per type, in the
    shape of the ``stats`` query (for ``_load.SourceStats``). An upper bound of the filtered
    block's rows and a box holding its locations."""
    ds = rows.ds[mask]
    ids, inverse = np.unique(ds, return_inverse=True)
    out = {"data_source": pa.array(ids.astype(np.int32)), "n": None}
    n = np.zeros(ids.size, np.int64)
    np.add.at(n, inverse, rows.n[mask])
    out["n"] = pa.array(n)
    for t in types:
        ll = rows.latlon[t][mask]
        for c, name, fill, reduce in (
            (0, "lat_min", np.inf, np.minimum),
            (1, "lat_max", -np.inf, np.maximum),
            (2, "lon_min", np.inf, np.minimum),
            (3, "lon_max", -np.inf, np.maximum),
        ):
            acc = np.full(ids.size, fill)
            vals = ll[:, c]
            ok = ~np.isnan(vals)
            reduce.at(acc, inverse[ok], vals[ok])
            out[f"{name}_{t}"] = pa.array(acc, mask=~np.isfinite(acc))
    return pa.table(out)
