"""Animations: mp4 written with imageio-ffmpeg, read back, with what the caller drew on the frames."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pandas as pd
import pytest

from aurorax.asi import (
    AnimationFrame,
    Imager,
    animate_fisheye,
    animate_map,
    image_path,
    iter_fisheye_frames,
    iter_map_frames,
    write_movie,
)

from .conftest import make_skymap

N = 64
N_FRAMES = 6


@pytest.fixture(scope="module")
def imager(tmp_path_factory):
    """Six 64 x 64 frames whose brightness ramps with time (frame k has counts 1000 + 500 k)."""
    asi_dir = tmp_path_factory.mktemp("asi")
    start = pd.Timestamp("2021-12-05T06:00:00")
    times = start + pd.to_timedelta(np.arange(N_FRAMES) * 3, "s")
    rows = np.arange(N)[None, :, None]
    frames = 1000 + 500 * np.arange(N_FRAMES)[:, None, None] + 10 * rows + 0 * np.arange(N)
    path = image_path("themis", "test", start, asi_dir)
    from aurorax.asi import write_themis_cdf

    write_themis_cdf(path, "test", times, frames.astype(np.uint16))
    return Imager(
        "test", start, start + pd.Timedelta(minutes=1), files=[path], skymap=make_skymap()
    )


def _read_back(path):
    """Decode an mp4 to (frames, height, width, 3) uint8 with imageio-ffmpeg's ffmpeg.

    ``imageio_ffmpeg.read_frames`` leaves its pipes open (a ResourceWarning, an error under
    pytest here), so the same ffmpeg binary is run directly; size and frame count come from the
    stream header ffmpeg reports and from imageio-ffmpeg's frame counter.
    """
    n_frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    out = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24",
         "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    width, height = map(int, re.search(rb"Video: h264.*?, (\d+)x(\d+)", out.stderr).groups())
    return np.frombuffer(out.stdout, dtype=np.uint8).reshape(n_frames, height, width, 3)


def _is_red(rgb):
    rgb = np.asarray(rgb, dtype=int)
    return (rgb[..., 0] > 180) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)


def test_rgb_fisheye_movie_has_every_frame_and_the_hooks_red_square(imager, tmp_path):
    drawn = []

    def hook(frame: AnimationFrame):
        # A red 8 x 8 (output pixels) square on image pixels (10..13, 40..43) of frame 2 only.
        if frame.index == 2:
            frame.rgb[20:28, 80:88] = (255, 0, 0)
        drawn.append(frame.time)

    path = animate_fisheye(
        imager, tmp_path / "fish.mp4", hook=hook, mode="rgb", scale=2, fps=5, progress=False,
        vmin=1000, vmax=5000,
    )  # fmt: skip
    video = _read_back(path)
    assert video.shape == (N_FRAMES, 2 * N, 2 * N, 3)
    assert list(drawn) == list(imager.times)
    assert _is_red(video[2, 21:27, 81:87]).all()
    assert not _is_red(video[1, 21:27, 81:87]).any()
    # Brightness ramps frame to frame under fixed colour limits.
    centre = video[:, N - 4 : N + 4, N - 4 : N + 4].mean(axis=(1, 2, 3))
    assert np.all(np.diff(centre) > 0)


def test_rgb_frames_are_north_up(imager):
    frame = next(iter_fisheye_frames(imager, mode="rgb", scale=1, cmap="gray"))
    # Counts grow with row (southward) in the fixture: the top rows are the darkest.
    centre_col = frame.rgb[:, N // 2, 0].astype(int)
    assert centre_col[8] < centre_col[N // 2] < centre_col[N - 8]
    assert frame.rgb.shape == (N, N, 3)
    # Outside the lens circle (corners) is black.
    assert frame.rgb[0, 0].tolist() == [0, 0, 0]


def test_figure_mode_hook_draws_on_axes_in_pixel_coordinates(imager, tmp_path):
    def frames():
        for frame in iter_fisheye_frames(imager, mode="figure", scale=4, label=True):
            if frame.index == 0:
                frame.ax.plot([40], [12], "s", color="red", markersize=12)
            yield frame

    path = write_movie(frames(), tmp_path / "fig.mp4", fps=5)
    video = _read_back(path)
    assert video.shape == (N_FRAMES, 4 * N, 4 * N, 3)
    # Pixel (row 12, col 40) is at output (4 * 12.5, 4 * 40.5) with extent from -0.5.
    y, x = int(4 * 12.5), int(4 * 40.5)
    assert _is_red(video[0, y - 3 : y + 3, x - 3 : x + 3]).all()
    # The marker was drawn on frame 0 only and is gone from the next frame.
    assert not _is_red(video[1, y - 3 : y + 3, x - 3 : x + 3]).any()


def test_map_frames_use_longitude_latitude_axes(imager, tmp_path):
    sky = imager.skymap
    seen = []

    def hook(frame):
        frame.ax.plot([sky.site_lon], [sky.site_lat], "o", color="red", markersize=10)
        seen.append(frame.ax.get_xlim())

    path = animate_map(imager, tmp_path / "map.mp4", hook=hook, progress=False, figsize=(4, 4))
    video = _read_back(path)
    assert video.shape == (N_FRAMES, 400, 400, 3)
    lo, hi = seen[0]
    assert lo < sky.site_lon < hi
    # Red appears at the site in every frame.
    assert all(_is_red(v).sum() > 20 for v in video)


def test_map_frames_keep_pixels_above_the_elevation_mask_only(imager):
    frame = next(iter_map_frames(imager, min_elevation_deg=30.0))
    mesh = frame.ax.collections[0]
    values = np.ma.masked_invalid(mesh.get_array())
    el = imager.skymap.elevation.ravel()
    kept = ~np.ma.getmaskarray(values).ravel()
    assert kept.any()
    assert np.all(el[kept] >= 30.0)
    assert not np.any(kept[np.nan_to_num(el, nan=-1.0) < 30.0])


def test_write_movie_errors(tmp_path):
    with pytest.raises(ValueError) as err:
        write_movie([], tmp_path / "empty.mp4")
    assert str(err.value) == (
        f"no frames to write to {tmp_path / 'empty.mp4'}: the imager's time range has no frames"
    )
    frames = [np.zeros((8, 8, 3), np.uint8), np.zeros((10, 8, 3), np.uint8)]
    with pytest.raises(ValueError) as err:
        write_movie(frames, tmp_path / "bad.mp4")
    assert str(err.value) == "frame 1 is (10, 8), the first frame was (8, 8)"
    with pytest.raises(ValueError) as err:
        next(iter_fisheye_frames(object(), mode="movie"))
    assert str(err.value) == "mode must be 'figure' or 'rgb', got 'movie'"


def test_odd_sizes_are_padded(tmp_path):
    frames = [np.full((9, 7, 3), 200, np.uint8)] * 3
    video = _read_back(write_movie(frames, tmp_path / "odd.mp4"))
    assert video.shape == (3, 10, 8, 3)
    assert video[:, :9, :7].mean() > 150


def test_an_ffmpeg_failure_is_an_oserror_naming_the_file(tmp_path):
    target = tmp_path / "taken.mp4"
    target.mkdir()  # ffmpeg cannot open a folder for writing
    with pytest.raises(OSError) as err:
        write_movie([np.zeros((8, 8, 3), np.uint8)] * 3, target)
    assert str(err.value).startswith(f"ffmpeg could not write {target} (exit status ")


def _processes_writing(path) -> list[int]:
    """Live (not zombie) ffmpeg processes whose command line names ``path``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path("/proc", entry, "cmdline").read_bytes()
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        argv = cmdline.split(b"\0")
        alive = stat.rsplit(")", 1)[1].split()[0] != "Z"
        if alive and b"ffmpeg" in argv[0].rsplit(b"/", 1)[-1] and os.fsencode(path) in argv:
            found.append(int(entry))
    return found


