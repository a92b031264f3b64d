"""Benchmark: build time of the demo data set (default one month, all sources).

Ours: ``aurorax.demo.build_demo`` as shipped, which maps low-Earth-orbit positions (<= 1800 km) to their
footprints with AACGM-v2 and traces only the high orbits through IGRF.

Baseline (same run): the same build if every spacecraft footprint were traced through IGRF, i.e. the
naive "trace every point" approach. Tracing all ~314,000 LEO points of a month takes minutes, so the
baseline traces a random subsample of each LEO spacecraft's positions (10,000 points in one call, a
batch large enough for the vectorised tracer to reach its per-point speed), extrapolates that
per-point cost to all of them, and substitutes it for the time the shipped build spent on the LEO
footprints (measured here by running exactly those AACGM footprint calls again).

The build renders, as shipped, one night of images, keograms and movies for the demo imagers
(``--image-nights``, default 1); the image files go beside the repository file (``asi/``,
``products/``), in a temporary folder unless ``--db`` is given. The baseline substitution concerns
only the footprints, so the image stage is part of both figures.

Usage::

    .venv/bin/python benchmarks/bench_demo.py [--days 31] [--image-nights 1] [--subsample 10000] [--db PATH]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from aurorax import geo
from aurorax.demo import AACGM_FOOTPRINT_MAX_ALTITUDE_KM, SPACECRAFT, build_demo, propagate


def leo_footprint_costs(start: pd.Timestamp, days: int, subsample: int, seed: int = 0):
    """Seconds for AACGM footprints of all LEO points, and traced seconds extrapolated to them."""
    minutes = pd.date_range(start, periods=days * 1440, freq="1min", tz="UTC")
    t64 = minutes.tz_convert(None).to_numpy()
    rng = np.random.default_rng(seed)
    aacgm_s = traced_s = 0.0
    n_low = 0
    for sc in SPACECRAFT:
        pos = propagate(sc, minutes)
        low = pos["altitude_km"].to_numpy() <= AACGM_FOOTPRINT_MAX_ALTITUDE_KM
        if not low.any():
            continue
        lat, lon, alt = (pos[c].to_numpy()[low] for c in ("geo_lat", "geo_lon", "altitude_km"))
        t = t64[low]
        n_low += lat.size
        t0 = time.perf_counter()
        geo.footprints(lat, lon, alt, t, method="aacgm")
        aacgm_s += time.perf_counter() - t0
        pick = rng.choice(lat.size, size=min(subsample, lat.size), replace=False)
        t0 = time.perf_counter()
        geo.footprints(lat[pick], lon[pick], alt[pick], t[pick], method="trace")
        traced_s += (time.perf_counter() - t0) * lat.size / pick.size
    return n_low, aacgm_s, traced_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--subsample", type=int, default=10000, help="LEO points traced per craft")
    parser.add_argument("--image-nights", type=int, default=1, help="nights of rendered images")
    parser.add_argument("--db", type=Path, default=None, help="output file (default: a temp dir)")
    args = parser.parse_args()
    start = pd.Timestamp("2021-12-01", tz="UTC")

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "demo.duckdb"
        summary = build_demo(
            db,
            start=date(2021, 12, 1),
            days=args.days,
            progress=False,
            overwrite=True,
            image_nights=args.image_nights,
        )
        size_mb = db.stat().st_size / 1e6
        files = [p for d in (summary.asi_dir, summary.products_dir) for p in d.rglob("*")]
        image_mb = sum(p.stat().st_size for p in files if p.is_file()) / 1e6
    print(f"demo build, {args.days} days, {summary.data_sources} sources:")
    print(
        f"  image nights          {summary.image_nights:>10}  "
        f"({len(summary.rendered_imagers)} imagers, {image_mb:.1f} MB of images and products)"
    )
    print(f"  ephemeris records     {summary.ephemeris_records:>10,}")
    print(f"  data product records  {summary.data_product_records:>10,}")
    print(f"  repository file       {size_mb:>10.1f} MB")
    for stage, seconds in summary.stage_seconds:
        print(f"  stage {stage:<16}{seconds:>10.1f} s")
    print(f"  total (ours)          {summary.elapsed_s:>10.1f} s")

    n_low, aacgm_s, traced_s = leo_footprint_costs(start, args.days, args.subsample)
    baseline = summary.elapsed_s - aacgm_s + traced_s
    print(f"LEO footprints: {n_low:,} points; AACGM {aacgm_s:.1f} s; IGRF tracing (extrapolated "
          f"from {args.subsample} points per craft) {traced_s:.1f} s")  # fmt: skip
    print(f"  baseline build (trace every point, estimated) {baseline:.1f} s")
    print(f"  ratio baseline / ours: {baseline / summary.elapsed_s:.2f}x")


if __name__ == "__main__":
    main()
