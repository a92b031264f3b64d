"""The Conjunction analysis page's state: choices, passes, the analysis and its exports.

``app.pages.analysis`` lays it out (``AnalysisPage``) and documents the page and its address.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import param

from app import services
from app.pages._query import identifier, utc_time
from aurorax.asi import equal_area_mask, footprint_intensity, lla_to_azel_pixel
from aurorax.geo import interpolate_great_circle

__all__ = [
    "AnalysisState",
    "conjunction_window",
    "MAX_WINDOW",
    "FOOTPRINT_KM",
    "NO_PASS",
    "PASS_MIN_ELEVATION_DEG",
    "QUERY",
    "TRACK_STEP_S",
]

#: Longest analysis window (every frame of it is read).
MAX_WINDOW = pd.Timedelta(hours=2)
#: Emission altitude of the footprint and the box, km (as the paper's Figure 4).
FOOTPRINT_KM = 110.0
# Track points kept on either side of the window, so frames at its edges are interpolated.
_MARGIN = pd.Timedelta(minutes=2)
_EARTH_RADIUS_KM = 6371.2
# Longest ephemeris gap the drawn track is interpolated across (footprint_intensity's default).
_MAX_GAP_S = 120.0
#: The pass selector's entry for "no pass chosen: the window is set by hand".
NO_PASS = "(none: set the window below)"
#: The address's query parameters (see ``app.pages.analysis``).
QUERY = {
    "site": identifier("a site_uid (program:site_uid to pick a program)"),
    "spacecraft": identifier("a platform, e.g. swarmb"),
    "start": utc_time(),
    "end": utc_time(),
}
#: Time step of the drawn footprint track, s: the 1-minute ephemeris is interpolated along
#: great circles to this step (or the frame cadence, if finer), so the track is a smooth curve.
TRACK_STEP_S = 1.0
#: Lowest elevation at which a footprint counts as in the imager's field of view, degrees.
PASS_MIN_ELEVATION_DEG = 10.0


def _utc(value) -> pd.Timestamp:
    t = pd.Timestamp(value)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def conjunction_window(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The analysis window of a conjunction whose minutes run from ``start`` to ``end``
    (inclusive, as the search reports them): five minutes more on either side, ``[first,
    last)``, at most ``MAX_WINDOW`` long."""
    margin = pd.Timedelta(minutes=5)
    first = _utc(start) - margin
    last = min(_utc(end) + pd.Timedelta(minutes=1) + margin, first + MAX_WINDOW)
    return first, last


def _naive_window(start, end) -> tuple[dt.datetime, dt.datetime]:
    # conjunction_window as the naive UTC datetimes of the page's window parameters.
    first, last = conjunction_window(start, end)
    return first.tz_convert(None).to_pydatetime(), last.tz_convert(None).to_pydatetime()


