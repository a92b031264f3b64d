"""Benchmark: magnetic footprints (both hemispheres) of LEO and HEO points, vectorised vs per point.

Run from the repository root::

    .venv/bin/python benchmarks/bench_footprint.py               # 10,000 LEO + 10,000 HEO points
    .venv/bin/python benchmarks/bench_footprint.py --n 100000    # the demo-scale check

What it does, all in one run (default well under 2 minutes):

1. makes ``--n`` low-orbit points (500 km, uniform over the sphere) and ``--n`` high-orbit points
   (4-12 Earth radii, within 30 degrees of the equator, THEMIS-like), at 1-minute cadence from
   2021-12-15 00:00 UTC;
2. times ``aurorax.geo.footprints`` on all of them at once (north and south footprints, 110 km);
3. times two per-point loop baselines on a random subsample of ``--baseline-n`` points and
   extrapolates them to ``--n`` (clearly labelled):

   - ``geopack``: ``geopack.geopack.trace`` (pure Python, Tsyganenko's GEOPACK port, PyPI
     ``geopack==1.0.11``, the ``bench`` extra) from GSM coordinates to r0 = 1 + 110 km / RE, once per
     hemisphere, with ``recalc`` per point as a per-point loop pays. Its external field is replaced by
     zero so that both sides trace the same IGRF internal field. (geopack 1.0.11's end-point
   interpolation is broken; the comparison interpolates its returned field-line points instead);
   - ``aurorax-loop``: ``aurorax.geo.footprints`` called one point at a time;

4. prints points per second and the ratios, and how far the geopack and aurorax footprints are apart
   on the subsample (they differ in IGRF generation, 13 vs 14, and in the footprint surface: a sphere of
   radius RE + 110 km for geopack, 110 km above the WGS84 ellipsoid for aurorax, which alone moves
   footprints by up to ~20 km at mid latitudes). Own-hemisphere LEO footprints differ more because
   geopack's first step (0.5 RE) from 500 km goes straight through the footprint sphere.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time

import numpy as np

from aurorax.geo import EARTH_RADIUS_KM, FOOTPRINT_ALTITUDE_KM, footprints, great_circle_distance_km

START = np.datetime64("2021-12-15T00:00", "ns")


def make_points(n: int, kind: str, rng: np.random.Generator):
    """lat, lon, altitude_km, time arrays for ``n`` LEO or HEO points."""
    lon = rng.uniform(-180.0, 180.0, n)
    if kind == "LEO":
        lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
        alt = np.full(n, 500.0)
    else:
        lat = rng.uniform(-30.0, 30.0, n)
        alt = rng.uniform(3.0, 11.0, n) * EARTH_RADIUS_KM  # geocentric ~4-12 RE
    times = START + np.arange(n) * np.timedelta64(60, "s")
    return lat, lon, alt, times


def time_vectorised(points):
    start = time.perf_counter()
    fp = footprints(*points)
    return time.perf_counter() - start, fp


def time_aurorax_loop(points):
    lat, lon, alt, times = points
    start = time.perf_counter()
    out = [footprints(lat[i], lon[i], alt[i], times[i]) for i in range(lat.size)]
    return time.perf_counter() - start, out


def _load_geopack():
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints while loading IGRF coefficients
            from geopack import geopack
    except ImportError:
        return None

    def no_external_field(exname, par, ps, x, y, z):
        return 0.0, 0.0, 0.0

    geopack.call_external_model = no_external_field  # IGRF internal field only, like aurorax
    return geopack


def _crossing(xx, yy, zz, r0):
    """Where geopack's traced polyline last enters the sphere r0, by linear interpolation.

    geopack 1.0.11's own end-point interpolation is a no-op (it overwrites the previous point before
    using it), so it returns the first point inside r0; a short trace from LEO can even step from 500 km
    straight to 0.8 RE. Interpolating the returned polyline gives its intended footprint.
    """
    r = np.sqrt(xx * xx + yy * yy + zz * zz)
    if r.size < 2 or r[-1] > r0 or r[-2] < r0:
        return None
    w = (r[-2] - r0) / (r[-2] - r[-1])
    return tuple(float(c[-2] + w * (c[-1] - c[-2])) for c in (xx, yy, zz))


def time_geopack_loop(geopack, points):
    """Footprints with geopack's pure-Python trace, one point and one hemisphere at a time."""
    from aurorax.geo._ellipsoid import ecef_to_geodetic, geodetic_to_ecef

    lat, lon, alt, times = points
    x, y, z = (c / EARTH_RADIUS_KM for c in geodetic_to_ecef(lat, lon, alt))
    r0 = 1.0 + FOOTPRINT_ALTITUDE_KM / EARTH_RADIUS_KM
    unix = (times - np.datetime64("1970-01-01T00:00", "ns")) / np.timedelta64(1, "s")
    result = np.full((4, lat.size), np.nan)
    start = time.perf_counter()
    for i in range(lat.size):
        geopack.recalc(float(unix[i]))
        xg, yg, zg = geopack.geogsm(x[i], y[i], z[i], 1)
        for k, direction in enumerate((-1.0, 1.0)):  # -1: along B (north), +1: against B (south)
            _, _, _, xx, yy, zz = geopack.trace(
                xg, yg, zg, direction, rlim=30.0, r0=r0, maxloop=2000
            )
            end = _crossing(xx, yy, zz, r0)
            if end is not None:
                ex, ey, ez = geopack.geogsm(*end, -1)
                f_lat, f_lon, _ = ecef_to_geodetic(
                    ex * EARTH_RADIUS_KM, ey * EARTH_RADIUS_KM, ez * EARTH_RADIUS_KM
                )
                result[2 * k : 2 * k + 2, i] = f_lat, f_lon
    return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n", type=int, default=10_000, help="points per orbit class (default 10,000)"
    )
    parser.add_argument(
        "--baseline-n", type=int, default=100, help="subsample for the per-point loops"
    )
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    geopack = _load_geopack()
    footprints(60.0, 0.0, 500.0, START)  # warm caches (coefficients, recursion constants)

    print(f"aurorax.geo.footprints, both hemispheres at {FOOTPRINT_ALTITUDE_KM:.0f} km")
    print(
        f"{'':4} {'method':<28} {'points':>8} {'seconds':>9} {'points/s':>10} {'aurorax faster by':>18}"
    )
    for kind in ("LEO", "HEO"):
        points = make_points(args.n, kind, rng)
        seconds, fp = time_vectorised(points)
        rate = args.n / seconds
        print(f"{kind:4} {'aurorax (vectorised)':<28} {args.n:>8} {seconds:>9.2f} {rate:>10.0f}")
        sub = rng.choice(args.n, size=min(args.baseline_n, args.n), replace=False)
        sub_points = tuple(p[sub] for p in points)
        loop_seconds, _ = time_aurorax_loop(sub_points)
        loop_rate = sub.size / loop_seconds
        print(
            f"{kind:4} {'aurorax per point*':<28} {sub.size:>8} {loop_seconds:>9.2f} {loop_rate:>10.0f} "
            f"{rate / loop_rate:>17.0f}x"
        )
        if geopack is None:
            print(
                f"{kind:4} geopack: not installed (pip install 'aurorax[bench]'), baseline skipped"
            )
            continue
        gp_seconds, gp = time_geopack_loop(geopack, sub_points)
        gp_rate = sub.size / gp_seconds
        print(
            f"{kind:4} {'geopack.trace per point*':<28} {sub.size:>8} {gp_seconds:>9.2f} {gp_rate:>10.0f} "
            f"{rate / gp_rate:>17.0f}x"
        )
        dn = great_circle_distance_km(fp.nbtrace_lat[sub], fp.nbtrace_lon[sub], gp[0], gp[1])
        ds = great_circle_distance_km(fp.sbtrace_lat[sub], fp.sbtrace_lon[sub], gp[2], gp[3])
        # The point's own hemisphere is the one whose footprint lies nearer to it.
        own_north = great_circle_distance_km(
            *sub_points[:2], fp.nbtrace_lat[sub], fp.nbtrace_lon[sub]
        ) < (great_circle_distance_km(*sub_points[:2], fp.sbtrace_lat[sub], fp.sbtrace_lon[sub]))
        for label, d in (
            ("own-hemisphere", np.where(own_north, dn, ds)),
            ("conjugate", np.where(own_north, ds, dn)),
        ):
            ok = np.isfinite(d)
            print(
                f"{'':4} aurorax vs geopack, {label} footprints ({ok.sum()}): median {np.median(d[ok]):.1f} km, "
                f"95th percentile {np.percentile(d[ok], 95):.1f} km"
            )
        print(
            f"{'':4} extrapolated to {args.n} points: geopack loop {args.n / gp_rate:.0f} s, "
            f"aurorax loop {args.n / loop_rate:.0f} s, aurorax vectorised {seconds:.1f} s"
        )
    print("* per-point loops timed on the subsample; the ratio compares points per second")


if __name__ == "__main__":
    main()
