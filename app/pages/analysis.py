"""Conjunction analysis: the paper's Figure 4 workflow for one imager and one spacecraft.

The footprint track of the spacecraft (north B-trace from the repository) is located in the
imager's sky; each fisheye frame of the window gets the mean counts inside an equal-area box
around the footprint. The page shows a row of frames with the track, the footprint and the box,
the intensity time series, and exports the montage (PNG) and the animation (mp4).

A colour imager (TREx RGB) is drawn in its colours, its three channels on one scale (written under
the frames, in place of a grey scale's colour bar); its intensity is one curve per channel (R, G,
B in their colours) and the mean of the three in black (``aurorax.asi.footprint_intensity``).

URL parameters (so the Conjunction search page can link in)::

    ./analysis?site=gill&spacecraft=swarmb&start=2021-12-01T05:00:00&end=2021-12-01T05:10:00

``site`` is the imager's site_uid (``program:site_uid`` to pick among programs, e.g.
``rego:gill``, ``trex:gill``), ``spacecraft`` a platform, ``start``/``end`` UTC ISO times (``[start, end)``).
A value that cannot be used leaves the page at its default for it, and the status says why.
"""

from __future__ import annotations

from pathlib import Path

import panel as pn

from app.pages._analysis_state import (
    FOOTPRINT_KM,
    MAX_WINDOW,
    NO_PASS,
    PASS_MIN_ELEVATION_DEG,
    QUERY,
    AnalysisState,
    conjunction_window,
)
from app.pages._export import export_buttons
from app.pages._query import read_query
from app.pages._widgets import status_alert
from aurorax.config import load_settings
from aurorax.viz import plot_footprint_intensity, plot_footprint_montage

__all__ = [
    "AnalysisState",
    "AnalysisPage",
    "create_page",
    "conjunction_window",
    "MAX_WINDOW",
    "FOOTPRINT_KM",
    "NO_PASS",
    "QUERY",
]

#: The montage's widest (px, colour bar included): the page column of a 1400 px wide window
#: beside the sidebar. Four 300 px frames and their colour bar need 1,229 px, whose bar was cut off.
MONTAGE_MAX_WIDTH_PX = 1100


class AnalysisPage(pn.viewable.Viewer):
    """Layout of the Conjunction analysis page."""

    def __init__(self, state: AnalysisState, **params):
        super().__init__(**params)
        self.state = state
        # The montage's PNG is the matplotlib one below (make_montage); HTML keeps it interactive.
        self.montage_exports = export_buttons(
            self.montage_layout, "montage", "aurorax conjunction montage", formats=("html",)
        )
        self.intensity_exports = export_buttons(
            self.intensity_plot, "intensity", "aurorax footprint intensity"
        )

    def montage_layout(self):
        """The montage frames side by side in one plot (HoloViews), or None."""
        s = self.state
        if not s.panels:
            return None
        rows, cols = s.track if s.track is not None else ((), ())
        letters = "ABCDEFGH"
        titles = [f"({letters[i]}) {p[0].time:%H:%M:%S} UT" for i, p in enumerate(s.panels)]
        return plot_footprint_montage(s.panels, rows, cols, titles, max_width=MONTAGE_MAX_WIDTH_PX)

    def intensity_plot(self):
        """The intensity time series at the footprint (HoloViews), or None."""
        s = self.state
        if s.series is None or s.series.empty:
            return None
        label = f"mean counts in {s.box_ew_km:g} x {s.box_ns_km:g} km"
        return plot_footprint_intensity(s.series, [p[0].time for p in s.panels], ylabel=label)

    def _montage(self, panels, track):
        if not panels:
            return pn.pane.Markdown("No frames to show.")
        return pn.pane.HoloViews(self.montage_layout(), name="montage")

    def _series(self, series, panels):
        plot = self.intensity_plot()
        if plot is None:
            return pn.pane.Markdown("")
        return pn.pane.HoloViews(plot, name="intensity")

    def __panel__(self):
        s = self.state
        controls = pn.FlexBox(
            pn.widgets.Select.from_param(s.param.site, name="Imager", width=170),
            pn.widgets.Select.from_param(s.param.spacecraft, name="Spacecraft", width=170),
            pn.widgets.DatetimeInput.from_param(s.param.start, name="From (UTC)", width=190),
            pn.widgets.DatetimeInput.from_param(s.param.end, name="To (UTC)", width=190),
            pn.widgets.FloatInput.from_param(s.param.box_ew_km, name="Box E-W (km)", width=110),
            pn.widgets.FloatInput.from_param(s.param.box_ns_km, name="Box N-S (km)", width=110),
            pn.widgets.IntInput.from_param(s.param.n_panels, name="Frames", width=80),
            pn.widgets.Button.from_param(s.param.closest, name="Closest approach", width=150),
            pn.widgets.Select.from_param(
                s.param.passage,
                name=f"Passes through the field of view ({PASS_MIN_ELEVATION_DEG:g} deg elevation)",
                width=330,
            ),
        )
        exports = pn.Row(
            pn.widgets.FileDownload(
                callback=s.montage_png,
                filename=s.export_name("png"),
                label="Download montage (PNG)",
                color="primary",
            ),
            pn.widgets.FileDownload(
                callback=s.movie_mp4,
                filename=s.export_name("mp4"),
                label="Download movie (mp4)",
                color="primary",
            ),
        )

        def _names(*_):
            for widget, ext in zip(exports, ("png", "mp4"), strict=True):
                widget.filename = s.export_name(ext)

        s.param.watch(_names, ["site", "spacecraft", "start"])
        return pn.Column(
            pn.pane.Markdown(
                "## Conjunction analysis\nThe spacecraft's north B-trace footprint at "
                f"{FOOTPRINT_KM:g} km in the imager's sky: the track (red line), the footprint at "
                "each frame (red dot) and the equal-area box around it (yellow), and the mean "
                "counts inside the box, frame by frame (the track is interpolated to the frame "
                "times). A TREx RGB imager is shown in colour, its red, green and blue counts on "
                "one scale, and its intensity is a curve per channel and their mean."
            ),
            status_alert(s.param.status),
            controls,
            pn.panel(pn.bind(self._montage, s.param.panels, s.param.track)),
            self.montage_exports,
            pn.panel(pn.bind(self._series, s.param.series, s.param.panels)),
            self.intensity_exports,
            exports,
            sizing_mode="stretch_width",
        )


def create_page(db_path: Path, asi_dir: Path | None = None) -> AnalysisPage:
    """A fresh Conjunction analysis page for one browser session.

    Images come from ``asi_dir`` (default: the configured ``settings.asi_dir``). The URL's
    ``site``, ``spacecraft``, ``start`` and ``end`` query parameters pick the analysis.
    """
    args = read_query(QUERY)
    if asi_dir is None:
        asi_dir = load_settings().asi_dir
    state = AnalysisState(db_path=str(db_path), asi_dir=str(asi_dir))
    start, end = args.get("start"), args.get("end")
    state.load(
        site=args.get("site", ""),
        spacecraft=args.get("spacecraft", ""),
        start=start.isoformat() if start else "",
        end=end.isoformat() if end else "",
    )
    state.status = args.before(state.status)
    return AnalysisPage(state)
