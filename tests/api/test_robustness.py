"""The server under the accidents of real use: killed with ``kill -9`` in the middle of a large
upload, one writer among twenty searching clients, a second server started on the same file,
and file requests that try to leave the products folder."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from aurorax.api import KeyStore, keys_path
from aurorax.engine import Repository
from tests.api.conftest import OTHER_OWNER, headers
from tests.serving import free_port, running_server

SOURCE = {
    "program": "robust-test",
    "platform": "sat7",
    "instrument_type": "footprint",
    "source_type": "leo",
    "display_name": "Robust Sat 7",
}


def _records(n: int, day: str, first_minute: int = 0) -> list[dict]:
    start = time.mktime(time.strptime(day, "%Y-%m-%d")) - time.timezone
    out = []
    for i in range(first_minute, first_minute + n):
        epoch = time.strftime("%Y-%m-%dT%H:%M:00", time.gmtime(start + 60 * i))
        out.append({"epoch": epoch, "location_geo": {"lat": (i % 180) - 89.5, "lon": 10.0}})
    return out


def _counts(base: str) -> dict[int, int]:
    listed = requests.get(
        f"{base}/api/v1/data_sources", params={"include_stats": "true"}, timeout=60
    )
    assert listed.status_code == 200, listed.text
    return {s["identifier"]: s["stats"]["ephemeris_count"] for s in listed.json()}


@pytest.mark.slow
def test_kill_9_during_a_large_upload_loses_nothing_and_stores_all_or_nothing(api_files, tmp_path):
    db = tmp_path / "killed.duckdb"
    shutil.copy(api_files[1], db)
    token = KeyStore(keys_path(db)).create(OTHER_OWNER)[1]
    batch = _records(50_000, "2021-12-10")
    with running_server(db, tmp_path / "data", path="/api/v1/openapi.json") as base:
        made = requests.post(f"{base}/api/v1/data_sources", json=SOURCE, headers=headers(token))
        assert made.status_code == 201, made.text
        ident = made.json()["identifier"]
        url = f"{base}/api/v1/data_sources/{ident}/ephemeris"
        earlier = requests.post(url, json=_records(10, "2021-12-09"), headers=headers(token))
        assert earlier.status_code == 200, earlier.text
        before = _counts(base)
        wal = db.with_name(db.name + ".wal")
        wal_size = wal.stat().st_size if wal.exists() else 0
        outcome = {}

        def upload():
            try:
                outcome["response"] = requests.post(url, json=batch, headers=headers(token))
            except requests.ConnectionError as exc:
                outcome["error"] = exc

        sender = threading.Thread(target=upload)
        sender.start()
        # Kill while the server works on the batch: when its WAL grows, or after 1.5 s.
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and "response" not in outcome:
            if wal.exists() and wal.stat().st_size > wal_size:
                break
            time.sleep(0.005)
        os.kill(base.process.pid, signal.SIGKILL)
        base.process.wait(30)
        sender.join(60)
    # The file opens (replaying its WAL); the batch is all in or all out; nothing else changed.
    with Repository(db) as repo:
        after = dict(
            zip(*repo.counts()[["identifier", "ephemeris_count"]].to_numpy().T, strict=True)
        )
        stored = repo.counts().set_index("identifier").loc[ident]
    assert after[ident] in (10, 10 + len(batch)), after[ident]
    assert {k: v for k, v in after.items() if k != ident} == {
        k: v for k, v in before.items() if k != ident
    }
    if after[ident] == 10:
        assert str(stored["last_epoch"]).startswith("2021-12-09")
    # And a server starts on it again and answers the same.
    with running_server(db, tmp_path / "data", path="/api/v1/openapi.json") as base:
        assert _counts(base) == after


def test_one_writer_and_twenty_searching_clients_see_whole_batches(api, server, other_key):
    made = api("POST", "/data_sources", json=SOURCE, headers=headers(other_key))
    assert made.status_code == 201, made.text
    ident = made.json()["identifier"]
    size, batches = 200, 6  # 1,200 minutes: all on the searched day
    problems: list[str] = []
    seen: list[int] = []
    done = threading.Event()
    search = {
        "start": "2021-12-05T00:00",
        "end": "2021-12-06T00:00",
        "data_sources": {"programs": ["robust-test"]},
    }

    def reader():
        session = requests.Session()
        last = 0
        while not done.is_set():
            got = session.post(
                f"{server}/api/v1/ephemeris/search_synchronous", json=search, timeout=60
            )
            if got.status_code == 429:  # the queue is full: a client waits as told
                time.sleep(float(got.headers["Retry-After"]))
                continue
            if got.status_code != 200:
                problems.append(f"{got.status_code}: {got.text[:200]}")
                return
            epochs = [r["epoch"] for r in got.json()["result"]]
            n = len(epochs)
            expected = [r["epoch"] for r in _records(n, "2021-12-05")]
            if n % size or n < last or epochs != expected:
                problems.append(f"torn read: {n} records after {last}")
                return
            last = n
            seen.append(n)

    readers = [threading.Thread(target=reader) for _ in range(20)]
    try:
        for t in readers:
            t.start()
        for k in range(batches):
            rows = _records(size, "2021-12-05", first_minute=k * size)
            up = api(
                "POST", f"/data_sources/{ident}/ephemeris", json=rows, headers=headers(other_key)
            )
            assert up.status_code == 200, up.text
        time.sleep(0.5)
    finally:
        done.set()
        for t in readers:
            t.join(120)
        api(
            "DELETE",
            f"/data_sources/{ident}/ephemeris",
            json={"start": "2021-12-05", "end": "2021-12-06"},
            headers=headers(other_key),
        )
        api("DELETE", f"/data_sources/{ident}", headers=headers(other_key))
    assert problems == []
    assert seen and max(seen) == size * batches and len(seen) > 20


def test_a_second_server_on_the_same_file_refuses_clearly(api_files, server):
    db, _, data = api_files
    before = requests.get(f"{server}/api/v1/data_sources", timeout=60).json()
    env = {**os.environ, "AURORAX_DATA_DIR": str(data)}
    cmd = [sys.executable, "-m", "aurorax.cli", "serve", "--db", str(db)]
    cmd += ["--port", str(free_port()), "--no-build-demo"]
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert second.returncode == 1, second.stdout + second.stderr
    assert (
        f"repository {db} is locked by another process (PID {server.process.pid})" in second.stderr
    )
    assert "Traceback" not in second.stderr
    # The first server goes on as before.
    assert requests.get(f"{server}/api/v1/data_sources", timeout=60).json() == before


def _raw_get(base: str, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (no client-side normalisation of ``..``)."""
    parts = urlsplit(base)
    con = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        con.putrequest("GET", path, skip_accept_encoding=True)
        con.endheaders()
        response = con.getresponse()
        return response.status, response.read()
    finally:
        con.close()


