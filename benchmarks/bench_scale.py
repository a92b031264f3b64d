"""Growth benchmark: conjunction searches on 1 month, 1 year, 3 years and 10 years of records.

Stores (``benchmarks/large_store.py``, ``fleet="scale"``): 62 ground imagers (the 38 sites of
``data/sites.csv`` plus 24 synthetic ones at auroral stations elsewhere) recording whenever the
Sun is below -12 deg at the site, and 21 spacecraft (the 11 demo orbits plus 10 synthetic polar
LEOs), 1-minute records from 2021-01-01; built once each, cached under
``~/.cache/aurorax/bench/`` with a progress bar; build time and disk size are printed.

A store is built only when its estimated build time (from the largest store already built,
per day of records) is under ``--max-build-min`` and its estimated size fits the free disk;
otherwise the output says so and the figures of that size are extrapolated (linear in rows from
the two largest measured stores) and marked ``extrapolated``.

Searches over each store's whole span (nbtrace, 500 km), as in
``benchmarks/bench_conjunctions.py`` whose queries and two-block baseline are reused:

1. the paper's two-block search, THEMIS ASI x Swarm;
2. a three-block search, THEMIS ASI x Swarm x THEMIS A/D/E (500 km for every pair);
3. a filtered search, the two-block one where the APA model says APA with confidence >= 95 %.

Each is timed for the aurorax engine and for a naive DuckDB self-join (join on epoch, haversine
in SQL, gaps-and-islands merge; count only) in the same run, each in its own process with its
peak resident memory (VmHWM). Both must find the same number of conjunctions. The two-block
search is answered from the store's ground-space pair table (``ephemeris_pairs``); it is also
timed on the engine's general path (the pair table switched off), which the three-block and
filtered searches take. A cached store written before the pair table existed gains it first
(opening it for writing migrates it); the time that takes and the table's rows are printed.

Run: ``python benchmarks/bench_scale.py`` (``--sizes 30,365`` for a quicker run).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_conjunctions import (  # noqa: E402
    LIMIT_KM,
    SPHERE_KM,
    _ids,
    duckdb_self_join,
    filtered_query,
    peak_rss_mb,
    three_block_query,
    two_block_query,
    warm,
)
from large_store import build_large_store, default_path, read_build_s  # noqa: E402

import aurorax.engine.search._conjunction_search as conjunction_search  # noqa: E402
from aurorax.engine import Repository, search_conjunctions  # noqa: E402

START = "2021-01-01"
#: AACGM-v2's coefficients end here (``aacgmv2`` refuses later times), so a store that would run
#: past it starts earlier: the 10-year store covers 2020-01-01 .. 2029-12-30.
AACGM_END = pd.Timestamp("2030-01-01")


def store_start(days: int) -> str:
    """First day of the store of ``days``: ``START``, or the 1 January that keeps it before
    ``AACGM_END``."""
    start = pd.Timestamp(START)
    if start + pd.Timedelta(days=days) > AACGM_END:
        start = (AACGM_END - pd.Timedelta(days=days)).to_period("Y").start_time
    return start.date().isoformat()


SIZES = {30: "1 month", 365: "1 year", 1095: "3 years", 3652: "10 years"}
SEARCHES = (
    ("two", "THEMIS ASI x Swarm (2 blocks)"),
    ("three", "THEMIS ASI x Swarm x THEMIS (3)"),
    ("filter", "2 blocks, APA filter (conf >= 95)"),
)


# -- naive baselines not in bench_conjunctions ------------------------------------------------
def _hav_sql(a: str, b: str) -> str:
    return (
        f"2 * {SPHERE_KM} * asin(sqrt(least(1.0, pow(sin(radians({b}lat - {a}lat) / 2), 2) "
        f"+ cos(radians({a}lat)) * cos(radians({b}lat)) * pow(sin(radians({b}lon - {a}lon) / 2), 2))))"
    )


def duckdb_three_block(repo, start: str, n_min: int) -> int:
    """Naive SQL for three blocks: two joins on epoch, three haversines, gaps and islands."""
    con = repo.cursor()
    g, s, t = _ids(con, "themis-asi"), _ids(con, "swarm"), _ids(con, "themis")
    t0 = pd.Timestamp(start).to_pydatetime()
    t1 = (pd.Timestamp(start) + pd.Timedelta(minutes=n_min)).to_pydatetime()

    def block(alias: str, ids) -> str:
        return (
            f"{alias} AS (SELECT data_source AS {alias}s, epoch, nbtrace_lat AS {alias}lat, "
            f"nbtrace_lon AS {alias}lon FROM ephemeris WHERE data_source IN "
            f"({', '.join('?' for _ in ids)}) AND epoch >= ? AND epoch < ?)"
        )

    sql = f"""
    WITH {block("g", g)}, {block("s", s)}, {block("t", t)},
         d AS (SELECT gs, ss, ts, epoch FROM g JOIN s USING (epoch) JOIN t USING (epoch)
               WHERE {_hav_sql("g", "s")} <= ? AND {_hav_sql("g", "t")} <= ?
                 AND {_hav_sql("s", "t")} <= ?),
         q AS (SELECT gs, ss, ts,
                      epoch - to_minutes(row_number() OVER (PARTITION BY gs, ss, ts ORDER BY epoch))
                      AS grp FROM d)
    SELECT count(*) FROM (SELECT DISTINCT gs, ss, ts, grp FROM q)
    """
    params = [*g, t0, t1, *s, t0, t1, *t, t0, t1, LIMIT_KM, LIMIT_KM, LIMIT_KM]
    return int(con.execute(sql, params).fetchall()[0][0])


def duckdb_filtered(repo, start: str, n_min: int) -> int:
    """Naive SQL for the filtered search: the self-join with the APA filter on the JSON."""
    con = repo.cursor()
    g, s = _ids(con, "themis-asi"), _ids(con, "swarm")
    t0 = pd.Timestamp(start).to_pydatetime()
    t1 = (pd.Timestamp(start) + pd.Timedelta(minutes=n_min)).to_pydatetime()
    sql = f"""
    WITH g AS (SELECT data_source AS gs, epoch, nbtrace_lat AS glat, nbtrace_lon AS glon
               FROM ephemeris WHERE data_source IN ({", ".join("?" for _ in g)})
                 AND epoch >= ? AND epoch < ?
                 AND json_extract_string(metadata, '$.calgary_apa_ml_v1') = ?
                 AND CAST(json_extract(metadata, '$.calgary_apa_ml_v1_confidence') AS DOUBLE) >= ?),
         s AS (SELECT data_source AS ss, epoch, nbtrace_lat AS slat, nbtrace_lon AS slon
               FROM ephemeris WHERE data_source IN ({", ".join("?" for _ in s)})
                 AND epoch >= ? AND epoch < ?),
         d AS (SELECT gs, ss, epoch FROM g JOIN s USING (epoch) WHERE {_hav_sql("g", "s")} <= ?),
         q AS (SELECT gs, ss,
                      epoch - to_minutes(row_number() OVER (PARTITION BY gs, ss ORDER BY epoch))
                      AS grp FROM d)
    SELECT count(*) FROM (SELECT DISTINCT gs, ss, grp FROM q)
    """
    params = [*g, t0, t1, "classified as APA", 95.0, *s, t0, t1, LIMIT_KM]
    return int(con.execute(sql, params).fetchall()[0][0])


# -- child process ----------------------------------------------------------------------------
def child(method: str, search: str, path: str, days: int, repeat: int) -> None:
    start = store_start(days)
    end = (pd.Timestamp(start) + pd.Timedelta(days=days)).isoformat()
    n_min = days * 1440
    queries = {"two": two_block_query, "three": three_block_query, "filter": filtered_query}
    naive = {"two": duckdb_self_join, "three": duckdb_three_block, "filter": duckdb_filtered}
    if method == "general":
        conjunction_search.pairs_available = lambda cursor: False
    with Repository(path, read_only=True) as repo:
        if method in ("engine", "general"):
            body = queries[search](start, end)
            run = lambda: len(search_conjunctions(repo, body))  # noqa: E731
        else:
            run = lambda: naive[search](repo, start, n_min)  # noqa: E731
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


def measure(method: str, search: str, path: Path, days: int, repeat: int) -> dict:
    args = [sys.executable, __file__, "--child", method, "--search", search, "--path", str(path)]
    args += ["--days", str(days), "--repeat", str(repeat)]
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ensure_pairs(path: Path) -> tuple[float, int]:
    """``(seconds it took to build, rows)`` of the store's pair table; 0 s when it was there."""
    with Repository(path, read_only=True) as repo:
        present = (
            repo.cursor()
            .execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ephemeris_pairs'")
            .fetchall()[0][0]
        )
    t0 = time.perf_counter()
    if not present:
        Repository(path).close()  # opening for writing migrates: builds the pair table
    took = time.perf_counter() - t0 if not present else 0.0
    with Repository(path, read_only=True) as repo:
        rows = repo.cursor().execute("SELECT count(*) FROM ephemeris_pairs").fetchall()[0][0]
    return took, int(rows)