class AnalysisState(param.Parameterized):
    """Inputs, results and status of the Conjunction analysis page (no widgets)."""

    db_path = param.String(doc="Repository file (spacecraft ephemeris).")
    asi_dir = param.String(doc="Folder of the all-sky image files.")
    site = param.Selector(
        default=None, objects=[], allow_None=True, doc="Imager: program:site_uid."
    )
    spacecraft = param.Selector(default=None, objects=[], allow_None=True, doc="Platform.")
    start = param.Date(default=None, allow_None=True, doc="Window start (UTC).")
    end = param.Date(default=None, allow_None=True, doc="Window end (UTC, exclusive).")
    box_ew_km = param.Number(default=20.0, bounds=(0.5, 500), doc="Box width east-west, km.")
    box_ns_km = param.Number(default=20.0, bounds=(0.5, 500), doc="Box height north-south, km.")
    n_panels = param.Integer(default=4, bounds=(1, 8), doc="Frames in the montage row.")
    passage = param.Selector(
        default=NO_PASS,
        objects=[NO_PASS],
        doc="A pass of the footprint through the imager's field of view (sets the window).",
    )
    series = param.DataFrame(default=None, allow_None=True, doc="footprint_intensity rows.")
    panels = param.List(default=[], doc="(Fisheye, dot, box) of each montage frame.")
    track = param.Parameter(default=None, doc="(rows, cols) of the track inside the sky.")
    status = param.String(default="", doc="Message for the user.")
    closest = param.Action(
        default=lambda self: self.find_closest_approach(),
        doc="Set the window to ten minutes around the closest approach (first image day).",
    )

    def __init__(self, **params):
        super().__init__(**params)
        self._imager = None
        self._names = {}
        self._passes = {}  # passage label -> (start, end) of the pass, UTC
        self._analysed = False  # analyse() ran since load() set the choices

    # -- choices -----------------------------------------------------------------------------
    def load(self, site: str = "", spacecraft: str = "", start: str = "", end: str = "") -> None:
        """Offer the imagers with image files and the spacecraft; pick the URL's choices, or
        the first imager and the first spacecraft whose footprint passes through its field of
        view where there are images (that pass's window), or else the first spacecraft at its
        closest approach on the first day with images.

        A choice that cannot be used (no such imager or spacecraft, a window that cannot be
        read, is reversed or longer than ``MAX_WINDOW``) is left to the default, and the status
        says why."""
        try:
            imagers = services.analysis_imagers(Path(self.db_path), Path(self.asi_dir))
            crafts = services.analysis_spacecraft(Path(self.db_path))
        except Exception as exc:  # shown on the page, never a stack trace
            self.status = f"Cannot read the repository {self.db_path}: {exc}"
            return
        if not imagers:
            self.status = f"No imager of the repository has image files under {self.asi_dir}."
            return
        if not crafts:
            self.status = "The repository has no spacecraft."
            return
        sites = [f"{core}:{uid}" for core, uid, _ in imagers]
        self._names = {f"{core}:{uid}": name for core, uid, name in imagers}
        self._names.update(dict(crafts))
        self.param.site.objects = sites
        self.param.spacecraft.objects = [p for p, _ in crafts]
        problems = []
        chosen = sites[0]
        if site:
            matches = [s for s in sites if s == site.lower() or s.split(":")[1] == site.lower()]
            if matches:
                chosen = matches[0]
            else:
                problems.append(f"No imager {site!r} with image files; choose one of {sites}.")
        objects = self.param.spacecraft.objects
        craft = objects[0]
        if spacecraft and spacecraft.lower() in objects:
            craft = spacecraft.lower()
        elif spacecraft:
            problems.append(f"No spacecraft {spacecraft!r}; choose one of {objects}.")
            spacecraft = ""
        window = self._window(start, end, problems)
        first_pass = None
        if window is None:
            first_pass = self._first_pass(chosen, [craft] if spacecraft else objects)
            craft = first_pass[0] if first_pass else craft
        with param.parameterized.batch_call_watchers(self):
            self.site, self.spacecraft = chosen, craft
            if window is not None:
                self.start, self.end = window
            elif first_pass:
                self.start, self.end = _naive_window(*first_pass[1])
            else:
                self._closest_approach()
            self._analysed = False
        # The batch ran analyse() if the choices changed; otherwise (the same as before) run it.
        if not self._analysed:
            self.analyse()
        if first_pass:  # show it in the selector (the window is already that pass's)
            self.passage = next(k for k, v in self._passes.items() if v == first_pass[1])
        if problems:
            self.status = " ".join([*problems, self.status]).strip()

    @staticmethod
    def _window(start: str, end: str, problems: list) -> tuple | None:
        # The window [start, end) as naive UTC datetimes, or None (and why, in problems).
        if not (start or end):
            return None
        if not (start and end):
            problems.append(
                "The time window needs both start and end (UTC times, [start, end)); "
                "showing the default window."
            )
            return None
        try:
            first, last = _utc(start), _utc(end)
        except (ValueError, OverflowError) as exc:
            problems.append(f"Cannot read the time window {start!r} to {end!r}: {exc}")
            return None
        if not first < last <= first + MAX_WINDOW:
            problems.append(
                f"The time window {first:%Y-%m-%d %H:%M:%S} to {last:%Y-%m-%d %H:%M:%S} is not "
                "one the page analyses: the end must be after the start and at most "
                f"{MAX_WINDOW / pd.Timedelta(hours=1):g} hours later; showing the default window."
            )
            return None
        return first.tz_convert(None).to_pydatetime(), last.tz_convert(None).to_pydatetime()

    def _first_pass(self, site: str, crafts) -> tuple[str, tuple] | None:
        # The first spacecraft (in the given order) with a pass through the site's field of
        # view, and that pass's (start, end).
        for craft in crafts:
            passes = self._passes_of(site, craft)
            if len(passes):
                return craft, (passes["start"].iloc[0], passes["end"].iloc[0])
        return None

    def _passes_of(self, site: str, craft: str) -> pd.DataFrame:
        # services.analysis_passes, or none when it fails: the window can still be set by
        # hand, and analyse() reports what is wrong with the repository or the files.
        try:
            return services.analysis_passes(
                Path(self.db_path), Path(self.asi_dir), site, craft, PASS_MIN_ELEVATION_DEG
            )
        except Exception:
            return pd.DataFrame({"start": [], "end": [], "min_distance_km": []})

    @param.depends("site", "spacecraft", watch=True)
    def find_passes(self) -> None:
        """Offer the passes of the spacecraft's footprint through the imager's field of view
        (``services.analysis_passes``: only passes with images)."""
        self._passes = {}
        if self.site and self.spacecraft:
            for row in self._passes_of(self.site, self.spacecraft).itertuples():
                label = (
                    f"{row.start:%Y-%m-%d %H:%M}-{row.end:%H:%M} UT, "
                    f"closest {row.min_distance_km:.0f} km"
                )
                self._passes[label] = (row.start, row.end)
        self.param.passage.objects = [NO_PASS, *self._passes]
        self.passage = NO_PASS

    def _pass_window(self, label: str) -> tuple:
        return _naive_window(*self._passes[label])

    @param.depends("passage", watch=True)
    def _pick_pass(self) -> None:
        if self.passage not in self._passes:
            return
        with param.parameterized.batch_call_watchers(self):
            self.start, self.end = self._pass_window(self.passage)

    @param.depends("start", "end", watch=True)
    def _leave_pass(self) -> None:
        # A window set by hand (or by "Closest approach") is no longer the pass shown.
        if self.passage in self._passes and (self.start, self.end) != self._pass_window(
            self.passage
        ):
            self.passage = NO_PASS

    def find_closest_approach(self) -> None:
        """Set the window to ten minutes around the footprint's closest approach to the site."""
        if not self.site or not self.spacecraft:
            return
        with param.parameterized.batch_call_watchers(self):
            self._closest_approach()

    def _closest_approach(self) -> None:
        # Ten minutes around the footprint's closest approach to the site on the first image day.
        core, uid = self.site.split(":")
        counts = services.repository_counts(Path(self.db_path))
        day = counts["first_epoch"].min().floor("D")
        track = services.footprint_track(
            Path(self.db_path), self.spacecraft, day, day + pd.Timedelta(days=1)
        )
        try:
            imager = services.window_imager(
                Path(self.asi_dir), core, uid, day, day + pd.Timedelta(days=1)
            )
        except Exception:
            imager = None
        when = day + pd.Timedelta(hours=6)
        if imager is not None and not track.empty:
            skymap = imager.skymap
            lat0, lon0 = np.radians(skymap.site_lat), np.radians(skymap.site_lon)
            lat, lon = np.radians(track["nbtrace_lat"]), np.radians(track["nbtrace_lon"])
            cos_d = np.sin(lat0) * np.sin(lat) + np.cos(lat0) * np.cos(lat) * np.cos(lon - lon0)
            # Only track points with a frame within a cadence (at least a minute) of them.
            t = pd.DatetimeIndex(track["epoch"])
            frames = imager.times
            k = np.clip(frames.searchsorted(t), 1, len(frames) - 1)
            gap = np.minimum(np.abs(t - frames[k - 1]), np.abs(frames[k] - t)).total_seconds()
            cadence = imager.cadence_s if np.isfinite(imager.cadence_s) else 60.0
            inside = np.asarray(gap) <= max(cadence, 60.0)
            if inside.any():
                when = t[inside][int(np.argmax(np.asarray(cos_d)[inside]))]
        self.start = (when - pd.Timedelta(minutes=5)).floor("min").tz_convert(None).to_pydatetime()
        self.end = (when + pd.Timedelta(minutes=5)).ceil("min").tz_convert(None).to_pydatetime()

    # -- analysis ----------------------------------------------------------------------------
    def _fail(self, message: str) -> None:
        self._imager = None
        with param.parameterized.batch_call_watchers(self):
            self.series, self.panels, self.track = None, [], None
            self.status = message

    @param.depends(
        "site", "spacecraft", "start", "end", "box_ew_km", "box_ns_km", "n_panels", watch=True
    )
    def analyse(self) -> None:
        """Footprint track, intensity in the box of every frame, and the montage frames."""
        if not self.site or not self.spacecraft or self.start is None or self.end is None:
            return
        self._analysed = True
        start, end = _utc(self.start), _utc(self.end)
        if end <= start:
            self._fail(
                f"The end {end:%Y-%m-%d %H:%M:%S} is not after the start {start:%Y-%m-%d %H:%M:%S}."
            )
            return
        if end - start > MAX_WINDOW:
            self._fail(
                f"The window is {end - start}; the longest analysed is {MAX_WINDOW} "
                "(every frame is read). Narrow it."
            )
            return
        core, uid = self.site.split(":")
        name = self._names.get(self.site, self.site)
        try:
            track = services.footprint_track(
                Path(self.db_path), self.spacecraft, start - _MARGIN, end + _MARGIN
            )
        except Exception as exc:
            self._fail(f"The ephemeris search failed: {exc}")
            return
        if len(track) < 2:
            self._fail(
                f"No ephemeris of {self.spacecraft} from {start:%Y-%m-%d %H:%M} to {end:%H:%M} UTC."
            )
            return
        try:
            imager = services.window_imager(Path(self.asi_dir), core, uid, start, end)
            _ = imager.times
        except Exception as exc:
            self._fail(
                f"No frames of {name} from {start:%Y-%m-%d %H:%M} to {end:%H:%M} UTC ({exc})."
            )
            return
        box = (self.box_ew_km, self.box_ns_km)
        try:
            series = footprint_intensity(
                imager,
                track["epoch"],
                track["nbtrace_lat"],
                track["nbtrace_lon"],
                FOOTPRINT_KM,
                box,
            )
        except Exception as exc:
            self._fail(f"Cannot compute the footprint intensity: {exc}")
            return
        series = series[(series["time"] >= start) & (series["time"] < end)].reset_index(drop=True)
        if series.empty:
            self._fail(f"No frames of {name} in the window.")
            return
        skymap = imager.skymap
        pix = self._track_pixels(skymap, track, imager.cadence_s)
        seen = pix.row >= 0
        status = ""
        if not (series["row"] >= 0).any():
            status = (
                f"The footprint of {self.spacecraft} never enters the field of view of {name} "
                "in this window: the intensity is empty."
            )
        panels = []
        for i in self._panel_rows(series):
            row = series.iloc[i]
            fisheye = imager.fisheye(row["time"])
            dot = box_outline = None
            if row["row"] >= 0:
                dot = (int(row["row"]), int(row["col"]))
                box_outline = self._box_outline(skymap, row["lat"], row["lon"])
            panels.append((fisheye, dot, box_outline))
        self._imager = imager
        with param.parameterized.batch_call_watchers(self):
            self.track = (pix.row[seen], pix.col[seen])
            self.series = series
            self.panels = panels
            self.status = status

    @staticmethod
    def _track_pixels(skymap, track: pd.DataFrame, cadence_s: float):
        # The 1-minute ephemeris interpolated along great circles to TRACK_STEP_S (or the frame
        # cadence, if finer), so the drawn track is a smooth curve and not a polyline kinked at
        # each ephemeris minute.
        step = TRACK_STEP_S
        if np.isfinite(cadence_s) and cadence_s > 0:
            step = min(step, float(cadence_s))
        epochs = pd.DatetimeIndex(track["epoch"])
        times = pd.date_range(epochs[0], epochs[-1], freq=pd.Timedelta(seconds=step))
        lat, lon = interpolate_great_circle(
            epochs, track["nbtrace_lat"], track["nbtrace_lon"], times, max_gap_s=_MAX_GAP_S
        )
        known = np.isfinite(lat)
        return lla_to_azel_pixel(skymap, lat[known], lon[known], FOOTPRINT_KM)

    def _panel_rows(self, series: pd.DataFrame) -> list[int]:
        # As many frames as asked (or as the window has): spread over the frames where the
        # footprint is in the sky; when they are fewer than asked, the frames nearest to them
        # in time fill the row (their footprint is outside the sky: no dot, no box).
        inside = np.flatnonzero(series["row"].to_numpy() >= 0)
        n = min(self.n_panels, len(series))
        if len(inside) >= n:
            picks = np.linspace(0, len(inside) - 1, n + 2)[1:-1] if len(inside) > n else range(n)
            return [int(inside[int(round(p))]) for p in picks]
        if not len(inside):
            picks = np.linspace(0, len(series) - 1, n + 2)[1:-1] if len(series) > n else range(n)
            return sorted({int(round(p)) for p in picks})
        centre = (inside[0] + inside[-1]) / 2
        rest = [k for k in range(len(series)) if k not in set(inside)]
        rest.sort(key=lambda k: (abs(k - centre), k))
        return sorted([*inside.tolist(), *rest[: n - len(inside)]])

    def _box_outline(self, skymap, lat: float, lon: float):
        # Corners of the box on the sphere at the footprint altitude, walked around its edges.
        radius = _EARTH_RADIUS_KM + FOOTPRINT_KM
        dlat = np.degrees(self.box_ns_km / 2 / radius)
        dlon = np.degrees(self.box_ew_km / 2 / (radius * np.cos(np.radians(lat))))
        s = np.linspace(-1, 1, 9)
        one = np.ones_like(s)
        lats = lat + dlat * np.concatenate([-one, s, one, s[::-1]])
        lons = lon + dlon * np.concatenate([s, one, s[::-1], -one])
        pix = lla_to_azel_pixel(skymap, lats, lons, FOOTPRINT_KM)
        if (pix.row < 0).any():
            return None
        rows = np.append(pix.row, pix.row[0])
        cols = np.append(pix.col, pix.col[0])
        return rows, cols

    # -- exports -----------------------------------------------------------------------------
    def _draw(self, ax, frame_time) -> None:
        if self.track is not None:
            ax.plot(self.track[1], self.track[0], "-", color="red", lw=1)
        hit = self.series[self.series["time"] == frame_time]
        if hit.empty or hit["row"].iloc[0] < 0:
            return
        row = hit.iloc[0]
        ax.plot([row["col"]], [row["row"]], "o", color="red", ms=5)
        mask = equal_area_mask(
            self._imager.skymap,
            row["lat"],
            row["lon"],
            (self.box_ew_km, self.box_ns_km),
            FOOTPRINT_KM,
        )
        if np.isfinite(mask).any():
            ax.contour(np.isfinite(mask).astype(float), levels=[0.5], colors="yellow", linewidths=1)

    def montage_png(self) -> io.BytesIO:
        """The montage of the panel frames with the track, footprint and box (PNG bytes)."""
        from aurorax.asi import make_montage

        if self._imager is None or not self.panels:
            raise ValueError("nothing to export: no analysis on the page")
        times = [p[0].time for p in self.panels]
        fig = make_montage(self._imager, times, hook=lambda ax, i, t, f: self._draw(ax, t))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=120)
        buf.seek(0)
        return buf

    def movie_mp4(self) -> io.BytesIO:
        """The animation of every frame of the window with the footprint drawn (mp4 bytes)."""
        from aurorax.asi import animate_fisheye

        if self._imager is None or self.series is None:
            raise ValueError("nothing to export: no analysis on the page")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "conjunction.mp4"
            animate_fisheye(
                self._imager,
                path,
                hook=lambda frame: self._draw(frame.ax, frame.time),
                fps=10,
                scale=2,
                progress=False,
            )
            return io.BytesIO(path.read_bytes())

    def export_name(self, ext: str) -> str:
        """File name of an export: site, spacecraft and window start."""
        if not self.site or self.start is None:
            return f"conjunction.{ext}"
        uid = self.site.split(":")[1]
        return f"{uid}_{self.spacecraft}_{_utc(self.start):%Y%m%d_%H%M%S}.{ext}"
