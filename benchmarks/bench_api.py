"""Searches per second the HTTP API sustains under concurrent load, against the library in-process.

Run from the repository root::

    .venv/bin/python benchmarks/bench_api.py                 # 3 demo days, 48 searches per level
    .venv/bin/python benchmarks/bench_api.py --days 1 --searches 24

What it does, in one run:

1. builds (once, cached under ``~/.cache/aurorax/bench-api``) a demo repository (THEMIS ASI,
   THEMIS and Swarm spacecraft) and copies it twice: one copy for a real ``aurorax serve`` on a free
   loopback port, one for the library in this process;
2. the baseline: the same conjunction searches (THEMIS ASI x THEMIS/Swarm, northern footprints,
   200 to 670 km) through ``aurorax.engine.search_conjunctions``, on 1 thread and on as many threads
   as the server has search workers;
3. the server: the searches as ``POST /api/v1/conjunctions/search_synchronous`` from 1, 4 and 16
   concurrent clients (threads with their own connection), and through the asynchronous lifecycle
   (POST, poll the status, GET the data) from 16 clients; every result is checked against the
   library's;
4. prints searches per second and the ratio to the baseline.

Loopback only, bounded by ``--searches`` per level and ``--max-seconds`` per level. The figures
depend on the machine and its load; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from aurorax.api import ApiConfig
from aurorax.demo import build_demo
from aurorax.engine import Repository, search_conjunctions

CACHE = Path.home() / ".cache" / "aurorax" / "bench-api"


def _queries(n: int) -> list[dict]:
    days = ARGS.days
    end = (dt.date(2021, 12, 1) + dt.timedelta(days=days)).isoformat()
    space = ["themis", "swarm"]
    return [
        {
            "start": "2021-12-01T00:00:00",
            "end": f"{end}T00:00:00",
            "ground": [{"programs": ["themis-asi"]}],
            "space": [{"programs": [space[i % 2]], "hemisphere": ["northern"]}],
            "max_distances": {"ground1-space1": 200 + 10 * (i % 48)},
        }
        for i in range(n)
    ]


def demo_repository(days: int, cache: Path = CACHE) -> Path:
    """The cached demo repository (THEMIS ASI, THEMIS, Swarm; no images) of ``days`` days."""
    db = cache / f"demo-{days}d.duckdb"
    if not db.exists():
        cache.mkdir(parents=True, exist_ok=True)
        print(f"building the demo repository ({days} days) into {db} ...", flush=True)
        build_demo(
            db,
            start=dt.date(2021, 12, 1),
            days=days,
            programs=["themis-asi", "themis", "swarm"],
            progress=False,
            image_nights=0,
        )
    return db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(db: Path, data_dir: Path):
    port = _free_port()
    env = {**os.environ, "AURORAX_DATA_DIR": str(data_dir)}
    cmd = [sys.executable, "-m", "aurorax.cli", "serve", "--db", str(db), "--port", str(port)]
    cmd += ["--no-build-demo"]
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "server.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((data_dir / "server.log").read_text())
        try:
            if requests.get(base + "/api/v1/openapi.json", timeout=5).status_code == 200:
                return proc, base
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("server did not start")


def _rate(run, queries: list[dict], clients: int, max_seconds: float) -> tuple[float, int, list]:
    """Searches per second of ``run(query)`` from ``clients`` threads (stops taking new work
    after ``max_seconds``)."""
    started = time.perf_counter()
    results: list = [None] * len(queries)

    def one(i: int) -> None:
        if time.perf_counter() - started > max_seconds:
            return
        results[i] = run(queries[i])

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(len(queries))))
    elapsed = time.perf_counter() - started
    done = sum(r is not None for r in results)
    return done / elapsed, done, results


def main() -> None:
    source = demo_repository(ARGS.days)
    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        served, local = work / "served.duckdb", work / "local.duckdb"
        shutil.copy(source, served)
        shutil.copy(source, local)
        queries = _queries(ARGS.searches)
        workers = ApiConfig().workers

        repo = Repository(local, read_only=True)
        search_conjunctions(repo, queries[0])  # warm the file cache, as the server's warm-up below
        expected = [len(search_conjunctions(repo, q)) for q in queries]

        def library(q):
            return len(search_conjunctions(repo, q))

        rows = []
        for clients in (1, workers):
            rate, done, got = _rate(library, queries, clients, ARGS.max_seconds)
            assert all(g is None or g == e for g, e in zip(got, expected, strict=True))
            rows.append((f"library in-process, {clients} thread(s)", clients, rate, done))
        baseline = rows[0][2]

        proc, base = _start_server(served, work / "data")
        try:
            local_session = threading.local()

            def session() -> requests.Session:
                if not hasattr(local_session, "s"):
                    local_session.s = requests.Session()
                return local_session.s

            def sync(q):
                r = session().post(
                    f"{base}/api/v1/conjunctions/search_synchronous", json=q, timeout=120
                )
                r.raise_for_status()
                return r.json()["result_count"]

            def lifecycle(q):
                s = session()
                url = s.post(f"{base}/api/v1/conjunctions/search", json=q, timeout=60).headers[
                    "Location"
                ]
                while s.get(url, timeout=60).json()["status"] in ("queued", "running"):
                    time.sleep(0.02)
                return s.get(url + "/data", timeout=120).json()["result_count"]

            # Warm-up: a few seconds of searches, so the server's own start-up work (the
            # dashboard's warm-up thread drawing a raster and a globe) is over before timing;
            # a single search left it running during the 1-client level (7.7 vs 26 searches/s).
            warm_until = time.monotonic() + 8.0
            while time.monotonic() < warm_until:
                sync(queries[0])
            for label, run, clients in (
                ("HTTP search_synchronous", sync, 1),
                ("HTTP search_synchronous", sync, 4),
                ("HTTP search_synchronous", sync, 16),
                ("HTTP async (POST, poll, GET data)", lifecycle, 16),
            ):
                rate, done, got = _rate(run, queries, clients, ARGS.max_seconds)
                wrong = [i for i, g in enumerate(got) if g is not None and g != expected[i]]
                assert not wrong, f"{label}: results differ from the library's at {wrong[:5]}"
                rows.append((f"{label}, {clients} client(s)", clients, rate, done))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            repo.close()

        print(
            f"\n{ARGS.days} demo days; {len(queries)} conjunction searches per level "
            f"(mean {sum(expected) / len(expected):.1f} conjunctions each); server: {workers} "
            f"search threads; machine: {os.cpu_count()} cores"
        )
        print(f"{'method':<52} {'searches/s':>11} {'done':>6} {'vs library 1 thread':>20}")
        for label, _, rate, done in rows:
            print(f"{label:<52} {rate:>11.1f} {done:>6} {rate / baseline:>19.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=3, help="demo days in the repository")
    parser.add_argument("--searches", type=int, default=48, help="searches per level")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time bound per level")
    ARGS = parser.parse_args()
    main()
