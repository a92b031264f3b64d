"""A killed ingest: no ffmpeg outlives it, and the next run removes the partial files it left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aurorax.ingest import format_summary, ingest_archive
from tests.ingest.conftest import render_archive

REPO_ROOT = Path(__file__).resolve().parents[2]


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=30)
    return proc.pid


def test_a_rerun_removes_the_partial_files_no_live_process_writes(
    archive, tmp_path, client, data_dir
):
    folder = tmp_path / "products" / "movies" / "themis-asi" / "gill" / "2021" / "12" / "02"
    folder.mkdir(parents=True)
    hour_ago = time.time() - 3600
    day_ago = time.time() - 86400

    def partial(name: str, mtime: float) -> Path:
        path = folder / name
        path.write_bytes(b"half a movie")
        os.utime(path, (mtime, mtime))
        return path

    dead = partial(f"partial-{_dead_pid()}-themis-asi_gill_20211202_movie.mp4", hour_ago)
    # This test's process is alive and started before the file was written: its writer may be.
    live = partial(f"partial-{os.getpid()}-themis-asi_gill_20211203_movie.mp4", time.time() - 1)
    # The same pid, but the file is older than the process: the pid was reused, the writer is gone.
    reused = partial(f"partial-{os.getpid()}-themis-asi_gill_20211204_movie.mp4", day_ago)
    # Written after the run started (by a writer elsewhere, say): left alone.
    recent = partial(f"partial-{_dead_pid()}-themis-asi_gill_20211205_movie.mp4", time.time() + 600)
    other = partial("partial-movie.mp4", hour_ago)  # not the ingest's naming: not ours
    link = folder / f"partial-{_dead_pid()}-link.png"
    link.symlink_to(tmp_path / "elsewhere.png")

    summary = ingest_archive(
        archive, tmp_path / "r.duckdb", tmp_path / "products", client=client, progress=False,
        data_dir=data_dir,
    )  # fmt: skip
    assert summary.ok, format_summary(summary)
    assert not dead.exists() and not reused.exists()
    assert live.exists() and recent.exists() and other.exists() and link.is_symlink()
    assert summary.partial_files_removed == 2
    assert "\nremoved 2 stale partial product file(s) left by an interrupted run\n" in (
        format_summary(summary)
    )


def _processes() -> dict[int, tuple[int, str, bytes]]:
    """``pid -> (parent pid, state, argv[0])`` of every process, from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
            argv0 = Path("/proc", entry, "cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue  # gone meanwhile
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        found[int(entry)] = (int(parent), state, argv0)
    return found


def _descendants(root: int, processes) -> set[int]:
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, (parent, _, _) in processes.items() if parent in frontier}
        frontier -= found
        found |= frontier
    return found


def _alive(pids) -> set[int]:
    """The pids still running (a zombie has stopped: it only waits for its parent to reap it)."""
    processes = _processes()
    return {pid for pid in pids if pid in processes and processes[pid][1] != "Z"}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # renamed into place meanwhile
        return 0


@pytest.fixture(scope="module")
def movie_archive(tmp_path_factory):
    """One site, one hour at a 6 s cadence: a 600-frame movie, a few seconds of encoding."""
    folder = tmp_path_factory.mktemp("movie") / "asi"
    render_archive(folder, sites=("gill",), hours=1, cadence_s=6.0)
    return folder


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_no_ffmpeg_outlives_a_killed_ingest(movie_archive, tmp_path, data_dir):
    products = tmp_path / "products"
    args = [
        sys.executable, "-m", "aurorax.cli", "ingest", str(movie_archive), "--db",
        str(tmp_path / "r.duckdb"), "--products-dir", str(products), "--workers", "1",
        "--no-progress",
    ]  # fmt: skip
    env = dict(os.environ, AURORAX_DATA_DIR=str(data_dir), PYTHONWARNINGS="error")
    ingest = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO_ROOT
    )
    # Watch the ingest's process tree (its Dask worker, the worker's ffmpeg) until the movie is
    # being encoded, then kill the ingest alone, as `kill -9 <pid>` does.
    family, encoders = set(), set()
    movie = None
    deadline = time.monotonic() + 240
    try:
        while movie is None and time.monotonic() < deadline and ingest.poll() is None:
            processes = _processes()
            family |= _descendants(ingest.pid, processes)
            encoders |= {p for p in family if b"ffmpeg" in processes.get(p, (0, "", b""))[2]}
            written = [p for p in products.rglob("partial-*.mp4") if _size(p) > 0]
            if encoders and written:
                movie = written[0]
            time.sleep(0.02)
        assert movie is not None, "the ingest never started encoding its movie"
        assert _alive(encoders), "ffmpeg finished before the ingest could be killed"
    finally:
        ingest.send_signal(signal.SIGKILL)
        ingest.wait(timeout=30)

    deadline = time.monotonic() + 20
    while _alive(family) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive(encoders) == set(), "ffmpeg outlived the killed ingest"
    assert _alive(family) == set(), "a process of the killed ingest is still running"
    # An orphaned ffmpeg reads end-of-file on its stdin and goes on to finish the movie (its index,
    # 'moov', is written last): killed with the ingest, it leaves the movie unfinished.
    finished = b"moov" in movie.read_bytes()
    assert not finished, "an ffmpeg outlived the killed ingest and finished the movie"

    rerun = subprocess.run(args, capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    assert rerun.returncode == 0, rerun.stderr
    assert "removed 1 stale partial product file(s) left by an interrupted run" in rerun.stdout
    assert not list(products.rglob("partial-*"))
    assert (movie.parent / movie.name.split("-", 2)[2]).is_file()
