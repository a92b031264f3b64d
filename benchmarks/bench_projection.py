"""Benchmark: map projection of THEMIS frames onto the global 1024 x 512 grid, against asilib.

Run from the repository root::

    .venv/bin/python benchmarks/bench_projection.py

Both sides project the same 256 x 256 frames of a demo imager (the demo fisheye skymap of Gillam at
110 km, pixels below 10 degrees elevation masked), one core each, frames already in memory:

- ``aurorax``: ``GridIndex.build`` once (timed separately), then per frame ``GridIndex.regrid``
  (one gather + bincount) onto the 1024 x 512 grid; also per frame the same plus colouring the grid
  into a 512 x 1024 RGB picture (what a viewer displays);
- ``asilib``: aurora-asi-lib 0.21.1's plotting path, ``Imager.plot_map(ax=...)`` (its
  ``pcolormesh`` of the pixel vertices) drawn into a 1024 x 512 pixel Agg canvas for each frame,
  in its own venv (``benchmarks/asilib_env.sh``) as a separate process.

Prints frames per second of each and the ratio (goal: aurorax >= 100 frames/s per core).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SITE, SITE_LAT, SITE_LON, SITE_ALT_KM = "gill", 56.354, -94.616, 0.229
MARK = "BENCH-RESULT "


def _frames(n: int):
    import numpy as np

    rng = np.random.default_rng(0)
    return rng.integers(2000, 12000, size=(n, 256, 256), dtype=np.uint16)


def _worker_asilib(data_dir: Path, n_frames: int) -> None:
    """Runs under the asilib venv's python: imports nothing of aurorax."""
    from datetime import datetime, timedelta

    import matplotlib

    matplotlib.use("Agg")
    import asilib
    import matplotlib.pyplot as plt
    import numpy as np

    sky = np.load(data_dir / "asilib_skymap.npz")
    frames = _frames(n_frames)[:, ::-1, :]  # asilib pairs skymaps with the file orientation
    start = datetime(2021, 12, 5, 6)
    times = np.array([start + timedelta(seconds=3 * k) for k in range(n_frames)])

    def loader(_path):
        return times, frames

    meta = {"array": "THEMIS", "location": SITE.upper(), "lat": SITE_LAT, "lon": SITE_LON,
            "alt": SITE_ALT_KM, "cadence": 3, "resolution": (256, 256)}  # fmt: skip
    skymap = {k: sky[k] for k in ("lat", "lon", "el", "az")}
    skymap["alt"] = 110
    skymap["path"] = "demo"
    fig = plt.figure(figsize=(10.24, 5.12), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    t0 = time.perf_counter()
    for k in range(n_frames):
        file_info = {"time": times[k], "path": ["memory"], "start_time": [start],
                     "end_time": [start + timedelta(hours=1)], "loader": loader}  # fmt: skip
        imager = asilib.Imager(file_info, meta, skymap)
        imager.plot_map(ax=ax, color_bounds=(2000, 12000), color_norm="lin", asi_label=False,
                        min_elevation=10)  # fmt: skip
        fig.canvas.draw()
        for artist in list(ax.collections):
            artist.remove()
    seconds = time.perf_counter() - t0
    print(MARK + json.dumps({"seconds": seconds, "n_frames": n_frames}), flush=True)


def _ours(skymap, n_frames: int) -> dict:
    import matplotlib
    import numpy as np

    from aurorax.asi import GlobalGrid, GridIndex

    frames = _frames(n_frames)
    t0 = time.perf_counter()
    index = GridIndex.build(skymap, GlobalGrid(), 110.0, 10.0)
    build_s = time.perf_counter() - t0
    out = index.grid.empty()
    t0 = time.perf_counter()
    for frame in frames:
        index.regrid(frame, out)
    regrid_s = time.perf_counter() - t0
    assert out.shape == (512, 1024) and np.isfinite(out).sum() > 100
    lut = (matplotlib.colormaps["gray"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    # The picture outside the field of view never changes: only the imager's cells are recoloured.
    picture = np.zeros((*index.grid.shape, 3), dtype=np.uint8)
    flat = picture.reshape(-1, 3)
    t0 = time.perf_counter()
    for frame in frames:
        level = (index.cell_means(frame) - 2000.0) * (255.0 / 10000.0)
        flat[index.cells] = lut[np.clip(level, 0, 255).astype(np.uint8)]
    picture_s = time.perf_counter() - t0
    assert picture.shape == (512, 1024, 3)
    return {"build_s": build_s, "regrid_s": regrid_s, "picture_s": picture_s, "n": n_frames}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=2000, help="frames for aurorax")
    parser.add_argument("--asilib-frames", type=int, default=30, help="frames for asilib")
    parser.add_argument("--skip-asilib", action="store_true")
    parser.add_argument("--worker", choices=["asilib"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "aurorax"
    data_dir = args.data_dir or cache / "bench-projection"
    if args.worker:
        _worker_asilib(data_dir, args.asilib_frames)
        return

    import numpy as np

    from aurorax.demo import make_demo_skymap

    skymap = make_demo_skymap(SITE, SITE_LAT, SITE_LON, SITE_ALT_KM, program="themis")
    data_dir.mkdir(parents=True, exist_ok=True)
    k = skymap.altitudes_km.index(110.0)
    np.savez(
        data_dir / "asilib_skymap.npz",
        el=np.asarray(skymap.elevation)[::-1], az=np.asarray(skymap.azimuth)[::-1],
        lat=np.asarray(skymap.vertex_lat[k])[::-1], lon=np.asarray(skymap.vertex_lon[k])[::-1],
    )  # fmt: skip
    ours = _ours(skymap, args.frames)
    regrid_fps = ours["n"] / ours["regrid_s"]
    picture_fps = ours["n"] / ours["picture_s"]
    print(f"projection benchmark: 256 x 256 frames onto the 1024 x 512 grid ({ours['n']} frames)")
    print(f"aurorax GridIndex.build (once): {ours['build_s']:.2f} s")
    print(f"aurorax regrid:                 {regrid_fps:8.0f} frames/s (goal >= 100 per core)")
    print(f"aurorax regrid + RGB picture:   {picture_fps:8.0f} frames/s")
    if args.skip_asilib:
        return
    built = subprocess.run([str(REPO / "benchmarks" / "asilib_env.sh")], capture_output=True,
                           text=True)  # fmt: skip
    if built.returncode != 0:
        print(f"asilib baseline venv could not be built:\n{built.stderr[-2000:]}")
        return
    python = built.stdout.strip().splitlines()[-1]
    cmd = [python, __file__, "--worker", "asilib", "--data-dir", str(data_dir),
           "--asilib-frames", str(args.asilib_frames)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ, MPLBACKEND="Agg"))  # fmt: skip
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            result = json.loads(line[len(MARK) :])
    if result is None:
        print(f"asilib worker failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        return
    asilib_fps = result["n_frames"] / result["seconds"]
    print(
        f"asilib plot_map + draw:         {asilib_fps:8.1f} frames/s ({result['n_frames']} frames)"
    )
    print(f"aurorax regrid / asilib:        {regrid_fps / asilib_fps:8.0f}x")
    print(f"aurorax regrid+RGB / asilib:    {picture_fps / asilib_fps:8.0f}x")


if __name__ == "__main__":
    sys.exit(main())
