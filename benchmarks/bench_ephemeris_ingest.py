"""Ephemeris ingest from TLE and CDF files: ``ingest_ephemeris_files`` against a per-point loop.

Run from the repository root::

    .venv/bin/python benchmarks/bench_ephemeris_ingest.py                 # 2 days, 120-minute baseline
    .venv/bin/python benchmarks/bench_ephemeris_ingest.py --days 7 --baseline-minutes 60
    .venv/bin/python benchmarks/bench_ephemeris_ingest.py --cdf-orbit leo  # ISS positions in the CDF

Inputs, written to a temporary directory in the same run:

- ``iss.tle``: the two published ISS element sets the tests use (2019-12-09 16:38 and
  2019-12-11 21:36, revolutions 20248 and 20282), in CelesTrak's three-line format;
- ``tha_l1_state_20191210.cdf``: a THEMIS ``l1_state``-style CDF written with cdflib:
  ``tha_state_time`` (CDF_DOUBLE, unix seconds) and ``tha_pos`` (GEI km, ``UNITS``, ``DEPEND_0``,
  ``FILLVAL``, ``CATDESC``) every 60 s on whole minutes. The orbit is a THEMIS-like two-body ellipse
  (perigee 1.5 RE, apogee 13 RE, 10 deg inclination, ~27 h), so every footprint is a
  traced IGRF field line; ``--cdf-orbit leo`` writes the ISS's own SGP4 positions (rotated to GEI)
  instead, whose footprints are AACGM-v2 like the TLE case.

Both cover ``--days`` UTC days from 2019-12-10 00:00. What is timed:

1. ``aurorax``: one ``ingest_ephemeris_files(path, [file], ..., create_source=True)`` call into a
   fresh DuckDB repository file (repository creation, the source, reading the file, positions,
   GSM, footprints, one transaction and one ledger row per day). records/s = stored minutes /
   wall seconds.
2. ``per-point loop``: what one writes without a vectorised pipeline, on the first
   ``--baseline-minutes`` minutes only (stated in the table): for each minute separately,
   ``Satrec.sgp4`` at that one time (the nearest preceding element set) and TEME -> Earth-fixed ->
   geodetic, or the CDF sample of that minute (the file read once with cdflib, timed) rotated
   GEI -> GEO -> geodetic; then ``aurorax.geo.geo_to_gsm`` and ``aurorax.geo.footprints(...,
   method="auto")`` called with that one point, and the row stored at once with
   ``Repository.ingest_ephemeris`` of a one-row frame (one transaction per record, into its own fresh
   repository). The loop's compute and insert times are also printed apart.

The ratio is aurorax records/s over the loop's records/s. The stored rows of the two are then
compared minute by minute over the baseline's minutes (sub-point and footprint distances in km), so
both did the same work. One-off costs (imports, AACGM coefficient and IGRF set-up) are paid by an
untimed warm-up of both paths first. Numbers depend on the machine and its load; the ratios are
what to compare. No timing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import cdflib
import numpy as np
import pandas as pd
from cdflib.cdfwrite import CDF as CdfWriter
from sgp4.api import Satrec, jday

from aurorax import geo
from aurorax.demo import ecef_to_geodetic, teme_to_ecef
from aurorax.engine import Repository
from aurorax.ingest import ingest_ephemeris_files, spacecraft_source

# Two published ISS element sets, 2.2 days apart (as in tests/ingest/test_ephemeris_ingest.py: the
# first is the sgp4 package's README example; the second was published 2019-12-11, rev. 20282).
ISS_1 = (
    "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991",
    "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482",
)
ISS_2 = (
    "1 25544U 98067A   19345.90010417  .00003601  00000-0  70741-4 0  9997",
    "2 25544  51.6441 200.2644 0007302  25.9136 159.9168 15.50127197202820",
)
START = pd.Timestamp("2019-12-10 00:00", tz="UTC")
RE = geo.EARTH_RADIUS_KM
MU_KM3_S2 = 398600.4418
COLUMNS = ("geo_lat", "geo_lon", "nbtrace_lat", "nbtrace_lon", "sbtrace_lat", "sbtrace_lon")


def write_tle(path: Path) -> Path:
    path.write_text("".join(f"ISS (ZARYA)\n{a}\n{b}\n" for a, b in (ISS_1, ISS_2)))
    return path


def _satellites() -> list[Satrec]:
    sats = [Satrec.twoline2rv(*lines) for lines in (ISS_1, ISS_2)]
    return sorted(sats, key=lambda s: s.jdsatepoch + s.jdsatepochF)


def _jd(times: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.array([jday(t.year, t.month, t.day, t.hour, t.minute, t.second) for t in times])
    return pairs[:, 0].copy(), pairs[:, 1].copy()


def heo_gei_km(times: pd.DatetimeIndex) -> np.ndarray:
    """A THEMIS-like two-body orbit in GEI (km): perigee 1.5 RE, apogee 13 RE, inclination 10 deg."""
    rp, ra = 1.5 * RE, 13.0 * RE
    a, e = (rp + ra) / 2, (ra - rp) / (ra + rp)
    inc, raan, argp = np.radians([10.0, 300.0, 20.0])
    t_s = (times - START).total_seconds().to_numpy()
    mean = np.sqrt(MU_KM3_S2 / a**3) * t_s + np.radians(150.0)
    ecc = np.where(e > 0.8, np.pi, mean)
    for _ in range(50):  # Newton on Kepler's equation
        ecc = ecc - (ecc - e * np.sin(ecc) - mean) / (1 - e * np.cos(ecc))
    x, y = a * (np.cos(ecc) - e), a * np.sqrt(1 - e**2) * np.sin(ecc)
    cw, sw, ci, si, co, so = (f(v) for v in (argp, inc, raan) for f in (np.cos, np.sin))
    # Perifocal -> GEI: R3(-raan) R1(-inc) R3(-argp).
    return np.column_stack(
        [
            x * (co * cw - so * ci * sw) - y * (co * sw + so * ci * cw),
            x * (so * cw + co * ci * sw) - y * (so * sw - co * ci * cw),
            x * si * sw + y * si * cw,
        ]
    )


def leo_gei_km(times: pd.DatetimeIndex) -> np.ndarray:
    """The ISS's SGP4 positions (first element set), Earth-fixed, rotated to GEI (km)."""
    err, r, _ = _satellites()[0].sgp4_array(*_jd(times))
    assert (err == 0).all()
    return geo.convert_frame(teme_to_ecef(r, times), times.tz_convert(None), "GEO", "GEI")


