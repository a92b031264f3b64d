"""Benchmark: keograms of the real THEMIS Gakona frames: aurorax (CDF and stream0 PGM) against asilib.

Run from the repository root::

    .venv/bin/python benchmarks/bench_real_frames.py              # 7 fresh processes per reader
    .venv/bin/python benchmarks/bench_real_frames.py --runs 3 --skip-asilib

The real files are the ones in ``../shared/data/themis/`` beside the checkout (``--data DIR``
elsewhere): one hour-file of L1 full-resolution frames cut to 23 frames (2011-01-06 17:00, ~3 s
cadence) and the Gakona skymap valid from 2011-03-05 (the nearest one; aurorax is told so with
``allow_nearest_skymap=True``). What it measures, each run in its own fresh process (imports
untimed, then one keogram from the files, cold: no reader cache can help a repeat):

- ``aurorax-cdf``: ``Imager(files=[the real CDF], skymap=the real .sav)`` and ``make_keogram``;
- ``aurorax-pgm``: the same 23 frames written once with ``write_ucalgary_pgm`` as UCalgary stream0
  minute files (``20110106_1700_gako_themis19_full.pgm.gz``, ...), read by the registry's
  ``themis_stream0`` reader, with the same skymap: the native format against the CDF path;
- ``asilib``: aurora-asi-lib 0.21.1's generic ``asilib.Imager(file_info, meta, skymap)`` with a
  loader reading the real CDF with cdflib and the skymap read from the same .sav with scipy, then
  ``Imager.keogram()`` (in the baseline's own venv, built by ``benchmarks/asilib_env.sh``).

It prints the median and the spread of the runs, peak RSS and the ratios, and the sum of each
keogram (the same meridian pixels summed: a check that the readers saw the same counts).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_keogram import MARK, _emit, _peak_rss_mb  # noqa: E402

IMAGES = "thg_l1_asf_gako_2011010617_v01.cdf"
SKYMAP = "themis_skymap_gako_20110305-+_vXX.sav"
SITE = "gako"


def _worker_aurorax(files: list[Path], skymap: Path) -> None:
    import numpy as np

    from aurorax.asi import Imager, make_keogram

    rss_before = _peak_rss_mb()
    t0 = time.perf_counter()
    imager = Imager(
        SITE,
        "2011-01-06T17:00:00",
        "2011-01-06T18:00:00",
        program="themis",
        files=files,
        skymap=skymap,
        allow_nearest_skymap=True,
    )
    keogram = make_keogram(imager, workers=1)
    seconds = time.perf_counter() - t0
    values = np.asarray(keogram.values, dtype=float)
    _emit(
        {
            "seconds": seconds,
            "peak_rss_mb": _peak_rss_mb(),
            "rss_after_imports_mb": rss_before,
            "n_frames": int(values.shape[0]),
            "sum": float(np.nansum(values)),
        }
    )


def _worker_asilib(files: list[Path], skymap: Path) -> None:
    """Runs under the asilib venv's python: imports nothing of aurorax."""
    from datetime import datetime

    import asilib
    import cdflib
    import numpy as np
    from scipy.io import readsav

    rss_before = _peak_rss_mb()
    var = f"thg_asf_{SITE}"

    def loader(path):
        cdf = cdflib.CDF(path)
        images = cdf.varget(var)
        times = cdflib.cdfepoch.to_datetime(cdf.varget(f"{var}_epoch"))
        return np.asarray(times).astype("datetime64[us]").astype(object), images

    t0 = time.perf_counter()
    sky = readsav(str(skymap))["skymap"]
    k = 1  # FULL_MAP_ALTITUDE is [90, 110, 150] km
    # asilib pairs skymaps with frames in the file orientation (row 0 = south edge).
    skymap_dict = {
        "lat": sky["FULL_MAP_LATITUDE"][0][k][::-1],
        "lon": sky["FULL_MAP_LONGITUDE"][0][k][::-1],
        "el": sky["FULL_ELEVATION"][0][::-1],
        "az": sky["FULL_AZIMUTH"][0][::-1],
        "alt": 110,
        "path": str(skymap),
    }
    start = datetime(2011, 1, 6, 17)
    file_info = {
        "time_range": [start, datetime(2011, 1, 6, 18)],
        "path": [str(p) for p in files],
        "start_time": [start],
        "end_time": [datetime(2011, 1, 6, 18)],
        "loader": loader,
    }
    meta = {
        "array": "THEMIS",
        "location": SITE.upper(),
        "lat": float(sky["SITE_MAP_LATITUDE"][0]),
        "lon": float(sky["SITE_MAP_LONGITUDE"][0]) - 360.0,
        "alt": float(sky["SITE_MAP_ALTITUDE"][0]) / 1000.0,
        "cadence": 3,
        "resolution": (256, 256),
    }
    imager = asilib.Imager(file_info, meta, skymap_dict)
    _, _, keogram = imager.keogram()
    seconds = time.perf_counter() - t0
    _emit(
        {
            "seconds": seconds,
            "peak_rss_mb": _peak_rss_mb(),
            "rss_after_imports_mb": rss_before,
            "n_frames": int(keogram.shape[0]),
            "sum": float(np.nansum(np.asarray(keogram, dtype=float))),
        }
    )


