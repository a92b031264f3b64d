"""Conjunction queries: typed criteria blocks and AuroraX's JSON request body, both ways.

``ConjunctionQuery.from_json`` accepts the body AuroraX's ``POST /api/v1/conjunctions/search``
takes (API notes §4a) unchanged; ``to_json`` writes it back. Everything is validated on
construction, and every error names the field and what is allowed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from typing import Any

import numpy as np

from ..store import ValidationError
from ._filters import MetadataFilter
from ._util import as_strings, check_keys, to_utc_timestamp

__all__ = [
    "CONJUNCTION_TYPES",
    "HEMISPHERES",
    "EPOCH_SEARCH_PRECISIONS",
    "GroundCriteria",
    "SpaceCriteria",
    "EventsCriteria",
    "CustomLocationsCriteria",
    "FieldOfView",
    "ConjunctionQuery",
]

CONJUNCTION_TYPES = ("nbtrace", "sbtrace", "geographic")
HEMISPHERES = ("northern", "southern")
EPOCH_SEARCH_PRECISIONS = (60, 30)
BLOCK_KINDS = ("ground", "space", "events", "adhoc")
MIN_BLOCKS, MAX_BLOCKS = 2, 10
_QUERY_KEYS = (
    "start",
    "end",
    "ground",
    "space",
    "events",
    "adhoc",
    "custom_locations",
    "conjunction_types",
    "max_distances",
    "distance",
    "epoch_search_precision",
    "request_id",
    "field_of_view",
)
_PAIR_KEY = re.compile(
    r"^(ground|space|events|adhoc|custom_locations)(\d+)-(ground|space|events|adhoc|custom_locations)(\d+)$"
)


@dataclass(frozen=True)
class _SourceCriteria:
    """Shared fields of the blocks that select data sources (values OR'd within a field)."""

    programs: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    instrument_types: tuple[str, ...] = ()
    metadata_filter: MetadataFilter = field(default_factory=MetadataFilter)

    kind = ""
    _json_keys = ("programs", "platforms", "instrument_types", "ephemeris_metadata_filters")

    def __post_init__(self) -> None:
        for name in ("programs", "platforms", "instrument_types"):
            object.__setattr__(self, name, as_strings(getattr(self, name), name))
        flt = self.metadata_filter
        if flt is None or isinstance(flt, Mapping):
            object.__setattr__(self, "metadata_filter", MetadataFilter.from_json(flt))
        elif not isinstance(flt, MetadataFilter):
            raise ValidationError(
                f"metadata_filter: expected MetadataFilter or dict, got {type(flt).__name__}"
            )

    @classmethod
    def _kwargs_from_json(cls, data: Mapping, where: str) -> dict:
        check_keys(data, cls._json_keys, where)
        kwargs = {
            name: as_strings(data.get(name), f"{where}.{name}")
            for name in ("programs", "platforms", "instrument_types")
        }
        try:
            kwargs["metadata_filter"] = MetadataFilter.from_json(
                data.get("ephemeris_metadata_filters")
            )
        except ValidationError as exc:
            raise ValidationError(f"{where}.ephemeris_metadata_filters.{exc}") from None
        return kwargs

    @classmethod
    def from_json(cls, data: Mapping, where: str = ""):
        """Build from one AuroraX criteria block object."""
        return cls(**cls._kwargs_from_json(data, where or cls.kind))

    def to_json(self) -> dict:
        """AuroraX's block shape."""
        return {
            "programs": list(self.programs),
            "platforms": list(self.platforms),
            "instrument_types": list(self.instrument_types),
            "ephemeris_metadata_filters": self.metadata_filter.to_json(),
        }

    def describe(self) -> str:
        """Plain text, e.g. ``program in (themis-asi) AND calgary_apa_ml_v1 in (...)``."""
        parts = [
            f"{name[:-1]} in ({', '.join(getattr(self, name))})"
            for name in ("programs", "platforms", "instrument_types")
            if getattr(self, name)
        ]
        if self.metadata_filter:
            parts.append(f"metadata ({self.metadata_filter.describe()})")
        return " AND ".join(parts) or f"any {self.kind} data source"


@dataclass(frozen=True)
class GroundCriteria(_SourceCriteria):
    """A ground criteria block: ground instruments (``source_type == "ground"``).

    Parameters
    ----------
    programs, platforms, instrument_types : sequence of str
        Values OR'd within each field, fields AND'd; empty means any. Matching ignores case.
    metadata_filter : MetadataFilter or dict
        Filter on the ephemeris records' metadata (AuroraX ``ephemeris_metadata_filters``).
    """

    kind = "ground"


@dataclass(frozen=True)
class EventsCriteria(_SourceCriteria):
    """An events criteria block: event lists (``source_type == "event_list"``), e.g. substorm onsets."""

    kind = "events"


@dataclass(frozen=True)
class SpaceCriteria(_SourceCriteria):
    """A space criteria block: spacecraft (``source_type`` ``leo``, ``heo`` or ``lunar``).

    Parameters
    ----------
    programs, platforms, instrument_types, metadata_filter
        As for :class:`GroundCriteria`.
    hemisphere : str or sequence of str
        ``"northern"`` and/or ``"southern"``: keep only minutes when the spacecraft itself (its
        geographic latitude, not its footprint) is in that hemisphere. Empty means both.
    """

    hemisphere: tuple[str, ...] = ()

    kind = "space"
    _json_keys = (*_SourceCriteria._json_keys, "hemisphere")

    def __post_init__(self) -> None:
        super().__post_init__()
        hemis = tuple(h.lower() for h in as_strings(self.hemisphere, "hemisphere"))
        bad = [h for h in hemis if h not in HEMISPHERES]
        if bad:
            raise ValidationError(
                f"hemisphere: {bad[0]!r} is not allowed; allowed: {', '.join(HEMISPHERES)}"
            )
        object.__setattr__(self, "hemisphere", hemis)

    @classmethod
    def from_json(cls, data: Mapping, where: str = "space"):
        kwargs = cls._kwargs_from_json(data, where)
        try:
            return cls(**kwargs, hemisphere=data.get("hemisphere"))
        except ValidationError as exc:
            raise ValidationError(f"{where}.{exc}") from None

    def to_json(self) -> dict:
        return {**super().to_json(), "hemisphere": list(self.hemisphere)}

    def describe(self) -> str:
        text = super().describe()
        if self.hemisphere:
            text += f" AND hemisphere in ({', '.join(self.hemisphere)})"
        return text


@dataclass(frozen=True)
class CustomLocationsCriteria:
    """A custom-locations block (AuroraX ``adhoc``): fixed points, e.g. a planned site.

    Parameters
    ----------
    locations : sequence of (lat, lon)
        Geographic latitude and longitude, degrees. A location is present at every minute and is
        compared as given whatever the conjunction type (it stands for its own footprint).
    """

    locations: tuple[tuple[float, float], ...] = ()

    kind = "adhoc"

    def __post_init__(self) -> None:
        out = []
        for i, loc in enumerate(self.locations or ()):
            if isinstance(loc, Mapping):
                loc = (loc.get("lat"), loc.get("lon"))
            try:
                lat, lon = (float(v) for v in loc)
            except (TypeError, ValueError):
                raise ValidationError(
                    f"locations[{i}]: expected a (lat, lon) pair or {{'lat', 'lon'}}, got {loc!r}"
                ) from None
            if not -90.0 <= lat <= 90.0 or not -180.0 <= lon <= 180.0:
                raise ValidationError(
                    f"locations[{i}]: lat must be in [-90, 90] and lon in [-180, 180], "
                    f"got ({lat}, {lon})"
                )
            out.append((lat, lon))
        if not out:
            raise ValidationError("locations: a custom locations block needs at least one location")
        object.__setattr__(self, "locations", tuple(out))

    @classmethod
    def from_json(cls, data: Mapping, where: str = "adhoc") -> CustomLocationsCriteria:
        check_keys(data, ("locations",), where)
        try:
            return cls(tuple(data.get("locations") or ()))
        except ValidationError as exc:
            raise ValidationError(f"{where}.{exc}") from None

    def to_json(self) -> dict:
        return {"locations": [{"lat": lat, "lon": lon} for lat, lon in self.locations]}

    def describe(self) -> str:
        return "location in (" + ", ".join(f"{lat:g}/{lon:g}" for lat, lon in self.locations) + ")"


@dataclass(frozen=True)
class FieldOfView:
    """Field-of-view mode for ground imagers (beyond AuroraX).

    With it, every pair of a ground block with a non-ground block qualifies when the other
    block's location lies inside the imager's field of view above ``min_elevation_deg`` at
    ``emission_altitude_km``, instead of within a user-chosen distance of the site. See
    :func:`aurorax.engine.field_of_view_radius_km` for the geometry and its approximations.
    """

    min_elevation_deg: float = 5.0
    emission_altitude_km: float = 110.0

    def __post_init__(self) -> None:
        for name, low, high, text in (
            ("min_elevation_deg", 0.0, 90.0, "[0, 90) degrees"),
            ("emission_altitude_km", 0.0, 1000.0, "(0, 1000] km"),
        ):
            value = getattr(self, name)
            ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
                value, bool
            )
            if ok and name == "min_elevation_deg":
                ok = low <= value < high
            elif ok:
                ok = low < value <= high
            if not ok:
                raise ValidationError(
                    f"field_of_view.{name}: must be a number in {text}, got {value!r}"
                )
            object.__setattr__(self, name, float(value))

    @classmethod
    def from_json(cls, data: Any) -> FieldOfView:
        """Build from ``{"min_elevation_deg": 5, "emission_altitude_km": 110}`` (both optional)."""
        check_keys(data, ("min_elevation_deg", "emission_altitude_km"), "field_of_view")
        return cls(**data)