def write_cdf(path: Path, times: pd.DatetimeIndex, pos_gei_km: np.ndarray) -> Path:
    """A THEMIS l1_state-style file: unix-seconds doubles and ``tha_pos`` in GEI km."""
    fill = [-1e31, "CDF_DOUBLE"]
    unix_s = times.as_unit("ns").asi8 / 1e9
    cdf = CdfWriter(str(path))
    cdf.write_globalattrs({"Project": {0: "aurorax benchmarks"}, "Source_name": {0: "THA"}})
    for name, kind, dims, data, attrs in (
        ("tha_state_time", CdfWriter.CDF_DOUBLE, [], unix_s,
         {"UNITS": "sec", "CATDESC": "Unix time (seconds since 1970)", "FILLVAL": fill}),
        ("tha_pos", CdfWriter.CDF_DOUBLE, [3], pos_gei_km,
         {"UNITS": "km", "DEPEND_0": "tha_state_time", "FILLVAL": fill,
          "CATDESC": "Probe position vector in GEI coordinates"}),
    ):  # fmt: skip
        spec = {"Variable": name, "Data_Type": kind, "Num_Elements": 1, "Rec_Vary": True,
                "Dim_Sizes": dims}  # fmt: skip
        cdf.write_var(spec, var_attrs=attrs, var_data=data)
    cdf.close()
    return path


def _one_row(source_id: int, epoch, lat, lon, alt, radial_km) -> pd.DataFrame:
    """One minute's record (GSM and footprints of that one point), as a one-row frame."""
    t64 = np.array([epoch.tz_convert(None).to_datetime64()], dtype="datetime64[ns]")
    gsm_lat, gsm_lon = geo.geo_to_gsm(lat, lon, alt, t64)
    fp = geo.footprints(lat, lon, alt, t64, method="auto")
    return pd.DataFrame(
        {
            "data_source": [source_id],
            "epoch": [epoch],
            "geo_lat": lat,
            "geo_lon": lon,
            "gsm_lat": gsm_lat,
            "gsm_lon": gsm_lon,
            "nbtrace_lat": fp.nbtrace_lat,
            "nbtrace_lon": fp.nbtrace_lon,
            "sbtrace_lat": fp.sbtrace_lat,
            "sbtrace_lon": fp.sbtrace_lon,
            "metadata.radial_distance": [round(float(radial_km), 1)],
        }
    )