def _real_frames(data: Path):
    from aurorax.asi import Imager

    imager = Imager(
        SITE,
        "2011-01-06T17:00",
        "2011-01-06T18:00",
        files=[data / IMAGES],
        skymap=data / SKYMAP,
        allow_nearest_skymap=True,
    )
    return imager.read()


def _write_pgm(times, frames, out: Path) -> list[Path]:
    """Frames as UCalgary stream0 minute files (written once per run, untimed)."""
    from aurorax.asi import write_ucalgary_pgm

    paths = []
    for minute in sorted(set(times.floor("min"))):
        sel = times.floor("min") == minute
        name = f"{minute:%Y%m%d_%H%M}_{SITE}_themis19_full.pgm.gz"
        paths.append(
            write_ucalgary_pgm(
                out / name, SITE, "themis19", times[sel].tz_convert(None), frames[sel]
            )
        )
    return paths


def _data_sets(data: Path, out: Path) -> dict[str, tuple[list[Path], list[Path]]]:
    """The real file as it is, and an hour of its frames cycled at 3 s: (CDF files, PGM files)."""
    import numpy as np
    import pandas as pd

    from aurorax.asi import write_themis_cdf

    times, frames = _real_frames(data)
    sets = {"real file": ([data / IMAGES], _write_pgm(times, frames, out / "file"))}
    n = 1200
    hour = pd.date_range("2011-01-06T17:00:00", periods=n, freq="3s", tz="UTC")
    cycled = frames[np.arange(n) % len(frames)]
    cdf = write_themis_cdf(out / "hour" / IMAGES, SITE, hour.tz_convert(None), cycled)
    sets["hour, cycled"] = ([cdf], _write_pgm(hour, cycled, out / "hour"))
    return sets


def _run(python: str, worker: str, files: list[Path], skymap: Path) -> dict:
    cmd = [python, __file__, "--worker", worker, "--skymap", str(skymap), *map(str, files)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    raise RuntimeError(f"worker {worker} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "themis")
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per reader")
    parser.add_argument("--skip-asilib", action="store_true", help="do not run the baseline")
    parser.add_argument("--worker", choices=["aurorax", "asilib"], help=argparse.SUPPRESS)
    parser.add_argument("--skymap", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        {"aurorax": _worker_aurorax, "asilib": _worker_asilib}[args.worker](args.files, args.skymap)
        return
    if not (args.data / IMAGES).is_file() or not (args.data / SKYMAP).is_file():
        sys.exit(f"the real THEMIS files ({IMAGES}, {SKYMAP}) are not in {args.data}")
    skymap = args.data / SKYMAP
    python_asilib = None
    if not args.skip_asilib:
        script = REPO / "benchmarks" / "asilib_env.sh"
        built = subprocess.run([str(script)], capture_output=True, text=True)
        if built.returncode != 0:
            print(f"asilib baseline venv could not be built:\n{built.stderr[-2000:]}")
        else:
            python_asilib = built.stdout.strip().splitlines()[-1]
    with tempfile.TemporaryDirectory(prefix="aurorax-bench-real-") as tmp:
        for label, (cdf, pgm) in _data_sets(args.data, Path(tmp)).items():
            readers = {
                "aurorax-cdf": (sys.executable, "aurorax", cdf),
                "aurorax-pgm": (sys.executable, "aurorax", pgm),
            }
            if python_asilib:
                readers["asilib"] = (python_asilib, "asilib", cdf)
            _report(label, args.runs, readers, skymap)


def _report(label: str, n_runs: int, readers: dict, skymap: Path) -> None:
    runs: dict[str, list[dict]] = {name: [] for name in readers}
    for _ in range(n_runs):  # interleaved, so a busy moment hits every reader alike
        for name, (python, worker, files) in readers.items():
            runs[name].append(_run(python, worker, files, skymap))
    print(f"\nkeogram of the real THEMIS GAKO frames ({label}), {n_runs} fresh processes each")
    header = f"{'':12s} {'frames':>6s} {'median s':>9s} {'min..max s':>14s} {'peak RSS MB':>11s}"
    print(header + f" {'keogram sum':>14s}")
    median = {}
    for name, results in runs.items():
        seconds = [r["seconds"] for r in results]
        median[name] = statistics.median(seconds)
        r = results[0]
        spread = f"{min(seconds):.3f}..{max(seconds):.3f}"
        print(
            f"{name:12s} {r['n_frames']:6d} {median[name]:9.3f} {spread:>14s}"
            f" {max(x['peak_rss_mb'] for x in results):11.0f} {r['sum']:14.4g}"
        )
    if "asilib" in median:
        print(f"asilib / aurorax-cdf: {median['asilib'] / median['aurorax-cdf']:.1f}x")
    print(f"aurorax-pgm / aurorax-cdf: {median['aurorax-pgm'] / median['aurorax-cdf']:.2f}")


if __name__ == "__main__":
    main()
