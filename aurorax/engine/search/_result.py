"""Conjunction search results: a DataFrame with documented columns, pages, exports.

Columns of :attr:`ConjunctionResult.data`, one row per conjunction, sorted by ``start``:

==================  ===================================================================
conjunction_type    ``nbtrace``, ``sbtrace`` or ``geographic``
start, end          first and last qualifying epoch (UTC; ``end`` inclusive, as AuroraX)
duration_min        ``end - start`` plus one step, minutes (a one-minute conjunction is 1)
min_distance_km     smallest conjunction distance over the interval, km
max_distance_km     largest conjunction distance over the interval, km
closest_epoch       epoch of ``min_distance_km`` (first on ties)
farthest_epoch      epoch of ``max_distance_km`` (first on ties)
<block>             per criteria block (``ground1``, ``space1``, ``adhoc1``...): display name
<block>_identifier  its data source identifier (``<NA>`` for custom locations)
events              the pairwise sub-conjunctions: list of dicts with ``blocks``
                    (``"ground1-space1"``), ``e1_source``, ``e2_source``, ``start``, ``end``
                    (ISO strings), ``min_distance_km``, ``max_distance_km`` (stored as an
                    Arrow list column, :data:`EVENTS_DTYPE`; each value reads as that list)
==================  ===================================================================
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from aurorax.geo import great_circle_distance_km

from ..store import ValidationError

__all__ = ["ConjunctionResult", "Member", "EVENTS_DTYPE", "gc_paused"]

_FIXED_COLUMNS = (
    "conjunction_type",
    "start",
    "end",
    "duration_min",
    "min_distance_km",
    "max_distance_km",
    "closest_epoch",
    "farthest_epoch",
)
_ISO = "%Y-%m-%dT%H:%M:%S"
#: One sub-conjunction of the ``events`` column.
EVENT_TYPE = pa.struct(
    [
        ("blocks", pa.string()),
        ("e1_source", pa.string()),
        ("e2_source", pa.string()),
        ("start", pa.string()),
        ("end", pa.string()),
        ("min_distance_km", pa.float64()),
        ("max_distance_km", pa.float64()),
    ]
)
#: The ``events`` column's dtype: an Arrow list of :data:`EVENT_TYPE` (each value reads as a
#: list of dicts).
EVENTS_DTYPE = pd.ArrowDtype(pa.list_(EVENT_TYPE))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a result's rows are built.

    A large result is hundreds of thousands of small dicts, lists and tuples, none of them in
    a reference cycle; each allocation burst otherwise triggers collections that walk every
    object made so far (on 320k rows that is about 0.6 s of the 1.2 s the rows take).
    Reference counting still frees everything; the collector is restored afterwards, as it was.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class Member:
    """One member of a criteria block: a data source or a custom location."""

    block: str
    display_name: str
    identifier: int | None
    data_source: Any = None

    def to_json(self) -> dict:
        """AuroraX's ``basic_info`` data source shape (custom locations: identifier null)."""
        ds = self.data_source
        if ds is None:
            return {"identifier": None, "display_name": self.display_name, "source_type": "adhoc"}
        return {
            "identifier": ds.identifier,
            "program": ds.program,
            "platform": ds.platform,
            "instrument_type": ds.instrument_type,
            "source_type": ds.source_type,
            "display_name": ds.display_name,
        }


def _utc(origin: pd.Timestamp, step_s: int, steps: np.ndarray) -> pd.DatetimeIndex:
    ns = origin.as_unit("ns").value + np.asarray(steps, dtype=np.int64) * (step_s * 1_000_000_000)
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")


def _iso_array(origin: pd.Timestamp, step_s: int, steps: np.ndarray) -> pa.StringArray:
    """ISO 8601 strings (seconds, no zone) of grid steps, vectorised (Arrow's cast to string
    is ``YYYY-MM-DD HH:MM:SS``; six times faster than numpy's ``datetime_as_string``)."""
    t = (
        np.datetime64(origin.as_unit("s").to_datetime64(), "s")
        + np.asarray(steps, np.int64) * step_s
    )
    return pc.replace_substring(pa.array(t).cast(pa.string()), " ", "T")


