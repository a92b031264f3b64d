"""A long conjunction search split by time: chunks searched apart (here or on a Dask cluster),
then merged so that the result is the one the unsplit search returns.

Why the merge is exact (60 s steps; see ``_algorithm``): whether a combination of members
qualifies at a step depends on the records at that step only, so a chunk ``[a, b)`` whose edges
are whole minutes finds exactly the unsplit search's qualifying steps inside it. An unsplit
conjunction crossing the edge ``b`` is therefore cut into a piece ending at ``b - 1 min`` (the
chunk's last step) and a piece of the same combination starting at ``b``; nothing else touches
the edge. Joining such pieces gives back the interval; its extremes are the extremes of the
pieces' extremes, ``closest``/``farthest`` the earlier piece's on ties (the engine's "first on
ties"), and each pair's sub-conjunction runs from the first piece that has it to the last.

At 30 s steps the half minute before an edge interpolates between records on both sides of it,
so such searches are not split (``ValidationError``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..store import ValidationError, open_repository
from ._algorithm import Track
from ._conjunction_search import search_conjunctions
from ._query import ConjunctionQuery
from ._result import EVENTS_DTYPE, ConjunctionResult, gc_paused

__all__ = ["split_time_range", "search_conjunctions_split"]


def split_time_range(start, end, chunk="month") -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Cut ``[start, end)`` into consecutive chunks whose inner edges are whole UTC minutes.

    Parameters
    ----------
    start, end : pandas.Timestamp
        Naive-UTC window (as :class:`ConjunctionQuery` holds it).
    chunk : "month", str, pandas.Timedelta or sequence of times
        ``"month"``: edges at the first of each UTC month (the Parquet export's partitions); a
        duration (``"7D"``, ``pd.Timedelta(hours=6)``, a whole number of minutes): edges every
        ``chunk`` from the first whole minute at or after ``start``; a sequence: these edges
        (each a whole minute; those outside ``(start, end)`` are ignored).

    Returns
    -------
    list of (start, end)
        Half-open windows covering ``[start, end)`` in order.
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    origin = start.ceil("min")
    if isinstance(chunk, str) and chunk == "month":
        edges = list(pd.date_range(origin.floor("D").replace(day=1), end, freq="MS"))
    elif isinstance(chunk, str | pd.Timedelta) or hasattr(chunk, "total_seconds"):
        step = pd.Timedelta(chunk)
        if step <= pd.Timedelta(0) or step % pd.Timedelta(minutes=1) != pd.Timedelta(0):
            raise ValidationError(f"chunk: must be a positive whole number of minutes, got {chunk}")
        n = math.ceil((end - origin) / step)
        edges = [origin + k * step for k in range(1, max(n, 1))]
    else:
        edges = sorted(
            pd.Timestamp(e).tz_localize(None) if pd.Timestamp(e).tzinfo else pd.Timestamp(e)
            for e in chunk
        )
        bad = [e for e in edges if e != e.floor("min")]
        if bad:
            raise ValidationError(f"chunk: edge {bad[0].isoformat()} is not a whole minute")
    inner = sorted({e for e in edges if origin < e < end})
    bounds = [start, *inner, end]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _location(repository) -> str:
    if isinstance(repository, str | Path):
        return str(repository)
    path = getattr(repository, "path", None)
    if path is None or str(path) == ":memory:":
        raise ValidationError(
            "repository: a search on a Dask cluster needs a repository the workers can open "
            "(a DuckDB file, a Parquet export directory or URL), not an in-memory one"
        )
    return str(path)


def _search_chunk(location: str, query: ConjunctionQuery) -> ConjunctionResult:
    """One chunk, on a worker: open the repository read-only, search, close."""
    with open_repository(location) as repo:
        return search_conjunctions(repo, query)


def search_conjunctions_split(
    repository, query: ConjunctionQuery | Mapping, chunk="month", scheduler: str | None = None
) -> ConjunctionResult:
    """Run a conjunction search in time chunks and merge them into the unsplit result.

    Parameters
    ----------
    repository : Repository, ParquetRepository, str or path
        An open repository, or the location of one (DuckDB file, Parquet export directory or
        object-store URL). With ``scheduler`` each worker opens the location itself, so it must
        be readable at the same path or URL on every worker.
    query : ConjunctionQuery or dict
        The search (AuroraX's JSON body is accepted), with 60 s steps.
    chunk : "month", duration or sequence of edges
        How to cut the window (see :func:`split_time_range`).
    scheduler : str, optional
        Address of a Dask ``distributed`` scheduler (``tcp://host:8786``): chunks run on its
        workers. ``None``: one after the other in this process.

    Returns
    -------
    ConjunctionResult
        Equal to ``search_conjunctions(repository, query)``: the same rows in the same order,
        per-minute series and AuroraX JSON included.

    Raises
    ------
    ValidationError
        For an invalid query, a 30 s search cut into several chunks, or an in-memory repository
        with ``scheduler``.
    """
    if isinstance(query, Mapping):
        query = ConjunctionQuery.from_json(query)
    if not isinstance(query, ConjunctionQuery):
        raise ValidationError(
            f"query: expected ConjunctionQuery or dict, got {type(query).__name__}"
        )
    windows = split_time_range(query.start, query.end, chunk)
    if len(windows) > 1 and query.epoch_search_precision != 60:
        raise ValidationError(
            "epoch_search_precision: a search split by time needs 60 s steps (a 30 s step "
            "before a chunk edge interpolates between records on both sides of it); run it "
            "unsplit"
        )
    queries = [replace(query, start=a, end=b) for a, b in windows]
    if scheduler:
        from distributed import Client

        location = _location(repository)
        with Client(scheduler, timeout="30s") as client:
            futures = client.map(_search_chunk, [location] * len(queries), queries, pure=False)
            parts = client.gather(futures)
    elif isinstance(repository, str | Path):
        with open_repository(repository) as repo:
            parts = [search_conjunctions(repo, q) for q in queries]
    else:
        parts = [search_conjunctions(repository, q) for q in queries]
    return merge_chunk_results(query, parts)


def _earlier_wins(a_val: float, b_val: float, smaller: bool) -> bool:
    """Whether piece A's extreme stands (first on ties; a NaN extreme never wins)."""
    if math.isnan(b_val):
        return True
    if math.isnan(a_val):
        return False
    return a_val <= b_val if smaller else a_val >= b_val


def _merge_events(a: list, b: list, pair_order: list[str]) -> list:
    by_a = {e["blocks"]: e for e in a}
    by_b = {e["blocks"]: e for e in b}
    out = []
    for blocks in pair_order:
        ea, eb = by_a.get(blocks), by_b.get(blocks)
        if ea is None and eb is None:
            continue
        if ea is None or eb is None:
            out.append(dict(ea or eb))
            continue
        out.append(
            {
                **ea,
                "end": eb["end"],
                "min_distance_km": float(np.fmin(ea["min_distance_km"], eb["min_distance_km"])),
                "max_distance_km": float(np.fmax(ea["max_distance_km"], eb["max_distance_km"])),
            }
        )
    return out


@gc_paused()
def merge_chunk_results(query: ConjunctionQuery, parts: list[ConjunctionResult]):
    """Join the results of consecutive chunks of ``query`` (see the module docstring)."""
    first = parts[0]
    ins0 = first._internals
    origin, step_s = ins0["origin"], ins0["step_s"]
    names = query.block_names
    pair_order = [
        f"{names[i]}-{names[j]}" for i in range(len(names)) for j in range(i + 1, len(names))
    ]
    frames, refs = [], []
    head_of: list[int] = []  # per row of the concatenation: the row it merges into (itself if none)
    open_rows: dict = {}
    offset = 0
    for part in parts:
        ins = part._internals
        data = part.data
        grid_first = ins["origin"]
        n_steps = _n_steps(part.query, step_s)
        grid_last = grid_first + pd.Timedelta(seconds=(n_steps - 1) * step_s)
        start = data["start"].dt.tz_convert(None).to_numpy()
        end = data["end"].dt.tz_convert(None).to_numpy()
        at_start = start == np.datetime64(grid_first.to_datetime64())
        at_end = end == np.datetime64(grid_last.to_datetime64())
        still_open = {}
        for r, ref in enumerate(ins["refs"]):
            row = offset + r
            head = open_rows.get(ref) if at_start[r] else None
            head_of.append(row if head is None else head)
            if at_end[r]:
                still_open[ref] = row if head is None else head
        open_rows = still_open
        if len(data):
            frames.append(data)
        refs += list(ins["refs"])
        offset += len(data)
    if not frames:
        data = first.data.iloc[0:0].copy()
    else:
        data = pd.concat(frames, ignore_index=True)
    head_of = np.asarray(head_of, dtype=np.int64)
    merged = np.flatnonzero(head_of != np.arange(head_of.size))
    cols = {c: data.columns.get_loc(c) for c in data.columns}
    events: dict[int, list] = {}  # merged rows' events (the Arrow column is rebuilt once)
    for row in merged:  # in time order, so a chain A, B, C folds left to right
        h = int(head_of[row])
        a, b = data.iloc[h], data.iloc[row]
        data.iat[h, cols["end"]] = b["end"]
        data.iat[h, cols["duration_min"]] = a["duration_min"] + b["duration_min"]
        if not _earlier_wins(a["min_distance_km"], b["min_distance_km"], smaller=True):
            data.iat[h, cols["min_distance_km"]] = b["min_distance_km"]
            data.iat[h, cols["closest_epoch"]] = b["closest_epoch"]
        if not _earlier_wins(a["max_distance_km"], b["max_distance_km"], smaller=False):
            data.iat[h, cols["max_distance_km"]] = b["max_distance_km"]
            data.iat[h, cols["farthest_epoch"]] = b["farthest_epoch"]
        events[h] = _merge_events(events.get(h, a["events"]), b["events"], pair_order)
    if events:
        column = data["events"].tolist()
        for h, merged_events in events.items():
            column[h] = merged_events
        data["events"] = pd.array(column, dtype=EVENTS_DTYPE)
    keep = np.flatnonzero(head_of == np.arange(head_of.size))
    data = data.iloc[keep]
    refs = [refs[i] for i in keep]
    if len(data):
        # The engine's order: start, then conjunction type (query order), then member indices.
        type_rank = [query.conjunction_types.index(c) for c, _ in refs]
        keys = sorted(
            range(len(refs)),
            key=lambda i: (data["start"].iat[i], type_rank[i], refs[i][1]),
        )
        data = data.iloc[keys]
        refs = [refs[i] for i in keys]
    data = data.reset_index(drop=True)
    internals = {
        "origin": origin,
        "step_s": step_s,
        "members": ins0["members"],
        "tracks": _joined_tracks(parts, origin, step_s),
        "limits": ins0["limits"],
        "refs": refs,
    }
    notes = tuple(dict.fromkeys(n for p in parts for n in p.notes))
    return ConjunctionResult(query=query, data=data, notes=notes, _internals=internals)


def _n_steps(query: ConjunctionQuery, step_s: int) -> int:
    origin = query.start.ceil("min")
    return max(0, int(np.ceil((query.end - origin).total_seconds() / step_s)))


def _joined_tracks(parts, origin: pd.Timestamp, step_s: int) -> dict:
    """Every chunk's tracks on the whole search's grid (for ``distance_series``)."""
    out = {}
    for ctype in parts[0]._internals["tracks"]:
        blocks = []
        for b, block in enumerate(parts[0]._internals["tracks"][ctype]):
            members = []
            for m in range(len(block)):
                pieces = []
                for p in parts:
                    shift = int((p._internals["origin"] - origin).total_seconds() // step_s)
                    tr = p._internals["tracks"][ctype][b][m]
                    pieces.append((tr.steps + shift, tr.lat, tr.lon))
                members.append(Track(*(np.concatenate([pc[k] for pc in pieces]) for k in range(3))))
            blocks.append(members)
        out[ctype] = blocks
    return out
