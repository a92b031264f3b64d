"""Data Availability: per-source, per-day availability as a heat map, from the repository.

Three layers: ephemeris minutes and data product records (from the repository) and, for the
all-sky imagers, image files on disk (``app._image_availability``: the fraction of each imager's
dark-sky minutes in hours that have an image file under the ASI data folder).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import panel as pn
import param

from app import services
from app._image_availability import image_availability
from app.pages._export import export_buttons
from app.pages._query import read_query
from app.pages._widgets import status_alert
from aurorax.config import load_settings
from aurorax.viz import plot_availability

__all__ = ["AvailabilityState", "AvailabilityPage", "create_page", "QUERY"]

#: The address's query parameters: none (but Panel's ``theme``, which every page reads).
QUERY: dict = {}

_ALL = "all"
_KINDS = {"Ephemeris": "ephemeris", "Data products": "data_products", "Image files": "image_files"}
_IMAGE_COLUMN = "Image files (%)"
#: Longest span (days) of the image-file layer: it judges every minute's darkness at every site.
MAX_IMAGE_DAYS = 366


# The statistics table's columns, from the frame's names.
_STATISTICS_COLUMNS = {
    "display_name": "Data source",
    "program": "Program",
    "ephemeris_count": "Ephemeris records",
    "data_product_count": "Data products",
    "min": "First day",
    "max": "Last day",
    "image_percent": _IMAGE_COLUMN,
}

_EXPLANATION = """## Data availability
One row per data source, one cell per UTC day, days in date order. The layers:

* **Ephemeris**: the fraction of the day's 1440 minutes with ephemeris records. Ground imagers
  only have records for the minutes they were operating, so a winter night of full operation
  shows about half a day, and daylight looks the same as missing data.
* **Data products**: the number of data product records (keograms, movies) of the day.
* **Image files**: for each all-sky imager with image files the ASI core reads (THEMIS ASI and
  REGO hourly files, TREx RGB minute files), the fraction of its expected operating minutes (its
  dark-sky minutes: the Sun more than 12 degrees below the horizon at the site) that lie in an
  hour with an image file (for TREx RGB: any minute file of the hour) in `{asi_dir}`.
  **Missing** (purple) means the imager was expected to operate but there is no image file;
  **not expected** (grey, hatched) means the Sun stayed above -12 degrees all day at the site
  (for an imager whose location is unknown: no operating minutes in the ephemeris), which is
  not missing data.