def per_point_tle(repo: Repository, source_id: int, tle: Path, minutes: pd.DatetimeIndex):
    """(total s, compute s, insert s): SGP4 and footprints one minute at a time, one INSERT each."""
    t0 = time.perf_counter()
    sats = _satellites()  # parsed once: the loop charges the per-minute work, not the parsing
    epochs = [s.jdsatepoch + s.jdsatepochF for s in sats]
    compute = insert = 0.0
    for epoch in minutes:
        a = time.perf_counter()
        jd, fr = jday(epoch.year, epoch.month, epoch.day, epoch.hour, epoch.minute, 0)
        which = max(int(np.searchsorted(epochs, jd + fr, side="right")) - 1, 0)
        err, r, _ = sats[which].sgp4(jd, fr)
        if err:
            continue
        ecef = teme_to_ecef(np.array([r]), pd.DatetimeIndex([epoch]))
        lat, lon, alt = ecef_to_geodetic(ecef)
        row = _one_row(source_id, epoch, lat, lon, alt, np.linalg.norm(r))
        b = time.perf_counter()
        repo.ingest_ephemeris(row)
        c = time.perf_counter()
        compute, insert = compute + b - a, insert + c - b
    return time.perf_counter() - t0, compute, insert


def per_point_cdf(repo: Repository, source_id: int, path: Path, minutes: pd.DatetimeIndex):
    """(total s, compute s, insert s): the CDF read once, then each minute's sample on its own."""
    t0 = time.perf_counter()
    cdf = cdflib.CDF(str(path))
    unix_s = np.asarray(cdf.varget("tha_state_time"), dtype=float)
    pos = np.asarray(cdf.varget("tha_pos"), dtype=float).reshape(-1, 3)
    index = {int(round(s)): k for k, s in enumerate(unix_s)}
    compute = insert = 0.0
    for epoch in minutes:
        a = time.perf_counter()
        k = index.get(int(epoch.timestamp()))
        if k is None:
            continue
        naive = epoch.tz_convert(None).to_datetime64()
        lat, lon, alt = geo.frame_to_geodetic(pos[k : k + 1], np.array([naive]), "GEI")
        row = _one_row(source_id, epoch, lat, lon, alt, np.linalg.norm(pos[k]))
        b = time.perf_counter()
        repo.ingest_ephemeris(row)
        c = time.perf_counter()
        compute, insert = compute + b - a, insert + c - b
    return time.perf_counter() - t0, compute, insert