_BLOCK_CLASSES = {
    "ground": GroundCriteria,
    "space": SpaceCriteria,
    "events": EventsCriteria,
    "adhoc": CustomLocationsCriteria,
}


def _distance_value(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValidationError(f"{where}: must be a number of km or null, got {value!r}")
    try:
        value = float(value)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value) or value < 0:
        raise ValidationError(f"{where}: must be a finite number of km >= 0, got {value}")
    return value


@dataclass(frozen=True)
class ConjunctionQuery:
    """A conjunction search (frozen, validated on construction).

    Parameters
    ----------
    start, end : str, datetime, numpy.datetime64 or pandas.Timestamp
        Search window ``[start, end)``, UTC (naive = UTC). AuroraX's inclusive
        ``"...T23:59:59"`` ends give the same minutes.
    ground, space, events : sequence of criteria blocks
    custom_locations : sequence of CustomLocationsCriteria
        AuroraX ``adhoc`` blocks. Blocks are AND'd; 2 to 10 blocks in all.
    conjunction_types : sequence of str
        Any of ``nbtrace`` (north B-trace footprints), ``sbtrace``, ``geographic``.
    max_distances : mapping of str to float or None
        Per pair of blocks, ``"ground1-space1": 500`` (km, 1-based block numbers). ``None`` means
        unconstrained. Missing pairs: ``0`` for ground-ground pairs (co-located instruments, as
        AuroraX's server does), ``None`` otherwise.
    distance : float or mapping, optional
        Convenience: a number sets every pair (ground-ground too); a mapping is merged over
        ``max_distances``.
    epoch_search_precision : {60, 30}
        Step, seconds. 30 interpolates each half minute between consecutive records.
    field_of_view : FieldOfView, optional
        Replace the ground-to-other distances by the imagers' field of view.
    request_id : str, optional
        Client-chosen identifier, kept as given.
    """

    start: Any
    end: Any
    ground: tuple[GroundCriteria, ...] = ()
    space: tuple[SpaceCriteria, ...] = ()
    events: tuple[EventsCriteria, ...] = ()
    custom_locations: tuple[CustomLocationsCriteria, ...] = ()
    conjunction_types: tuple[str, ...] = ("nbtrace",)
    max_distances: Mapping[str, float | None] = field(default_factory=dict)
    epoch_search_precision: int = 60
    field_of_view: FieldOfView | None = None
    request_id: str | None = None
    distance: InitVar[Any] = None

    def __post_init__(self, distance: Any) -> None:
        set_ = object.__setattr__
        set_(self, "start", to_utc_timestamp(self.start, "start"))
        set_(self, "end", to_utc_timestamp(self.end, "end"))
        if self.end <= self.start:
            raise ValidationError(
                f"end: {self.end.isoformat()} is not after start {self.start.isoformat()}"
            )
        for kind, attr in (
            ("ground", "ground"),
            ("space", "space"),
            ("events", "events"),
            ("adhoc", "custom_locations"),
        ):
            blocks = getattr(self, attr)
            blocks = (blocks,) if isinstance(blocks, _BLOCK_CLASSES[kind]) else tuple(blocks or ())
            for i, b in enumerate(blocks):
                if not isinstance(b, _BLOCK_CLASSES[kind]):
                    raise ValidationError(
                        f"{attr}[{i}]: expected {_BLOCK_CLASSES[kind].__name__}, got {type(b).__name__}"
                    )
            set_(self, attr, blocks)
        n = len(self.block_names)
        if not MIN_BLOCKS <= n <= MAX_BLOCKS:
            raise ValidationError(
                f"criteria blocks: the query has {n}; a conjunction search needs {MIN_BLOCKS} to "
                f"{MAX_BLOCKS} (ground, space, events and custom_locations/adhoc blocks combined)"
            )
        types = as_strings(self.conjunction_types, "conjunction_types")
        types = tuple(t.lower() for t in types)
        bad = [t for t in types if t not in CONJUNCTION_TYPES]
        if bad or not types:
            raise ValidationError(
                f"conjunction_types: {bad[0] if bad else 'empty list'!r} is not allowed; "
                f"allowed: {', '.join(CONJUNCTION_TYPES)}"
            )
        set_(self, "conjunction_types", tuple(dict.fromkeys(types)))
        if self.epoch_search_precision not in EPOCH_SEARCH_PRECISIONS or isinstance(
            self.epoch_search_precision, bool
        ):
            raise ValidationError(
                f"epoch_search_precision: {self.epoch_search_precision!r} is not allowed; "
                "allowed: 60, 30 (seconds)"
            )
        set_(self, "epoch_search_precision", int(self.epoch_search_precision))
        if self.field_of_view is not None and not isinstance(self.field_of_view, FieldOfView):
            if isinstance(self.field_of_view, Mapping):
                set_(self, "field_of_view", FieldOfView.from_json(self.field_of_view))
            else:
                raise ValidationError("field_of_view: expected FieldOfView or a dict")
        set_(self, "max_distances", self._complete_distances(self.max_distances, distance))

    # -- blocks and distances -------------------------------------------------------------
    @property
    def blocks(self) -> tuple:
        """All criteria blocks in search order: ground, space, events, custom locations."""
        return (*self.ground, *self.space, *self.events, *self.custom_locations)

    @property
    def block_names(self) -> tuple[str, ...]:
        """AuroraX block names (``ground1``, ``space1``, ``adhoc1``...), in :attr:`blocks` order."""
        names = []
        for kind, attr in (
            ("ground", "ground"),
            ("space", "space"),
            ("events", "events"),
            ("adhoc", "custom_locations"),
        ):
            names += [f"{kind}{i + 1}" for i in range(len(getattr(self, attr)))]
        return tuple(names)

    def _complete_distances(self, given: Any, distance: Any) -> dict[str, float | None]:
        names = self.block_names
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
        out: dict[str, float | None] = {
            f"{a}-{b}": (0.0 if a.startswith("ground") and b.startswith("ground") else None)
            for a, b in pairs
        }
        sources = []
        if not isinstance(given, Mapping):
            raise ValidationError(f"max_distances: must be an object of pair -> km, got {given!r}")
        sources.append(("max_distances", given))
        if distance is not None:
            if isinstance(distance, Mapping):
                sources.append(("distance", distance))
            else:
                value = _distance_value(distance, "distance")
                for key in out:
                    out[key] = value
        for where, mapping in sources:
            for raw_key, value in mapping.items():
                out[self._pair_key(raw_key, where, names)] = _distance_value(
                    value, f"{where}[{raw_key!r}]"
                )
        return out

    def _pair_key(self, raw_key: Any, where: str, names: tuple[str, ...]) -> str:
        m = _PAIR_KEY.match(str(raw_key).strip().lower())
        if m is None:
            raise ValidationError(
                f"{where}: key {raw_key!r} is not a pair of blocks; write it like 'ground1-space1' "
                f"(blocks of this query: {', '.join(names)})"
            )
        ends = []
        for kind, num in ((m.group(1), m.group(2)), (m.group(3), m.group(4))):
            kind = "adhoc" if kind == "custom_locations" else kind
            name = f"{kind}{int(num)}"
            if name not in names:
                raise ValidationError(
                    f"{where}: key {raw_key!r} names block {name}, which this query does not have "
                    f"(blocks: {', '.join(names)})"
                )
            ends.append(name)
        if ends[0] == ends[1]:
            raise ValidationError(f"{where}: key {raw_key!r} pairs block {ends[0]} with itself")
        a, b = sorted(ends, key=names.index)
        return f"{a}-{b}"

    def pair_limits(self) -> dict[tuple[int, int], float | None]:
        """``(i, j) -> km or None`` by block index, with the field-of-view mode applied."""
        from ._algorithm import field_of_view_radius_km

        names = self.block_names
        fov_km = None
        if self.field_of_view is not None:
            fov_km = field_of_view_radius_km(
                self.field_of_view.min_elevation_deg, self.field_of_view.emission_altitude_km
            )
        out = {}
        for key, value in self.max_distances.items():
            a, b = key.split("-")
            if fov_km is not None and a.startswith("ground") != b.startswith("ground"):
                value = fov_km
            out[(names.index(a), names.index(b))] = value
        return out

    # -- JSON -------------------------------------------------------------------------------
    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> ConjunctionQuery:
        """Build from AuroraX's conjunction search body (``adhoc`` or ``custom_locations``)."""
        check_keys(body, _QUERY_KEYS, "query")
        for required in ("start", "end"):
            if required not in body:
                raise ValidationError(f"query: missing required field {required!r}")
        if "adhoc" in body and "custom_locations" in body:
            raise ValidationError("query: give 'adhoc' or its alias 'custom_locations', not both")
        kwargs: dict[str, Any] = {}
        for kind, attr in (
            ("ground", "ground"),
            ("space", "space"),
            ("events", "events"),
            ("adhoc", "custom_locations"),
        ):
            raw = body.get(kind, body.get(attr) if kind == "adhoc" else None) or []
            if not isinstance(raw, Sequence) or isinstance(raw, str):
                raise ValidationError(f"{kind}: must be a list of criteria blocks")
            kwargs[attr] = tuple(
                _BLOCK_CLASSES[kind].from_json(b, f"{kind}{i + 1}") for i, b in enumerate(raw)
            )
        fov = body.get("field_of_view")
        return cls(
            start=body["start"],
            end=body["end"],
            conjunction_types=body.get("conjunction_types", ("nbtrace",)),
            max_distances=body.get("max_distances") or {},
            distance=body.get("distance"),
            epoch_search_precision=body.get("epoch_search_precision", 60),
            field_of_view=FieldOfView.from_json(fov) if isinstance(fov, Mapping) else fov,
            request_id=body.get("request_id"),
            **kwargs,
        )

    def to_json(self) -> dict:
        """AuroraX's body shape (``adhoc`` for custom locations; all pairs listed)."""
        body = {
            "start": self.start.strftime("%Y-%m-%dT%H:%M:%S"),
            "end": self.end.strftime("%Y-%m-%dT%H:%M:%S"),
            "ground": [b.to_json() for b in self.ground],
            "space": [b.to_json() for b in self.space],
            "events": [b.to_json() for b in self.events],
            "adhoc": [b.to_json() for b in self.custom_locations],
            "conjunction_types": list(self.conjunction_types),
            "max_distances": {
                k: (None if v is None else _num(v)) for k, v in self.max_distances.items()
            },
            "epoch_search_precision": self.epoch_search_precision,
        }
        if self.field_of_view is not None:
            body["field_of_view"] = {
                "min_elevation_deg": self.field_of_view.min_elevation_deg,
                "emission_altitude_km": self.field_of_view.emission_altitude_km,
            }
        if self.request_id is not None:
            body["request_id"] = self.request_id
        return body

    def describe(self) -> str:
        """The query in plain text, in the spirit of AuroraX's ``describe/query`` endpoint."""
        blocks = " AND ".join(
            f"{name}=({block.describe()})"
            for name, block in zip(self.block_names, self.blocks, strict=True)
        )
        limits = []
        for key, value in self.max_distances.items():
            a, b = key.split("-")
            if self.field_of_view is not None and a.startswith("ground") != b.startswith("ground"):
                fov = self.field_of_view
                limits.append(
                    f"{key}=inside the imager field of view (elevation >= {fov.min_elevation_deg:g} deg "
                    f"at {fov.emission_altitude_km:g} km)"
                )
            else:
                limits.append(f"{key}=" + ("any" if value is None else f"{_num(value)} km"))
        step = (
            "every minute"
            if self.epoch_search_precision == 60
            else "every 30 seconds (interpolated)"
        )
        return (
            f"Find conjunctions of type {' or '.join(self.conjunction_types)} between data sources of "
            f"{blocks} WHERE epochs are between {self.start.isoformat()} and {self.end.isoformat()} "
            f"(end excluded), checked {step}, HAVING max distances between location points of "
            f"{', '.join(limits)}."
        )


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)
