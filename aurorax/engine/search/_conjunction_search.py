"""Conjunction search against a Repository: match data sources, load tracks, run the algorithm.

Pipeline (see ``docs/search.md``):

1. Each criteria block is matched to data sources (case-insensitive; unknown program, platform or
   instrument type values are errors that list what exists).
2. Parametrised SQL per block (built by the pure :func:`compile_ephemeris_sql`) pulls only
   ``data_source``, ``epoch`` and the location columns of the requested conjunction types, for the
   matched sources, the time range, the metadata filter and the hemisphere; blocks constrained
   against the smallest block are read only near its footprints (``_search_load``).
3. The rows become one sparse :class:`Track` per member; :func:`find_conjunctions` does the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..store import ValidationError
from ._algorithm import Track, find_conjunctions, interpolate_half_steps
from ._filters import compile_metadata_filter
from ._index import index_available, keep_masks, read_index, slot_minutes, slots_table, stats_table
from ._load import (
    CANDIDATES_TABLE,
    SLOTS_TABLE,
    SourceStats,
    candidate_pairs,
    compile_ephemeris_sql,
    tracks_from_table,
)
from ._pairs import (
    candidate_minutes,
    pair_search,
    pair_tracks,
    pairs_available,
    plan_pairs,
    restrict_qualified,
)
from ._query import ConjunctionQuery
from ._result import ConjunctionResult, Member

__all__ = [
    "SOURCE_TYPES_BY_BLOCK",
    "match_data_sources",
    "merged_schema",
    "search_conjunctions",
]

SOURCE_TYPES_BY_BLOCK = {
    "ground": ("ground",),
    "space": ("leo", "heo", "lunar"),
    "events": ("event_list",),
    "any": ("ground", "leo", "heo", "lunar", "event_list", "not_applicable"),
}


def _known(sources, attr: str) -> list[str]:
    return sorted({getattr(s, attr) for s in sources})


def match_data_sources(block, all_sources: Sequence, where: str, block_kind: str) -> list:
    """The data sources a criteria block selects (OR within a field, AND across fields).

    Raises
    ------
    ValidationError
        When a listed program, platform or instrument type exists for no data source of the
        block's kind; the message lists the values that do exist.
    """
    kinds = SOURCE_TYPES_BY_BLOCK[block_kind]
    candidates = [s for s in all_sources if s.source_type in kinds]
    listed = any(getattr(block, f) for f in ("programs", "platforms", "instrument_types"))
    if not candidates and listed and block_kind != "any":
        noun = {"events": "event", "space": "space"}.get(block_kind, block_kind)
        raise ValidationError(
            f"{where}: no {noun} data sources match this block: the repository has no data "
            f"source of type {', '.join(kinds)}"
        )
    for field_name, attr in (
        ("programs", "program"),
        ("platforms", "platform"),
        ("instrument_types", "instrument_type"),
    ):
        wanted = getattr(block, field_name)
        known = {v.lower() for v in _known(candidates, attr)}
        for value in wanted:
            if value.lower() in known:
                continue
            elsewhere = sorted(
                {s.source_type for s in all_sources if getattr(s, attr).lower() == value.lower()}
            )
            hint = f" (it exists for {', '.join(elsewhere)} data sources)" if elsewhere else ""
            article = "an" if block_kind[0] in "aeiou" else "a"
            scope = "" if block_kind == "any" else f" for {article} {block_kind} block"
            raise ValidationError(
                f"{where}.{field_name}: unknown {attr} {value!r}{scope}{hint}; "
                f"known: {', '.join(_known(candidates, attr)) or '(none)'}"
            )
        if wanted:
            lowered = {v.lower() for v in wanted}
            candidates = [s for s in candidates if getattr(s, attr).lower() in lowered]
    return sorted(candidates, key=lambda s: s.identifier)


def merged_schema(sources: Sequence, where: str, kind: str = "ephemeris") -> dict[str, str]:
    """``field_name -> data_type`` over the sources' metadata schemas (conflicting types fail)."""
    types: dict[str, str] = {}
    owner: dict[str, str] = {}
    for s in sources:
        for f in getattr(s, f"{kind}_metadata_schema"):
            if f.field_name in types and types[f.field_name] != f.data_type:
                raise ValidationError(
                    f"{where}: metadata key {f.field_name!r} is {types[f.field_name]} for "
                    f"{owner[f.field_name]} but {f.data_type} for {s.display_name}; filter the "
                    "two sources in separate blocks"
                )
            types[f.field_name] = f.data_type
            owner[f.field_name] = s.display_name
    return types


