"""Reads under a flood of searches: does ``GET /data_sources`` still answer quickly?

Run from the repository root::

    .venv/bin/python benchmarks/bench_starvation.py               # 3 demo days, 70 clients, 30 s
    .venv/bin/python benchmarks/bench_starvation.py --seconds 10

What it does, in one run against one real ``aurorax serve`` on a loopback port:

1. builds (once, cached under ``~/.cache/aurorax/bench-starvation``) a 3-day demo repository
   (THEMIS ASI, THEMIS and Swarm) and serves a copy of it;
2. the baseline: ``GET /api/v1/data_sources`` one after another with no other load, p50 / p99;
3. the attack that starved reads before: 70 anonymous clients sending
   ``POST /ephemeris/search`` with 8 expressions of 30,000 ``in`` values each, while one client
   times ``GET /data_sources`` every 50 ms;
4. the heaviest load the limits allow: 70 clients sending synchronous ephemeris searches over
   the 3 days with 8 expressions of 1,250 values (10,000, the most a search may list), each
   waiting ``Retry-After`` when told 429, for ``--seconds``; the same reader;
5. prints p50 / p99 of the reads under each load against the baseline (goal: p99 < 0.5 s),
   the searches completed per second, the answers by status, and the server's memory
   (resident before and after the loads, and at its peak, from ``/proc``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_api import demo_repository  # noqa: E402
from tests.serving import running_server  # noqa: E402

CACHE = Path.home() / ".cache" / "aurorax" / "bench-starvation"
GOAL_P99_S = 0.5


def _search(days: int, expressions: int, values: int) -> dict:
    end = dt.date(2021, 12, 1) + dt.timedelta(days=days)
    # The demo's "state" field allows two values; a longer list repeats them (a search must
    # name allowed values, and the server then does the work of the whole list).
    listed = ["definitive", "predictive"] * (values // 2)
    return {
        "start": "2021-12-01T00:00:00",
        "end": f"{end}T00:00:00",
        "data_sources": {
            "programs": ["themis", "swarm"],
            "ephemeris_metadata_filters": {
                "logical_operator": "OR",
                "expressions": [
                    {"key": "state", "operator": "in", "values": listed} for _ in range(expressions)
                ],
            },
        },
    }


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return statistics.median(ordered), p99


class Reader(threading.Thread):
    """Times ``GET /data_sources`` every ``interval_s`` until stopped."""

    def __init__(self, base: str, interval_s: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.base, self.interval_s = base, interval_s
        self.times: list[float] = []
        self.failures = 0
        self.stop = threading.Event()

    def run(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                ok = session.get(f"{self.base}/api/v1/data_sources", timeout=120).status_code == 200
            except requests.RequestException:
                ok = False
            self.times.append(time.perf_counter() - started)
            self.failures += not ok
            self.stop.wait(self.interval_s)


def _flood(base: str, path: str, body: dict, clients: int, seconds: float, once: bool):
    """``clients`` threads posting ``body`` (each once, or until ``seconds`` pass); returns
    the answers by status and the number of 200s."""
    statuses: Counter = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        session = requests.Session()
        while True:
            try:
                got = session.post(base + path, json=body, timeout=600)
                status, wait = got.status_code, float(got.headers.get("Retry-After", 0))
            except requests.RequestException as exc:
                status, wait = type(exc).__name__, 0.0
            with lock:
                statuses[status] += 1
            if once or time.monotonic() > deadline:
                return
            time.sleep(wait)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses, time.perf_counter() - started


def _memory_mib(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _under_load(base: str, load) -> tuple[list[float], int, tuple]:
    reader = Reader(base)
    reader.start()
    result = load()
    reader.stop.set()
    reader.join()
    return reader.times, reader.failures, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--clients", type=int, default=70)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--baseline-reads", type=int, default=200)
    args = parser.parse_args()
    source = demo_repository(args.days, CACHE)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "served.duckdb"
        shutil.copy(source, db)
        with running_server(db, Path(tmp) / "data", path="/api/v1/openapi.json") as base:
            session = requests.Session()
            quiet = []
            for _ in range(args.baseline_reads):
                started = time.perf_counter()
                assert session.get(f"{base}/api/v1/data_sources", timeout=60).ok
                quiet.append(time.perf_counter() - started)
            rss_quiet, _ = _memory_mib(base.process.pid)
            attack = _search(args.days, 8, 30_000)
            times_a, fail_a, (status_a, took_a) = _under_load(
                base,
                lambda: _flood(base, "/api/v1/ephemeris/search", attack, args.clients, 0, True),
            )
            legal = _search(args.days, 8, 1_250)
            times_b, fail_b, (status_b, took_b) = _under_load(
                base,
                lambda: _flood(
                    base,
                    "/api/v1/ephemeris/search_synchronous",
                    legal,
                    args.clients,
                    args.seconds,
                    False,
                ),
            )
            rss, peak = _memory_mib(base.process.pid)
    p50_q, p99_q = _percentiles(quiet)
    print(f"\nGET /api/v1/data_sources, {args.days}-day demo, {args.clients} search clients")
    print(f"{'load':<58} {'reads':>6} {'p50 (s)':>8} {'p99 (s)':>8} {'p99/quiet':>10} goal")
    rows = [
        ("none (baseline)", quiet, 0),
        ("70 x (8 x 30,000 values), async: the old starvation", times_a, fail_a),
        (f"70 clients, 8 x 1,250 values, sync, {args.seconds:g} s", times_b, fail_b),
    ]
    for label, samples, failures in rows:
        p50, p99 = _percentiles(samples)
        met = "yes" if p99 < GOAL_P99_S else "no"
        failed = f" ({failures} failed)" if failures else ""
        print(
            f"{label:<58} {len(samples):>6} {p50:>8.3f} {p99:>8.3f} {p99 / p99_q:>9.1f}x "
            f"{met}{failed}"
        )
    print(f"\nthe old starvation load: answers {dict(status_a)} in {took_a:.1f} s")
    done = status_b.get(200, 0)
    print(
        f"the allowed load: answers {dict(status_b)}; {done / took_b:.2f} searches/s completed "
        f"over {took_b:.1f} s"
    )
    print(
        f"server memory: {rss_quiet:.0f} MiB resident before the loads, {rss:.0f} MiB at the "
        f"end, {peak:.0f} MiB at its peak"
    )
    print(f"(quiet reads: p50 {p50_q:.4f} s, p99 {p99_q:.4f} s)")


if __name__ == "__main__":
    main()
