"""The ephemeris index against a full scan and a naive self-join, on a long store.

Search: every THEMIS ASI site x Swarm A/B/C, nbtrace, 500 km (``bench_conjunctions.py``'s
two-block search), over the whole store and over its first month. Methods, each in its own
subprocess (peak resident memory ``VmHWM`` is its own; warm = median of repeated runs after a
cold one):

* ``index``: ``aurorax.engine.search_conjunctions`` as shipped (pruned by ``ephemeris_index``);
* ``scan``: the same search with the index switched off (every minute of both blocks read);
* ``join``: a naive DuckDB self-join (``bench_conjunctions.duckdb_self_join``).

The three must find the same number of conjunctions. With ``--month-store`` the first-month
search also runs in that (one-month) store, for "a month inside a long store costs what it costs
in a month store".

Run: ``python benchmarks/bench_index.py --path STORE [--month-store STORE]``; default store:
``benchmarks/large_store.py``'s year store. A store without the index (schema version 1, e.g.
built by an older aurorax) is copied to ``--work-dir`` and upgraded there, never in place.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_conjunctions import (  # noqa: E402
    duckdb_self_join,
    peak_rss_mb,
    two_block_query,
    warm,
)
from large_store import build_large_store, default_path  # noqa: E402

import aurorax.engine.search._conjunction_search as conjunction_search  # noqa: E402
from aurorax.engine import Repository, search_conjunctions  # noqa: E402


def _span(path: Path) -> tuple[pd.Timestamp, pd.Timestamp]:
    with Repository(path, read_only=True) as repo:
        first, last = (
            repo.cursor().execute("SELECT min(epoch), max(epoch) FROM ephemeris").fetchone()
        )
    return pd.Timestamp(first).floor("D"), pd.Timestamp(last).floor("D") + pd.Timedelta(days=1)


def _has_index(path: Path) -> bool:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    return "ephemeris_index" in names


def indexed_copy(path: Path, work_dir: Path) -> Path:
    """``path`` if it has the index, else a copy in ``work_dir`` upgraded (index built)."""
    if _has_index(path):
        return path
    work_dir.mkdir(parents=True, exist_ok=True)
    copy = work_dir / f"{path.stem}_indexed.duckdb"
    if not copy.exists() or not _has_index(copy):
        shutil.copyfile(path, copy)
        t0 = time.perf_counter()
        Repository(copy).close()  # opening for writing upgrades the schema, building the index
        print(f"index built on a copy ({copy}) in {time.perf_counter() - t0:.1f} s")
    return copy


def child(method: str, path: str, start: str, end: str, repeat: int) -> None:
    n_min = int((pd.Timestamp(end) - pd.Timestamp(start)) / pd.Timedelta(minutes=1))
    with Repository(path, read_only=True) as repo:
        if method == "scan":
            conjunction_search.index_available = lambda cursor: False
        if method in ("index", "scan"):
            run = lambda: len(search_conjunctions(repo, two_block_query(start, end)))  # noqa: E731
        elif method == "join":
            run = lambda: duckdb_self_join(repo, start, n_min)  # noqa: E731
        else:
            raise SystemExit(f"unknown method {method}")
        times, counts = [], []
        for _ in range(repeat + 1):
            t0 = time.perf_counter()
            counts.append(run())
            times.append(time.perf_counter() - t0)
    print(json.dumps({"cold_s": times[0], "warm_s": warm(times), "count": counts[-1],
                      "rss_mb": peak_rss_mb()}))  # fmt: skip


def measure(method: str, path: Path, start, end, repeat: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", method, "--path", str(path), "--start",
         str(start), "--end", str(end), "--repeat", str(repeat)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=None, help="the long store")
    parser.add_argument("--month-store", type=Path, default=None)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/aurorax-bench-index"))
    parser.add_argument("--repeat", type=int, default=3, help="warm runs after the cold one")
    parser.add_argument("--start", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--end", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, str(args.path), args.start, args.end, args.repeat)
        return

    path = args.path or build_large_store(default_path("2021-01-01", 365)).path
    path = indexed_copy(path, args.work_dir)
    first, last = _span(path)
    month = (first, first + pd.Timedelta(days=30))
    print(f"store: {path} ({first.date()} to {last.date()}); nbtrace, 500 km, THEMIS ASI x Swarm")
    header = f"{'window':<26}{'store':<8}{'method':<24}{'cold s':>8}{'warm s':>8}{'peak MB':>9}{'found':>8}{'x index':>9}"  # noqa: E501
    print(header)
    print("-" * len(header))
    runs = [
        ("whole span", "long", path, (first, last), ["index", "scan", "join"]),
        ("first 30 days", "long", path, month, ["index", "scan", "join"]),
    ]
    if args.month_store:
        month_path = indexed_copy(args.month_store, args.work_dir)
        runs.append(("first 30 days", "month", month_path, month, ["index", "scan"]))
    names = {"index": "engine, index", "scan": "engine, no index", "join": "DuckDB self-join"}
    base = {}
    for label, store, p, (t0, t1), methods in runs:
        key = label
        for method in methods:
            r = measure(method, p, t0.isoformat(), t1.isoformat(), args.repeat)
            base.setdefault(key, r)  # the first run of a window is the long store's index run
            ratio = r["warm_s"] / base[key]["warm_s"]
            print(f"{label:<26}{store:<8}{names[method]:<24}{r['cold_s']:>8.2f}{r['warm_s']:>8.2f}"
                  f"{r['rss_mb']:>9.0f}{r['count']:>8}{ratio:>8.1f}x", flush=True)  # fmt: skip
            label = ""
    print(
        "\n'x index' = warm time / warm time of the indexed engine on the long store, same window."
    )


if __name__ == "__main__":
    main()