def merged_allowed_values(sources: Sequence, kind: str = "ephemeris") -> dict[str, tuple]:
    """``field_name -> allowed values`` over the sources' schemas: the union of the lists, for
    the fields every declaring source restricts (one source that allows anything lifts it)."""
    allowed: dict[str, list] = {}
    free: set[str] = set()
    for s in sources:
        for f in getattr(s, f"{kind}_metadata_schema"):
            if not f.allowed_values:
                free.add(f.field_name)
            else:
                known = allowed.setdefault(f.field_name, [])
                known.extend(v for v in f.allowed_values if v not in known)
    return {name: tuple(values) for name, values in allowed.items() if name not in free}


@dataclass(frozen=True)
class _Grid:
    origin: pd.Timestamp  # first whole minute at or after the query start
    n_minutes: int
    step_s: int
    n_steps: int


def _grid(query: ConjunctionQuery) -> _Grid:
    origin = query.start.ceil("min")
    span_s = (query.end - origin).total_seconds()
    n_minutes = max(0, int(np.ceil(span_s / 60.0)))
    step = query.epoch_search_precision
    n_steps = max(0, int(np.ceil(span_s / step)))
    return _Grid(origin, n_minutes, step, n_steps)


def search_conjunctions(repository, query: ConjunctionQuery | Mapping) -> ConjunctionResult:
    """Run a conjunction search.

    Parameters
    ----------
    repository : Repository
        An open :class:`aurorax.engine.Repository` (read-only is enough).
    query : ConjunctionQuery or dict
        The query, or AuroraX's JSON body (passed to :meth:`ConjunctionQuery.from_json`).

    Returns
    -------
    ConjunctionResult
        The conjunctions, sorted by start time (see ``ConjunctionResult.COLUMNS``).

    Raises
    ------
    ValidationError
        For a query that names unknown programs/platforms/instrument types, unknown metadata keys,
        operators the key's type does not allow, or values of the wrong type.
    """
    if isinstance(query, Mapping):
        query = ConjunctionQuery.from_json(query)
    if not isinstance(query, ConjunctionQuery):
        raise ValidationError(
            f"query: expected ConjunctionQuery or dict, got {type(query).__name__}"
        )
    grid = _grid(query)
    types = query.conjunction_types
    limits = query.pair_limits()
    block_members, block_tracks, notes, raw, qualified = _load_blocks(
        repository, query, grid, limits
    )
    if raw is None:  # not answered from the pair table: run the algorithm on the tracks
        block_tracks, raw = _run(query, grid, limits, block_tracks, qualified)
    return ConjunctionResult.from_raw(
        query=query,
        origin=grid.origin,
        step_s=grid.step_s,
        members=block_members,
        raw=raw,
        tracks={t: [bt[t] for bt in block_tracks] for t in types},
        limits=limits,
        notes=tuple(notes),
    )


