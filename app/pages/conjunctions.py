"""Conjunction Search: criteria blocks, distances and conjunction types in, a table of conjunctions out.

The form state is an AuroraX conjunction-search JSON body (``ConjunctionQuery.to_json`` shape); it is
kept in the URL (``?q=...``) so a search can be shared, and the same body is what the search runs.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import panel as pn
import param

from app import services
from app.pages._conjunction_detail import (
    about_markdown,
    analysis_members,
    analysis_url,
    detail_view,
    explorer_url,
    row_links,
)
from app.pages._conjunction_form import (
    BLOCK_KINDS,
    EXAMPLES,
    FIELDS,
    ORDERED_TYPES,
    SOURCE_TYPES,
    UNORDERED,
    block_card,
    blocks_from_body,
    empty_block,
    fill_form,
    form_body,
)
from app.pages._query import json_object, keep_in_address, read_query
from app.pages._widgets import status_alert
from aurorax.engine import (
    CONJUNCTION_TYPES,
    OPERATORS,
    ConjunctionQuery,
    field_of_view_radius_km,
)

__all__ = ["ConjunctionSearchState", "ConjunctionSearchPage", "EXAMPLES", "QUERY", "create_page"]

MAX_ROWS = 10_000
_LOCATION = {"nbtrace": "nbtrace", "sbtrace": "sbtrace", "geographic": "geo"}
#: The address's query parameter: a search to fill the form with and run.
QUERY = {"q": json_object("a conjunction search body as the page's Share link writes it")}


class ConjunctionSearchState(param.Parameterized):
    """Inputs, results and status of the conjunction search page (no widgets)."""

    db_path = param.String(doc="Repository file searched.")
    start = param.Date(default=None, allow_None=True, doc="First UTC day searched.")
    end = param.Date(default=None, allow_None=True, doc="Last UTC day searched (inclusive).")
    blocks = param.List(default=[], doc="Criteria blocks: dicts with 'kind' and their fields.")
    blocks_version = param.Integer(default=0, doc="Bumped when blocks are added or removed.")
    distance_km = param.Number(
        default=500.0, bounds=(0, None), allow_None=True, doc="Max distance of every pair, km."
    )
    advanced_distances = param.String(
        default="", doc='Per-pair distances as JSON, e.g. {"ground1-space1": 300} (km or null).'
    )
    conjunction_types = param.ListSelector(
        default=["nbtrace"], objects=list(CONJUNCTION_TYPES), doc="Locations compared."
    )
    field_of_view = param.Boolean(default=False, doc="Ground pairs by the imagers' field of view.")
    min_elevation_deg = param.Number(default=5.0, bounds=(0, 89), doc="Field-of-view elevation.")
    example = param.Selector(default="", objects=["", *EXAMPLES], doc="Pre-loaded search.")
    query_json = param.String(default="", doc="The last search's JSON body (synced to the URL).")
    max_rows = param.Integer(default=MAX_ROWS, bounds=(1, None), doc="Rows the table shows.")
    result = param.Parameter(default=None, doc="The ConjunctionResult of the last search.")
    search_s = param.Number(default=None, allow_None=True, doc="Time the last search took, s.")
    table = param.DataFrame(default=None, allow_None=True, doc="The rows shown.")
    selected_row = param.Integer(default=None, allow_None=True, doc="Conjunction opened.")
    detail = param.Dict(default=None, allow_None=True, doc="Series, tracks and products.")
    status = param.String(default="", doc="Message for the user.")
    status_kind = param.Selector(default="info", objects=["info", "success", "warning", "danger"])

    def __init__(self, **params):
        super().__init__(**params)
        self._sources: list = []

    # -- repository ---------------------------------------------------------------------------
    def load(self) -> None:
        """Read the data sources and set the default dates and blocks."""
        try:
            self._sources = services.data_sources(Path(self.db_path))
            counts = services.repository_counts(Path(self.db_path))
        except Exception as exc:  # shown on the page, never a stack trace
            self._fail(f"Cannot read the repository {self.db_path}: {exc}")
            return
        first = counts["first_epoch"].min() if len(counts) else pd.NaT
        if pd.isna(first):
            self._fail("The repository has no ephemeris records yet.", "warning")
            return
        with param.parameterized.batch_call_watchers(self):
            self.start = first.date()
            self.end = first.date()
            self.blocks = [empty_block("ground"), empty_block("space")]
            self.blocks_version += 1

    def options(self, kind: str, field: str) -> list[str]:
        """Values of ``field`` (``programs``, ``platforms``, ``instrument_types``) offered for a
        block of ``kind``, from the repository's data sources."""
        types = SOURCE_TYPES.get(kind, ())
        return sorted({getattr(s, FIELDS[field]) for s in self._sources if s.source_type in types})

    def _block_sources(self, block: dict) -> list:
        chosen = [
            s
            for s in self._sources
            if s.source_type in SOURCE_TYPES.get(block["kind"], ())
            and all(
                not block.get(f) or getattr(s, a).lower() in {v.lower() for v in block[f]}
                for f, a in FIELDS.items()
            )
        ]
        return chosen

    def metadata_schema(self, index: int) -> dict:
        """``key -> MetadataField`` of the sources block ``index`` selects (first one wins)."""
        out: dict = {}
        for s in self._block_sources(self.blocks[index]):
            for f in s.ephemeris_metadata_schema:
                out.setdefault(f.field_name, f)
        return out

    def operators(self, index: int, key: str) -> list[str]:
        """Operators the key's data type allows (ordering only for ``int`` and ``double``)."""
        field = self.metadata_schema(index).get(key)
        if field is None:
            return list(OPERATORS)
        return list(OPERATORS if field.data_type in ORDERED_TYPES else UNORDERED)

    def allowed_values(self, index: int, key: str) -> list[str]:
        """The schema's allowed values of ``key`` (as strings; empty = free text)."""
        field = self.metadata_schema(index).get(key)
        if field is None:
            return []
        return [str(v) for v in field.allowed_values]

    # -- editing blocks -----------------------------------------------------------------------
    def _changed(self, structure: bool = False) -> None:
        self.param.trigger("blocks")
        if structure:
            self.blocks_version += 1

    def add_block(self, kind: str) -> None:
        """Append an empty block of ``kind`` (``ground``, ``space``, ``events``, ``adhoc``)."""
        if kind not in BLOCK_KINDS:
            raise ValueError(f"kind must be one of {', '.join(BLOCK_KINDS)}, got {kind!r}")
        block = empty_block(kind)
        if kind == "adhoc":
            block["locations"] = "56.38, -94.64"
        self.blocks.append(block)
        self._changed(structure=True)

    def remove_block(self, index: int) -> None:
        del self.blocks[index]
        self._changed(structure=True)

    def set_block(self, index: int, field: str, value) -> None:
        """Set one field of block ``index`` (a selection or the locations text)."""
        self.blocks[index][field] = value
        # The metadata keys on offer depend on the sources the block selects.
        self._changed(structure=field in FIELDS)

    def add_filter(self, index: int) -> None:
        """Add a metadata expression to block ``index``, on the first key of its schema."""
        keys = list(self.metadata_schema(index))
        if not keys:
            self._fail(
                f"{self.block_names()[index]}: its data sources declare no metadata to filter on.",
                "warning",
            )
            return
        key = keys[0]
        self.blocks[index]["filters"].append(
            {"key": key, "operator": self.operators(index, key)[0], "values": []}
        )
        self._changed(structure=True)

    def remove_filter(self, index: int, number: int) -> None:
        del self.blocks[index]["filters"][number]
        self._changed(structure=True)

    def set_filter(self, index: int, number: int, field: str, value) -> None:
        """Set ``key``, ``operator`` or ``values`` of one metadata expression."""
        expr = self.blocks[index]["filters"][number]
        expr[field] = value
        if field == "key":
            expr["operator"] = self.operators(index, value)[0]
            expr["values"] = []
        self._changed(structure=field != "values")

    def block_names(self) -> list[str]:
        """AuroraX names of the blocks (``ground1``, ``space1``, ``adhoc1``...), form order."""
        counts: dict[str, int] = {}
        names = []
        for b in self.blocks:
            counts[b["kind"]] = counts.get(b["kind"], 0) + 1
            names.append(f"{b['kind']}{counts[b['kind']]}")
        return names

    # -- query JSON both ways -----------------------------------------------------------------
    def body(self) -> dict:
        """The AuroraX JSON body of the form (raises ``ValueError`` with a message for bad input)."""
        return form_body(self)

    def apply_body(self, body: dict, dates: bool = True) -> None:
        """Fill the form from an AuroraX JSON body (an example or a shared URL)."""
        blocks = blocks_from_body(body)
        distances = body.get("max_distances") or {}
        values = set(distances.values())
        with param.parameterized.batch_call_watchers(self):
            if dates and body.get("start") and body.get("end"):
                start = pd.Timestamp(body["start"])
                end = pd.Timestamp(body["end"])
                self.start = start.date()
                # The form's end day is inclusive; the body's end is exclusive at midnight.
                last = end - pd.Timedelta(days=1) if end == end.normalize() else end
                self.end = last.date()
            self.blocks = blocks
            self.conjunction_types = [
                t for t in body.get("conjunction_types", ["nbtrace"]) if t in CONJUNCTION_TYPES
            ]
            if len(values) == 1:
                self.distance_km = values.pop()
                self.advanced_distances = ""
            else:
                self.distance_km = None
                self.advanced_distances = json.dumps(distances)
            fov = body.get("field_of_view")
            self.field_of_view = fov is not None
            if fov:
                self.min_elevation_deg = float(fov.get("min_elevation_deg", 5.0))
            self.blocks_version += 1

    @param.depends("example", watch=True)
    def _load_example(self) -> None:
        if self.example:
            self.apply_body(EXAMPLES[self.example], dates=False)
            self.status = ""

    # -- search -------------------------------------------------------------------------------
    def _fail(self, message: str, kind: str = "danger") -> None:
        self.status, self.status_kind = message, kind

    def search(self) -> None:
        """Run the form's search and fill ``result``, ``table`` and ``status``."""
        with param.parameterized.batch_call_watchers(self):
            self.result, self.table, self.selected_row, self.detail = None, None, None, None
            self.search_s = None
        try:
            body = self.body()
            ConjunctionQuery.from_json(body)  # validation errors name the field
        except ValueError as exc:
            self._fail(str(exc))
            return
        text = json.dumps(body, sort_keys=True)
        self.query_json = text
        t0 = time.perf_counter()
        try:
            result = services.search_conjunctions(Path(self.db_path), text)
        except ValueError as exc:
            self._fail(str(exc))
            return
        except Exception as exc:  # a broken repository, never a stack trace on the page
            self._fail(f"The search failed: {type(exc).__name__}: {exc}")
            return
        elapsed = time.perf_counter() - t0
        n = len(result)
        table = result.data.drop(
            columns=["events", *[c for c in result.data.columns if c.endswith("_identifier")]]
        )
        for c in ("start", "end", "closest_epoch", "farthest_epoch"):
            table[c] = table[c].dt.strftime("%Y-%m-%d %H:%M")
        table = table.round({"min_distance_km": 1, "max_distance_km": 1})
        shown = result.data.iloc[: self.max_rows]
        table.insert(
            0,
            "view_in",
            [self._links(row, result.query.block_names) for _, row in shown.iterrows()]
            + [""] * (len(table) - len(shown)),
        )
        with param.parameterized.batch_call_watchers(self):
            self.result = result
            self.search_s = elapsed
            self.table = table.iloc[: self.max_rows]
            if n == 0:
                notes = " ".join(result.notes)
                self._fail(
                    f"No conjunctions found in {elapsed:.2f} s. {notes} Try a longer date range, a "
                    "larger distance or fewer metadata filters.".replace("  ", " "),
                    "warning",
                )
            elif n > self.max_rows:
                self._fail(
                    f"Found {n} conjunctions in {elapsed:.2f} s; the table shows the first "
                    f"{self.max_rows} (the downloads hold all). Narrow the days or the distance.",
                    "warning",
                )
            else:
                s = "" if n == 1 else "s"
                self._fail(f"Found {n} conjunction{s} in {elapsed:.2f} s.", "success")

    def _links(self, row, names) -> str:
        """The row's links to view the conjunction elsewhere (``row_links``)."""
        start, end = row["start"].tz_convert(None), row["end"].tz_convert(None)
        imager, spacecraft = analysis_members(row, names, self._sources)
        return row_links(start, analysis_url(imager, spacecraft, start, end), explorer_url(start))

    def about(self) -> str:
        """Markdown of the last search: its exact JSON body (pretty-printed), the number of
        results and the time the search took ('' before a search)."""
        if self.result is None or not self.query_json:
            return ""
        return about_markdown(self.query_json, len(self.result), self.search_s)

    # -- downloads ----------------------------------------------------------------------------
    def download(self, fmt: str) -> io.BytesIO | None:
        """The whole result as ``csv``, ``json`` or ``parquet`` bytes (None before a search)."""
        if self.result is None:
            return None
        if fmt == "csv":
            return io.BytesIO(self.result.to_csv().encode())
        if fmt == "json":
            return io.BytesIO(self.result.to_json().encode())
        if fmt == "parquet":
            buf = io.BytesIO()
            self.result.to_parquet(buf)
            buf.seek(0)
            return buf
        raise ValueError(f"format must be csv, json or parquet, got {fmt!r}")

    # -- one conjunction ----------------------------------------------------------------------
    @param.depends("selected_row", watch=True)
    def open_row(self) -> None:
        """Distance over time, footprint tracks and that night's keograms and movies."""
        i = self.selected_row
        if i is None or self.result is None:
            self.detail = None
            return
        if not 0 <= i < len(self.result):
            self._fail(f"There is no conjunction #{i}; rows: 0 to {len(self.result) - 1}.")
            return
        row = self.result.data.iloc[i]
        names = self.result.query.block_names
        by_id = {s.identifier: s for s in self._sources}
        members, ground, custom = [], [], []
        for name in names:
            ident = row[f"{name}_identifier"]
            if pd.isna(ident):
                custom.append(row[name])
                continue
            s = by_id[int(ident)]
            members.append((s.identifier, s.program, s.platform))
            if s.source_type == "ground":
                ground.append(s.display_name)
        imager, spacecraft = analysis_members(row, names, self._sources)
        start = row["start"].tz_convert(None)
        end = row["end"].tz_convert(None)
        context = pd.Timedelta(minutes=30)
        try:
            series = self.result.distance_series(i)
            tracks = services.member_tracks(
                Path(self.db_path),
                start - context,
                end + context + pd.Timedelta(minutes=1),
                members,
                _LOCATION[row["conjunction_type"]],
            )
            day = start.normalize()
            products = services.night_products(
                Path(self.db_path), day, day + pd.Timedelta(days=1), members
            )
        except Exception as exc:  # shown on the page
            self._fail(f"Cannot open conjunction #{i}: {exc}")
            return
        sites = tracks[tracks["name"].isin(ground)].groupby("name", as_index=False).first()
        for text in custom:
            lat, lon = (float(v) for v in text.rsplit(" ", 1)[-1].split("/"))
            sites = pd.concat(
                [sites, pd.DataFrame({"name": [text], "lat": [lat], "lon": [lon]})],
                ignore_index=True,
            )
        fov_km = None
        if ground:
            fov_km = field_of_view_radius_km(
                self.result.query.field_of_view.min_elevation_deg
                if self.result.query.field_of_view
                else 5.0
            )
        limits = [v for v in self.result.query.max_distances.values() if v]
        self.detail = {
            "row": i,
            "title": " x ".join(row[n] for n in names)
            + f", {row['start']:%Y-%m-%d %H:%M}-{row['end']:%H:%M} UT ({row['conjunction_type']})",
            "series": series,
            "tracks": tracks[~tracks["name"].isin(ground)],
            "sites": sites,
            "field_of_view_km": fov_km,
            "limit_km": max(limits) if limits else None,
            "products": products,
            "analysis_url": analysis_url(imager, spacecraft, start, end),
            "links": self._links(row, names),
        }


