"""Ephemeris ingest throughput of ``aurorax.engine.Repository`` against baselines.

Run from the repository root::

    .venv/bin/python benchmarks/bench_ingest.py            # 500,000 records
    .venv/bin/python benchmarks/bench_ingest.py --rows 1500000

Measured in the same run, on the same synthetic records (ground ASIs with the AuroraX ML
metadata schema: two labels, two confidences, one OATH class per minute):

1. ours, columnar: ``ingest_ephemeris(frame)`` with ``metadata.<field>`` columns
   (validation + sort + replace + availability, one transaction), into an empty store;
2. ours, re-ingest: the same frame again, so every minute is replaced (delete + insert);
3. ours, dicts: a list of AuroraX-shaped dicts (subsample, extrapolated);
4. baseline, naive: validate nothing, ``executemany`` one parameterised INSERT per record
   into the same table (subsample, extrapolated; labelled as such);
5. alternative design: a PRIMARY KEY (data_source, epoch) on ephemeris and
   ``INSERT OR REPLACE`` (what the schema would do if it let DuckDB enforce uniqueness).

Numbers depend on the machine and its load; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from aurorax.engine import (
    DataSource,
    MetadataField,
    Repository,
    ephemeris_frame_to_records,
)

APA = ("classified as APA", "classified as not APA", "not classified")
CLOUD = ("classified as cloudy", "classified as not cloudy", "not classified")
OATH = tuple(f"classified as {c}" for c in ("arc", "diffuse", "discrete", "cloudy", "moon"))
SCHEMA = (
    MetadataField("calgary_apa_ml_v1", "string", allowed_values=APA),
    MetadataField("calgary_apa_ml_v1_confidence", "double"),
    MetadataField("calgary_cloud_ml_v1", "string", allowed_values=CLOUD),
    MetadataField("calgary_cloud_ml_v1_confidence", "double"),
    MetadataField("clausen_ml_oath", "string", allowed_values=(*OATH, "not classified")),
)
SITES = {  # THEMIS ASI sites (notes §9), geographic degrees
    "atha": (54.60, -113.64),
    "fsmi": (60.03, -111.93),
    "gill": (56.38, -94.64),
    "inuv": (68.41, -133.77),
    "kapu": (49.39, -82.32),
    "pina": (50.26, -95.87),
    "rank": (62.82, -92.11),
    "snkq": (56.54, -79.23),
    "tpas": (53.99, -100.94),
    "yknf": (62.52, -114.31),
}


def make_sources(repo: Repository) -> list[int]:
    return [
        repo.add_data_source(
            DataSource(
                "themis-asi",
                site,
                "panchromatic ASI",
                "ground",
                f"THEMIS-ASI {site.upper()}",
                ephemeris_metadata_schema=SCHEMA,
            )
        ).identifier
        for site in SITES
    ]


def make_frame(source_ids: list[int], rows: int, seed: int = 1) -> pd.DataFrame:
    """``rows`` operating minutes spread over the sites (12 dark hours a night each)."""
    rng = np.random.default_rng(seed)
    per_site = rows // len(source_ids)
    nights = -(-per_site // 720)
    minutes = (
        pd.date_range("2021-12-01T00:00", periods=nights, freq="D").values[:, None]
        + (np.arange(720) * np.timedelta64(60, "s"))[None, :]
    ).ravel()[:per_site]
    frames = []
    for source_id, (lat, lon) in zip(source_ids, SITES.values(), strict=True):
        frames.append(
            pd.DataFrame(
                {
                    "data_source": source_id,
                    "epoch": minutes,
                    "geo_lat": lat,
                    "geo_lon": lon,
                    "nbtrace_lat": lat,
                    "nbtrace_lon": lon,
                    "sbtrace_lat": -lat - 14.0,
                    "sbtrace_lon": lon - 40.0,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    n = len(frame)
    frame["metadata.calgary_apa_ml_v1"] = rng.choice(APA, n)
    frame["metadata.calgary_apa_ml_v1_confidence"] = np.round(rng.uniform(0, 100, n), 2)
    frame["metadata.calgary_cloud_ml_v1"] = rng.choice(CLOUD, n)
    frame["metadata.calgary_cloud_ml_v1_confidence"] = np.round(rng.uniform(0, 100, n), 2)
    frame["metadata.clausen_ml_oath"] = rng.choice((*OATH, "not classified"), n)
    return frame


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def naive_baseline(path: Path, frame: pd.DataFrame) -> float:
    """Row-by-row parameterised INSERT (no validation): the obvious first implementation."""
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE ephemeris (data_source INTEGER, epoch TIMESTAMP, geo_lat DOUBLE, "
        "geo_lon DOUBLE, gsm_lat DOUBLE, gsm_lon DOUBLE, nbtrace_lat DOUBLE, nbtrace_lon DOUBLE, "
        "sbtrace_lat DOUBLE, sbtrace_lon DOUBLE, metadata JSON)"
    )
    meta_columns = [c for c in frame if c.startswith("metadata.")]
    # Preparing the tuples is not timed: the baseline is charged for the INSERTs only.
    rows = [
        (
            int(r["data_source"]),
            pd.Timestamp(r["epoch"]).to_pydatetime(),
            r["geo_lat"],
            r["geo_lon"],
            None,
            None,
            r["nbtrace_lat"],
            r["nbtrace_lon"],
            r["sbtrace_lat"],
            r["sbtrace_lon"],
            json.dumps({c[len("metadata.") :]: r[c] for c in meta_columns}),
        )
        for r in frame.to_dict("records")
    ]
    seconds = timed(
        lambda: con.executemany("INSERT INTO ephemeris VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    )
    con.close()
    return seconds


def primary_key_design(path: Path, frame: pd.DataFrame) -> tuple[float, float]:
    """PRIMARY KEY (data_source, epoch) + INSERT OR REPLACE: first load and full re-load."""
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE ephemeris (data_source INTEGER, epoch TIMESTAMP, geo_lat DOUBLE, "
        "geo_lon DOUBLE, nbtrace_lat DOUBLE, nbtrace_lon DOUBLE, sbtrace_lat DOUBLE, "
        "sbtrace_lon DOUBLE, metadata JSON, PRIMARY KEY (data_source, epoch))"
    )
    batch = frame[["data_source", "epoch", "geo_lat", "geo_lon", "nbtrace_lat", "nbtrace_lon"]]
    batch = batch.assign(
        sbtrace_lat=frame["sbtrace_lat"],
        sbtrace_lon=frame["sbtrace_lon"],
        m0=frame["metadata.calgary_apa_ml_v1"],
        m1=frame["metadata.calgary_apa_ml_v1_confidence"],
    )
    con.register("batch", batch)
    sql = (
        "INSERT OR REPLACE INTO ephemeris SELECT data_source, epoch, geo_lat, geo_lon, "
        "nbtrace_lat, nbtrace_lon, sbtrace_lat, sbtrace_lon, "
        "json_object('calgary_apa_ml_v1', m0, 'calgary_apa_ml_v1_confidence', m1) FROM batch"
    )
    first = timed(lambda: con.execute(sql))
    again = timed(lambda: con.execute(sql))
    con.close()
    return first, again


def design_comparison(tmp: Path, rows: int) -> None:
    """Build a ``rows``-record store in monthly batches of 40 sources, then append 500,000
    records: ours (no key, clustered, delete+insert) against PRIMARY KEY + INSERT OR REPLACE.
    This is the measurement behind the schema's "no index on ephemeris" choice."""
    sources = 40
    minutes = rows // sources
    month = 30 * 1440

    def batches():
        rng = np.random.default_rng(2)
        spans = [(o, min(month, minutes - o)) for o in range(0, minutes, month)]
        for offset, span in [*spans, (minutes, 12_500)]:  # the last one is the append
            epochs = pd.date_range("2015-01-01", periods=span, freq="min") + pd.Timedelta(
                minutes=offset
            )
            n = span * sources
            frame = pd.DataFrame(
                {
                    "data_source": np.repeat(np.arange(1, sources + 1), span),
                    "epoch": np.tile(epochs.values, sources),
                    **{c: rng.uniform(-60, 60, n) for c in ("geo_lat", "geo_lon")},
                    **{c: rng.uniform(-60, 60, n) for c in ("nbtrace_lat", "nbtrace_lon")},
                    **{c: rng.uniform(-60, 60, n) for c in ("sbtrace_lat", "sbtrace_lon")},
                    "metadata.calgary_apa_ml_v1": rng.choice(APA, n),
                    "metadata.calgary_apa_ml_v1_confidence": rng.uniform(0, 100, n),
                }
            )
            yield offset >= minutes, frame

    print(f"\ndesign comparison: {rows:,}-record store, then append 500,000")
    schema = SCHEMA[:2]
    repo = Repository(tmp / "design_ours.duckdb")
    for i in range(sources):
        repo.add_data_source(
            DataSource(
                "bench", f"site{i}", "ASI", "ground", f"S{i}", ephemeris_metadata_schema=schema
            )
        )
    build = append = 0.0
    for is_new, frame in batches():
        seconds = timed(lambda frame=frame: repo.ingest_ephemeris(frame))
        append, build = (append + seconds, build) if is_new else (append, build + seconds)
    repo.close()
    ours_size = (tmp / "design_ours.duckdb").stat().st_size

    con = duckdb.connect(str(tmp / "design_pk.duckdb"))
    con.execute(
        "CREATE TABLE ephemeris (data_source INTEGER, epoch TIMESTAMP, geo_lat DOUBLE, "
        "geo_lon DOUBLE, nbtrace_lat DOUBLE, nbtrace_lon DOUBLE, sbtrace_lat DOUBLE, "
        "sbtrace_lon DOUBLE, metadata JSON, PRIMARY KEY (data_source, epoch))"
    )
    pk_build = pk_append = 0.0
    for is_new, frame in batches():
        con.register("batch", frame)
        sql = (
            "INSERT OR REPLACE INTO ephemeris SELECT data_source, epoch, geo_lat, geo_lon, "
            "nbtrace_lat, nbtrace_lon, sbtrace_lat, sbtrace_lon, json_object("
            "'calgary_apa_ml_v1', \"metadata.calgary_apa_ml_v1\", "
            "'calgary_apa_ml_v1_confidence', \"metadata.calgary_apa_ml_v1_confidence\") "
            "FROM batch"
        )
        seconds = timed(lambda sql=sql: con.execute(sql))
        pk_append, pk_build = (
            (pk_append + seconds, pk_build) if is_new else (pk_append, pk_build + seconds)
        )
        con.unregister("batch")
    con.execute("CHECKPOINT")
    con.close()
    pk_size = (tmp / "design_pk.duckdb").stat().st_size
    print(f"{'design':44s} {'build s':>8s} {'append s':>9s} {'file MB':>8s}")
    print(f"{'ours: no key, clustered, delete+insert':44s} {build:8.1f} {append:9.2f} "
          f"{ours_size / 2**20:8.0f}")  # fmt: skip
    print(f"{'PRIMARY KEY + INSERT OR REPLACE':44s} {pk_build:8.1f} {pk_append:9.2f} "
          f"{pk_size / 2**20:8.0f}")  # fmt: skip
    print(f"ratio build: {pk_build / build:.1f}x faster; append: {pk_append / append:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000, help="records to ingest")
    parser.add_argument("--sample", type=int, default=5_000, help="rows for the slow paths")
    parser.add_argument(
        "--design-rows",
        type=int,
        default=0,
        help="also compare the schema design on a store of this many rows (e.g. 10000000)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        repo = Repository(tmp / "ours.duckdb")
        ids = make_sources(repo)
        frame = make_frame(ids, args.rows)
        n = len(frame)
        sample = frame.sample(n=min(args.sample, n), random_state=0).sort_index()
        print(f"{n:,} ephemeris records, {len(ids)} ground sources, 5 metadata fields each\n")

        columnar = timed(lambda: repo.ingest_ephemeris(frame))
        replace = timed(lambda: repo.ingest_ephemeris(frame))
        assert repo.counts()["ephemeris_count"].sum() == n
        records = ephemeris_frame_to_records(sample, repo.list_data_sources())
        dicts = timed(lambda: repo.ingest_ephemeris(records)) * n / len(sample)
        optimize = timed(repo.optimize)
        repo.close()

        naive = naive_baseline(tmp / "naive.duckdb", sample) * n / len(sample)
        pk_first, pk_again = primary_key_design(tmp / "pk.duckdb", frame)

    rows = [
        ("ours: columnar ingest (empty store)", columnar, ""),
        ("ours: re-ingest, every minute replaced", replace, ""),
        ("ours: AuroraX dicts", dicts, f"extrapolated from {len(sample):,}"),
        ("baseline: row-by-row executemany INSERT", naive, f"extrapolated from {len(sample):,}"),
        ("alt. design: PRIMARY KEY + INSERT OR REPLACE", pk_first, "2 metadata fields only"),
        ("alt. design: same, every row replaced", pk_again, "2 metadata fields only"),
    ]
    print(f"{'path':48s} {'seconds':>9s} {'records/s':>12s}")
    for label, seconds, note in rows:
        print(f"{label:48s} {seconds:9.2f} {n / seconds:12,.0f}  {note}")
    print(f"\noptimize() (rewrite clustered) of {n:,} rows: {optimize:.2f} s")
    print(f"ratio columnar / naive executemany: {naive / columnar:,.0f}x faster")
    print(f"ratio columnar / AuroraX dicts:     {dicts / columnar:,.1f}x faster")
    print(f"ratio replace: ours vs PRIMARY KEY design: {pk_again / replace:,.1f}x")
    if args.design_rows:
        with tempfile.TemporaryDirectory() as tmp:
            design_comparison(Path(tmp), args.design_rows)


if __name__ == "__main__":
    main()