@dataclass(frozen=True, eq=False)
class ConjunctionResult:
    """The conjunctions a search found.

    Attributes
    ----------
    query : ConjunctionQuery
        The query that produced the result.
    data : pandas.DataFrame
        One row per conjunction (columns in the module docstring / ``docs/search.md``).
    notes : tuple of str
        Remarks such as a block that matched no data source.
    """

    #: dtype of the ``events`` column (an Arrow list of sub-conjunction structs).
    EVENTS_DTYPE = EVENTS_DTYPE

    query: Any
    data: pd.DataFrame
    notes: tuple[str, ...] = ()
    _internals: dict = field(default_factory=dict, repr=False)

    @classmethod
    @gc_paused()
    def from_raw(
        cls, *, query, origin, step_s, members, raw, tracks, limits, notes
    ) -> ConjunctionResult:
        """Assemble the DataFrame from the per-type :class:`RawConjunctions`."""
        names = query.block_names
        frames = []
        refs = []
        type_codes = []
        for ctype, rc in raw.items():
            if rc is None or len(rc) == 0:
                continue
            n = len(rc)
            df = pd.DataFrame(
                {
                    "conjunction_type": [ctype] * n,
                    "start": _utc(origin, step_s, rc.start),
                    "end": _utc(origin, step_s, rc.end),
                    "duration_min": (rc.end - rc.start + 1) * step_s / 60.0,
                    "min_distance_km": rc.min_distance_km,
                    "max_distance_km": rc.max_distance_km,
                    "closest_epoch": _utc(origin, step_s, rc.closest),
                    "farthest_epoch": _utc(origin, step_s, rc.farthest),
                }
            )
            for b, name in enumerate(names):
                display = np.array([m.display_name for m in members[b]], dtype=object)
                ident = pd.array([m.identifier for m in members[b]], dtype="Int64")
                df[name] = display[rc.members[:, b]]
                df[f"{name}_identifier"] = ident[rc.members[:, b]]
            events = _events(rc, names, members, origin, step_s)
            df["events"] = events
            type_codes.append(np.full(n, query.conjunction_types.index(ctype)))
            frames.append(df)
            refs += zip([ctype] * n, map(tuple, rc.members.tolist()), strict=True)
        columns = [*_FIXED_COLUMNS]
        for name in names:
            columns += [name, f"{name}_identifier"]
        columns.append("events")
        if frames:
            data = pd.concat(frames, ignore_index=True)
            order = np.lexsort(
                (
                    np.arange(len(data)),
                    np.concatenate(type_codes),
                    data["start"].to_numpy(dtype="datetime64[ns]").view(np.int64),
                )
            )
            data = data.iloc[order].reset_index(drop=True)
            refs = [refs[i] for i in order]
        else:
            data = pd.DataFrame({c: pd.Series(dtype=_empty_dtype(c, names)) for c in columns})
        internals = {
            "origin": origin,
            "step_s": step_s,
            "members": members,
            "tracks": tracks,
            "limits": limits,
            "refs": refs,
        }
        return cls(query=query, data=data[columns], notes=tuple(notes), _internals=internals)

    # -- sizes and pages --------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.data)

    def n_pages(self, page_size: int = 100) -> int:
        """Number of pages of ``page_size`` rows (0 for an empty result)."""
        _check_page_size(page_size)
        return math.ceil(len(self.data) / page_size)

    def page(self, number: int, page_size: int = 100) -> pd.DataFrame:
        """Rows of page ``number`` (1-based) of ``page_size`` rows.

        Raises
        ------
        ValidationError
            For a page number outside ``1..n_pages`` (page 1 of an empty result is empty).
        """
        _check_page_size(page_size)
        pages = max(1, self.n_pages(page_size))
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= pages:
            raise ValidationError(f"page: {number!r} is out of range; pages: 1 to {pages}")
        return self.data.iloc[(number - 1) * page_size : number * page_size]

    # -- per-minute series --------------------------------------------------------------------
    def distance_series(self, index: int) -> pd.DataFrame:
        """Per-step distances of conjunction ``index`` (row of :attr:`data`).

        Returns
        -------
        pandas.DataFrame
            ``epoch`` (UTC), ``distance_km`` (the conjunction distance) and one column per pair
            of blocks (``"ground1-space1"``...), km; NaN where a location is missing.
        """
        if (
            isinstance(index, bool)
            or not isinstance(index, int | np.integer)
            or not 0 <= index < len(self)
        ):
            raise ValidationError(f"index: {index!r} is out of range; rows: 0 to {len(self) - 1}")
        ins = self._internals
        ctype, members = ins["refs"][index]
        row = self.data.iloc[index]
        step_s, origin = ins["step_s"], ins["origin"]
        first = int((row["start"].tz_convert(None) - origin).total_seconds() // step_s)
        last = int((row["end"].tz_convert(None) - origin).total_seconds() // step_s)
        steps = np.arange(first, last + 1)
        names = self.query.block_names
        blocks = ins["tracks"][ctype]
        out = {"epoch": _utc(origin, step_s, steps)}
        constrained = []
        for (i, j), lim in sorted(ins["limits"].items()):
            lat1, lon1 = blocks[i][members[i]].at(steps)
            lat2, lon2 = blocks[j][members[j]].at(steps)
            out[f"{names[i]}-{names[j]}"] = great_circle_distance_km(lat1, lon1, lat2, lon2)
            if lim is not None:
                constrained.append(f"{names[i]}-{names[j]}")
        pair_cols = [k for k in out if k != "epoch"]
        use = np.vstack([out[c] for c in (constrained or pair_cols)])
        defined = ~np.isnan(use)
        out["distance_km"] = np.where(
            defined.any(axis=0), np.where(defined, use, -np.inf).max(axis=0), np.nan
        )
        return pd.DataFrame(out)[["epoch", "distance_km", *pair_cols]]

    # -- exports ------------------------------------------------------------------------------
    def _flat(self) -> pd.DataFrame:
        df = self.data.copy()
        for c in ("start", "end", "closest_epoch", "farthest_epoch"):
            df[c] = df[c].dt.strftime(_ISO)
        df["events"] = [json.dumps(e) for e in df["events"]]
        return df

    def to_csv(self, path: str | Path | None = None) -> str | None:
        """CSV (times ISO 8601 UTC, ``events`` as a JSON string); text if ``path`` is None."""
        return self._flat().to_csv(path, index=False)

    @gc_paused()
    def to_json(self, path: str | Path | None = None) -> str | None:
        """JSON list of rows (``events`` nested); text if ``path`` is None."""
        df = self._flat()
        rows = df.to_dict(orient="records")
        for r in rows:
            r["events"] = json.loads(r["events"])
            for k, v in r.items():
                if v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                    r[k] = None
        text = json.dumps(rows, default=_json_default)
        if path is None:
            return text
        Path(path).write_text(text)
        return None

    def to_parquet(self, path) -> None:
        """Parquet file or binary file object (times as UTC timestamps; ``events`` as a list
        of structs)."""
        # As a plain column: pandas cannot read back the metadata of an ArrowDtype list column.
        self.data.astype({"events": object}).to_parquet(path, index=False)

    @gc_paused()
    def to_aurorax_json(self) -> dict:
        """AuroraX's result shape ``{"result": [...]}`` (API notes §4b)."""
        ins = self._internals
        names = self.query.block_names
        result = []
        for r, (ctype, members) in enumerate(ins["refs"]):
            row = self.data.iloc[r]
            sources = [ins["members"][b][m] for b, m in enumerate(members)]
            by_name = dict(zip(names, sources, strict=True))
            result.append(
                {
                    "conjunction_type": ctype,
                    "start": row["start"].strftime(_ISO),
                    "end": row["end"].strftime(_ISO),
                    "data_sources": [s.to_json() for s in sources],
                    "min_distance": _float(row["min_distance_km"]),
                    "max_distance": _float(row["max_distance_km"]),
                    "closest_epoch": row["closest_epoch"].strftime(_ISO),
                    "farthest_epoch": row["farthest_epoch"].strftime(_ISO),
                    "events": [
                        {
                            "conjunction_type": ctype,
                            "e1_source": by_name[e["blocks"].split("-")[0]].to_json(),
                            "e2_source": by_name[e["blocks"].split("-")[1]].to_json(),
                            "start": e["start"],
                            "end": e["end"],
                            "min_distance": _float(e["min_distance_km"]),
                            "max_distance": _float(e["max_distance_km"]),
                        }
                        for e in row["events"]
                    ],
                }
            )
        return {"result": result}


def _events(rc, names, members, origin, step_s) -> pd.api.extensions.ExtensionArray:
    """Per conjunction, its pairwise sub-conjunctions (the ``events`` column), in pair order,
    built as one Arrow list array (no Python object per event)."""
    n = len(rc)
    parts, row_of, pair_of = [], [], []
    for p, (i, j) in enumerate(rc.pairs):
        rows = np.flatnonzero(rc.pair_start[:, p] >= 0)
        e1 = pa.array([m.display_name for m in members[i]], pa.string())
        e2 = pa.array([m.display_name for m in members[j]], pa.string())
        parts.append(
            pa.StructArray.from_arrays(
                [
                    pc.take(pa.array([f"{names[i]}-{names[j]}"]), np.zeros(rows.size, np.int64)),
                    pc.take(e1, rc.members[rows, i]),
                    pc.take(e2, rc.members[rows, j]),
                    _iso_array(origin, step_s, rc.pair_start[rows, p]),
                    _iso_array(origin, step_s, rc.pair_end[rows, p]),
                    pa.array(rc.pair_min_km[rows, p], pa.float64()),
                    pa.array(rc.pair_max_km[rows, p], pa.float64()),
                ],
                fields=list(EVENT_TYPE),
            )
        )
        row_of.append(rows)
        pair_of.append(np.full(rows.size, p))
    rows = np.concatenate(row_of) if row_of else np.empty(0, np.int64)
    flat = pa.concat_arrays(parts) if parts else pa.array([], EVENT_TYPE)
    if len(parts) > 1:  # each row's events in pair order
        order = np.lexsort((np.concatenate(pair_of), rows))
        flat, rows = flat.take(order), rows[order]
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=offsets[1:])
    return pd.arrays.ArrowExtensionArray(pa.ListArray.from_arrays(pa.array(offsets), flat))


def _float(v) -> float | None:
    v = float(v)
    return None if math.isnan(v) else v


def _json_default(v):
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return _float(v)
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def _check_page_size(page_size: int) -> None:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise ValidationError(f"page_size: must be a positive integer, got {page_size!r}")


def _empty_dtype(column: str, names):
    if column in ("start", "end", "closest_epoch", "farthest_epoch"):
        return "datetime64[ns, UTC]"
    if column in ("duration_min", "min_distance_km", "max_distance_km"):
        return "float64"
    if column.endswith("_identifier"):
        return "Int64"
    if column == "events":
        return EVENTS_DTYPE
    return "object"
