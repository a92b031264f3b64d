"""Event Explorer: a rotatable globe with the all-sky images of a minute and the spacecraft."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param

from app import services
from app.pages._export import export_buttons
from app.pages._query import decimal, keep_in_address, read_query, utc_day, whole_number
from app.pages._widgets import status_alert
from aurorax.geo import OVAL_Q_LEVELS
from aurorax.viz import DEFAULT_GLOBE_LAYERS, GLOBE_LAYERS, IMAGE_CMAPS, oval_grid, plot_globe

__all__ = ["ExplorerState", "ExplorerPage", "create_page", "QUERY"]

#: The address's query parameters: the UTC day and minute of the day shown, the view's centre.
QUERY = {
    "day": utc_day(),
    "minute": whole_number(0, 1439),
    "lat": decimal(-90, 90),
    "lon": decimal(-180, 180),
}
# State parameter -> query parameter.
_ADDRESS = {"day": "day", "minute": "minute", "central_lat": "lat", "central_lon": "lon"}

_LAYER_LABELS = {
    "coastlines": "Coastlines",
    "graticule": "Graticule",
    "images": "ASI images",
    "positions": "Spacecraft positions",
    "footprints": "Footprints",
    "tracks": "Footprint tracks",
    "oval": "Statistical oval (Feldstein, Holzworth & Meng 1975)",
}
#: Width and height of the globe on the page, screen pixels.
GLOBE_PX = 640


class ExplorerState(param.Parameterized):
    """Inputs, results and status of the Event Explorer (no widgets)."""

    db_path = param.String(doc="Repository file being shown.")
    asi_dir = param.String(doc="Folder of the all-sky image files (aurorax.asi layout).")
    day = param.Date(default=None, allow_None=True, doc="UTC day shown.")
    minute = param.Integer(default=0, bounds=(0, 1439), doc="Minute of the day shown (UTC).")
    central_lat = param.Number(default=60.0, bounds=(-90, 90), doc="Latitude facing the viewer.")
    central_lon = param.Number(
        default=-100.0, bounds=(-180, 180), doc="Longitude facing the viewer."
    )
    layers = param.ListSelector(
        default=list(DEFAULT_GLOBE_LAYERS), objects=list(GLOBE_LAYERS), doc="Layers drawn."
    )
    cmap = param.Selector(
        default="aurora (green)",
        objects=list(IMAGE_CMAPS),
        doc="Colour map of the monochrome images (TREx RGB is drawn in its own colours).",
    )
    image_alpha = param.Number(
        default=1.0,
        bounds=(0.0, 1.0),
        doc="Opacity of the images (of their brightest cells: the dark sky is transparent).",
    )
    oval_q = param.Selector(
        default=3,
        objects=list(OVAL_Q_LEVELS),
        doc="Activity level of the statistical oval (Feldstein's Q index, 0 quiet to 6 active).",
    )
    oval = param.Array(default=None, allow_None=True, doc="Statistical oval on the global grid.")
    track_minutes = param.Integer(
        default=45, bounds=(1, 360), doc="Footprint tracks span this many minutes either side."
    )
    grid = param.Array(
        default=None, allow_None=True, doc="Monochrome ASI mosaic (THEMIS, REGO), global grid."
    )
    colour_grid = param.Array(
        default=None, allow_None=True, doc="Colour ASI mosaic (TREx RGB), global grid x RGB."
    )
    imagers = param.List(default=[], doc="Imagers that contributed a frame.")
    ephemeris = param.DataFrame(default=None, allow_None=True, doc="Spacecraft in the window.")
    image_hours = param.List(default=[], doc="UTC hours of the day that have image files.")
    status = param.String(default="", doc="Message for the user.")

    def __init__(self, **params):
        super().__init__(**params)
        self._hours_of = None  # the day image_hours belongs to

    @property
    def time(self) -> pd.Timestamp | None:
        """The minute shown (UTC), or None before a day is chosen."""
        if self.day is None:
            return None
        day = self.day.date() if isinstance(self.day, dt.datetime) else self.day
        return pd.Timestamp(day).tz_localize("UTC") + pd.Timedelta(minutes=self.minute)

    def load(self, minute: int | None = None, day: dt.date | None = None) -> None:
        """Show ``day`` (by default the first day of the repository) at ``minute`` (by default
        the first minute of that day with images, plus ten)."""
        try:
            sources = services.repository_counts(Path(self.db_path))
        except Exception as exc:  # shown on the page, never a stack trace
            self.status = f"Cannot read the repository {self.db_path}: {exc}"
            return
        first = sources["first_epoch"].min()
        if pd.isna(first):
            self.status = "The repository has no ephemeris records yet."
            return
        day = first.date() if day is None else day
        hours = services.imager_hours(Path(self.db_path), Path(self.asi_dir), day)
        with param.parameterized.batch_call_watchers(self):
            self.day = day
            self.image_hours, self._hours_of = hours, day
            if minute is not None:
                self.minute = minute
            elif hours:
                self.minute = hours[0].hour * 60 + 10
        # The watchers of day and minute run refresh() as the batch ends.

    @param.depends("day", "minute", "track_minutes", watch=True)
    def refresh(self) -> None:
        """Read the images of the minute and the spacecraft around it."""
        time = self.time
        if time is None:
            return
        if self._hours_of != self.day:
            self.image_hours = services.imager_hours(
                Path(self.db_path), Path(self.asi_dir), self.day
            )
            self._hours_of = self.day
        messages = []
        try:
            grid, colour, names = services.asi_mosaic_at(
                Path(self.db_path), Path(self.asi_dir), time
            )
        except Exception as exc:
            grid, colour, names = None, None, ()
            messages.append(f"Cannot read the all-sky images: {exc}")
        else:
            if not names:
                hours = ", ".join(f"{h:%H}" for h in self.image_hours) or "none"
                messages.append(
                    f"No all-sky images at {time:%Y-%m-%d %H:%M} UTC "
                    f"(hours of this day with images: {hours})."
                )
        window = pd.Timedelta(minutes=self.track_minutes)
        try:
            ephemeris = services.space_ephemeris(
                Path(self.db_path), time - window, time + window + pd.Timedelta(minutes=1)
            )
        except Exception as exc:
            ephemeris = None
            messages.append(f"Cannot read the spacecraft ephemeris: {exc}")
        else:
            if ephemeris.empty:
                messages.append(f"No spacecraft records around {time:%Y-%m-%d %H:%M} UTC.")
        with param.parameterized.batch_call_watchers(self):
            self.grid, self.colour_grid = grid, colour
            self.imagers = list(names)
            self.ephemeris = ephemeris
            self.status = " ".join(messages)

    @param.depends("day", "minute", "layers", "oval_q", watch=True)
    def find_oval(self) -> None:
        """The statistical oval of the minute on the global grid (when its layer is on)."""
        time = self.time
        if time is None or "oval" not in self.layers:
            self.oval = None
            return
        try:
            self.oval = oval_grid(time, self.oval_q)
        except Exception as exc:  # shown on the page, never a stack trace
            self.oval = None
            self.status = f"Cannot compute the statistical oval: {exc}"

    def step(self, minutes: int = 1) -> None:
        """Move the shown minute by ``minutes`` within the day (the player's step)."""
        self.minute = int(np.clip(self.minute + minutes, 0, 1439))

    def globe(self):
        """The globe of the current inputs (a HoloViews overlay)."""
        time = self.time
        # The imagers are listed under the globe (caption()): a long list would not fit.
        title = "" if time is None else f"{time:%Y-%m-%d %H:%M} UTC"
        if "oval" in self.layers:
            title += f", statistical oval Q = {self.oval_q}"
        return plot_globe(
            central_lat=self.central_lat,
            central_lon=self.central_lon,
            grid_values=self.grid,
            colour_values=self.colour_grid,
            ephemeris=self.ephemeris,
            time=time,
            layers=self.layers,
            title=title,
            size_px=GLOBE_PX,
            oval_values=self.oval,
            cmap=self.cmap,
            image_alpha=self.image_alpha,
            colorbar=True,
            legend=True,
        )

    def caption(self) -> str:
        """What the globe shows: the imagers with a frame, the symbols, the oval's model."""
        imagers = ", ".join(self.imagers) if self.imagers else "none this minute"
        text = f"ASI images: {imagers}. "
        if self.grid is not None:
            text += (
                "THEMIS ASI and REGO through the colour map, the dark sky transparent: a cell "
                "is clear at the colour bar's lower limit (the dark-sky level, the 1st "
                "percentile of the cells seen) and grows more opaque up to its upper one. "
            )
        if self.colour_grid is not None:
            text += (
                "TREx RGB in true colour (the dark sky transparent, brighter aurora more "
                "opaque); where fields of view overlap, the imager seeing the sky higher is "
                "drawn (at a shared site, the colour one). "
            )
        text += (
            "Triangles: spacecraft positions; circles: their north and "
            "south B-trace footprints; lines: footprint tracks (one colour per spacecraft; "
            "hover for names and coordinates)."
        )
        if "oval" in self.layers:
            text += (
                f" Shaded band: the statistical auroral oval for activity level Q = {self.oval_q} "
                "(Feldstein's ovals as fitted by Holzworth & Meng 1975, in AACGM-v2 latitude and "
                "magnetic local time): a climatology, not a nowcast."
            )
        return text


class ExplorerPage(pn.viewable.Viewer):
    """Layout of the Event Explorer."""

    def __init__(self, state: ExplorerState, **params):
        super().__init__(**params)
        self.state = state
        self.exports = export_buttons(
            lambda: None if state.day is None else state.globe(), "globe", "aurorax globe"
        )

    def _globe(self, layers):
        s = self.state
        if s.day is None:
            return pn.pane.Markdown("Nothing to show.")
        # A DynamicMap: a new minute or view updates the drawn plot's data in place (the player
        # stays smooth) instead of building a new plot. The layers shape the overlay, so a change
        # of layers builds a new one.
        frames = hv.DynamicMap(
            pn.bind(
                lambda *_: s.globe(),
                s.param.grid,
                s.param.colour_grid,
                s.param.ephemeris,
                s.param.central_lat,
                s.param.central_lon,
                s.param.cmap,
                s.param.image_alpha,
                s.param.oval,
                s.param.oval_q,
            )
        )
        return pn.pane.HoloViews(frames, name="globe")

    def __panel__(self):
        s = self.state
        time_label = pn.bind(
            lambda *_: f"**{s.time:%Y-%m-%d %H:%M} UTC**" if s.time is not None else "",
            s.param.day,
            s.param.minute,
        )
        controls = pn.Column(
            pn.widgets.DatePicker.from_param(s.param.day, label="Day (UTC)"),
            pn.widgets.IntSlider.from_param(s.param.minute, name="Minute of day (UTC)"),
            pn.widgets.Player.from_param(
                s.param.minute, name="Player", interval=1500, loop_policy="once", width=330
            ),
            pn.pane.Markdown(time_label),
            pn.widgets.FloatSlider.from_param(
                s.param.central_lon, name="Rotate: central longitude"
            ),
            pn.widgets.FloatSlider.from_param(s.param.central_lat, name="Tilt: central latitude"),
            pn.widgets.IntSlider.from_param(s.param.track_minutes, name="Track ± minutes"),
            pn.widgets.CheckBoxGroup.from_param(
                s.param.layers, options={v: k for k, v in _LAYER_LABELS.items()}, name="Layers"
            ),
            pn.widgets.Select.from_param(s.param.cmap, name="Image colour map"),
            pn.widgets.FloatSlider.from_param(s.param.image_alpha, name="Image opacity", step=0.05),
            pn.widgets.Select.from_param(s.param.oval_q, name="Oval activity level Q (0-6)"),
            width=330,
        )
        globe = pn.panel(pn.bind(self._globe, s.param.layers))
        caption = pn.pane.Markdown(
            pn.bind(lambda *_: s.caption(), s.param.imagers, s.param.layers, s.param.oval_q),
            width=GLOBE_PX + 220,
        )
        return pn.Column(
            pn.pane.Markdown(
                "## Event Explorer\nThe all-sky images of the chosen minute, regridded onto the "
                "1024 x 512 global grid, with the spacecraft positions (triangles), their magnetic "
                "footprints (circles) and footprint tracks, on an orthographic globe. Rotate it "
                "with the central longitude and latitude sliders."
            ),
            status_alert(s.param.status),
            pn.Row(controls, pn.Column(globe, caption, self.exports)),
            sizing_mode="stretch_width",
        )


def _default_asi_dir(db_path: Path) -> Path:
    # build_demo puts the images beside the repository (<db dir>/asi); otherwise the configured one.
    beside = Path(db_path).parent / "asi"
    if beside.exists():
        return beside
    try:
        from aurorax.config import load_settings

        return load_settings().asi_dir
    except Exception:
        return beside


def create_page(db_path: Path, asi_dir: Path | None = None) -> ExplorerPage:
    """A fresh Event Explorer for one browser session (``?day=2021-12-01&minute=375&lat=56.4&
    lon=-94.6`` in the URL picks the day, the minute of the day and the view)."""
    args = read_query(QUERY)
    asi = Path(asi_dir) if asi_dir is not None else _default_asi_dir(db_path)
    view = {"central_lat": args.get("lat"), "central_lon": args.get("lon")}
    view = {name: value for name, value in view.items() if value is not None}
    state = ExplorerState(db_path=str(db_path), asi_dir=str(asi), **view)
    state.load(minute=args.get("minute"), day=args.get("day"))
    state.status = args.before(state.status)
    # The day, the minute and the view go into the URL, so an event view can be shared.
    keep_in_address(state, _ADDRESS, args)
    return ExplorerPage(state)
