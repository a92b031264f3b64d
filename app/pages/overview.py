"""Repository overview: every data source with its record counts and time span.

The first page a new user sees: it proves the repository is there and shows what is in it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import panel as pn
import param

from app import services
from app.pages._export import export_buttons
from app.pages._query import read_query
from app.pages._widgets import status_alert
from aurorax.viz import plot_record_counts

__all__ = ["OverviewState", "OverviewPage", "create_page", "QUERY"]

#: The address's query parameters: none (but Panel's ``theme``, which every page reads).
QUERY: dict = {}

_ALL = "all"
_COLUMNS = {
    "display_name": "Data source",
    "program": "Program",
    "platform": "Platform",
    "instrument_type": "Instrument type",
    "source_type": "Source type",
    "ephemeris_count": "Ephemeris records",
    "data_product_count": "Data products",
    "first_epoch": "First minute (UTC)",
    "last_epoch": "Last minute (UTC)",
}
_EPOCHS = ("first_epoch", "last_epoch")
# Columns are as wide as their values, but those with short values under a long header: these
# get a width and their headers wrap, so that every column fits the page at the browser sizes
# the dashboard is tried at (1400 px) instead of hiding beyond a scroll bar.
_WIDTHS = {
    "Program": 100,
    "Instrument type": 150,
    "Source type": 80,
    "Ephemeris records": 106,
    "Data products": 90,
    "First minute (UTC)": 155,
    "Last minute (UTC)": 155,
}


class OverviewState(param.Parameterized):
    """Inputs, results and status of the overview page (no widgets)."""

    db_path = param.String(doc="Repository file being shown.")
    source_type = param.Selector(default=_ALL, objects=[_ALL], doc="Show only this source type.")
    counts = param.DataFrame(default=None, allow_None=True, doc="Per-source record counts.")
    status = param.String(default="", doc="Message for the user (errors, empty repository).")

    def load(self) -> None:
        """Read the counts from the repository, reporting problems in ``status``."""
        try:
            counts = services.repository_counts(Path(self.db_path))
        except Exception as exc:  # shown on the page instead of a stack trace
            self.counts = None
            self.status = f"Cannot read the repository {self.db_path}: {exc}"
            return
        types = sorted(counts["source_type"].unique()) if not counts.empty else []
        self.param.source_type.objects = [_ALL, *types]
        self.counts = counts
        self.status = (
            "" if not counts.empty else f"The repository {self.db_path} has no data sources."
        )

    @param.depends("counts", "source_type")
    def table(self) -> pd.DataFrame:
        """The counts of the selected source type, with readable column names."""
        if self.counts is None or self.counts.empty:
            return pd.DataFrame(columns=list(_COLUMNS.values()))
        rows = self.counts
        if self.source_type != _ALL:
            rows = rows[rows["source_type"] == self.source_type]
        rows = rows[list(_COLUMNS)].copy()
        for c in _EPOCHS:  # minutes: seconds and the UTC offset would only widen the columns
            rows[c] = pd.to_datetime(rows[c]).dt.strftime("%Y-%m-%d %H:%M")
        return rows.rename(columns=_COLUMNS).reset_index(drop=True)

    @param.depends("counts")
    def totals(self) -> dict[str, int]:
        """Number of sources and records in the repository."""
        if self.counts is None:
            return {"sources": 0, "ephemeris": 0, "data_products": 0}
        return {
            "sources": len(self.counts),
            "ephemeris": int(self.counts["ephemeris_count"].sum()),
            "data_products": int(self.counts["data_product_count"].sum()),
        }


class OverviewPage(pn.viewable.Viewer):
    """Layout of the overview page."""

    def __init__(self, state: OverviewState, **params):
        super().__init__(**params)
        self.state = state
        self.exports = export_buttons(self.bars_plot, "record-counts", "aurorax record counts")

    def _indicators(self):
        totals = self.state.totals()
        return pn.Row(
            pn.indicators.Number(label="Data sources", value=totals["sources"], format="{value:,}"),
            pn.indicators.Number(
                label="Ephemeris records", value=totals["ephemeris"], format="{value:,}"
            ),
            pn.indicators.Number(
                label="Data products", value=totals["data_products"], format="{value:,}"
            ),
        )

    def bars_plot(self):
        """The record-count bars of the selected source type (HoloViews), or None."""
        if self.state.counts is None or self.state.counts.empty:
            return None
        counts = self.state.counts
        if self.state.source_type != _ALL:
            counts = counts[counts["source_type"] == self.state.source_type]
        return plot_record_counts(counts)

    def _bars(self):
        plot = self.bars_plot()
        if plot is None:
            return pn.pane.Markdown("")
        return pn.pane.HoloViews(plot, sizing_mode="stretch_width")

    def __panel__(self):
        status = status_alert(self.state.param.status)
        return pn.Column(
            pn.pane.Markdown(f"## Repository overview\n`{self.state.db_path}`"),
            status,
            pn.panel(pn.bind(lambda *_: self._indicators(), self.state.param.counts)),
            pn.widgets.Select.from_param(self.state.param.source_type, label="Source type"),
            pn.widgets.Tabulator(
                pn.bind(
                    lambda *_: self.state.table(),
                    self.state.param.counts,
                    self.state.param.source_type,
                ),
                pagination="remote",
                page_size=25,
                disabled=True,
                show_index=False,
                layout="fit_data_fill",
                widths=_WIDTHS,
                configuration={"columnDefaults": {"headerWordWrap": True}},
                sizing_mode="stretch_width",
            ),
            pn.panel(
                pn.bind(
                    lambda *_: self._bars(), self.state.param.counts, self.state.param.source_type
                )
            ),
            self.exports,
            sizing_mode="stretch_width",
        )


def create_page(db_path: Path) -> OverviewPage:
    """A fresh overview page for one browser session (query parameters: see ``QUERY``)."""
    args = read_query(QUERY)
    state = OverviewState(db_path=str(db_path))
    state.load()
    state.status = args.before(state.status)
    return OverviewPage(state)
