"""The paper's Figure 4 workflow on demo data: a spacecraft's footprint crossing the aurora over an imager.

Run from the repository root (writes everything into OUTDIR)::

    .venv/bin/python examples/figure4_conjunction.py OUTDIR
    .venv/bin/python examples/figure4_conjunction.py OUTDIR --minutes 1 --cadence 6 --binning 4  # quick

Steps (AuroraX paper, section 3.5):

1. build a small demo repository (``OUTDIR/demo.duckdb``: the imager, THEMIS GILL by default, and
   the low-Earth-orbit spacecraft, Swarm A/B/C, DMSP F16-F18 and NOAA-19, for ``--days`` days) with
   the spacecraft's real demo ephemeris (SGP4 orbits, north B-trace footprints at 110 km);
2. search it for conjunctions: the imager's operating minutes and a spacecraft's north footprint
   within 200 km (``aurorax.engine.search_conjunctions``, nbtrace); of those, take the one where
   the demo auroral model is brightest at the footprint at closest approach;
3. render the imager's frames for the window around it from the auroral model (``OUTDIR/asi``);
4. locate the spacecraft's 1-minute footprint track (from the repository) in the sky at 110 km
   (``lla_to_azel_pixel``) and take the mean counts inside a 20 x 20 km box around it in each
   frame (``footprint_intensity``: the track is interpolated to the frame times along the great
   circle);
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
    make_montage,
    write_themis_cdf,
)
from aurorax.demo import AuroralModel, FrameRenderer, build_demo, load_sites, write_demo_skymap
from aurorax.engine import Repository, search_conjunctions, search_ephemeris
from aurorax.geo import geo_to_aacgm, interpolate_great_circle, magnetic_local_time

FOOTPRINT_KM = 110.0
BOX_KM = (20.0, 20.0)
MAX_DISTANCE_KM = 200.0
#: The demo's low-Earth-orbit spacecraft: their footprints cross an imager's sky in a minute or two.
LEO = {
    "swarm": ["swarma", "swarmb", "swarmc"],
    "dmsp": ["dmspf16", "dmspf17", "dmspf18"],
    "noaa": ["noaa19"],
}


def build_repository(db: Path, site, start: pd.Timestamp, days: int, seed: int) -> None:
    """The demo repository of the imager and the LEO spacecraft (no images: they are made below)."""
    build_demo(
        db, start=start.date(), days=days, seed=seed, progress=False, overwrite=True,
        programs=["themis-asi", *LEO], platforms=[site.platform, *sum(LEO.values(), [])],
        image_nights=0,
    )  # fmt: skip


def brightest_pass(repo: Repository, model: AuroralModel, start, days: int) -> pd.Series:
    """The conjunction (imager x LEO spacecraft, nbtrace <= 200 km) with the brightest aurora
    (model, 557.7 nm) at the footprint at closest approach."""
    result = search_conjunctions(repo, {
        "start": start.isoformat(), "end": (start + pd.Timedelta(days=days)).isoformat(),
        "ground": [{"programs": ["themis-asi"]}], "space": [{"programs": list(LEO)}],
        "conjunction_types": ["nbtrace"], "max_distances": {"ground1-space1": MAX_DISTANCE_KM},
    }).data  # fmt: skip
    if result.empty:
        raise SystemExit(f"no conjunction within {MAX_DISTANCE_KM:g} km in the {days} demo days")
    brightness = []
    for row in result.itertuples():
        source = repo.get_data_source(int(row.space1_identifier))
        at = track_of(repo, source, row.closest_epoch, row.closest_epoch + pd.Timedelta(minutes=1))
        mlat, mlon = geo_to_aacgm(at.nbtrace_lat.iloc[0], at.nbtrace_lon.iloc[0], FOOTPRINT_KM,
                                  row.closest_epoch)  # fmt: skip
        mlt = magnetic_local_time(np.atleast_1d(float(mlon)), [row.closest_epoch])[0]
        brightness.append(float(model.intensity_rayleigh(row.closest_epoch, float(mlat), mlt)))
    best = result.iloc[int(np.argmax(brightness))].copy()
    best["rayleighs"] = max(brightness)
    return best


def track_of(repo: Repository, source, start, end) -> pd.DataFrame:
    """The spacecraft's ephemeris records ``[start, end)`` from the repository."""
    return search_ephemeris(repo, {
        "start": start.isoformat(), "end": end.isoformat(),
        "data_sources": {"programs": [source.program], "platforms": [source.platform]},
    })  # fmt: skip


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
    parser.add_argument("--start", default="2021-12-01", help="first demo day searched (UTC)")
    parser.add_argument("--days", type=int, default=3, help="demo days searched (default 3)")
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
    db = out / "demo.duckdb"
    build_repository(db, site, start, args.days, args.seed)
    model = AuroralModel(args.seed, start, start + pd.Timedelta(days=args.days))
    with Repository(db, read_only=True) as repo:
        best = brightest_pass(repo, model, start, args.days)
        spacecraft = repo.get_data_source(int(best["space1_identifier"]))
        closest = best["closest_epoch"]
        half = pd.Timedelta(minutes=args.minutes / 2)
        t0, t1 = (closest - half).floor("s"), (closest + half).floor("s")
        # The 1-minute footprint records around the window; frames fall between them.
        track = track_of(repo, spacecraft, t0.floor("min") - pd.Timedelta(minutes=1),
                         t1.ceil("min") + pd.Timedelta(minutes=2))  # fmt: skip
    track_t = pd.DatetimeIndex(track["epoch"])
    fp_lat, fp_lon = track["nbtrace_lat"].to_numpy(), track["nbtrace_lon"].to_numpy()

    renderer = FrameRenderer(
        model, "themis-asi", site.site_uid, site.lat, site.lon, site.alt_km, closest,
        binning=args.binning, seed=args.seed,
    )  # fmt: skip
    asi_dir = out / "asi"
    write_demo_skymap(asi_dir, site.site_uid, site.lat, site.lon, site.alt_km, "themis-asi")
    render_window(asi_dir, site, renderer, t0, t1, args.cadence)
    imager = Imager(site.site_uid, t0, t1, asi_dir=asi_dir)
    series = footprint_intensity(imager, track_t, fp_lat, fp_lon, FOOTPRINT_KM, BOX_KM)
    series.to_csv(out / "intensity.csv", index=False)
    # The frame where the footprint is highest in the sky (nearest the zenith).
    cross = series.loc[series["elevation_deg"].idxmax(), "time"]

    skymap = imager.skymap
    # The track drawn as the search and the box see it: the 1-minute records interpolated along
    # the great circle every second (a footprint moves ~400 km in a minute).
    dense_t = pd.date_range(track_t[0], track_t[-1], freq="1s")
    dense_lat, dense_lon = interpolate_great_circle(track_t, fp_lat, fp_lon, dense_t)
    track_pix = lla_to_azel_pixel(skymap, dense_lat, dense_lon, FOOTPRINT_KM)
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
    # Panels A-D spread over the window, as in the paper's figure.
    panel_times = [
        imager.times[imager.nearest_index(t0 + f * (t1 - t0))] for f in (0.125, 0.375, 0.625, 0.875)
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
    ts.set_title(f"(E) {site.site_uid.upper()} intensity around {spacecraft.display_name}'s 110 km footprint",
                 loc="left", fontsize=10)  # fmt: skip
    fig.tight_layout()
    fig.savefig(out / "figure4.png", dpi=120)

    def hook(frame):
        draw(frame.ax, frame.time)

    animate_fisheye(imager, out / "figure4.mp4", hook=hook, fps=10, scale=2, progress=False)
    near = series[(series["time"] - cross).abs() <= pd.Timedelta(seconds=30)]
    peak = near.loc[near["intensity"].idxmax()]
    print(
        f"{spacecraft.display_name} over {site.site_uid.upper()} at {closest:%Y-%m-%d %H:%M} UTC: "
        f"north footprint {best['min_distance_km']:.0f} km from the site, "
        f"model aurora {best['rayleighs']:.0f} R there"
    )
    print(f"footprint crosses it at {cross:%H:%M:%S}; window {t0:%H:%M:%S}-{t1:%H:%M:%S} UTC")
    print(
        f"peak mean intensity within 30 s of the crossing: {peak['intensity']:.0f} counts at "
        f"{peak['time']:%H:%M:%S}"
    )
    print(f"wrote {out / 'figure4.png'}, {out / 'figure4.mp4'}, {out / 'intensity.csv'}")


if __name__ == "__main__":
    main()
