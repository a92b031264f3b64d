"""The Conjunction search form's parts: block kinds, example searches and the block editor."""

from __future__ import annotations

import datetime as dt
import json

import panel as pn

from aurorax.engine import HEMISPHERES, LOGICAL_OPERATORS, ConjunctionQuery

__all__ = [
    "BLOCK_KINDS",
    "EXAMPLES",
    "FIELDS",
    "ORDERED_TYPES",
    "SOURCE_TYPES",
    "UNORDERED",
    "block_card",
    "blocks_from_body",
    "empty_block",
    "fill_form",
    "filter_row",
    "form_body",
    "parse_locations",
]

BLOCK_KINDS = {
    "ground": "Ground",
    "space": "Space",
    "events": "Events",
    "adhoc": "Custom locations",
}
SOURCE_TYPES = {"ground": ("ground",), "space": ("leo", "heo", "lunar"), "events": ("event_list",)}
FIELDS = {"programs": "program", "platforms": "platform", "instrument_types": "instrument_type"}
ORDERED_TYPES = ("int", "double")
UNORDERED = ("=", "!=", "in", "not in")

_APA = {
    "logical_operator": "AND",
    "expressions": [
        {"key": "calgary_apa_ml_v1", "operator": "in", "values": ["classified as APA"]},
        {"key": "calgary_apa_ml_v1_confidence", "operator": ">=", "values": ["95"]},
    ],
}

# Pre-loaded searches: criteria only; they keep the form's dates.
EXAMPLES = {
    "THEMIS ASI x THEMIS spacecraft within 500 km, pulsating aurora (APA) >= 95 %": {
        "ground": [
            {
                "programs": ["themis-asi"],
                "instrument_types": ["panchromatic ASI"],
                "ephemeris_metadata_filters": _APA,
            }
        ],
        "space": [
            {"programs": ["themis"], "instrument_types": ["footprint"], "hemisphere": ["northern"]}
        ],
        "conjunction_types": ["nbtrace"],
        "max_distances": {"ground1-space1": 500},
    },
    "THEMIS ASI x THEMIS spacecraft within 500 km": {
        "ground": [{"programs": ["themis-asi"]}],
        "space": [{"programs": ["themis"], "hemisphere": ["northern"]}],
        "conjunction_types": ["nbtrace"],
        "max_distances": {"ground1-space1": 500},
    },
    "Any imager x THEMIS spacecraft in the imager's field of view (5 deg elevation)": {
        "ground": [{}],
        "space": [{"programs": ["themis"]}],
        "conjunction_types": ["nbtrace"],
        "max_distances": {"ground1-space1": None},
        "field_of_view": {"min_elevation_deg": 5, "emission_altitude_km": 110},
    },
    "Gillam (custom location) x any spacecraft within 1000 km": {
        "space": [{}],
        "adhoc": [{"locations": [{"lat": 56.38, "lon": -94.64}]}],
        "conjunction_types": ["nbtrace"],
        "max_distances": {"space1-adhoc1": 1000},
    },
}


def empty_block(kind: str) -> dict:
    if kind == "adhoc":
        return {"kind": "adhoc", "locations": ""}
    block = {
        "kind": kind,
        "programs": [],
        "platforms": [],
        "instrument_types": [],
        "logical_operator": "AND",
        "filters": [],
    }
    if kind == "space":
        block["hemisphere"] = []
    return block


def parse_locations(text: str) -> list[dict]:
    """``"56.4, -94.6; 62.8, -92.1"`` -> AuroraX locations (lat, lon degrees)."""
    out = []
    for part in (p.strip() for p in text.replace("\n", ";").split(";")):
        if not part:
            continue
        try:
            lat, lon = (float(v) for v in part.split(","))
        except ValueError:
            raise ValueError(
                f"custom location {part!r}: write 'lat, lon' in degrees, locations separated by ';'"
            ) from None
        out.append({"lat": lat, "lon": lon})
    return out


