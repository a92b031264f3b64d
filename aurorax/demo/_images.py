"""Demo all-sky images rendered from the auroral model through each site's skymap.

For every frame and pixel: the pixel centre's line of sight is mapped to the emission altitude
(557.7 nm at 110 km for THEMIS, 630.0 nm at 230 km for REGO), converted to AACGM latitude and
magnetic local time, and the demo's :class:`AuroralModel` gives the emission there (aurora plus
airglow, vertical column rate in Rayleighs). The camera then sees

``counts = pedestal + gain * R * V(elevation) * (1 - 0.85 * cloud) + shot noise + read noise``

with ``V`` the van Rhijn factor (a thin emitting shell looks brighter towards the horizon, the
slant path through it being longer) and ``cloud`` the demo weather's cloud cover over the site.
Counts are uint16 frames written with the ASI core's THEMIS/REGO CDF writers into the
THEMIS-style layout under ``asi_dir``; neighbouring imagers see the same model, so they agree
where their fields of view overlap.

A TREx RGB imager (:data:`TREX_RGB_CAMERA`) records both lines, each mapped at its own altitude
(557.7 nm at 110 km, 630.0 nm at 230 km), and mixes them into red, green and blue channels as a
colour camera's filters do: red from 630.0 nm plus a little of 557.7 nm, green from 557.7 nm,
blue from the N2+ 427.8 nm band, which is taken as a quarter of the 557.7 nm emission (both are
excited by the same energetic electrons). Its uint8 frames are written with
``aurorax.asi.write_trex_rgb_h5``, one file per minute in the UCalgary TREx RGB stream0 layout.

Render cost is bounded by two documented choices: AACGM coordinates of the pixels are computed
once per site and night (they drift by far less than a pixel in a night), and ``binning`` evaluates
the model once per ``binning x binning`` block of pixels (the noise stays per pixel). The demo
products render 600 s frames with binning 4 (8 for REGO); the Figure 4 example renders its two
minutes at 3 s with binning 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from aurorax.asi import image_path, write_rego_cdf, write_themis_cdf, write_trex_rgb_h5
from aurorax.geo import EARTH_RADIUS_KM, geo_to_aacgm, magnetic_local_time, sun_elevation_deg

from ._model import AuroralModel
from ._noise import stable_key
from ._skymaps import core_program, make_demo_skymap

__all__ = [
    "CameraModel",
    "THEMIS_CAMERA",
    "REGO_CAMERA",
    "ColourCameraModel",
    "TREX_RGB_CAMERA",
    "TREX_DEVICE_UID",
    "camera_for_program",
    "van_rhijn_factor",
    "FrameRenderer",
    "dark_hours",
    "render_demo_images",
    "DEMO_IMAGE_SITES",
]


@dataclass(frozen=True)
class CameraModel:
    """Radiometry of a demo imager.

    Attributes
    ----------
    emission
        Auroral emission line the imager records (``"557.7"`` or ``"630.0"``, nm).
    altitude_km
        Emission altitude its pixels are mapped to, km.
    gain_counts_per_rayleigh
        Counts per Rayleigh of (slant) emission per exposure.
    bias_counts
        Dark/bias level in counts.
    read_noise_counts
        Gaussian read noise, counts (1 sigma).
    """

    emission: str
    altitude_km: float
    gain_counts_per_rayleigh: float
    bias_counts: float
    read_noise_counts: float

    @property
    def lines(self) -> tuple[tuple[str, float], ...]:
        """``(emission, altitude_km)`` of each line the camera records: its one line."""
        return ((self.emission, self.altitude_km),)


@dataclass(frozen=True)
class ColourCameraModel:
    """Radiometry of a demo colour (RGB) imager: uint8 counts per channel.

    Attributes
    ----------
    lines
        ``(emission, altitude_km)`` of each line it records and the altitude its pixels are
        mapped to for that line.
    response
        Counts per Rayleigh (slant) of each line, in the order of ``lines``, in the red, green
        and blue channel: three rows of ``len(lines)`` values.
    bias_counts
        Dark level in counts.
    read_noise_counts
        Gaussian read noise, counts (1 sigma).
    electrons_per_count
        Photoelectrons per count: the shot noise is ``sqrt(signal / electrons_per_count)``.
    """

    lines: tuple[tuple[str, float], ...]
    response: tuple[tuple[float, ...], ...]
    bias_counts: float
    read_noise_counts: float
    electrons_per_count: float

    @property
    def emission(self) -> str:
        """The line a picture's brightness range is judged by (``keogram_limits``): 557.7 nm."""
        return "557.7"

    @property
    def gain_counts_per_rayleigh(self) -> float:
        """Green-channel counts per Rayleigh of 557.7 nm."""
        return float(self.response[1][[e for e, _ in self.lines].index("557.7")])