class ConjunctionSearchPage(pn.viewable.Viewer):
    """Layout of the conjunction search page."""

    def __init__(self, state: ConjunctionSearchState, **params):
        super().__init__(**params)
        self.state = state
        self.detail_exports = ()  # PNG/HTML buttons of the opened conjunction's map and distance

    # -- block editor -------------------------------------------------------------------------
    def _blocks(self, *_):
        s = self.state
        names = s.block_names()
        return pn.Column(
            *[block_card(s, i, n, b) for i, (n, b) in enumerate(zip(names, s.blocks, strict=True))],
            sizing_mode="stretch_width",
        )

    # -- results ------------------------------------------------------------------------------
    def _downloads(self):
        s = self.state
        buttons = []
        for fmt in ("csv", "json", "parquet"):
            buttons.append(
                pn.widgets.FileDownload(
                    callback=lambda fmt=fmt: s.download(fmt),
                    filename=f"conjunctions.{fmt}",
                    label=f"Download {fmt.upper()}",
                    color="primary",
                    width=160,
                    disabled=pn.bind(lambda r: r is None or len(r) == 0, s.param.result),
                )
            )
        return pn.Row(*buttons)

    def _table(self, table):
        if table is None or table.empty:
            return pn.pane.Markdown("")
        widget = pn.widgets.Tabulator(
            table,
            disabled=True,
            show_index=True,
            pagination="remote",
            page_size=20,
            selectable=1,
            formatters={"view_in": "html"},
            titles={"view_in": "View in"},
            sizing_mode="stretch_width",
        )
        widget.param.watch(
            lambda e: setattr(self.state, "selected_row", int(e.new[0]) if e.new else None),
            "selection",
        )
        return widget

    def _detail(self, detail):
        view, self.detail_exports = detail_view(detail)
        return view

    def __panel__(self):
        s = self.state
        adds = []
        for kind, label in BLOCK_KINDS.items():
            b = pn.widgets.Button(label=f"Add {label.lower()} block", width=190)
            b.on_click(lambda _, k=kind: s.add_block(k))
            adds.append(b)
        run = pn.widgets.Button(label="Search", color="primary", width=160)
        run.on_click(lambda _: s.search())
        share = pn.bind(
            lambda q: f"Share this search: [link](?q={quote(q)})" if q else "", s.param.query_json
        )
        return pn.Column(
            pn.pane.Markdown(
                "## Conjunction search\nFind times when the footprints of the chosen data sources "
                "were within a distance of each other (one member from every block)."
            ),
            pn.widgets.Select.from_param(s.param.example, label="Example searches", width=560),
            pn.Row(
                pn.widgets.DatePicker.from_param(s.param.start, label="From (UTC day)"),
                pn.widgets.DatePicker.from_param(s.param.end, label="To (UTC day, inclusive)"),
            ),
            pn.panel(pn.bind(self._blocks, s.param.blocks_version)),
            pn.Row(*adds),
            pn.Row(
                pn.widgets.FloatInput.from_param(
                    s.param.distance_km, label="Max distance, every pair (km)", width=200
                ),
                pn.widgets.TextInput.from_param(
                    s.param.advanced_distances,
                    label='Advanced distances, per pair (JSON, e.g. {"ground1-space1": 300})',
                    width=420,
                ),
            ),
            pn.Row(
                pn.widgets.CheckButtonGroup.from_param(
                    s.param.conjunction_types, label="Conjunction types"
                ),
                pn.widgets.Checkbox.from_param(
                    s.param.field_of_view, label="Field-of-view mode (ground pairs)"
                ),
                pn.widgets.FloatInput.from_param(
                    s.param.min_elevation_deg, label="Min elevation (deg)", width=140
                ),
            ),
            run,
            status_alert(s.param.status, s.param.status_kind),
            pn.pane.Markdown(share),
            pn.Card(
                pn.pane.Markdown(pn.bind(lambda *_: s.about(), s.param.result), name="about"),
                title="About this query",
                collapsed=True,
                sizing_mode="stretch_width",
                visible=pn.bind(lambda r: r is not None, s.param.result),
            ),
            self._downloads(),
            pn.panel(pn.bind(self._table, s.param.table)),
            pn.panel(pn.bind(self._detail, s.param.detail)),
            sizing_mode="stretch_width",
        )


def create_page(db_path: Path) -> ConjunctionSearchPage:
    """A fresh conjunction search page for one browser session (``?q=<JSON body>`` reruns it)."""
    args = read_query(QUERY)
    state = ConjunctionSearchState(db_path=str(db_path))
    state.load()
    body = args.get("q")
    if body is None and not state.status:
        # A new visitor starts on the paper's example, ready to run.
        state.example = next(iter(EXAMPLES))
    if body is not None and not state.status:
        reason = fill_form(state, body)
        if reason:  # the default form, and why
            state = ConjunctionSearchState(db_path=str(db_path))
            state.load()
            args = args.rejected("q", f"it is not a search this page can run ({reason})")
        else:
            state.search()
    if args.problems:
        kind = state.status_kind if state.status and state.status_kind == "danger" else "warning"
        state.status, state.status_kind = args.before(state.status), kind
    keep_in_address(state, {"query_json": "q"}, args)
    return ConjunctionSearchPage(state)
