"""Start a real ``aurorax serve`` process on a free loopback port, for server and browser tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port nobody listens on at the moment of asking."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerURL(str):
    """The server's base URL; ``.process`` is its ``subprocess.Popen`` (to stop it mid-test)."""

    process: subprocess.Popen

    def __new__(cls, url: str, process: subprocess.Popen):
        self = super().__new__(cls, url)
        self.process = process
        return self


def wait_for_server(proc: subprocess.Popen, url: str, log: Path, timeout_s: float) -> None:
    """Return once ``url`` answers 200; raise with the server's ``log`` if ``proc`` exits first
    or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status == 200:
                    return
        except (ConnectionError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server did not answer in {timeout_s} s:\n{log.read_text()}")
        time.sleep(0.3)


@contextlib.contextmanager
def running_server(
    db_path: Path,
    data_dir: Path,
    path: str = "/overview",
    timeout_s: float = 90,
    extra_args: tuple[str, ...] = (),
):
    """Run the dashboard on ``db_path`` and yield its base URL once ``path`` answers 200
    (``extra_args`` are more ``aurorax serve`` options, e.g. ``("--read-only",)``)."""
    port = free_port()
    env = {**os.environ, "AURORAX_DATA_DIR": str(data_dir)}
    cmd = [sys.executable, "-m", "aurorax.cli", "serve", "--db", str(db_path)]
    cmd += ["--port", str(port), "--no-build-demo", *extra_args]
    log = data_dir / f"server-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_server(proc, base + path, log, timeout_s)
            yield ServerURL(base, proc)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def fetch(url: str) -> str:
    """GET a URL and return the body as text."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()
