"""Data Availability: per-source, per-day availability as a heat map, from the repository."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import panel as pn
import param

from app import services
from app.pages._export import export_buttons
from app.pages._query import read_query
from app.pages._widgets import status_alert
from aurorax.viz import plot_availability

__all__ = ["AvailabilityState", "AvailabilityPage", "create_page", "QUERY"]

#: The address's query parameters: none (but Panel's ``theme``, which every page reads).
QUERY: dict = {}

_ALL = "all"
_KINDS = {"Ephemeris": "ephemeris", "Data products": "data_products"}


# The statistics table's columns, from the frame's names.
_STATISTICS_COLUMNS = {
    "display_name": "Data source",
    "program": "Program",
    "ephemeris_count": "Ephemeris records",
    "data_product_count": "Data products",
    "min": "First day",
    "max": "Last day",
}


class AvailabilityState(param.Parameterized):
    """Inputs, results and status of the availability page (no widgets)."""

    db_path = param.String(doc="Repository file being shown.")
    start = param.Date(default=None, allow_None=True, doc="First UTC day shown.")
    end = param.Date(default=None, allow_None=True, doc="Last UTC day shown (inclusive).")
    kind = param.Selector(default="Ephemeris", objects=list(_KINDS), doc="What is counted.")
    program = param.Selector(default=_ALL, objects=[_ALL], doc="Show only this program.")
    sources = param.DataFrame(default=None, allow_None=True, doc="Data sources with counts.")
    availability = param.DataFrame(default=None, allow_None=True, doc="Per-source daily counts.")
    status = param.String(default="", doc="Message for the user.")

    def load(self) -> None:
        """Read the sources and, by default, the span of days that has data."""
        try:
            sources = services.repository_counts(Path(self.db_path))
        except Exception as exc:  # shown on the page, never a stack trace
            self.status = f"Cannot read the repository {self.db_path}: {exc}"
            return
        self.param.program.objects = [_ALL, *sorted(sources["program"].unique())]
        self.sources = sources
        first, last = sources["first_epoch"].min(), sources["last_epoch"].max()
        if pd.isna(first):
            self.status = "The repository has no ephemeris records yet."
            return
        with param.parameterized.batch_call_watchers(self):
            self.start = first.date()
            self.end = last.date()
        self.refresh()

    @param.depends("start", "end", watch=True)
    def refresh(self) -> None:
        """Re-read the daily counts for the chosen days."""
        if self.sources is None or self.start is None or self.end is None:
            return
        if self.end < self.start:
            self.status = f"The end day {self.end} is before the start day {self.start}."
            self.availability = None
            return
        self.status = ""
        self.availability = services.availability(
            Path(self.db_path), start=self.start, end=self.end + dt.timedelta(days=1)
        )

    @param.depends("availability", "program")
    def selected(self) -> pd.DataFrame:
        """The daily counts of the chosen program."""
        if self.availability is None:
            return pd.DataFrame(
                columns=["data_source", "day", "ephemeris_count", "data_product_count"]
            )
        rows = self.availability
        if self.program != _ALL:
            ids = self.sources.loc[self.sources["program"] == self.program, "identifier"]
            rows = rows[rows["data_source"].isin(ids)]
        return rows

    @param.depends("availability", "program")
    def statistics(self) -> pd.DataFrame:
        """Per-source totals for the chosen days: the 'Data Statistics' table."""
        rows = self.selected()
        if self.sources is None:  # the repository could not be read: the status says why
            return pd.DataFrame(columns=list(_STATISTICS_COLUMNS.values()))
        totals = rows.groupby("data_source")[["ephemeris_count", "data_product_count"]].sum()
        days = rows[rows["ephemeris_count"] > 0].groupby("data_source")["day"].agg(["min", "max"])
        table = self.sources.set_index("identifier")[["display_name", "program"]].join(
            totals, how="inner"
        )
        table = table.join(days.apply(lambda col: col.dt.date), how="left").reset_index(drop=True)
        return table.rename(columns=_STATISTICS_COLUMNS)


class AvailabilityPage(pn.viewable.Viewer):
    """Layout of the availability page."""

    def __init__(self, state: AvailabilityState, **params):
        super().__init__(**params)
        self.state = state
        self.exports = export_buttons(self.heatmap_plot, "availability", "aurorax availability")

    def heatmap_plot(self):
        """The availability heat map of the current choices (HoloViews), or None."""
        rows = self.state.selected()
        if self.state.sources is None or rows.empty:
            return None
        return plot_availability(rows, self.state.sources, kind=_KINDS[self.state.kind])

    def _heatmap(self, *_):
        plot = self.heatmap_plot()
        if plot is None:
            return pn.pane.Markdown("No records in the chosen days.")
        return pn.pane.HoloViews(plot, sizing_mode="stretch_width")

    def __panel__(self):
        s = self.state
        controls = pn.Row(
            pn.widgets.DatePicker.from_param(s.param.start, label="From (UTC)"),
            pn.widgets.DatePicker.from_param(s.param.end, label="To (UTC)"),
            pn.widgets.RadioButtonGroup.from_param(s.param.kind, label="Count"),
            pn.widgets.Select.from_param(s.param.program, label="Program"),
        )
        return pn.Column(
            pn.pane.Markdown(
                "## Data availability\nOne row per data source, one cell per UTC day; the colour "
                "is the fraction of the day's 1440 minutes with ephemeris (ground imagers only "
                "have records for the minutes they were operating)."
            ),
            status_alert(s.param.status),
            controls,
            pn.panel(pn.bind(self._heatmap, s.param.availability, s.param.program, s.param.kind)),
            self.exports,
            pn.pane.Markdown("### Data statistics"),
            pn.widgets.Tabulator(
                pn.bind(lambda *_: s.statistics(), s.param.availability, s.param.program),
                disabled=True,
                show_index=False,
                pagination="remote",
                page_size=30,
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )


def create_page(db_path: Path) -> AvailabilityPage:
    """A fresh availability page for one browser session (query parameters: see ``QUERY``)."""
    args = read_query(QUERY)
    state = AvailabilityState(db_path=str(db_path))
    state.load()
    state.status = args.before(state.status)
    return AvailabilityPage(state)
