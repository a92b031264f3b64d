"""Keogramist: keograms of every matching imager, one row per site and day on a 0-24 UT axis."""

from __future__ import annotations

import datetime as dt
import json
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

__all__ = ["KeogramistState", "KeogramistPage", "create_page", "MAX_ROWS", "QUERY"]

#: Most keogram rows drawn at once (the datashader raster stays fast well beyond this).
MAX_ROWS = 60
#: The address's query parameters: the first and the last UTC day searched.
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
]


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
    max_rows = param.Integer(default=MAX_ROWS, bounds=(1, None), doc="Most rows drawn.")
    rows = param.DataFrame(default=None, allow_None=True, doc="One row per site and day drawn.")
    keograms = param.List(default=[], doc="Keogram (or None: no image files) of each row.")
    status = param.String(default="", doc="Message for the user.")
    picked = param.String(default="", doc="The clicked row and time, or why there is no frame.")
    fisheye = param.Parameter(default=None, doc="Fisheye of the clicked site and time.")
    movie = param.String(default="", doc="Daily movie file of the clicked row ('' = none).")
    movie_time_s = param.Number(default=0.0, doc="Position of the clicked frame in the movie.")

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
        first_day = last_day = everything["start"].min().date()
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

    @param.depends("start", "end", "programs", "min_operating_minutes", watch=True)
    def search(self) -> None:
        """Find the daily keogram records and build each one's keogram from the image files."""
        self.fisheye, self.picked, self.movie = None, "", ""
        if self.start is None or self.end is None:
            return
        if self.end < self.start:
            self.status = f"The end day {self.end} is before the start day {self.start}."
            self.rows, self.keograms = None, []
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
            self.status = f"The search failed: {exc}"
            self.rows, self.keograms = None, []
            return
        if records.empty:
            self.status = (
                f"No daily keograms from {self.start} to {self.end}"
                + (f" for {', '.join(self.programs)}" if self.programs else "")
                + (
                    f" with at least {self.min_operating_minutes} operating minutes"
                    if self.min_operating_minutes
                    else ""
                )
                + "."
            )
            self.rows, self.keograms = None, []
            return
        records = records.sort_values(["start", "program", "site_uid"]).reset_index(drop=True)
        status = ""
        if len(records) > self.max_rows:
            status = (
                f"{len(records)} keograms match; showing the first {self.max_rows}. "
                "Narrow the days or datasets to see the others."
            )
            records = records.head(self.max_rows)
        movies = self._movie_urls(records)
        rows, keograms = [], []
        for rec in records.itertuples(index=False):
            keogram, note = None, ""
            # The whole UTC day: a daily record's end is its last operating minute, inclusive.
            day = rec.start.floor("D")
            if not rec.site_uid:
                note = "no site_uid in the data source's metadata: cannot find its images"
            else:
                try:
                    keogram = services.keogram_of_day(
                        Path(self.asi_dir), rec.program, rec.site_uid, day, day + _DAY
                    )
                except AsiError:
                    note = f"no image files for {rec.site_uid} on this day in {self.asi_dir}"
                except Exception as exc:  # an unreadable file: that row says so
                    note = f"cannot read the images: {exc}"
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
                )
            )
            keograms.append(keogram)
        missing = sum(k is None for k in keograms)
        if missing:
            status = " ".join(
                [status, f"{missing} of {len(keograms)} keogram records have no image files here."]
            ).strip()
        with param.parameterized.batch_call_watchers(self):
            self.keograms = keograms
            self.rows = pd.DataFrame(rows, columns=_ROW_COLUMNS)
            self.status = status

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
            self.state.keograms, list(rows["day"]), list(rows["label"]), list(rows["note"])
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
        return pn.Column(
            pn.pane.Markdown(
                "## Keogramist\nDaily keograms of every matching imager, one row per site and "
                "day on a shared 0-24 UT axis (north at the top of each row; each row scaled to "
                "its own 1st-99.5th percentile counts, square-root stretched), made from the "
                "image files. Click a keogram to open the fisheye frame of that site nearest "
                "that time."
            ),
            status_alert(s.param.status),
            controls,
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