# THEMIS white-light imagers: a 10 kR arc at zenith gives ~15,000 counts. REGO's red line is
# ~10x fainter, hence the larger gain. The demo frames are dark-subtracted (a small pedestal of
# 100 / 50 counts keeps the read noise from clipping at zero): a clear dark sky is the airglow
# alone, a few hundred counts, so maps and mosaics can show it as (nearly) transparent.
THEMIS_CAMERA = CameraModel("557.7", 110.0, 1.5, 100.0, 20.0)
REGO_CAMERA = CameraModel("630.0", 230.0, 8.0, 50.0, 15.0)
# TREx RGB, 8 bits per channel. Green saturates (255) at ~12 kR of 557.7 nm, red at ~5 kR of
# 630.0 nm (the red line is fainter, so a real camera's exposure brings it up); the red filter
# passes a tenth of what the green one does of 557.7 nm; blue sees the N2+ 427.8 nm band, a
# quarter of the 557.7 nm emission. A clear dark sky (airglow 250 R / 60 R) is ~7 / 5 / 3 counts
# of red, green, blue: nearly black, as the real TREx RGB frames are.
TREX_RGB_CAMERA = ColourCameraModel(
    lines=(("557.7", 110.0), ("630.0", 230.0)),
    response=((0.002, 0.05), (0.02, 0.0), (0.005, 0.0)),
    bias_counts=2.0,
    read_noise_counts=1.0,
    electrons_per_count=10.0,
)
#: Device number of the demo TREx RGB imagers (``<site>_rgb-01``): one camera per site.
TREX_DEVICE_UID = 1
_CAMERAS = {"themis": THEMIS_CAMERA, "rego": REGO_CAMERA, "trex": TREX_RGB_CAMERA}

#: The neighbouring imagers the demo renders images for: (program, site_uid). GILL, TPAS and
#: PINA overlap pairwise (~450 km apart), RANK overlaps GILL, and REGO GILL shares GILL's sky.
DEMO_IMAGE_SITES = (
    ("themis-asi", "gill"),
    ("themis-asi", "tpas"),
    ("themis-asi", "pina"),
    ("themis-asi", "rank"),
    ("rego", "gill"),
)


def camera_for_program(program: str) -> CameraModel | ColourCameraModel:
    """The demo camera of ``"themis-asi"``/``"themis"``, ``"rego"`` or ``"trex"`` (else ValueError)."""
    return _CAMERAS[core_program(program)]


def van_rhijn_factor(elevation_deg, altitude_km: float) -> np.ndarray:
    """Brightening of a thin emitting shell seen at an elevation: slant over vertical path.

    ``V = 1 / sqrt(1 - (R_E / (R_E + h))^2 cos^2(el))``: 1 at zenith, about 10 at the horizon for
    110 km. NaN where the elevation is NaN.
    """
    ratio = EARTH_RADIUS_KM / (EARTH_RADIUS_KM + altitude_km)
    cos_el = np.cos(np.radians(np.asarray(elevation_deg, dtype=float)))
    return 1.0 / np.sqrt(1.0 - (ratio * cos_el) ** 2)