def filter_row(s, index: int, number: int, expr: dict) -> pn.Row:
    """The widgets of metadata expression ``number`` of block ``index`` of the state ``s``."""
    keys = list(s.metadata_schema(index))
    if expr["key"] not in keys:
        keys.append(expr["key"])
    key = pn.widgets.Select(label="Metadata key", options=keys, value=expr["key"], width=230)
    ops = s.operators(index, expr["key"])
    op = pn.widgets.Select(
        label="Operator",
        options=ops,
        value=expr["operator"] if expr["operator"] in ops else ops[0],
    )
    op.width = 90
    allowed = s.allowed_values(index, expr["key"])
    if allowed:
        values = pn.widgets.MultiChoice(
            label="Values", options=allowed, value=[v for v in expr["values"] if v in allowed]
        )
        values.param.watch(lambda e: s.set_filter(index, number, "values", e.new), "value")
    else:
        values = pn.widgets.TextInput(
            label="Values (comma separated)", value=", ".join(expr["values"])
        )
        values.param.watch(
            lambda e: s.set_filter(
                index, number, "values", [v.strip() for v in e.new.split(",") if v.strip()]
            ),
            "value",
        )
    values.width = 260
    remove = pn.widgets.Button(label="x", color="light", width=40, margin=(25, 5, 5, 5))
    key.param.watch(lambda e: s.set_filter(index, number, "key", e.new), "value")
    op.param.watch(lambda e: s.set_filter(index, number, "operator", e.new), "value")
    remove.on_click(lambda _: s.remove_filter(index, number))
    return pn.Row(key, op, values, remove)


def block_card(s, index: int, name: str, block: dict) -> pn.Card:
    """The editor of criteria block ``index`` (AuroraX name ``name``) of the state ``s``."""
    kind = block["kind"]
    remove = pn.widgets.Button(label=f"Remove {name}", color="light", width=130)
    remove.on_click(lambda _: s.remove_block(index))
    items = []
    if kind == "adhoc":
        loc = pn.widgets.TextInput(
            label="Locations (lat, lon; lat, lon ...)", value=block["locations"], width=400
        )
        loc.param.watch(lambda e: s.set_block(index, "locations", e.new), "value")
        items.append(loc)
    else:
        row = []
        for field, label in (
            ("programs", "Programs"),
            ("platforms", "Platforms"),
            ("instrument_types", "Instrument types"),
        ):
            w = pn.widgets.MultiChoice(
                label=label, options=s.options(kind, field), value=list(block[field]), width=260
            )
            w.param.watch(lambda e, f=field: s.set_block(index, f, e.new), "value")
            row.append(w)
        if kind == "space":
            hemi = pn.widgets.CheckButtonGroup(
                label="Hemisphere", options=list(HEMISPHERES), value=list(block["hemisphere"])
            )
            hemi.param.watch(lambda e: s.set_block(index, "hemisphere", e.new), "value")
            row.append(pn.Column(pn.pane.Markdown("Hemisphere", margin=(0, 5)), hemi))
        items.append(pn.FlexBox(*row))
        logic = pn.widgets.RadioButtonGroup(
            options=list(LOGICAL_OPERATORS), value=block["logical_operator"], width=110
        )
        logic.param.watch(lambda e: s.set_block(index, "logical_operator", e.new), "value")
        add = pn.widgets.Button(label="Add metadata filter", color="default", width=170)
        add.on_click(lambda _: s.add_filter(index))
        items.append(pn.Row(add, logic) if block["filters"] else add)
        items += [filter_row(s, index, n, e) for n, e in enumerate(block["filters"])]
    return pn.Card(
        *items,
        remove,
        title=f"{name}: {BLOCK_KINDS[kind]}",
        collapsible=False,
        sizing_mode="stretch_width",
    )


