"""The paper's Figure 4 workflow on demo data: a satellite crossing an auroral arc over an imager.

Run from the repository root (writes everything into OUTDIR)::

    .venv/bin/python examples/figure4_conjunction.py OUTDIR
    .venv/bin/python examples/figure4_conjunction.py OUTDIR --minutes 1 --cadence 6 --binning 4  # quick

Steps (AuroraX paper, section 3.5):

1. find a minute of the demo month when the demo auroral model puts an arc over the imager
   (THEMIS GILL by default) and the arc's latitude on the imager's meridian;
2. a satellite on a 500 km circular polar orbit flies north-to-south along the site's longitude so
   that its 110 km footprint crosses the arc in the middle of the window. The orbit is analytic:
   uniform motion along the meridian at the orbital angular rate sqrt(mu / a^3) (period 94.6 min),
   with the ground track drifting west at the Earth's rotation rate;
3. render the imager's 3 s frames for the window from the auroral model (``OUTDIR/asi``);
4. trace the satellite to its footprint at 110 km (``aurorax.asi.lla_to_footprint``), locate it in
   the sky (``lla_to_azel_pixel``) and take the mean counts inside a 20 x 20 km box around it in
   each frame (``footprint_intensity``; the 10 s satellite track is interpolated to frame times);
5. write ``figure4.png`` (a four-panel montage with the footprint track in red, the current
   footprint as a red dot and the 20 x 20 km box in yellow, plus the intensity time series),
   ``figure4.mp4`` (the animated conjunction) and ``intensity.csv``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from aurorax.asi import (
    Imager,
    animate_fisheye,
    equal_area_mask,
    footprint_intensity,
    image_path,
    lla_to_azel_pixel,
    lla_to_footprint,
    make_montage,
    write_themis_cdf,
)
from aurorax.demo import AuroralModel, FrameRenderer, load_sites, write_demo_skymap

MU_KM3_S2 = 398600.4418  # Earth's gravitational parameter
EARTH_RADIUS_KM = 6371.2
SIDEREAL_DAY_S = 86164.1
ORBIT_ALTITUDE_KM = 500.0
FOOTPRINT_KM = 110.0
BOX_KM = (20.0, 20.0)


def find_arc(model, site, start, days: int = 5) -> pd.Timestamp:
    """First minute (04-12 UT) of the demo nights that the model classifies as an arc at the site."""
    from aurorax.geo import geo_to_aacgm, magnetic_local_time

    for day in pd.date_range(start, periods=days, freq="D"):
        minutes = day + pd.to_timedelta(np.arange(4 * 60, 12 * 60), "min")
        mlat, mlon = geo_to_aacgm(site.lat, site.lon, FOOTPRINT_KM, minutes[0])
        mlt = magnetic_local_time(np.full(len(minutes), float(mlon)), minutes)
        oath = model.classify(minutes, float(mlat), mlt, 0.0)["clausen_ml_oath"].to_numpy()
        for label in ("classified as discrete", "classified as arc"):
            hit = np.flatnonzero(oath == label)
            if len(hit):
                return minutes[hit[0]]
    raise SystemExit(f"no arc over {site.site_uid} in the {days} demo nights from {start}")


def arc_latitude(renderer: FrameRenderer, when) -> float:
    """Latitude (110 km) of the brightest point on the imager's meridian, above 20 degrees."""
    slant = renderer.rayleighs([when])[0] / np.maximum(renderer.brightening, 1e-6)
    col = renderer.skymap.shape[1] // 2
    el = renderer.skymap.elevation[:, col]
    meridian = np.where(np.nan_to_num(el, nan=-1.0) > 20.0, slant[:, col], -np.inf)
    lat, _ = renderer.skymap.pixel_centres(FOOTPRINT_KM)
    return float(lat[int(np.argmax(meridian)), col])


def satellite_track(lat0: float, lon0: float, t0: pd.Timestamp, times: pd.DatetimeIndex):
    """A 500 km circular polar orbit moving south, at (lat0, lon0) at t0: (lat, lon, alt) arrays."""
    a = EARTH_RADIUS_KM + ORBIT_ALTITUDE_KM
    rate_deg_s = np.degrees(np.sqrt(MU_KM3_S2 / a**3))
    dt = (times - t0).total_seconds().to_numpy()
    lat = lat0 - rate_deg_s * dt
    lon = lon0 - 360.0 / SIDEREAL_DAY_S * dt
    return lat, lon, np.full(len(dt), ORBIT_ALTITUDE_KM)


