"""Keogramist: keograms of every matching imager, one row per site and day on a 0-24 UT axis.

Rows are sorted by day, program and site (grouped under a per-day label), or by program, site
and day (grouped under a per-site label), and shown a page at a time.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import holoviews as hv
import pandas as pd
import panel as pn
import param

from app import services
from app.pages._export import export_buttons
from app.pages._query import read_query, utc_day
from app.pages._widgets import status_alert
from aurorax.asi import AsiError
from aurorax.config import load_settings
from aurorax.viz import plot_fisheye, plot_keogram_rows

__all__ = ["KeogramistState", "KeogramistPage", "create_page", "MAX_ROWS", "MAX_RECORDS", "QUERY"]

#: Keogram rows drawn at once: one page (a week of every imager is ~270 rows, ~14 pages).
MAX_ROWS = 20
#: Most keogram records listed (paged through) by one search.
MAX_RECORDS = 5000
#: The address's query parameters: the first and the last UTC day searched.
#: Family names as their networks write them, where that is not the program in capitals.
_FAMILY_NAMES = {"TREX": "TREx"}
QUERY = {"start": utc_day(), "end": utc_day()}
_DAY = pd.Timedelta(days=1)
_ROW_COLUMNS = [
    "label",
    "display_name",
    "data_source",
    "program",
    "site_uid",
    "day",
    "start",
    "end",
    "note",
    "movie_url",
    "group",
    "tick",
]
# Row order of each grouping; data_source last so that equal sites still sort the same way.
_ORDER = {
    "date": ["day", "program", "site", "data_source"],
    "site": ["program", "site", "data_source", "day"],
}


class KeogramistState(param.Parameterized):
    """Inputs, results and status of the Keogramist page (no widgets)."""

    db_path = param.String(doc="Repository file searched for daily keogram records.")
    asi_dir = param.String(doc="Folder of the all-sky image files the keograms are made from.")
    products_dir = param.String(doc="Folder of the data product files (``/products/...`` URLs).")
    start = param.Date(default=None, allow_None=True, doc="First UTC day searched.")
    end = param.Date(default=None, allow_None=True, doc="Last UTC day searched (inclusive).")
    programs = param.ListSelector(default=[], objects=[], doc="Datasets (programs); none = all.")
    min_operating_minutes = param.Integer(
        default=0,
        bounds=(0, 1440),
        doc="Metadata filter: keograms with at least this many minutes.",
    )
    group_by = param.Selector(
        default="date",
        objects=["date", "site"],
        doc="Rows by day, program and site under a label per day, or by site under one per site.",
    )
    only_with_images = param.Boolean(
        default=False, doc="Hide the keogram records whose image files are not here."
    )
    max_rows = param.Integer(default=MAX_ROWS, bounds=(1, None), doc="Rows drawn per page.")
    max_records = param.Integer(default=MAX_RECORDS, bounds=(1, None), doc="Most records listed.")
    page = param.Integer(default=1, bounds=(1, None), doc="Page of rows shown (1 = first).")
    n_pages = param.Integer(default=0, doc="Pages of the current search (0 = nothing found).")
    n_records = param.Integer(default=0, doc="Keogram records listed by the current search.")
    first_day = param.Date(default=None, allow_None=True, doc="First day with keogram records.")
    last_day = param.Date(default=None, allow_None=True, doc="Last day with keogram records.")
    rows = param.DataFrame(default=None, allow_None=True, doc="The rows of the shown page.")
    keograms = param.List(default=[], doc="Keogram (or None: no image files) of each row.")
    status = param.String(default="", doc="Message for the user.")
    picked = param.String(default="", doc="The clicked row and time, or why there is no frame.")
    fisheye = param.Parameter(default=None, doc="Fisheye of the clicked site and time.")
    movie = param.String(default="", doc="Daily movie file of the clicked row ('' = none).")
    movie_time_s = param.Number(default=0.0, doc="Position of the clicked frame in the movie.")

    def __init__(self, **params):
        super().__init__(**params)
        self._listed = None  # every record of the search, in order (the pages are slices)
        self._notes: list[str] = []  # the search's messages, shown with each page's own
        self._made: dict = {}  # (data source, day) -> (keogram or None, note)

    def load(self, start: str = "", end: str = "") -> None:
        """Offer the programs with keogram records and search ``start`` to ``end`` (ISO days,
        e.g. from the URL), by default the first day that has any (also when the days cannot
        be read or are reversed: the status says so)."""
        try:
            sources = services.repository_counts(Path(self.db_path))
        except Exception as exc:  # shown on the page, never a stack trace
            self.status = f"Cannot read the repository {self.db_path}: {exc}"
            return
        first, last = sources["first_epoch"].min(), sources["last_epoch"].max()
        if pd.isna(first):
            self.status = "The repository has no records yet."
            return
        everything = services.daily_keograms(
            Path(self.db_path), first.floor("D"), last.floor("D") + pd.Timedelta(days=1)
        )
        if everything.empty:
            self.status = "The repository has no daily keogram records."
            return
        self.param.programs.objects = sorted(everything["program"].unique())
        self.first_day = everything["start"].min().date()
        self.last_day = everything["start"].max().date()
        first_day = last_day = self.first_day
        problem = ""
        if start or end:
            try:
                days = dt.date.fromisoformat(start or end), dt.date.fromisoformat(end or start)
            except ValueError as exc:
                problem = f"Cannot read the days {start!r} to {end!r}: {exc}"
            else:
                if days[1] < days[0]:
                    problem = f"The end day {days[1]} is before the start day {days[0]}."
                else:
                    first_day, last_day = days
        with param.parameterized.batch_call_watchers(self):
            self.start = first_day
            self.end = last_day
        self.search()
        if problem:  # the first day with keograms is shown instead
            self.status = " ".join([problem, self.status]).strip()

    def _filter_json(self) -> str:
        if not self.min_operating_minutes:
            return "{}"
        return json.dumps(
            {
                "logical_operator": "AND",
                "expressions": [
                    {
                        "key": "operating_minutes",
                        "operator": ">=",
                        "values": [str(self.min_operating_minutes)],
                    }
                ],
            }
        )

    @param.depends(
        "start",
        "end",
        "programs",
        "min_operating_minutes",
        "group_by",
        "only_with_images",
        "max_rows",
        "max_records",
        watch=True,
    )
    def search(self) -> None:
        """Find the daily keogram records, sort them and show their first page."""
        self.fisheye, self.picked, self.movie = None, "", ""
        self._listed, self._made = None, {}
        if self.start is None or self.end is None:
            return
        if self.end < self.start:
            self._nothing(f"The end day {self.end} is before the start day {self.start}.")
            return
        try:
            records = services.daily_keograms(
                Path(self.db_path),
                pd.Timestamp(self.start, tz="UTC"),
                pd.Timestamp(self.end, tz="UTC") + pd.Timedelta(days=1),
                self.programs,
                self._filter_json(),
            )
        except Exception as exc:  # a bad repository or filter: say so, never a stack trace
            self._nothing(f"The search failed: {exc}")
            return
        if records.empty:
            self._nothing(
                f"No daily keograms from {self.start} to {self.end}"
                + (f" for {', '.join(self.programs)}" if self.programs else "")
                + (
                    f" with at least {self.min_operating_minutes} operating minutes"
                    if self.min_operating_minutes
                    else ""
                )
                + "."
            )
            return
        records = self._sorted(records)
        notes = []
        if len(records) > self.max_records:
            notes.append(
                f"{len(records)} keograms match; listing the first {self.max_records}. "
                "Narrow the days or datasets to see the others."
            )
            records = records.head(self.max_records).reset_index(drop=True)
        if self.only_with_images:
            # Whether a record has images is whether its keogram can be made: made here for
            # every listed record (each is cached by the services), so the pages are right.
            drawn = [self._keogram_of(rec)[0] is not None for rec in records.itertuples()]
            hidden = len(records) - sum(drawn)
            if hidden == len(records):
                self._nothing(
                    " ".join(
                        notes
                        + [
                            f"None of the {len(records)} keogram records from {self.start} "
                            f"to {self.end} has image files here."
                        ]
                    )
                )
                return
            if hidden:
                notes.append(
                    f"{hidden} of {len(records)} keogram records have no image files here "
                    "and are hidden."
                )
            records = records.loc[drawn].reset_index(drop=True)
        self._listed, self._notes = records, notes
        with param.parameterized.discard_events(self):
            self.page = 1  # shown below, once
        with param.parameterized.batch_call_watchers(self):
            self.n_records = len(records)
            self.n_pages = math.ceil(len(records) / self.max_rows)
        self.show_page()

    def _nothing(self, status: str) -> None:
        """No rows: ``status`` says why."""
        self._listed = None
        with param.parameterized.batch_call_watchers(self):
            self.rows, self.keograms = None, []
            self.n_records = self.n_pages = 0
            self.status = status

    def _sorted(self, records: pd.DataFrame) -> pd.DataFrame:
        """The records in the grouping's order (days, then programs, then sites, or by site)."""
        keys = records.assign(
            day=records["start"].dt.floor("D"), site=records["site_uid"].fillna("").astype(str)
        )
        order = keys.sort_values(_ORDER[self.group_by], kind="stable").index
        return records.loc[order].reset_index(drop=True)

    def _keogram_of(self, rec) -> tuple:
        """(keogram or None, note) of one record: its UTC day's keogram from the image files."""
        day = rec.start.floor("D")
        key = (rec.data_source, day)
        if key not in self._made:
            keogram, note = None, ""
            if not rec.site_uid:
                note = "no site_uid in the data source's metadata: cannot find its images"
            else:
                try:
                    # The whole UTC day: a daily record's end is its last operating minute.
                    keogram = services.keogram_of_day(
                        Path(self.asi_dir), rec.program, rec.site_uid, day, day + _DAY
                    )
                except AsiError:
                    note = f"no image files for {rec.site_uid} on this day in {self.asi_dir}"
                except Exception as exc:  # an unreadable file: that row says so
                    note = f"cannot read the images: {exc}"
            self._made[key] = keogram, note
        return self._made[key]

    @property
    def page_label(self) -> str:
        """Where the shown page is, e.g. ``"Page 1 of 3 (rows 1-20 of 52)"``."""
        if not self.n_pages:
            return "No rows"
        first = (self.page - 1) * self.max_rows + 1
        last = min(self.page * self.max_rows, self.n_records)
        return f"Page {self.page} of {self.n_pages} (rows {first}-{last} of {self.n_records})"

    def next_page(self) -> None:
        """Show the next page of rows (the last page stays)."""
        if self.page < self.n_pages:
            self.page += 1

    def previous_page(self) -> None:
        """Show the previous page of rows (the first page stays)."""
        if self.page > 1:
            self.page -= 1

    def first_night(self) -> None:
        """Search the first day with keogram records."""
        if self.first_day is not None:
            with param.parameterized.batch_call_watchers(self):
                self.start = self.end = self.first_day

    def whole_span(self) -> None:
        """Search every day from the first to the last with keogram records."""
        if self.first_day is not None:
            with param.parameterized.batch_call_watchers(self):
                self.start, self.end = self.first_day, self.last_day

    def dataset_families(self) -> list[str]:
        """The families of the datasets offered (``"themis-asi"`` -> ``"THEMIS"``, ``"trex"`` ->
        ``"TREx"``, as the network writes it), sorted."""
        names = {p.split("-")[0].upper() for p in self.param.programs.objects}
        return sorted(_FAMILY_NAMES.get(n, n) for n in names)

    def select_datasets(self, family: str) -> None:
        """Search the datasets of one family only (e.g. ``"THEMIS"``: ``themis-asi``)."""
        family = family.lower()
        self.programs = [
            p
            for p in self.param.programs.objects
            if p.lower() == family or p.lower().startswith(family + "-")
        ]

    def clear_datasets(self) -> None:
        """Search every dataset again (no dataset chosen)."""
        self.programs = []

    @param.depends("page", watch=True)
    def show_page(self) -> None:
        """Build the keograms of the rows of the current page from the image files."""
        self.fisheye, self.picked, self.movie = None, "", ""
        records = self._listed
        if records is None:
            return
        records = records.iloc[(self.page - 1) * self.max_rows :][: self.max_rows]
        movies = self._movie_urls(records)
        rows, keograms = [], []
        for rec in records.itertuples(index=False):
            keogram, note = self._keogram_of(rec)
            day = rec.start.floor("D")
            by_date = self.group_by == "date"
            rows.append(
                (
                    f"{rec.display_name} {day:%Y-%m-%d}",
                    rec.display_name,
                    rec.data_source,
                    rec.program,
                    rec.site_uid,
                    day,
                    rec.start,
                    rec.end,
                    note,
                    movies.get((rec.data_source, day), ""),
                    f"{day:%Y-%m-%d}" if by_date else rec.display_name,
                    rec.display_name if by_date else f"{day:%Y-%m-%d}",
                )
            )
            keograms.append(keogram)
        notes = list(self._notes)
        missing = sum(k is None for k in keograms)
        if missing:
            where = "" if self.n_pages == 1 else "the "
            on_page = "" if self.n_pages == 1 else " on this page"
            notes.append(
                f"{missing} of {where}{len(keograms)} keogram records{on_page} "
                "have no image files here."
            )
        with param.parameterized.batch_call_watchers(self):
            self.keograms = keograms
            self.rows = pd.DataFrame(rows, columns=_ROW_COLUMNS)
            self.status = " ".join(notes).strip()

    def _movie_urls(self, records: pd.DataFrame) -> dict:
        """(data source, UTC day) -> URL of the daily movie record, where there is one."""
        try:
            movies = services.daily_movies(
                Path(self.db_path),
                records["start"].min().floor("D"),
                records["end"].max().floor("D") + _DAY,
                self.programs,
            )
        except Exception:  # movies are an extra: the keograms are shown without them
            return {}
        return {(m.data_source, m.start.floor("D")): m.url for m in movies.itertuples(index=False)}

    def _movie_of(self, row, index: int, time: pd.Timestamp) -> tuple[str, float]:
        """The daily movie file of a row and the second at which its frame nearest ``time`` is."""
        from aurorax.demo import product_path

        if not row["movie_url"]:
            return "", 0.0
        try:
            path = product_path(self.products_dir, row["movie_url"])
            if not path.is_file():
                return "", 0.0
            fps = services.movie_fps(path)
        except Exception:  # a bad URL or unreadable movie: no movie, the frame still shows
            return "", 0.0
        # The daily movie has one frame per image frame of the day, in order (render_products).
        frame = int(self.keograms[index].times.get_indexer([time], method="nearest")[0])
        return str(path), frame / fps if fps > 0 else 0.0

    def pick(self, x_hours: float | None, y: float | None) -> None:
        """Show the fisheye frame nearest the clicked point (x: UT hours, y: row coordinate)."""
        if x_hours is None or y is None or self.rows is None or self.rows.empty:
            return
        n = len(self.rows)
        index = n - 1 - int(y // 1)
        if not (0 <= index < n) or not (0.0 <= x_hours <= 24.0):
            return
        row = self.rows.iloc[index]
        when = row["day"] + pd.Timedelta(hours=float(x_hours))
        if self.keograms[index] is None:
            self.fisheye, self.movie = None, ""
            self.picked = f"{row['label']}: {row['note']}"
            return
        try:
            # A window of an hour either side keeps the read to the files around the click.
            fisheye = services.fisheye_at(
                Path(self.asi_dir),
                row["program"],
                row["site_uid"],
                max(when - pd.Timedelta(hours=1), row["day"]),
                min(when + pd.Timedelta(hours=1), row["day"] + _DAY),
                when,
            )
        except Exception as exc:  # e.g. the click fell in a gap of more than an hour
            self.fisheye, self.movie = None, ""
            self.picked = f"{row['label']} at {when:%H:%M} UT: no frame ({exc})"
            return
        movie, movie_time_s = self._movie_of(row, index, fisheye.time)
        with param.parameterized.batch_call_watchers(self):
            self.movie, self.movie_time_s = movie, movie_time_s
            self.picked = (
                f"{row['label']}: clicked {when:%H:%M:%S} UT, "
                f"nearest frame {fisheye.time:%Y-%m-%d %H:%M:%S} UT"
            )
            self.fisheye = fisheye


class KeogramistPage(pn.viewable.Viewer):
    """Layout of the Keogramist page."""

    def __init__(self, state: KeogramistState, **params):
        super().__init__(**params)
        self.state = state
        self.tap = None  # the click stream of the drawn keograms
        self.exports = export_buttons(self.keograms_plot, "keograms", "aurorax keograms")
        self.fisheye_exports = export_buttons(self.fisheye_plot, "fisheye", "aurorax fisheye")

    def keograms_plot(self):
        """The keogram rows of the current search (HoloViews), or None."""
        rows = self.state.rows
        if rows is None or rows.empty:
            return None
        return plot_keogram_rows(
            self.state.keograms,
            list(rows["day"]),
            list(rows["tick"]),
            list(rows["note"]),
            groups=list(rows["group"]),
        )

    def fisheye_plot(self):
        """The clicked fisheye frame (HoloViews), or None."""
        return None if self.state.fisheye is None else plot_fisheye(self.state.fisheye)

    def _keograms(self, rows, keograms):
        plot = self.keograms_plot()
        if plot is None:
            return pn.pane.Markdown("No keograms to show.")
        self.tap = hv.streams.Tap(source=plot, x=None, y=None)
        self.tap.add_subscriber(lambda x, y: self.state.pick(x, y))
        return pn.pane.HoloViews(plot, name="keograms")

    def _fisheye(self, fisheye):
        if fisheye is None:
            return pn.pane.Markdown("Click a keogram to see the fisheye frame at that time.")
        return pn.Column(
            pn.pane.HoloViews(plot_fisheye(fisheye), name="fisheye"), self.fisheye_exports
        )

    def _movie(self, movie, time_s):
        if not movie:
            return pn.pane.Markdown("")
        return pn.Column(
            pn.pane.Markdown(f"Daily movie, at {time_s:.2f} s = the clicked frame:"),
            pn.pane.Video(movie, time=time_s, width=420, loop=False, name="movie"),
        )

    def _button(self, name: str, action, width: int = 110, **params) -> pn.widgets.Button:
        button = pn.widgets.Button(label=name, width=width, **params)
        button.on_click(lambda event: action())
        return button

    def _quick_select(self):
        s = self.state
        families = [
            self._button(f"All {family}", lambda f=family: s.select_datasets(f))
            for family in s.dataset_families()
        ]
        return pn.FlexBox(
            self._button("First night", s.first_night),
            self._button("Whole span", s.whole_span),
            *families,
            self._button("Clear", s.clear_datasets, color="light"),
            pn.pane.Markdown("Quick select: days, then datasets ('Clear' = all datasets)."),
        )

    def _pager(self):
        s = self.state
        previous = self._button("Previous", s.previous_page, width=100)
        following = self._button("Next", s.next_page, width=100)
        # Bound to the rows too: a new search goes back to page 1 without a page event.
        shown = (s.param.page, s.param.n_pages, s.param.rows)
        previous.disabled = pn.bind(lambda *_: s.page <= 1, *shown)
        following.disabled = pn.bind(lambda *_: s.page >= s.n_pages, *shown)
        label = pn.bind(lambda *_: s.page_label, *shown)
        return pn.Row(previous, pn.pane.Markdown(label, name="page", margin=(12, 10)), following)

    def __panel__(self):
        s = self.state
        controls = pn.FlexBox(
            pn.widgets.DatePicker.from_param(s.param.start, label="From (UTC)", width=170),
            pn.widgets.DatePicker.from_param(s.param.end, label="To (UTC)", width=170),
            pn.widgets.MultiChoice.from_param(
                s.param.programs, name="Datasets (none = all)", width=280
            ),
            pn.widgets.IntInput.from_param(
                s.param.min_operating_minutes, name="Min. operating minutes", step=60, width=170
            ),
        )
        view = pn.FlexBox(
            pn.pane.Markdown("Group by:", margin=(12, 5)),
            pn.widgets.RadioButtonGroup.from_param(
                s.param.group_by, options={"Date": "date", "Site": "site"}, width=160
            ),
            pn.widgets.Checkbox.from_param(
                s.param.only_with_images, label="Only rows with images", margin=(14, 20)
            ),
            self._pager(),
        )
        return pn.Column(
            pn.pane.Markdown(
                "## Keogramist\nDaily keograms of every matching imager, one row per site and "
                "day on a shared 0-24 UT axis (north at the top of each row; each row scaled to "
                "its own 1st-99.5th percentile counts, square-root stretched), made from the "
                "image files, grouped by date (day, program, site) or by site, a page of "
                f"{s.max_rows} rows at a time. Click a keogram to open the fisheye frame of "
                "that site nearest that time."
            ),
            status_alert(s.param.status),
            controls,
            self._quick_select(),
            view,
            pn.panel(pn.bind(self._keograms, s.param.rows, s.param.keograms)),
            self.exports,
            pn.pane.Markdown(pn.bind(lambda t: t, s.param.picked), name="picked"),
            pn.Row(
                pn.panel(pn.bind(self._fisheye, s.param.fisheye)),
                pn.panel(pn.bind(self._movie, s.param.movie, s.param.movie_time_s)),
            ),
            sizing_mode="stretch_width",
        )


def create_page(
    db_path: Path, asi_dir: Path | None = None, products_dir: Path | None = None
) -> KeogramistPage:
    """A fresh Keogramist page for one browser session (``?start=YYYY-MM-DD&end=YYYY-MM-DD``
    in the URL picks the days).

    Images come from ``asi_dir`` and movies from ``products_dir`` (default: the configured
    ``settings.asi_dir`` and ``settings.products_dir``).
    """
    args = read_query(QUERY)
    if asi_dir is None or products_dir is None:
        settings = load_settings()
        asi_dir = settings.asi_dir if asi_dir is None else asi_dir
        products_dir = settings.products_dir if products_dir is None else products_dir
    state = KeogramistState(
        db_path=str(db_path), asi_dir=str(asi_dir), products_dir=str(products_dir)
    )
    start, end = args.get("start"), args.get("end")
    state.load(start=start.isoformat() if start else "", end=end.isoformat() if end else "")
    state.status = args.before(state.status)
    return KeogramistPage(state)