_FEEDER = """
import sys, time
import numpy as np
from aurorax.asi import write_movie

def frames():
    for index in range(100_000):
        if index == 60:
            print("sent", flush=True)
        time.sleep(0.005)
        yield np.full((64, 64, 3), index % 256, np.uint8)

write_movie(frames(), sys.argv[1], fps=20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only: PR_SET_PDEATHSIG")
def test_ffmpeg_dies_with_the_process_feeding_it(tmp_path):
    """Killed with -9, the writer cannot stop ffmpeg itself: the kernel must (no orphan encoder)."""
    movie = tmp_path / "killed.mp4"
    env = dict(os.environ, PYTHONWARNINGS="error")
    feeder = subprocess.Popen(
        [sys.executable, "-c", _FEEDER, str(movie)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert feeder.stdout.readline() == "sent\n"
        encoders = _processes_writing(movie)
        assert len(encoders) == 1, encoders
    finally:
        feeder.kill()
        feeder.wait(timeout=30)
        feeder.stdout.close()
    deadline = time.monotonic() + 10
    while _processes_writing(movie) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_writing(movie) == []
    # An orphaned ffmpeg reads end-of-file on its stdin and goes on to finish the movie (the
    # index, 'moov', is written last); killed with its caller, it leaves the movie unfinished.
    finished = b"moov" in movie.read_bytes()
    assert not finished, "an ffmpeg outlived the process feeding it and finished the movie"