def render_window(out: Path, site, renderer, start, end, cadence_s: float) -> None:
    """Render the imager's frames for ``[start, end)`` into hourly THEMIS files under ``out``."""
    times = pd.date_range(start, end, freq=pd.Timedelta(seconds=cadence_s), inclusive="left")
    for hour, chunk in pd.Series(times, index=times).groupby(times.floor("h")):
        index = pd.DatetimeIndex(chunk.to_numpy(), tz="UTC")
        frames = np.concatenate(
            [renderer.render(index[i : i + 20]) for i in range(0, len(index), 20)]
        )
        write_themis_cdf(
            image_path("themis", site.site_uid, hour, out), site.site_uid, index, frames
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Figure 4 of the AuroraX paper on demo data")
    parser.add_argument("outdir", type=Path, help="output folder (created)")
    parser.add_argument("--site", default="gill", help="THEMIS demo site (default gill)")
    parser.add_argument("--start", default="2021-12-01", help="first demo night searched (UTC)")
    parser.add_argument("--minutes", type=float, default=2.0, help="window length (minutes)")
    parser.add_argument("--cadence", type=float, default=3.0, help="frame cadence (s)")
    parser.add_argument("--binning", type=int, default=1, help="model evaluation block (pixels)")
    parser.add_argument("--seed", type=int, default=2021, help="demo seed")
    args = parser.parse_args(argv)
    out = args.outdir
    out.mkdir(parents=True, exist_ok=True)

    sites = load_sites()
    site = sites[(sites.program == "themis-asi") & (sites.site_uid == args.site)].iloc[0]
    start = pd.Timestamp(args.start, tz="UTC")
    model = AuroralModel(args.seed, start, start + pd.Timedelta(days=31))
    when = find_arc(model, site, start)
    renderer = FrameRenderer(
        model, "themis-asi", site.site_uid, site.lat, site.lon, site.alt_km, when,
        binning=args.binning, seed=args.seed,
    )  # fmt: skip
    arc_lat = arc_latitude(renderer, when)

    # Satellite: first a long track to find when its footprint crosses the arc, then the window.
    probe_t = when + pd.to_timedelta(np.arange(-180, 181, 10), "s")
    sat = satellite_track(arc_lat, site.lon + 0.3, when, probe_t)
    fp_lat, _ = lla_to_footprint(*sat, probe_t.tz_convert(None).to_numpy())
    cross = probe_t[int(np.nanargmin(np.abs(fp_lat - arc_lat)))]
    half = pd.Timedelta(minutes=args.minutes / 2)
    t0, t1 = (cross - half).floor("s"), (cross + half).floor("s")
    # The satellite's own time stamps (every 10 s) do not line up with the imager's frames.
    track_t = pd.date_range(
        t0 - pd.Timedelta(seconds=10), t1 + pd.Timedelta(seconds=10), freq="10s"
    )
    sat_lat, sat_lon, sat_alt = satellite_track(arc_lat, site.lon + 0.3, when, track_t)
    fp_lat, fp_lon = lla_to_footprint(
        sat_lat, sat_lon, sat_alt, track_t.tz_convert(None).to_numpy()
    )

    asi_dir = out / "asi"
    write_demo_skymap(asi_dir, site.site_uid, site.lat, site.lon, site.alt_km, "themis-asi")
    render_window(asi_dir, site, renderer, t0, t1, args.cadence)
    imager = Imager(site.site_uid, t0, t1, asi_dir=asi_dir)
    series = footprint_intensity(imager, track_t, fp_lat, fp_lon, FOOTPRINT_KM, BOX_KM)
    series.to_csv(out / "intensity.csv", index=False)

    skymap = imager.skymap
    track_pix = lla_to_azel_pixel(skymap, fp_lat, fp_lon, FOOTPRINT_KM)
    seen = track_pix.row >= 0
    by_time = series.set_index("time")

    def draw(ax, frame_time):
        ax.plot(track_pix.col[seen], track_pix.row[seen], "-", color="red", lw=1)
        row = by_time.loc[frame_time]
        if row["row"] >= 0:
            ax.plot([row["col"]], [row["row"]], "o", color="red", ms=5)
            mask = equal_area_mask(skymap, row["lat"], row["lon"], BOX_KM, FOOTPRINT_KM)
            ax.contour(np.isfinite(mask).astype(float), levels=[0.5], colors="yellow",
                       linewidths=1)  # fmt: skip

    # Figure 4: four fisheye panels across the window and the intensity time series below.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 6.5))
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 4, height_ratios=(3, 2))
    panels = [fig.add_subplot(grid[0, k]) for k in range(4)]
    # Panels A-D bracket the arc crossing, as in the paper's figure.
    panel_times = [
        imager.times[imager.nearest_index(cross + f * half)] for f in (-0.75, -0.25, 0.25, 0.75)
    ]
    make_montage(imager, panel_times, axes=panels, hook=lambda ax, i, t, f: draw(ax, t))
    ts = fig.add_subplot(grid[1, :])
    ts.plot(series["time"].dt.tz_convert(None), series["intensity"], ".-", color="k", ms=3)
    for label, t in zip("ABCD", panel_times, strict=True):
        ts.axvline(t.tz_convert(None), color="grey", ls=":")
        ts.text(t.tz_convert(None), 0.97, f" ({label})", ha="left", va="top",
                transform=ts.get_xaxis_transform())  # fmt: skip
    ts.set_xlabel("UTC")
    ts.set_ylabel(f"mean counts in {BOX_KM[0]:g} x {BOX_KM[1]:g} km")
    ts.set_title(f"(E) {site.site_uid.upper()} intensity around the satellite's 110 km footprint",
                 loc="left", fontsize=10)  # fmt: skip
    fig.tight_layout()
    fig.savefig(out / "figure4.png", dpi=120)

    def hook(frame):
        draw(frame.ax, frame.time)

    animate_fisheye(imager, out / "figure4.mp4", hook=hook, fps=10, scale=2, progress=False)
    near = series[(series["time"] - cross).abs() <= pd.Timedelta(seconds=30)]
    peak = near.loc[near["intensity"].idxmax()]
    print(f"arc at {arc_lat:.2f} deg N over {site.site_uid.upper()} at {when:%Y-%m-%d %H:%M} UTC")
    print(f"footprint crosses it at {cross:%H:%M:%S}; window {t0:%H:%M:%S}-{t1:%H:%M:%S} UTC")
    print(
        f"peak mean intensity within 30 s of the crossing: {peak['intensity']:.0f} counts at "
        f"{peak['time']:%H:%M:%S}"
    )
    print(f"wrote {out / 'figure4.png'}, {out / 'figure4.mp4'}, {out / 'intensity.csv'}")


if __name__ == "__main__":
    main()