def stored(db: Path, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    with Repository(db, read_only=True) as repo:
        return (
            repo.cursor()
            .execute(
                f"SELECT epoch, {', '.join(COLUMNS)} FROM ephemeris "
                "WHERE epoch >= ? AND epoch < ? ORDER BY epoch",
                [start.tz_convert(None).to_pydatetime(), end.tz_convert(None).to_pydatetime()],
            )
            .df()
        )


def compare(ours: pd.DataFrame, loop: pd.DataFrame) -> tuple[int, int, list[float], int]:
    """(minutes in both, minutes in one only, max distance km of the sub-point (ground) and of the
    north and south footprints (110 km), footprints NaN in one store only), minute by minute."""
    both = ours.merge(loop, on="epoch", suffixes=("_a", "_b"))
    distances, nan_mismatch = [], 0
    for prefix, altitude_km in (("geo", 0.0), ("nbtrace", 110.0), ("sbtrace", 110.0)):
        lat_a, lon_a = both[f"{prefix}_lat_a"], both[f"{prefix}_lon_a"]
        lat_b, lon_b = both[f"{prefix}_lat_b"], both[f"{prefix}_lon_b"]
        ok = lat_a.notna() & lat_b.notna()
        nan_mismatch += int((lat_a.isna() != lat_b.isna()).sum())
        d = geo.great_circle_distance_km(
            lat_a[ok], lon_a[ok], lat_b[ok], lon_b[ok], altitude_km=altitude_km
        )
        distances.append(float(np.max(d)) if ok.any() else float("nan"))
    return len(both), len(ours) + len(loop) - 2 * len(both), distances, nan_mismatch


def warm_up(tmp: Path, tle: Path, cdf: Path) -> None:
    """Pay imports and one-off set-up (AACGM coefficients, IGRF) outside every timing."""
    end = START + pd.Timedelta(minutes=30)
    for k, path in enumerate((tle, cdf)):
        ingest_ephemeris_files(
            tmp / f"warm{k}.duckdb", [path], "warm/up", START, end, progress=False,
            create_source=True, source_type="heo",
        )  # fmt: skip
    with Repository(tmp / "warm_loop.duckdb") as repo:
        source_id = repo.add_data_source(spacecraft_source("warm", "up", "heo")).identifier
        minutes = pd.date_range(START, periods=3, freq="min")
        per_point_tle(repo, source_id, tle, minutes)
        per_point_cdf(repo, source_id, cdf, minutes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2, help="UTC days of 1-minute ephemeris")
    parser.add_argument(
        "--baseline-minutes", type=int, default=120, help="minutes timed in the per-point loop"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest is shown")
    parser.add_argument(
        "--cdf-orbit", choices=("heo", "leo"), default="heo",
        help="CDF positions: THEMIS-like (traced footprints) or the ISS (AACGM footprints)",
    )  # fmt: skip
    args = parser.parse_args()
    end = START + pd.Timedelta(days=args.days)
    sub_end = START + pd.Timedelta(minutes=min(args.baseline_minutes, args.days * 1440))
    times = pd.date_range(START, end, freq="min", inclusive="left")
    subset = pd.date_range(START, sub_end, freq="min", inclusive="left")
    load_before = os.getloadavg()

    results, checks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tle = write_tle(tmp / "iss.tle")
        pos = heo_gei_km(times) if args.cdf_orbit == "heo" else leo_gei_km(times)
        cdf = write_cdf(tmp / f"tha_l1_state_{START:%Y%m%d}.cdf", times, pos)
        radius_re = np.linalg.norm(pos, axis=1) / RE
        print(
            f"{args.days} day(s) of 1-minute ephemeris from {START:%Y-%m-%d %H:%M} UTC; "
            f"per-point loop on the first {len(subset)} minutes\n"
            f"TLE: {tle.name} (ISS, 2 element sets); CDF: {cdf.name} ({len(times)} samples, "
            f"60 s, GEI km, {args.cdf_orbit}: {radius_re.min():.2f}-{radius_re.max():.1f} RE geocentric)\n"
            f"load average at start: {load_before[0]:.1f} ({os.cpu_count()} cores)\n"
        )
        warm_up(tmp, tle, cdf)
        loops = {"TLE": per_point_tle, "CDF": per_point_cdf}
        for label, path in (("TLE", tle), ("CDF", cdf)):
            ours, loop = [], []
            for run in range(args.repeat):
                ours_db = tmp / f"ours_{label}_{run}.duckdb"
                t0 = time.perf_counter()
                summary = ingest_ephemeris_files(
                    ours_db, [path], "bench/sat", START, end, progress=False,
                    create_source=True, source_type="heo",
                )  # fmt: skip
                assert summary.ok, summary.failures
                ours.append((time.perf_counter() - t0, summary.records))
                loop_db = tmp / f"loop_{label}_{run}.duckdb"
                with Repository(loop_db) as repo:
                    source = repo.add_data_source(spacecraft_source("bench", "sat", "heo"))
                    times_s = loops[label](repo, source.identifier, path, subset)
                    loop_records = int(repo.counts()["ephemeris_count"].sum())
                loop.append((*times_s, loop_records))
            results.append((label, min(ours), min(loop)))
            checks.append((label, compare(stored(ours_db, START, sub_end),
                                          stored(loop_db, START, sub_end))))  # fmt: skip

    print(f"fastest of {args.repeat} run(s) each, interleaved (aurorax, loop, aurorax, ...)\n")
    print(f"{'source':6s} {'method':40s} {'records':>8s} {'seconds':>8s} {'records/s':>10s} "
          f"{'ratio':>7s}")  # fmt: skip
    for label, (seconds, n), (total, compute, insert, loop_n) in results:
        ours_rate, loop_rate = n / seconds, loop_n / total
        print(f"{label:6s} {'aurorax ingest_ephemeris_files':40s} {n:8,d} {seconds:8.2f} "
              f"{ours_rate:10,.0f} {ours_rate / loop_rate:6.0f}x")  # fmt: skip
        print(f"{label:6s} {f'per-point loop (first {loop_n} minutes)':40s} {loop_n:8,d} "
              f"{total:8.2f} {loop_rate:10,.1f} {1:6.0f}x")  # fmt: skip
        print(f"{'':6s}   loop's compute {compute:.2f} s ({loop_n / compute:,.0f}/s; aurorax is "
              f"{ours_rate * compute / loop_n:,.0f}x that), one-row inserts {insert:.2f} s "
              f"({loop_n / insert:,.0f}/s)")  # fmt: skip
    print("\nratio = aurorax records/s / per-point loop records/s (loop: one transaction a record)")
    print("\nagreement of the two stores over the loop's minutes (max great-circle distance, km):")
    print(f"{'source':6s} {'minutes':>8s} {'only in one':>12s} {'sub-point':>10s} "
          f"{'north fp':>10s} {'south fp':>10s} {'NaN in one':>11s}")  # fmt: skip
    for label, (n, lonely, (d_geo, d_north, d_south), nan_mismatch) in checks:
        print(f"{label:6s} {n:8d} {lonely:12d} {d_geo:10.2g} {d_north:10.2g} {d_south:10.2g} "
              f"{nan_mismatch:11d}")  # fmt: skip
    load_after = os.getloadavg()
    print(f"\nload average at end: {load_after[0]:.1f} (1 min), {load_after[1]:.1f} (5 min)")
    print(f"run on {dt.date.today():%Y-%m-%d}")


if __name__ == "__main__":
    main()