def _run(query: ConjunctionQuery, grid: _Grid, limits: dict, block_tracks: list, qualified):
    """``(tracks, {type: RawConjunctions})``: the tracks on the search grid (re-gridded to
    30 s steps when asked) and the conjunctions :func:`find_conjunctions` finds on them
    (``qualified``: ``type ->`` pairs' qualifying steps known from the pair table, or None)."""
    types = query.conjunction_types
    if grid.step_s == 30:
        block_tracks = [
            {t: [interpolate_half_steps(tr) for tr in trs] for t, trs in bt.items()}
            for bt in block_tracks
        ]
        # Custom locations exist at every step, including the half minutes.
        steps = np.arange(grid.n_steps, dtype=np.int64)
        for b, block in enumerate(query.blocks):
            if getattr(block, "locations", None):
                block_tracks[b] = {
                    t: [
                        Track(steps, np.full(steps.size, lat), np.full(steps.size, lon))
                        for lat, lon in block.locations
                    ]
                    for t in types
                }

    raw = {}
    for t in types:
        blocks = [bt[t] for bt in block_tracks]
        known = (qualified or {}).get(t)
        raw[t] = find_conjunctions(blocks, limits, known) if grid.n_steps else None
    return block_tracks, raw


def _load_blocks(repository, query: ConjunctionQuery, grid: _Grid, limits: dict):
    """Members, tracks and notes of every block (see ``_load`` for the two-phase prefilter),
    the conjunctions when the pair table answered the search (else None), and the ground-space
    pairs' qualifying steps when it gave those (else None)."""
    types = query.conjunction_types
    all_sources = repository.list_data_sources()
    end = min(query.end, grid.origin + pd.Timedelta(minutes=grid.n_minutes))
    members: list[list[Member]] = []
    tracks: list[dict | None] = []
    specs: dict[int, tuple] = {}
    notes: list[str] = []
    for b, (name, block) in enumerate(zip(query.block_names, query.blocks, strict=True)):
        kind = name.rstrip("0123456789")
        if kind == "adhoc":
            members.append(
                [
                    Member(name, f"custom location {lat:g}/{lon:g}", None, None)
                    for lat, lon in block.locations
                ]
            )
            steps = np.arange(grid.n_minutes, dtype=np.int64)
            tracks.append(
                {
                    t: [
                        Track(steps, np.full(steps.size, lat), np.full(steps.size, lon))
                        for lat, lon in block.locations
                    ]
                    for t in types
                }
            )
            continue
        sources = match_data_sources(block, all_sources, name, kind)
        members.append([Member(name, s.display_name, s.identifier, s) for s in sources])
        if not sources:
            notes.append(f"{name} matched no data source ({block.describe()})")
            tracks.append({t: [] for t in types})
            continue
        schema = merged_schema(sources, f"{name}.ephemeris_metadata_filters")
        meta_sql, meta_params = compile_metadata_filter(
            block.metadata_filter,
            schema,
            where=f"{name}.ephemeris_metadata_filters",
            allowed_values=merged_allowed_values(sources),
        )
        ids = [s.identifier for s in sources]
        args = (
            ids,
            grid.origin,
            end,
            types,
            meta_sql,
            meta_params,
            getattr(block, "hemisphere", ()),
        )
        specs[b] = (ids, args)
        tracks.append(None)

    cursor = repository.cursor()
    try:
        kinds = [name.rstrip("0123456789") for name in query.block_names]
        filtered = {
            b: args[4] != "TRUE" or len(set(args[6])) == 1 for b, (_, args) in specs.items()
        }
        plan = plan_pairs(kinds, {b: ids for b, (ids, _) in specs.items()}, filtered, limits)
        if grid.step_s != 60 or grid.n_minutes == 0:
            plan = None
        if plan is not None and pairs_available(cursor):
            if len(plan.space) == 1 and not plan.filtered:  # the conjunctions from the pairs
                raw, tracks = pair_search(cursor, plan, types, grid.origin, end)
                return members, tracks, notes, raw, None
            tracks, qualified = pair_tracks(cursor, plan, types, grid.origin, end)
            for b in plan.filtered:  # the records of those minutes that pass the filters
                ids, args = specs[b]
                cand = candidate_minutes(tracks[b], ids, grid.origin)
                table = _read_registered(cursor, CANDIDATES_TABLE, cand, args, "candidates")
                tracks[b] = tracks_from_table(table, ids, types, grid.origin)
                restrict_qualified(qualified, b, tracks[b])
            return members, tracks, notes, None, qualified
        kept = _index_prune(cursor, query, specs, limits, grid, end)
        if kept is None:
            driver = _pick_driver(cursor, specs, limits, grid, types)
        else:
            driver = _pick_driver_from_index(kept, specs, limits, types)
        order = sorted(specs, key=lambda b: b != (driver[0] if driver else -1))
        for b in order:
            ids, args = specs[b]
            cand = None
            if driver is not None and b != driver[0]:
                lim = limits[(min(b, driver[0]), max(b, driver[0]))]
                if lim is not None:
                    cand = candidate_pairs(tracks[driver[0]], driver[1][b], ids, lim, grid.origin)
            if cand is not None:
                table = _read_registered(cursor, CANDIDATES_TABLE, cand, args, "candidates")
            elif kept is not None and b in kept:
                rows, mask, g = kept[b]
                table = _read_registered(
                    cursor, SLOTS_TABLE, slots_table(rows, mask, g), args, "slots", g
                )
            else:
                sql, params = compile_ephemeris_sql(*args, kind="rows")
                table = cursor.sql(sql, params=params).to_arrow_table()
            tracks[b] = tracks_from_table(table, ids, types, grid.origin)
    finally:
        cursor.close()
    return members, tracks, notes, None, None