class FrameRenderer:
    """Renders frames of one demo imager from the auroral model.

    Parameters
    ----------
    model
        The demo's auroral model.
    program, site_uid, site_lat, site_lon, site_alt_km
        The imager (``"themis-asi"``, ``"rego"`` or ``"trex"``) and its site (degrees, km).
    when
        A time in the night to render; the pixels' AACGM coordinates are computed for it.
    binning
        Evaluate the model once per ``binning x binning`` pixel block (1 = every pixel).
    cloud
        ``cloud(times) -> cover 0..1`` for the site (e.g. ``WeatherModel.cloud_fraction``), or
        None for a clear sky.
    seed
        Seed of the noise.
    noise
        Add shot and read noise (False gives the noiseless expectation, for checks).
    """

    def __init__(
        self,
        model: AuroralModel,
        program: str,
        site_uid: str,
        site_lat: float,
        site_lon: float,
        site_alt_km: float,
        when,
        *,
        binning: int = 1,
        cloud=None,
        seed: int = 0,
        noise: bool = True,
    ) -> None:
        if int(binning) != binning or binning < 1:
            raise ValueError(f"binning must be a positive integer, got {binning!r}")
        self.model = model
        self.program = program
        self.site_uid = site_uid.lower()
        self.camera = camera_for_program(program)
        self.skymap = make_demo_skymap(site_uid, site_lat, site_lon, site_alt_km, program)
        self.binning = int(binning)
        self.cloud = cloud
        self.noise = noise
        self.seed = int(seed) ^ (stable_key(f"{program}/{self.site_uid}") << 16)
        self.sky = np.isfinite(self.skymap.elevation)
        self._n = self.skymap.shape[0]
        # One layer per recorded line: its emission altitude sets the van Rhijn brightening and
        # where each pixel's line of sight meets the emission (the model's sample points).
        self._layers = [self._layer(emission, alt, when) for emission, alt in self.camera.lines]
        self.brightening = self._layers[0][4]

    def _layer(self, emission: str, altitude_km: float, when):
        brightening = np.where(
            self.sky, van_rhijn_factor(self.skymap.elevation, altitude_km), 0.0
        ).astype(np.float32)
        # Model sample points: the centre pixel of each binning block that sees the sky.
        b = self.binning
        lat, lon = self.skymap.pixel_centres(altitude_km)
        centre = b // 2
        block_lat = lat[centre::b, centre::b]
        block_lon = lon[centre::b, centre::b]
        ok = np.isfinite(block_lat)
        mlat, mlon = geo_to_aacgm(block_lat[ok], block_lon[ok], altitude_km, when)
        mlat, mlon = np.asarray(mlat, dtype=float), np.asarray(mlon, dtype=float)
        return emission, ok, mlat, mlon, brightening

    def rayleighs(self, times) -> np.ndarray:
        """Slant emission each pixel sees, ``(time, y, x)`` float32 Rayleighs; 0 off-sky.

        A colour camera (``ColourCameraModel``) gives ``(time, y, x, line)``, its lines in the
        camera's order. Includes the van Rhijn brightening and the cloud transmission, not the
        camera.
        """
        times = pd.DatetimeIndex(times)
        times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
        # MLT is linear in magnetic longitude at a fixed time: one aacgmv2 call per frame time.
        mlt0 = np.asarray(magnetic_local_time(np.zeros(len(times)), times), dtype=float)
        t_s = np.asarray(self.model.seconds(times), dtype=float).reshape(-1, 1)
        transmission = None
        if self.cloud is not None:
            cover = np.clip(np.asarray(self.cloud(times), dtype=float), 0.0, 1.0)
            transmission = (1.0 - 0.85 * cover).astype(np.float32)[:, None, None]
        b, n = self.binning, self._n
        out = []
        for emission, ok, mlat, mlon, brightening in self._layers:
            mlt = np.mod(mlt0[:, None] + mlon[None, :] / 15.0, 24.0)
            blocks = np.zeros((len(times), *ok.shape), dtype=np.float32)
            # All frames in one model call: (time, 1) seconds against (time, pixel) MLTs.
            blocks[:, ok] = self.model.intensity_at_seconds(
                t_s, mlat[None, :], mlt, emission=emission
            )
            full = np.repeat(np.repeat(blocks, b, axis=1), b, axis=2)[:, :n, :n]
            full *= brightening[None]
            if transmission is not None:
                full *= transmission
            out.append(full)
        if isinstance(self.camera, CameraModel):
            return out[0]
        return np.stack(out, axis=-1)

    def render(self, times, rng: np.random.Generator | None = None) -> np.ndarray:
        """Frames at ``times`` (aurorax orientation): ``(time, y, x)`` uint16 counts, or for a
        colour camera ``(time, y, x, 3)`` uint8 red, green, blue."""
        rng = rng or np.random.default_rng(self.seed)
        camera = self.camera
        if isinstance(camera, ColourCameraModel):
            # Each channel mixes the lines through its filter's response (counts per Rayleigh).
            response = np.asarray(camera.response, dtype=np.float32)
            signal = np.maximum(self.rayleighs(times) @ response.T, 0.0)
            counts = signal + np.float32(camera.bias_counts)
            if self.noise:
                shot = signal / np.float32(camera.electrons_per_count)
                sigma = np.sqrt(shot + np.float32(camera.read_noise_counts**2))
                counts += sigma * rng.standard_normal(counts.shape, dtype=np.float32)
            return np.clip(np.rint(counts), 0, 255).astype(np.uint8)
        signal = self.rayleighs(times) * np.float32(camera.gain_counts_per_rayleigh)
        counts = signal + np.float32(camera.bias_counts)
        if self.noise:
            # Photon (shot) noise ~ sqrt(signal) in counts, plus read noise; Gaussian
            # approximations of Poisson are exact enough at these count levels.
            sigma = np.sqrt(signal + np.float32(camera.read_noise_counts**2))
            counts += sigma * rng.standard_normal(counts.shape, dtype=np.float32)
        return np.clip(np.rint(counts), 0, 65535).astype(np.uint16)


