"""A one-year, 1-minute ephemeris store for the conjunction benchmarks.

Contents (reusing :mod:`aurorax.demo` and :mod:`aurorax.geo` public functions):

* **Ground:** every site of ``data/sites.csv`` (``aurorax.demo.load_sites``: the 24 THEMIS ASI
  sites plus REGO and TREx), one record per minute when the Sun is below
  ``aurorax.demo.DARK_SUN_ELEVATION_DEG`` (-12 deg) at the site (``aurorax.geo.sun_elevation_deg``),
  i.e. when an imager would operate; weather and outages are ignored. ``nbtrace``/``sbtrace``
  follow AuroraX's ground rule (``aurorax.geo.ground_btrace``), evaluated once per day. Metadata:
  ``calgary_apa_ml_v1`` and ``calgary_apa_ml_v1_confidence`` drawn from a seeded random generator
  (labels for filter benchmarks, not physics).
* **Space:** every spacecraft of ``aurorax.demo.SPACECRAFT`` (Swarm A/B/C, THEMIS A/D/E, DMSP,
  NOAA-19, Arase), SGP4-propagated every minute (``aurorax.demo.propagate``). Footprints come from
  ``aurorax.geo.footprints``: AACGM every minute below 1500 km (the
  mapping must stay under AACGM-v2's 2000 km limit); above it, field-line tracing every
  ``TRACE_EVERY_MIN`` minutes with great-circle interpolation in between (the footprint of a
  high orbit moves slowly; tracing every minute of a year would take about an hour).

With ``fleet="scale"`` (``benchmarks/bench_scale.py``) the store grows towards AuroraX's size:

* **Ground:** the 38 sites above plus the 24 ``SCALE_SITES`` (program ``scale-asi``: imagers
  placed at the approximate positions of auroral stations in Alaska, Greenland, Iceland,
  Scandinavia, Russia and Antarctica; synthetic, not a real network), 62 imagers in all, with
  the same night-time rule and labels.
* **Space:** the 11 demo spacecraft plus 10 synthetic polar low-Earth orbiters
  (``scale_spacecraft()``, program ``scale-leo``: DMSP-like elements with spread inclination,
  altitude, node and phase), 21 spacecraft in all.

The file is cached (default ``~/.cache/aurorax/bench/large_store_<start>_<days>d.duckdb``, or
``scale_store_<start>_<days>d.duckdb`` for the scale fleet) and reused when it exists; a
``.json`` file beside it keeps the build time and row count. Run
``python benchmarks/large_store.py`` to build it alone (``--fleet scale --days 365``).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from aurorax import geo
from aurorax.demo import DARK_SUN_ELEVATION_DEG, SPACECRAFT, load_sites, propagate
from aurorax.engine import DataSource, MetadataField, Repository

TRACE_EVERY_MIN = 10
AACGM_MAX_ALTITUDE_KM = 1500.0  # below AACGM-v2's 2000 km limit all along the mapped field line
APA = ("classified as APA", "classified as not APA", "not classified")
GROUND_SCHEMA = (
    MetadataField("calgary_apa_ml_v1", "string", allowed_values=APA),
    MetadataField("calgary_apa_ml_v1_confidence", "double"),
)
CACHE_DIR = Path("~/.cache/aurorax/bench").expanduser()
FLEETS = ("demo", "scale")
# (site_uid, display place, geographic lat, lon): approximate positions of auroral stations,
# used only to place synthetic imagers of the scale fleet where real networks have them.
SCALE_SITES = (
    ("pokr", "Poker Flat", 65.12, -147.43),
    ("fykn", "Fort Yukon", 66.56, -145.21),
    ("kotz", "Kotzebue", 66.90, -162.60),
    ("brw", "Utqiagvik", 71.29, -156.79),
    ("nrsq", "Narsarsuaq", 61.16, -45.44),
    ("thul", "Qaanaaq", 77.47, -69.23),
    ("tjor", "Tjornes", 66.20, -17.12),
    ("husa", "Husafell", 64.67, -21.03),
    ("lyr", "Longyearbyen", 78.15, 16.04),
    ("nyal", "Ny-Alesund", 78.92, 11.93),
    ("trom", "Tromso", 69.66, 18.94),
    ("kiru", "Kiruna", 67.84, 20.41),
    ("abis", "Abisko", 68.36, 18.82),
    ("kilp", "Kilpisjarvi", 69.05, 20.79),
    ("sod", "Sodankyla", 67.37, 26.63),
    ("muon", "Muonio", 68.02, 23.53),
    ("lovo", "Lovozero", 67.97, 35.02),
    ("nori", "Norilsk", 69.35, 88.20),
    ("tixi", "Tiksi", 71.60, 128.90),
    ("yakt", "Yakutsk", 62.03, 129.73),
    ("syow", "Syowa", -69.00, 39.58),
    ("zhsh", "Zhongshan", -69.37, 76.38),
    ("mcmu", "McMurdo", -77.85, 166.67),
    ("spol", "South Pole", -89.99, 0.0),
)


def scale_sites() -> pd.DataFrame:
    """The ground imagers of the scale fleet: ``data/sites.csv`` plus ``SCALE_SITES`` (62)."""
    extra = pd.DataFrame(
        {
            "program": "scale-asi",
            "site_uid": [s[0] for s in SCALE_SITES],
            "platform": [s[1].lower() for s in SCALE_SITES],
            "instrument_type": "panchromatic ASI",
            "display_name": [f"SCALE-ASI {s[0].upper()}" for s in SCALE_SITES],
            "lat": [s[2] for s in SCALE_SITES],
            "lon": [s[3] for s in SCALE_SITES],
            "alt_km": 0.0,
        }
    )
    return pd.concat([load_sites(), extra], ignore_index=True)


def scale_spacecraft() -> tuple:
    """The spacecraft of the scale fleet: the 11 demo ones plus 10 synthetic polar LEOs (21)."""
    base = next(sc for sc in SPACECRAFT if sc.platform == "dmspf16")
    extra = tuple(
        replace(
            base,
            program="scale-leo",
            platform=f"scaleleo{i:02d}",
            display_name=f"SCALE-LEO {i:02d}",
            satnum=90000 + i,
            inclination_deg=80.0 + 2.0 * i,
            raan_deg=(36.0 * i + 7.0) % 360.0,
            mean_anomaly_deg=(97.0 * i) % 360.0,
            mean_motion_rev_per_day=14.1 + 0.13 * i,
            provenance="synthetic polar low-Earth orbit for the scale benchmark (DMSP-like)",
        )
        for i in range(10)
    )
    return (*SPACECRAFT, *extra)


@dataclass(frozen=True)
class StoreInfo:
    """Where the store is, how many rows it holds and how long building it took (s, 0 if reused)."""

    path: Path
    rows: int
    ground_sources: int
    spacecraft: int
    build_s: float
    size_bytes: int = 0


def default_path(start: str, days: int, fleet: str = "demo") -> Path:
    prefix = "large_store" if fleet == "demo" else f"{fleet}_store"
    return CACHE_DIR / f"{prefix}_{start}_{days}d.duckdb"


def _fleet(fleet: str):
    if fleet == "demo":
        return load_sites(), SPACECRAFT
    if fleet == "scale":
        return scale_sites(), scale_spacecraft()
    raise ValueError(f"fleet must be one of {FLEETS}, got {fleet!r}")


def _interp_footprint(t_coarse, lat, lon, t_fine):
    """Great-circle-ish interpolation of a footprint track: interpolate unit vectors, renormalise."""
    rl, rn = np.radians(lat), np.radians(lon)
    xyz = np.stack([np.cos(rl) * np.cos(rn), np.cos(rl) * np.sin(rn), np.sin(rl)])
    out = np.stack([np.interp(t_fine, t_coarse, c) for c in xyz])
    # A NaN end makes the whole interval NaN (np.interp propagates NaN only at exact points).
    bad = np.isnan(lat)
    idx = np.clip(np.searchsorted(t_coarse, t_fine), 1, t_coarse.size - 1)
    nan_near = bad[idx] | bad[idx - 1]
    norm = np.linalg.norm(out, axis=0)
    lat_f = np.degrees(np.arcsin(np.clip(out[2] / norm, -1, 1)))
    lon_f = np.degrees(np.arctan2(out[1], out[0]))
    lat_f[nan_near] = np.nan
    lon_f[nan_near] = np.nan
    return lat_f, lon_f


def _space_frame(ident: int, sc, times: pd.DatetimeIndex) -> pd.DataFrame:
    pos = propagate(sc, times)
    lat, lon, alt = (pos[c].to_numpy() for c in ("geo_lat", "geo_lon", "altitude_km"))
    t64 = times.to_numpy()
    fp = {k: np.full(lat.shape, np.nan) for k in ("nlat", "nlon", "slat", "slon")}
    low = alt <= AACGM_MAX_ALTITUDE_KM
    if low.any():
        f = geo.footprints(lat[low], lon[low], alt[low], t64[low], method="aacgm")
        fp["nlat"][low], fp["nlon"][low] = f.nbtrace_lat, f.nbtrace_lon
        fp["slat"][low], fp["slon"][low] = f.sbtrace_lat, f.sbtrace_lon
    if (~low).any():
        coarse = np.arange(0, lat.size, TRACE_EVERY_MIN)
        f = geo.footprints(lat[coarse], lon[coarse], alt[coarse], t64[coarse], method="trace")
        high = np.flatnonzero(~low)
        for a, b, src_lat, src_lon in (
            ("nlat", "nlon", f.nbtrace_lat, f.nbtrace_lon),
            ("slat", "slon", f.sbtrace_lat, f.sbtrace_lon),
        ):
            ilat, ilon = _interp_footprint(coarse, src_lat, src_lon, high)
            fp[a][high], fp[b][high] = ilat, ilon
    return pd.DataFrame(
        {
            "data_source": ident,
            "epoch": times,
            "geo_lat": lat,
            "geo_lon": lon,
            "nbtrace_lat": fp["nlat"],
            "nbtrace_lon": fp["nlon"],
            "sbtrace_lat": fp["slat"],
            "sbtrace_lon": fp["slon"],
        }
    )


def _ground_frame(ident: int, site, times: pd.DatetimeIndex, rng) -> pd.DataFrame:
    t64 = times.to_numpy()
    dark = (
        geo.sun_elevation_deg(float(site["lat"]), float(site["lon"]), t64) < DARK_SUN_ELEVATION_DEG
    )
    times = times[dark]
    days = times.floor("D")
    uniq = days.unique()
    fp = geo.ground_btrace(
        np.full(uniq.size, float(site["lat"])),
        np.full(uniq.size, float(site["lon"])),
        uniq.to_numpy(),
    )
    pos = uniq.get_indexer(days)
    conf = np.round(rng.uniform(0, 100, times.size), 1)
    label = np.where(conf >= 50, APA[0], np.where(conf >= 5, APA[1], APA[2]))
    return pd.DataFrame(
        {
            "data_source": ident,
            "epoch": times,
            "geo_lat": float(site["lat"]),
            "geo_lon": float(site["lon"]),
            "nbtrace_lat": np.asarray(fp.nbtrace_lat)[pos],
            "nbtrace_lon": np.asarray(fp.nbtrace_lon)[pos],
            "sbtrace_lat": np.asarray(fp.sbtrace_lat)[pos],
            "sbtrace_lon": np.asarray(fp.sbtrace_lon)[pos],
            "metadata.calgary_apa_ml_v1": label,
            "metadata.calgary_apa_ml_v1_confidence": conf,
        }
    )


def build_large_store(
    path: str | Path | None = None,
    start: str = "2021-01-01",
    days: int = 365,
    seed: int = 2021,
    force: bool = False,
    progress: bool = True,
    fleet: str = "demo",
) -> StoreInfo:
    """Build (or reuse) the benchmark store and return what it holds.

    Parameters
    ----------
    path : path, optional
        DuckDB file; default under ``~/.cache/aurorax/bench/``.
    start : str
        First UTC day.
    days : int
        Number of days (365 for the benchmark).
    seed : int
        Seed of the metadata labels.
    force : bool
        Rebuild even if the file exists.
    progress : bool
        Print one line per data source (``fleet="demo"``) or a progress bar (``"scale"``).
    fleet : {"demo", "scale"}
        The data sources: the 38 sites and 11 demo spacecraft, or the 62 imagers and 21
        spacecraft of the scale benchmark.

    Returns
    -------
    StoreInfo
        ``build_s`` is 0 when the cached file was reused; ``read_build_s(path)`` gives the
        time the build took when it was made.
    """
    sites, fleet_sc = _fleet(fleet)
    path = Path(path) if path is not None else default_path(start, days, fleet)
    if path.exists() and not force:
        with Repository(path, read_only=True) as repo:
            counts = repo.counts()
        n_ground = int((counts["source_type"] == "ground").sum())
        return StoreInfo(
            path,
            int(counts["ephemeris_count"].sum()),
            n_ground,
            len(counts) - n_ground,
            0.0,
            path.stat().st_size,
        )
    if path.exists():
        path.unlink()
    partial = path.with_suffix(".partial")
    if partial.exists():
        partial.unlink()
    t0 = time.perf_counter()
    times = pd.date_range(start, periods=days * 1440, freq="min")
    rng = np.random.default_rng(seed)
    rows = 0
    bar = None
    if progress and fleet != "demo":
        from tqdm import tqdm

        bar = tqdm(total=len(sites) + len(fleet_sc), unit="source", desc=path.name)
    with Repository(partial) as repo:
        for _, site in sites.iterrows():
            ds = repo.add_data_source(
                DataSource(
                    site["program"],
                    site["platform"],
                    site["instrument_type"],
                    "ground",
                    site["display_name"],
                    ephemeris_metadata_schema=GROUND_SCHEMA,
                )
            )
            # A year at a time keeps the per-minute sun-elevation arrays of 10 years small.
            for year in range(0, times.size, 366 * 1440):
                rows += repo.ingest_ephemeris(
                    _ground_frame(ds.identifier, site, times[year : year + 366 * 1440], rng)
                )
            if bar is not None:
                bar.update(1)
                bar.set_postfix(rows=f"{rows:,}")
            elif progress:
                print(
                    f"  {site['display_name']:<20} {rows:>11,} rows  {time.perf_counter() - t0:6.0f} s",
                    flush=True,
                )
        for sc in fleet_sc:
            ds = repo.add_data_source(
                DataSource(sc.program, sc.platform, "footprint", sc.source_type, sc.display_name)
            )
            for month in range(0, times.size, 31 * 1440):
                rows += repo.ingest_ephemeris(
                    _space_frame(ds.identifier, sc, times[month : month + 31 * 1440])
                )
            if bar is not None:
                bar.update(1)
                bar.set_postfix(rows=f"{rows:,}")
            elif progress:
                print(
                    f"  {sc.display_name:<20} {rows:>11,} rows  {time.perf_counter() - t0:6.0f} s",
                    flush=True,
                )
        repo.optimize()
    if bar is not None:
        bar.close()
    partial.rename(path)
    build_s = time.perf_counter() - t0
    _sidecar(path).write_text(json.dumps({"build_s": build_s, "rows": rows, "fleet": fleet}))
    return StoreInfo(path, rows, len(sites), len(fleet_sc), build_s, path.stat().st_size)


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def read_build_s(path: str | Path) -> float | None:
    """How long building the cached store at ``path`` took (s), or None if not recorded."""
    side = _sidecar(Path(path))
    if not side.exists():
        return None
    return float(json.loads(side.read_text())["build_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=None)
    parser.add_argument("--start", default="2021-01-01")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--fleet", choices=FLEETS, default="demo")
    args = parser.parse_args()
    info = build_large_store(args.path, args.start, args.days, force=args.force, fleet=args.fleet)
    built = read_build_s(info.path)
    print(
        f"{info.path}: {info.rows:,} rows, {info.ground_sources} ground sources, "
        f"{info.spacecraft} spacecraft, {info.size_bytes / 1e9:.2f} GB, "
        + (f"built in {built:.0f} s" if built is not None else "build time not recorded")
    )


if __name__ == "__main__":
    main()
