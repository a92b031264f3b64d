"""Benchmark: drawing the Event Explorer globe, aurorax's projection against GeoViews'.

Run from the repository root::

    .venv/bin/python benchmarks/bench_globe.py [--repeats 5]

Both sides draw the same globe into Bokeh models (``hv.render``), centred on 56 N 95 W, with
the same layers: a 1024 x 512 global-grid ASI mosaic (an auroral oval, NaN elsewhere), the GSHHS
coarse coastlines and 8 spacecraft (positions and 90-minute footprint tracks).

* **ours**: ``aurorax.viz.plot_globe`` (orthographic projection in numpy, a cached screen-pixel
  lookup for the image, plain HoloViews elements).
* **baseline**: GeoViews, the way its documentation draws a globe: ``gv.Image``, ``gv.Path`` and
  ``gv.Points`` in ``PlateCarree`` overlaid with ``projection=Orthographic``, so GeoViews and
  cartopy project each layer.

GeoViews 1.15 cannot draw an orthographic globe with cartopy 0.26 (``geoviews.util
.project_extents`` reads ``proj4_params['lon_0']``, which cartopy 0.26's ``PlateCarree`` no
longer has). The baseline then runs in a subprocess with cartopy 0.25 put first on its path
(``pip install --no-deps --target`` into ``~/.cache/aurorax/cartopy-0.25``, done once), and the
benchmark says so.

Each side is timed warm (after one untimed draw); a new centre of view is drawn each repeat, as
the Explorer's sliders do. The medians and their ratio are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CARTOPY_FALLBACK = "0.25.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "aurorax"
CENTRES = [(56.0 + k, -95.0 + 7 * k) for k in range(12)]


def scene():
    """Grid values, coastline rings and spacecraft tracks shared by both sides."""
    from aurorax.viz._coastlines import coastline_lonlat

    lat = np.linspace(-90, 90, 513)[:-1] + 180 / 1024
    lon = np.linspace(-180, 180, 1025)[:-1] + 360 / 2048
    glat, glon = np.meshgrid(lat, lon, indexing="ij")
    rng = np.random.default_rng(0)
    oval = np.exp(-(((glat - 67 + 3 * np.cos(np.radians(glon + 95))) / 2.5) ** 2))
    values = np.where(oval > 0.05, 2000 + 8000 * oval * rng.uniform(0.7, 1, oval.shape), np.nan)
    t = np.arange(90)
    tracks = []
    for k in range(8):  # polar orbits, 95 min period, footprints at 110 km
        phase = 2 * np.pi * (t / 95 + k / 8)
        tlat = np.degrees(np.arcsin(np.sin(phase) * np.sin(np.radians(87))))
        tlon = (-140 + 20 * k + np.degrees(np.arctan2(np.cos(phase), 0.05)) - 0.25 * t) % 360 - 180
        tracks.append((tlat, tlon))
    return values.astype(np.float32), lat, lon, coastline_lonlat("c"), tracks


def time_ours(repeats: int) -> list[float]:
    import holoviews as hv
    import pandas as pd

    from aurorax.viz import plot_globe

    hv.extension("bokeh", logo=False)
    values, _, _, _, tracks = scene()
    epoch = pd.date_range("2021-12-01T05:00", periods=90, freq="min", tz="UTC")
    rows = []
    for k, (tlat, tlon) in enumerate(tracks):
        rows.append(
            pd.DataFrame(
                {
                    "display_name": f"sat-{k}",
                    "epoch": epoch,
                    "geo_lat": tlat,
                    "geo_lon": tlon,
                    "nbtrace_lat": tlat,
                    "nbtrace_lon": tlon,
                    "sbtrace_lat": -tlat,
                    "sbtrace_lon": tlon,
                }
            )
        )
    eph = pd.concat(rows, ignore_index=True)
    times = []
    for i, (clat, clon) in enumerate([CENTRES[0], *CENTRES[:repeats]]):
        began = time.perf_counter()
        hv.render(plot_globe(clat, clon, values, eph, epoch[45]), backend="bokeh")
        if i:  # the first draw is the untimed warm-up
            times.append(time.perf_counter() - began)
    return times


def time_geoviews(repeats: int) -> list[float]:
    """The baseline in this process; raises what GeoViews raises."""
    import cartopy.crs as ccrs
    import geoviews as gv
    import holoviews as hv

    hv.extension("bokeh", logo=False)
    values, lat, lon, rings, tracks = scene()
    plate = ccrs.PlateCarree()
    gap = np.full((1, 2), np.nan)
    coast = np.concatenate([part for r in rings for part in (r, gap)])
    track_xy = np.concatenate(
        [part for tlat, tlon in tracks for part in (np.column_stack([tlon, tlat]), gap)]
    )
    now = np.array([[tlon[45], tlat[45]] for tlat, tlon in tracks])
    times = []
    for i, (clat, clon) in enumerate([CENTRES[0], *CENTRES[:repeats]]):
        began = time.perf_counter()
        overlay = gv.Overlay(
            [
                gv.Image((lon, lat, values), crs=plate),
                gv.Path([coast], crs=plate),
                gv.Path([track_xy], crs=plate),
                gv.Points(now, crs=plate),
            ]
        ).opts(projection=ccrs.Orthographic(clon, clat), frame_width=600, frame_height=600)
        hv.render(overlay, backend="bokeh")
        if i:
            times.append(time.perf_counter() - began)
    return times


def geoviews_in_subprocess(repeats: int) -> tuple[list[float], str]:
    """The baseline with cartopy ``CARTOPY_FALLBACK`` first on the path (installed once)."""
    target = CACHE / f"cartopy-{CARTOPY_FALLBACK}"
    if not (target / "cartopy").is_dir():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target"]
            + [str(target), f"cartopy=={CARTOPY_FALLBACK}"],
            check=True,
        )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(REPO)])}
    out = subprocess.run(
        [sys.executable, __file__, "--baseline-only", "--repeats", str(repeats)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1]), f"cartopy {CARTOPY_FALLBACK}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed draws per side")
    parser.add_argument("--baseline-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_only:
        print(json.dumps(time_geoviews(args.repeats)))
        return
    import cartopy

    ours = time_ours(args.repeats)
    try:
        theirs, how = time_geoviews(args.repeats), f"cartopy {cartopy.__version__}"
    except KeyError as exc:
        print(
            f"GeoViews cannot draw the globe with cartopy {cartopy.__version__} "
            f"(KeyError {exc}); timing it with cartopy {CARTOPY_FALLBACK} in a subprocess"
        )
        theirs, how = geoviews_in_subprocess(args.repeats)
    mine, base = statistics.median(ours), statistics.median(theirs)
    print(f"globe draw, median of {args.repeats} views (warm):")
    rows = [("aurorax plot_globe", f"{mine:.3f} s"), (f"GeoViews ({how})", f"{base:.3f} s")]
    rows.append(("ratio", f"{base / mine:.1f}x faster"))
    for name, value in rows:
        print(f"  {name:28s} {value:>12s}")


if __name__ == "__main__":
    main()