"""


class AvailabilityState(param.Parameterized):
    """Inputs, results and status of the availability page (no widgets)."""

    db_path = param.String(doc="Repository file being shown.")
    asi_dir = param.String(
        default="", doc="Folder of the all-sky image files (THEMIS-style layout)."
    )
    start = param.Date(default=None, allow_None=True, doc="First UTC day shown.")
    end = param.Date(default=None, allow_None=True, doc="Last UTC day shown (inclusive).")
    kind = param.Selector(default="Ephemeris", objects=list(_KINDS), doc="What is counted.")
    program = param.Selector(default=_ALL, objects=[_ALL], doc="Show only this program.")
    sources = param.DataFrame(default=None, allow_None=True, doc="Data sources with counts.")
    data_sources = param.List(default=[], doc="The repository's DataSource values.")
    availability = param.DataFrame(default=None, allow_None=True, doc="Per-source daily counts.")
    image_availability = param.DataFrame(
        default=None, allow_None=True, doc="Per-imager daily expected and image-file minutes."
    )
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
        self.data_sources = services.data_sources(Path(self.db_path))
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
            self.param.update(availability=None, image_availability=None)
            return
        self.status = ""
        end = self.end + dt.timedelta(days=1)
        rows = services.availability(Path(self.db_path), start=self.start, end=end)
        self.param.update(availability=rows, image_availability=self._images(rows, end))

    def _images(self, rows: pd.DataFrame, end: dt.date) -> pd.DataFrame | None:
        if (end - self.start).days > MAX_IMAGE_DAYS:
            if _KINDS[self.kind] == "image_files":
                self.status = (
                    f"Image files are counted for at most {MAX_IMAGE_DAYS} days at a time; "
                    "choose a shorter span."
                )
            return None
        asi_dir = self.asi_dir or None  # None: the configured folder
        return image_availability(self.data_sources, asi_dir, self.start, end, rows)

    @param.depends("kind", watch=True)
    def _show_kind(self) -> None:
        # The image layer of a span too long to count says so.
        if _KINDS[self.kind] == "image_files" and self.image_availability is None:
            self.refresh()

    def days(self) -> list[dt.date]:
        """Every UTC day of the chosen span (empty when it is not a span)."""
        if self.start is None or self.end is None or self.end < self.start:
            return []
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def _chosen(self, rows: pd.DataFrame) -> pd.DataFrame:
        if self.program == _ALL:
            return rows
        ids = self.sources.loc[self.sources["program"] == self.program, "identifier"]
        return rows[rows["data_source"].isin(ids)]

    @param.depends("availability", "program")
    def selected(self) -> pd.DataFrame:
        """The daily counts of the chosen program."""
        if self.availability is None:
            return pd.DataFrame(
                columns=["data_source", "day", "ephemeris_count", "data_product_count"]
            )
        return self._chosen(self.availability)

    @param.depends("image_availability", "program")
    def selected_images(self) -> pd.DataFrame:
        """The image-file availability of the chosen program's imagers (``image_availability``
        columns: ``data_source, day, expected_minutes, image_minutes, image_hours``)."""
        if self.image_availability is None or self.sources is None:
            return pd.DataFrame(
                columns=["data_source", "day", "expected_minutes", "image_minutes", "image_hours"]
            )
        return self._chosen(self.image_availability)

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
        table = table.join(days.apply(lambda col: col.dt.date), how="left")
        images = (
            self.selected_images()
            .groupby("data_source")[["image_minutes", "expected_minutes"]]
            .sum()
        )
        percent = 100 * images["image_minutes"] / images["expected_minutes"].where(lambda m: m > 0)
        table["image_percent"] = percent.round(1).reindex(table.index).astype(float)
        return table.reset_index(drop=True).rename(columns=_STATISTICS_COLUMNS)


class AvailabilityPage(pn.viewable.Viewer):
    """Layout of the availability page."""

    def __init__(self, state: AvailabilityState, **params):
        super().__init__(**params)
        self.state = state
        self.exports = export_buttons(self.heatmap_plot, "availability", "aurorax availability")

    def heatmap_plot(self):
        """The availability heat map of the current choices (HoloViews), or None."""
        s = self.state
        kind = _KINDS[s.kind]
        rows = s.selected_images() if kind == "image_files" else s.selected()
        if s.sources is None or rows.empty:
            return None
        return plot_availability(rows, s.sources, kind=kind, days=s.days())

    def _heatmap(self, *_):
        plot = self.heatmap_plot()
        if plot is not None:
            return pn.pane.HoloViews(plot, sizing_mode="stretch_width")
        if _KINDS[self.state.kind] == "image_files" and self.state.days():
            return pn.pane.Markdown(
                "No all-sky imager with image files (THEMIS ASI, REGO, TREx RGB) and a site "
                "code among the chosen data sources."
            )
        return pn.pane.Markdown("No records in the chosen days.")

    def __panel__(self):
        s = self.state
        # Fixed widths in a wrapping flex box: a plain Row of default-width (300 px) widgets
        # ran past the right edge of the page and cut the Program choice off.
        controls = pn.FlexBox(
            pn.widgets.DatePicker.from_param(s.param.start, label="From (UTC)", width=160),
            pn.widgets.DatePicker.from_param(s.param.end, label="To (UTC)", width=160),
            pn.Column(
                pn.pane.HTML("<label>Layer</label>", margin=(5, 10, 0, 10)),
                pn.widgets.RadioButtonGroup.from_param(s.param.kind, name="Layer"),
                name="layer",
            ),
            pn.widgets.Select.from_param(s.param.program, name="Program", width=220),
            flex_wrap="wrap",
            align_items="flex-end",
            sizing_mode="stretch_width",
        )
        return pn.Column(
            pn.pane.Markdown(_EXPLANATION.format(asi_dir=s.asi_dir or "the ASI data folder")),
            status_alert(s.param.status),
            controls,
            pn.panel(
                pn.bind(
                    self._heatmap,
                    s.param.availability,
                    s.param.image_availability,
                    s.param.program,
                    s.param.kind,
                )
            ),
            self.exports,
            pn.pane.Markdown("### Data statistics"),
            pn.widgets.Tabulator(
                pn.bind(
                    lambda *_: s.statistics(),
                    s.param.availability,
                    s.param.image_availability,
                    s.param.program,
                ),
                disabled=True,
                show_index=False,
                pagination="remote",
                page_size=30,
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )


def create_page(db_path: Path, asi_dir: Path | None = None) -> AvailabilityPage:
    """A fresh availability page for one browser session (query parameters: see ``QUERY``).

    Image files are looked up in ``asi_dir`` (default: the configured ``settings.asi_dir``).
    """
    args = read_query(QUERY)
    if asi_dir is None:
        asi_dir = load_settings().asi_dir
    state = AvailabilityState(db_path=str(db_path), asi_dir=str(asi_dir))
    state.load()
    state.status = args.before(state.status)
    return AvailabilityPage(state)