def form_body(state) -> dict:
    """The AuroraX JSON body of ``state``'s form (a ``ConjunctionSearchState``); raises
    ``ValueError`` with a message for bad input (no dates, reversed dates, bad distances)."""
    if state.start is None or state.end is None:
        raise ValueError("Choose both a start and an end day.")
    if state.end < state.start:
        raise ValueError(f"The end day {state.end} is before the start day {state.start}.")
    body: dict = {
        "start": f"{state.start.isoformat()}T00:00:00",
        "end": f"{(state.end + dt.timedelta(days=1)).isoformat()}T00:00:00",
    }
    for b in state.blocks:
        if b["kind"] == "adhoc":
            entry = {"locations": parse_locations(b["locations"])}
        else:
            entry = {f: list(b[f]) for f in FIELDS}
            if b["kind"] == "space":
                entry["hemisphere"] = list(b["hemisphere"])
            entry["ephemeris_metadata_filters"] = (
                {
                    "logical_operator": b["logical_operator"],
                    "expressions": [
                        {
                            "key": e["key"],
                            "operator": e["operator"],
                            "values": list(e["values"]),
                        }
                        for e in b["filters"]
                    ],
                }
                if b["filters"]
                else {}
            )
        body.setdefault(b["kind"], []).append(entry)
    body["conjunction_types"] = list(state.conjunction_types)
    names = state.block_names()
    pairs = [f"{a}-{c}" for i, a in enumerate(names) for c in names[i + 1 :]]
    distances = {p: state.distance_km for p in pairs}
    if state.advanced_distances.strip():
        try:
            extra = json.loads(state.advanced_distances)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Advanced distances are not valid JSON: {exc.msg}") from None
        if not isinstance(extra, dict):
            raise ValueError('Advanced distances: write an object like {"ground1-space1": 300}')
        distances.update(extra)
    body["max_distances"] = distances
    body["epoch_search_precision"] = 60
    if state.field_of_view:
        body["field_of_view"] = {
            "min_elevation_deg": state.min_elevation_deg,
            "emission_altitude_km": 110,
        }
    return body


def blocks_from_body(body: dict) -> list[dict]:
    """The form's criteria blocks (``empty_block`` dicts, filled) for an AuroraX JSON ``body``."""
    blocks = []
    for kind in ("ground", "space", "events", "adhoc", "custom_locations"):
        for entry in body.get(kind) or []:
            kind_ = "adhoc" if kind == "custom_locations" else kind
            block = empty_block(kind_)
            if kind_ == "adhoc":
                block["locations"] = "; ".join(
                    f"{loc['lat']:g}, {loc['lon']:g}" for loc in entry.get("locations", [])
                )
            else:
                for f in FIELDS:
                    block[f] = list(entry.get(f) or [])
                if kind_ == "space":
                    block["hemisphere"] = list(entry.get("hemisphere") or [])
                flt = entry.get("ephemeris_metadata_filters") or {}
                block["logical_operator"] = flt.get(
                    "logical_operator", flt.get("logicalOperator", "AND")
                )
                block["filters"] = [
                    {
                        "key": e["key"],
                        "operator": e["operator"],
                        "values": [str(v) for v in e.get("values", [])],
                    }
                    for e in flt.get("expressions", [])
                ]
            blocks.append(block)
    return blocks


def fill_form(state, body: dict) -> str:
    """Fill ``state``'s form (a ``ConjunctionSearchState``) with a shared search ``body``, e.g.
    from the address; return '' or why it is not a search the page can run (then the form is
    to be thrown away: it may be half filled).

    A search the form shows but cannot run as it stands (its end day before its start day)
    counts as one: the form shows it and the search says what is wrong, as for a search made
    on the form.
    """
    try:
        state.apply_body(body)
    except Exception as exc:  # any JSON a visitor wrote (a list for a block, a text for a number)
        return _short(exc)
    try:
        state.body()
    except ValueError:
        return ""
    try:
        ConjunctionQuery.from_json(body)  # validation errors name the field
    except Exception as exc:
        return _short(exc)
    return ""


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."