def _read_registered(cursor, name: str, table, args, kind: str, slot_min: int = 10):
    """A block's rows restricted by a registered Arrow table (candidate minutes or slots)."""
    cursor.register(name, table)
    try:
        sql, params = compile_ephemeris_sql(*args, kind=kind, slot_minutes=slot_min)
        return cursor.sql(sql, params=params).to_arrow_table()
    finally:
        cursor.unregister(name)


def _index_prune(cursor, query: ConjunctionQuery, specs: dict, limits: dict, grid: _Grid, end):
    """``{block: (IndexRows, kept mask, slot minutes)}`` from the ephemeris index, or None
    where the index does not apply (no index, 30 s precision, no constrained pair)."""
    if grid.step_s != 60 or not specs or not any(v is not None for v in limits.values()):
        return None
    if grid.n_minutes == 0 or not index_available(cursor):
        return None
    types = query.conjunction_types
    blocks = []
    for b, block in enumerate(query.blocks):
        if b in specs:
            blocks.append(read_index(cursor, specs[b][0], grid.origin, end, types))
        else:
            blocks.append(list(block.locations))
    masks = keep_masks(blocks, limits, types)
    g = slot_minutes([blocks[b] for b in specs])
    return {b: (blocks[b], masks[b], g) for b in specs}


def _pick_driver_from_index(kept: dict, specs: dict, limits: dict, types):
    """Like :func:`_pick_driver`, from the kept index rows (upper bounds of the rows read)."""
    if len(specs) < 2:
        return None
    constrained = {b for pair, lim in limits.items() if lim is not None for b in pair}
    candidates = [b for b in specs if b in constrained]
    if not candidates:
        return None
    stats = {
        b: SourceStats(stats_table(rows, mask, types), types) for b, (rows, mask, _) in kept.items()
    }
    driver = min(candidates, key=lambda b: stats[b].total)
    return driver, stats


def _pick_driver(cursor, specs: dict, limits: dict, grid: _Grid, types):
    """``(block index, {block: SourceStats})`` of the block to load whole, or None.

    Only 60 s searches are prefiltered: at 30 s the interpolated half minutes need the
    neighbouring records too.
    """
    if grid.step_s != 60 or len(specs) < 2:
        return None
    constrained = {b for pair, lim in limits.items() if lim is not None for b in pair}
    if not constrained & set(specs):
        return None
    stats = {}
    for b, (_, args) in specs.items():
        sql, params = compile_ephemeris_sql(*args, kind="stats")
        stats[b] = SourceStats(cursor.sql(sql, params=params).to_arrow_table(), types)
    candidates = [b for b in specs if b in constrained]
    driver = min(candidates, key=lambda b: stats[b].total)
    return driver, stats
