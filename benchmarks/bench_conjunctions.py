"""Conjunction search benchmark on a one-year, 1-minute store.

Searches (nbtrace, 500 km, the whole year):

1. every THEMIS ASI site x Swarm A/B/C (two blocks);
2. the same with a metadata filter on the imagers (APA model: APA with confidence >= 95 %),
   engine only;
3. every THEMIS ASI site x Swarm A/B/C x THEMIS A/D/E (three blocks, 500 km for every pair).

Each is timed with the engine (``aurorax.engine.search_conjunctions``) and, in the same run, with
baselines: a brute-force numpy search (every minute, every pair of members, dense arrays, run
merge by ``np.diff``) and, for the two-block search, a naive DuckDB self-join (join on epoch,
haversine in SQL, gaps-and-islands merge with a window function). Every measurement runs in its
own subprocess so its peak resident memory (``ru_maxrss``, which includes DuckDB's buffers) is its
own; "warm" is the median of repeated runs in that process after a first (cold) one. The number
of conjunctions each method finds is printed too: they must agree.

Run: ``python benchmarks/bench_conjunctions.py`` (builds the store on first use, see
``benchmarks/large_store.py``; ``--days 30`` for a quick run).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from large_store import build_large_store, default_path  # noqa: E402

from aurorax.engine import Repository, search_conjunctions  # noqa: E402

LIMIT_KM = 500.0
SPHERE_KM = 6371.2 + 110.0


def two_block_query(start: str, end: str) -> dict:
    return {
        "start": start,
        "end": end,
        "ground": [{"programs": ["themis-asi"]}],
        "space": [{"programs": ["swarm"]}],
        "conjunction_types": ["nbtrace"],
        "max_distances": {"ground1-space1": LIMIT_KM},
    }


def filtered_query(start: str, end: str) -> dict:
    """The two-block search when the APA model says APA with confidence >= 95 % (metadata filter)."""
    body = two_block_query(start, end)
    body["ground"][0]["ephemeris_metadata_filters"] = {
        "logical_operator": "AND",
        "expressions": [
            {"key": "calgary_apa_ml_v1", "operator": "in", "values": ["classified as APA"]},
            {"key": "calgary_apa_ml_v1_confidence", "operator": ">=", "values": ["95"]},
        ],
    }
    return body


def three_block_query(start: str, end: str) -> dict:
    body = two_block_query(start, end)
    body["space"].append({"programs": ["themis"]})
    body["max_distances"] = {
        "ground1-space1": LIMIT_KM,
        "ground1-space2": LIMIT_KM,
        "space1-space2": LIMIT_KM,
    }
    return body


# -- baselines --------------------------------------------------------------------------------
def _ids(con, program: str) -> list[int]:
    return [
        r[0]
        for r in con.execute(
            "SELECT identifier FROM data_sources WHERE program = ? ORDER BY identifier", [program]
        ).fetchall()
    ]


def _dense(con, ids, start, n_min):
    """(members x minutes) nbtrace lat/lon, NaN where there is no record."""
    t0 = pd.Timestamp(start)
    rows = con.execute(
        "SELECT data_source, (epoch_ms(epoch) - ?) // 60000 AS m, "
        "coalesce(nbtrace_lat, CAST('nan' AS DOUBLE)) AS lat, coalesce(nbtrace_lon, CAST('nan' AS DOUBLE)) AS lon "
        f"FROM ephemeris WHERE data_source IN ({', '.join('?' for _ in ids)}) AND epoch >= ? AND epoch < ?",
        [
            int(t0.value // 1_000_000),
            *ids,
            t0.to_pydatetime(),
            (t0 + pd.Timedelta(minutes=n_min)).to_pydatetime(),
        ],
    ).fetchnumpy()
    lat = np.full((len(ids), n_min), np.nan)
    lon = np.full((len(ids), n_min), np.nan)
    member = np.searchsorted(np.asarray(ids), rows["data_source"])
    lat[member, rows["m"]] = rows["lat"]
    lon[member, rows["m"]] = rows["lon"]
    return lat, lon


def _hav(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * SPHERE_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _runs(ok: np.ndarray) -> int:
    edges = np.diff(ok.astype(np.int8), prepend=0)
    return int((edges == 1).sum())


def numpy_brute_force(repo, start, n_min, blocks) -> int:
    """Every minute, every combination: dense haversine per pair, AND of pair masks, run count."""
    con = repo.cursor()
    dense = [_dense(con, _ids(con, p), start, n_min) for p in blocks]
    masks = {}
    for i in range(len(blocks)):
        for j in range(i + 1, len(blocks)):
            (la, oa), (lb, ob) = dense[i], dense[j]
            with np.errstate(invalid="ignore"):
                masks[(i, j)] = np.stack(
                    [_hav(la[a], oa[a], lb, ob) <= LIMIT_KM for a in range(la.shape[0])]
                )  # (n_i, n_j, minutes)
    n = 0
    shape = [d[0].shape[0] for d in dense]
    for combo in np.ndindex(*shape):
        ok = np.ones(n_min, dtype=bool)
        for (i, j), m in masks.items():
            ok &= m[combo[i], combo[j]]
        n += _runs(ok)
    return n


def duckdb_self_join(repo, start, n_min) -> int:
    """Naive SQL: join ground and spacecraft rows on epoch, haversine, gaps-and-islands merge."""
    con = repo.cursor()
    g, s = _ids(con, "themis-asi"), _ids(con, "swarm")
    t0 = pd.Timestamp(start).to_pydatetime()
    t1 = (pd.Timestamp(start) + pd.Timedelta(minutes=n_min)).to_pydatetime()
    sql = f"""
    WITH g AS (SELECT data_source AS gs, epoch, nbtrace_lat AS glat, nbtrace_lon AS glon FROM ephemeris
               WHERE data_source IN ({", ".join("?" for _ in g)}) AND epoch >= ? AND epoch < ?),
         s AS (SELECT data_source AS ss, epoch, nbtrace_lat AS slat, nbtrace_lon AS slon FROM ephemeris
               WHERE data_source IN ({", ".join("?" for _ in s)}) AND epoch >= ? AND epoch < ?),
         d AS (SELECT gs, ss, epoch, 2 * {SPHERE_KM} * asin(sqrt(least(1.0,
                    pow(sin(radians(slat - glat) / 2), 2)
                    + cos(radians(glat)) * cos(radians(slat)) * pow(sin(radians(slon - glon) / 2), 2)))) AS dist
               FROM g JOIN s USING (epoch)),
         q AS (SELECT gs, ss, epoch, dist,
                      epoch - to_minutes(row_number() OVER (PARTITION BY gs, ss ORDER BY epoch)) AS grp
               FROM d WHERE dist <= ?)
    SELECT count(*) FROM (SELECT gs, ss, grp, min(epoch), max(epoch), min(dist), max(dist)
                          FROM q GROUP BY gs, ss, grp)
    """
    return int(con.execute(sql, [*g, t0, t1, *s, t0, t1, LIMIT_KM]).fetchone()[0])


# -- child process ----------------------------------------------------------------------------
def child(method: str, path: str, start: str, days: int, repeat: int) -> None:
    end = (pd.Timestamp(start) + pd.Timedelta(days=days)).isoformat()
    n_min = days * 1440
    with Repository(path, read_only=True) as repo:
        if method == "engine2":
            run = lambda: len(search_conjunctions(repo, two_block_query(start, end)))  # noqa: E731
        elif method == "engine_filter":
            run = lambda: len(search_conjunctions(repo, filtered_query(start, end)))  # noqa: E731
        elif method == "engine3":
            run = lambda: len(search_conjunctions(repo, three_block_query(start, end)))  # noqa: E731
        elif method == "numpy2":
            run = lambda: numpy_brute_force(repo, start, n_min, ["themis-asi", "swarm"])  # noqa: E731
        elif method == "numpy3":
            run = lambda: numpy_brute_force(repo, start, n_min, ["themis-asi", "swarm", "themis"])  # noqa: E731
        elif method == "duckdb2":
            run = lambda: duckdb_self_join(repo, start, n_min)  # noqa: E731
        else:
            raise SystemExit(f"unknown method {method}")
        times, counts = [], []
        for _ in range(repeat + 1):
            t0 = time.perf_counter()
            counts.append(run())
            times.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "cold_s": times[0],
                "warm_s": warm(times),
                "count": counts[-1],
                "rss_mb": peak_rss_mb(),
            }
        )
    )


def warm(times: list[float]) -> float:
    return statistics.median(times[1:]) if len(times) > 1 else times[0]


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MB (VmHWM; ru_maxrss can carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(method: str, path: Path, start: str, days: int, repeat: int) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            method,
            "--path",
            str(path),
            "--start",
            start,
            "--days",
            str(days),
            "--repeat",
            str(repeat),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="conjunction search benchmark")
    parser.add_argument("--start", default="2021-01-01")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3, help="warm runs after the cold one")
    parser.add_argument("--path", type=Path, default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, str(args.path), args.start, args.days, args.repeat)
        return

    path = args.path or default_path(args.start, args.days)
    info = build_large_store(path, args.start, args.days)
    built = f"built in {info.build_s:.0f} s" if info.build_s else "reused from cache"
    print(
        f"store: {info.path} ({info.rows:,} ephemeris rows, {info.ground_sources} ground sources, "
        f"{info.spacecraft} spacecraft; {built})"
    )
    print(
        f"search window: {args.start} + {args.days} days, nbtrace, {LIMIT_KM:g} km; "
        f"warm = median of {args.repeat} runs after a cold one\n"
    )
    header = f"{'search':<34}{'method':<22}{'cold s':>9}{'warm s':>9}{'peak MB':>9}{'found':>8}{'engine x':>10}"
    print(header)
    print("-" * len(header))
    for label, methods in (
        (
            "THEMIS ASI x Swarm (2 blocks)",
            [
                ("engine2", "aurorax engine"),
                ("numpy2", "numpy brute force"),
                ("duckdb2", "DuckDB self-join"),
            ],
        ),
        ("  same, APA filter (conf >= 95)", [("engine_filter", "aurorax engine")]),
        (
            "THEMIS ASI x Swarm x THEMIS (3)",
            [("engine3", "aurorax engine"), ("numpy3", "numpy brute force")],
        ),
    ):
        base = None
        for method, name in methods:
            repeat = args.repeat if method.startswith("engine") else 1
            r = measure(method, path, args.start, args.days, repeat)
            base = base or r
            ratio = r["warm_s"] / base["warm_s"]
            print(
                f"{label:<34}{name:<22}{r['cold_s']:>9.2f}{r['warm_s']:>9.2f}{r['rss_mb']:>9.0f}"
                f"{r['count']:>8}{ratio:>9.1f}x",
                flush=True,
            )
            label = ""
    print(
        "\n'engine x' = warm time of the method / warm time of the engine (higher = engine faster)."
    )


if __name__ == "__main__":
    main()