def dark_hours(site_lat: float, site_lon: float, day, max_sun_elevation_deg: float = -12.0):
    """UTC hours of ``day`` whose middle has the Sun below ``max_sun_elevation_deg`` at the site.

    Returns
    -------
    pandas.DatetimeIndex
        Hour starts (UTC), in order.
    """
    start = pd.Timestamp(day)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    hours = pd.date_range(start.normalize(), periods=24, freq="h")
    middle = hours + pd.Timedelta(minutes=30)
    sun = np.asarray(sun_elevation_deg(site_lat, site_lon, middle), dtype=float)
    return hours[sun < max_sun_elevation_deg]


def _operating_frames(minutes, hour: pd.Timestamp, grid: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Frame times of ``grid`` (within one hour) at operating ``minutes``, plus the hour's first."""
    minutes = pd.DatetimeIndex(minutes)
    minutes = minutes.tz_localize("UTC") if minutes.tz is None else minutes.tz_convert("UTC")
    here = minutes[(minutes >= hour) & (minutes < hour + pd.Timedelta(hours=1))]
    if here.empty:
        return here
    keep = grid[grid.floor("min").isin(here)]
    return keep.union(here[:1])


def _write_trex(path, site_uid, times, frames):
    device = f"rgb-{TREX_DEVICE_UID:02d}"
    write_trex_rgb_h5(path, site_uid, device, times, frames, {"demo": "aurorax demo (synthetic)"})


@dataclass(frozen=True)
class _Layout:
    """How the frames of one hour of a demo imager become files of the ASI core's layout."""

    program: str  # aurorax.asi image program
    binning_factor: float  # model block size relative to THEMIS's (the same ground size)
    per_minute: bool  # one file per minute (TREx RGB) rather than per hour
    write: Callable  # (path, site_uid, times, frames) -> writes the file

    def files(self, site_uid: str, hour: pd.Timestamp, times: pd.DatetimeIndex, asi_dir: Path):
        """``(path, frame positions)`` of each file the frames at ``times`` go to."""
        if not self.per_minute:
            return [(image_path(self.program, site_uid, hour, asi_dir), np.arange(len(times)))]
        minutes = times.floor("min")
        return [
            (
                image_path(self.program, site_uid, m, asi_dir, device_uid=TREX_DEVICE_UID),
                np.flatnonzero(minutes == m),
            )
            for m in minutes.unique()
        ]


_LAYOUTS = {
    "themis": _Layout(
        "themis", 1.0, False, lambda p, uid, t, f: write_themis_cdf(p, uid, t, f, exposure_s=1.0)
    ),
    "rego": _Layout(
        "rego", 2.0, False, lambda p, uid, t, f: write_rego_cdf(p, uid, t, f, exposure_s=2.0)
    ),
    # TREx RGB: the model once per 4 x 4 of its (twice as large) pixels, half THEMIS's ground
    # resolution (~11 km at zenith, still below the arcs' 15-40 km): a quarter of the cost.
    "trex": _Layout("trex", 1.0, True, _write_trex),
}


def render_demo_images(
    asi_dir,
    sites: pd.DataFrame,
    model: AuroralModel,
    hours: Iterable,
    *,
    cadence_s: float = 60.0,
    binning: int = 2,
    weather=None,
    seed: int = 2021,
    overwrite: bool = False,
    progress: bool = False,
    operating=None,
) -> pd.DataFrame:
    """Render and write image files (and skymaps) for demo imagers, hour by hour.

    Parameters
    ----------
    asi_dir
        The ASI data folder (``settings.asi_dir``); files go to the ASI core's layout under it
        (``aurorax.asi.image_path``: an hourly CDF for THEMIS and REGO, a TREx RGB HDF5 file per
        minute with frames under ``<site>_rgb-01``), skymaps to
        ``<asi_dir>/<program>/skymaps/<site>/``.
    sites
        Imagers to render: rows with ``program`` (``themis-asi``, ``rego`` or ``trex``),
        ``site_uid``, ``lat``, ``lon``, ``alt_km`` (e.g. rows of :func:`load_sites`).
    model
        The auroral model.
    hours
        UTC hour starts to render (e.g. :func:`dark_hours`); one file per imager and hour.
    cadence_s
        Seconds between frames (3 = the real THEMIS cadence).
    binning
        Model evaluation block size for THEMIS (see :class:`FrameRenderer`); REGO, with pixels
        half the size, uses twice it, so both sample the model at the same ground resolution.
        The demo TREx RGB uses it as is: its pixels are twice THEMIS's, so its model is sampled
        at half their ground resolution (a documented saving).
    weather
        Optional ``WeatherModel``: clouds dim each site's frames.
    seed
        Noise seed. The noise of an hour depends only on the seed, the imager and the hour.
    overwrite
        Re-render files that exist (default: keep them).
    progress
        Show a tqdm progress bar over files.
    operating
        Optional mapping ``(program, site_uid) -> DatetimeIndex`` of the minutes an imager
        operated (as in the demo repository's ephemeris). For the imagers in it, only frames at
        operating minutes are rendered: those on the ``cadence_s`` grid plus the first operating
        minute of each hour (so every hour with operation has a frame, and its hourly keogram),
        and hours without operation get no file. Other imagers render every frame of each hour.

    Returns
    -------
    pandas.DataFrame
        One row per file: ``program``, ``site_uid``, ``hour`` (UTC), ``path``, ``n_frames``
        (TREx RGB: one row per minute file of the hour).
    """
    from tqdm.auto import tqdm

    from ._skymaps import write_demo_skymap

    missing = {"program", "site_uid", "lat", "lon", "alt_km"} - set(sites.columns)
    if missing:
        raise ValueError(f"sites table lacks column(s) {sorted(missing)}")
    if not cadence_s > 0:
        raise ValueError(f"cadence_s must be positive, got {cadence_s!r}")
    hours = pd.DatetimeIndex(sorted(pd.Timestamp(h) for h in hours))
    if hours.tz is None:
        hours = hours.tz_localize("UTC")
    asi_dir = Path(asi_dir)
    rows = []
    jobs = [(site, hour) for site in sites.itertuples(index=False) for hour in hours]
    renderers: dict = {}
    for site in sites.itertuples(index=False):
        write_demo_skymap(asi_dir, site.site_uid, site.lat, site.lon, site.alt_km, site.program)
    for site, hour in tqdm(jobs, disable=not progress, desc="demo images", unit="file"):
        layout = _LAYOUTS[core_program(site.program)]
        times = hour + pd.to_timedelta(np.arange(0.0, 3600.0, cadence_s), "s")
        if operating is not None and (site.program, site.site_uid) in operating:
            times = _operating_frames(operating[(site.program, site.site_uid)], hour, times)
            if times.empty:
                continue
        files = layout.files(site.site_uid, hour, times, asi_dir)
        rows += [(site.program, site.site_uid, hour, path, len(i)) for path, i in files]
        todo = [(path, i) for path, i in files if overwrite or not path.exists()]
        if not todo:
            continue
        key = (site.program, site.site_uid, hour.normalize())
        if key not in renderers:
            cloud = None
            if weather is not None:
                uid = site.site_uid

                def cloud(t, uid=uid):
                    return weather.cloud_fraction(uid, t)

            # REGO pixels are half the size of THEMIS pixels: the same binning on the ground.
            block = max(1, round(binning * layout.binning_factor))
            renderers[key] = FrameRenderer(
                model, site.program, site.site_uid, site.lat, site.lon, site.alt_km,
                hour, binning=block, cloud=cloud, seed=seed,
            )  # fmt: skip
        renderer = renderers[key]
        # The whole hour is rendered (its noise depends only on the seed, imager and hour).
        rng = np.random.default_rng([renderer.seed, int(hour.value // 3_600_000_000_000)])
        frames = np.concatenate(
            [renderer.render(times[i : i + 25], rng) for i in range(0, len(times), 25)]
        )
        for path, i in todo:
            # Written under a temporary name (the real extension kept: cdflib appends .cdf
            # otherwise), then renamed, so an interrupted build never leaves a truncated file
            # under the real name (nor one the image-file lookup would take).
            tmp = path.with_name("partial-" + path.name)
            layout.write(tmp, site.site_uid, times[i].tz_convert(None), frames[i])
            tmp.replace(path)
    return pd.DataFrame(rows, columns=["program", "site_uid", "hour", "path", "n_frames"])