# -- growth curve -----------------------------------------------------------------------------
def _linear(x0: float, y0: float, x1: float, y1: float, x: float) -> float:
    """Value at ``x`` of the line through (x0, y0), (x1, y1) (never below the larger measured)."""
    if x1 == x0:
        return y1
    return max(y1, y0 + (y1 - y0) * (x - x0) / (x1 - x0))


def _plan(days: int, built: list[dict], max_build_min: float) -> str | None:
    """Why the store of ``days`` is not built (None = build it)."""
    path = default_path(store_start(days), days, "scale")
    if path.exists():
        return None
    if not built:
        return None
    ref = max(built, key=lambda b: b["days"])
    est_s = ref["build_s"] / ref["days"] * days
    est_gb = ref["size_gb"] / ref["days"] * days
    free_gb = shutil.disk_usage(path.parent).free / 1e9
    if est_gb > 0.8 * free_gb:
        return f"estimated {est_gb:.0f} GB does not fit the {free_gb:.0f} GB free disk"
    if est_s > max_build_min * 60:
        return (
            f"estimated build {est_s / 60:.0f} min (from the {ref['days']}-day store) exceeds "
            f"--max-build-min {max_build_min:g}"
        )
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description="conjunction search growth benchmark")
    parser.add_argument("--sizes", default="30,365,1095,3652", help="store spans, days")
    parser.add_argument("--repeat", type=int, default=1, help="warm runs after the cold one")
    parser.add_argument("--max-build-min", type=float, default=15.0)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--search", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--days", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.search, str(args.path), args.days, args.repeat)
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    built: list[dict] = []
    skipped: dict[int, str] = {}
    print(
        f"stores (scale fleet, 1-minute records from {START}, or from the 1 January that ends the "
        f"store before AACGM-v2's {AACGM_END:%Y-%m-%d}; cache "
        f"{default_path(START, 1, 'scale').parent}):"
    )
    for days in sizes:
        reason = _plan(days, built, args.max_build_min)
        label = SIZES.get(days, f"{days} days")
        if reason:
            skipped[days] = reason
            print(f"  {label:<9} NOT BUILT: {reason}; its figures below are extrapolated")
            continue
        info = build_large_store(None, store_start(days), days, fleet="scale")
        build_s = read_build_s(info.path) or info.build_s
        built.append(
            {
                "days": days,
                "path": info.path,
                "rows": info.rows,
                "build_s": build_s,
                "size_gb": info.size_bytes / 1e9,
            }
        )
        print(
            f"  {label:<9} {info.path.name}: {info.rows:>12,} rows, {info.ground_sources} ground "
            f"imagers, {info.spacecraft} spacecraft, {info.size_bytes / 1e9:6.2f} GB, "
            f"built in {build_s:.0f} s" + ("" if info.build_s else " (reused from cache)"),
            flush=True,
        )
        pairs_s, pairs = ensure_pairs(info.path)
        built[-1]["size_gb"] = info.path.stat().st_size / 1e9
        print(
            f"  {'':<9} pair table: {pairs:,} rows"
            + (f", built on the cached store in {pairs_s:.0f} s" if pairs_s else "")
            + f"; the file is now {built[-1]['size_gb']:.2f} GB",
            flush=True,
        )

    print(
        f"\nsearches over each store's whole span, nbtrace, {LIMIT_KM:g} km; each run in its own "
        f"process; warm = median of {args.repeat} run(s) after a cold one\n"
    )
    header = (
        f"{'store':<10}{'rows':>13}  {'search':<36}{'method':<18}{'cold s':>8}{'warm s':>8}"
        f"{'peak MB':>9}{'found':>8}{'naive/engine':>13}"
    )
    print(header)
    print("-" * len(header))
    results: dict[tuple[str, str], list[tuple[int, dict]]] = {}
    for b in built:
        label = SIZES.get(b["days"], f"{b['days']} days")
        for search, title in SEARCHES:
            eng = measure("engine", search, b["path"], b["days"], args.repeat)
            gen = None
            if search == "two":
                gen = measure("general", search, b["path"], b["days"], args.repeat)
            nai = measure("naive", search, b["path"], b["days"], args.repeat)
            runs = [("engine", "aurorax engine", eng)]
            if gen is not None:
                runs.append(("general", "  general path", gen))
            runs.append(("naive", "DuckDB self-join", nai))
            for method, name, r in runs:
                results.setdefault((search, method), []).append((b["rows"], r))
                ratio = f"{nai['warm_s'] / eng['warm_s']:>12.1f}x" if method == "naive" else ""
                rows = f"{b['rows']:,}" if label else ""
                print(
                    f"{label:<10}{rows:>13}  {title:<36}{name:<18}{r['cold_s']:>8.2f}"
                    f"{r['warm_s']:>8.2f}{r['rss_mb']:>9.0f}{r['count']:>8}{ratio}",
                    flush=True,
                )
                label, title = "", ""
            if eng["count"] != nai["count"] or (gen is not None and gen["count"] != eng["count"]):
                also = "" if gen is None else f", its general path {gen['count']}"
                print(f"  !! the engine found {eng['count']}{also}, the self-join {nai['count']}")

    print("\ngrowth curve (warm s and peak MB against rows; * = extrapolated, linear in rows):")
    if built:
        r1 = built[-1]
        per_day = r1["rows"] / r1["days"]
        for days in skipped:
            rows = per_day * days
            label = SIZES.get(days, f"{days} days")
            gb = r1["size_gb"] / r1["rows"] * rows
            bs = r1["build_s"] / r1["rows"] * rows
            print(
                f"  {label}: * {rows:,.0f} rows, * {gb:.1f} GB on disk, * {bs / 60:.0f} min to build "
                f"(per row as the {r1['days']}-day store)"
            )
    for (search, method), points in results.items():
        title = dict(SEARCHES)[search]
        line = "  ".join(
            f"{rows / 1e6:.1f}M: {r['warm_s']:.2f} s {r['rss_mb']:.0f} MB" for rows, r in points
        )
        if len(points) >= 2:
            (x0, a), (x1, b) = points[-2], points[-1]
            for days in skipped:
                x = built[-1]["rows"] / built[-1]["days"] * days
                t = _linear(x0, a["warm_s"], x1, b["warm_s"], x)
                m = _linear(x0, a["rss_mb"], x1, b["rss_mb"], x)
                line += f"  *{x / 1e6:.0f}M: {t:.1f} s {m:.0f} MB"
        print(f"  {title:<36}{method:<8}{line}")
    print(
        "\nnaive/engine = warm time of the naive DuckDB self-join / warm time of the engine "
        "(higher = engine faster); 'general path' = the engine with the pair table switched "
        "off; '*' figures are extrapolated, not measured."
    )


if __name__ == "__main__":
    main()