def test_products_route_serves_the_folder_and_nothing_outside(api_files, server):
    data = api_files[2]
    products = data / "products"
    products.mkdir(parents=True, exist_ok=True)
    (products / "robust-ok.txt").write_text("a product")
    secret = data / "robust-secret.txt"
    secret.write_text("SECRET-OUTSIDE-PRODUCTS")
    link = products / "robust-link.txt"
    link.unlink(missing_ok=True)
    link.symlink_to(secret)
    folder_link = products / "robust-dir"
    folder_link.unlink(missing_ok=True)
    folder_link.symlink_to(data, target_is_directory=True)
    try:
        assert _raw_get(server, "/products/robust-ok.txt") == (200, b"a product")
        for path in (
            "/products/../robust-secret.txt",
            "/products/%2e%2e/robust-secret.txt",
            "/products/..%2frobust-secret.txt",
            "/products/%2e%2e%2frobust-secret.txt",
            "/products/robust-link.txt",
            "/products/robust-dir/robust-secret.txt",
        ):
            status, body = _raw_get(server, path)
            assert status in (403, 404), (path, status)
            assert b"SECRET-OUTSIDE-PRODUCTS" not in body, path
    finally:
        link.unlink(missing_ok=True)
        folder_link.unlink(missing_ok=True)
