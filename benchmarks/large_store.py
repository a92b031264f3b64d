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

The file is cached (default ``~/.cache/aurorax/bench/large_store_<start>_<days>d.duckdb``) and
reused when it exists. Run ``python benchmarks/large_store.py`` to build it alone.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class StoreInfo:
    """Where the store is, how many rows it holds and how long building it took (s, 0 if reused)."""

    path: Path
    rows: int
    ground_sources: int
    spacecraft: int
    build_s: float


def default_path(start: str, days: int) -> Path:
    return CACHE_DIR / f"large_store_{start}_{days}d.duckdb"


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
        Print one line per data source.
    """
    path = Path(path) if path is not None else default_path(start, days)
    if path.exists() and not force:
        with Repository(path, read_only=True) as repo:
            counts = repo.counts()
        n_ground = int((counts["source_type"] == "ground").sum())
        return StoreInfo(
            path, int(counts["ephemeris_count"].sum()), n_ground, len(counts) - n_ground, 0.0
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
    sites = load_sites()
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
            rows += repo.ingest_ephemeris(_ground_frame(ds.identifier, site, times, rng))
            if progress:
                print(
                    f"  {site['display_name']:<20} {rows:>11,} rows  {time.perf_counter() - t0:6.0f} s",
                    flush=True,
                )
        for sc in SPACECRAFT:
            ds = repo.add_data_source(
                DataSource(sc.program, sc.platform, "footprint", sc.source_type, sc.display_name)
            )
            for month in range(0, times.size, 31 * 1440):
                rows += repo.ingest_ephemeris(
                    _space_frame(ds.identifier, sc, times[month : month + 31 * 1440])
                )
            if progress:
                print(
                    f"  {sc.display_name:<20} {rows:>11,} rows  {time.perf_counter() - t0:6.0f} s",
                    flush=True,
                )
        repo.optimize()
    partial.rename(path)
    return StoreInfo(path, rows, len(sites), len(SPACECRAFT), time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=None)
    parser.add_argument("--start", default="2021-01-01")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    info = build_large_store(args.path, args.start, args.days, force=args.force)
    print(
        f"{info.path}: {info.rows:,} rows, {info.ground_sources} ground sources, "
        f"{info.spacecraft} spacecraft, built in {info.build_s:.0f} s"
    )


if __name__ == "__main__":
    main()
