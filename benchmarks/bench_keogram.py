"""Benchmark: keogram of a full night of THEMIS frames from CDF files, against aurora-asi-lib.

Run from the repository root::

    .venv/bin/python benchmarks/bench_keogram.py            # 10 h of 3 s frames = 12,000 frames
    .venv/bin/python benchmarks/bench_keogram.py --hours 1  # a quick look

What it does, all in one run:

1. writes (once, cached under ``~/.cache/aurorax/bench-keogram``) ``--hours`` hourly THEMIS L1 CDF
   files of 1,200 frames of 256 x 256 with our writer (``aurorax.asi.write_themis_cdf``), for a demo
   site whose skymap is the demo fisheye (``aurorax.demo.make_demo_skymap``);
2. measures, each in its own fresh process so the peak resident memory is that work's alone:

   - ``aurorax``: ``make_keogram`` over the night (the ASI core's lazy ``Imager``), with its
     default reader threads, and ``aurorax-1`` the same on one thread;
   - ``cdflib``: decompressing the image variable of every file with ``cdflib`` ``varget`` (what
     a cdflib-based reader pays);
   - ``inflate``: the floor proper, only inflating the variable's compressed gzip blocks (located
     by walking the CDF records and read into memory first, untimed) with zlib, and with
     libdeflate when the ``deflate`` package is installed;
   - ``asilib``: aurora-asi-lib 0.21.1's generic ``asilib.Imager(file_info, meta, skymap)`` with a
     loader that reads the same CDF files, then ``Imager.keogram()``; it runs with the python of the
     baseline's own venv, built by ``benchmarks/asilib_env.sh`` (numpy < 2, see that script);

3. prints time, peak RSS and the ratios (asilib / aurorax, aurorax / each floor), and checks that
   both keograms agree on the zenith pixel of the meridian.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SITE = "gill"
SITE_LAT, SITE_LON, SITE_ALT_KM = 56.354, -94.616, 0.229  # Gillam, Manitoba (THEMIS GILL)
START = "2021-12-05T02:00:00"
FRAMES_PER_HOUR = 1200  # 3 s cadence
MARK = "BENCH-RESULT "


def _peak_rss_mb() -> float:
    """Peak resident memory of this process, MB.

    ``VmHWM`` rather than ``getrusage().ru_maxrss``: Linux carries ru_maxrss across fork/exec, so a
    worker started by a parent that held the generated frames would report the parent's peak.
    """
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _emit(result: dict) -> None:
    print(MARK + json.dumps(result), flush=True)


# --------------------------------------------------------------------------------------------
# Workers: each runs in its own process (``--worker NAME``).
# --------------------------------------------------------------------------------------------


def _worker_aurorax(data_dir: Path, hours: int, workers: int | None = None) -> None:
    import numpy as np
    import pandas as pd

    from aurorax.asi import Imager, make_keogram, read_skymap

    rss_before = _peak_rss_mb()
    start = pd.Timestamp(START, tz="UTC")
    end = start + pd.Timedelta(hours=hours)
    t0 = time.perf_counter()
    skymap = read_skymap(data_dir / "skymap.npz")
    imager = Imager(SITE, start, end, program="themis", skymap=skymap, asi_dir=data_dir / "asi")
    keogram = make_keogram(imager, workers=workers)
    seconds = time.perf_counter() - t0
    values = np.asarray(keogram.values)
    _emit(
        {
            "seconds": seconds,
            "peak_rss_mb": _peak_rss_mb(),
            "rss_after_imports_mb": rss_before,
            "n_frames": int(values.shape[0]),
            "shape": list(values.shape),
            # Zenith-row intensity per frame: compared with asilib's keogram below.
            "zenith_sum": float(values[:, _zenith_index(keogram)].astype(float).sum()),
        }
    )


def _zenith_index(keogram) -> int:
    import numpy as np

    rows = np.asarray(keogram.pixel_rows)
    return int(np.flatnonzero(rows == 127)[0])


def _worker_floor(data_dir: Path, hours: int) -> None:
    """cdflib decompressing each file's whole image variable (what a cdflib-based reader pays)."""
    import cdflib

    rss_before = _peak_rss_mb()
    paths = _cdf_paths(data_dir, hours)
    t0 = time.perf_counter()
    n = 0
    for path in paths:
        frames = cdflib.CDF(path).varget(f"thg_asf_{SITE}")
        n += frames.shape[0]
        del frames
    seconds = time.perf_counter() - t0
    _emit(
        {
            "seconds": seconds,
            "peak_rss_mb": _peak_rss_mb(),
            "rss_after_imports_mb": rss_before,
            "n_frames": n,
        }
    )


def _u(buf: bytes, offset: int, size: int) -> int:
    return int.from_bytes(buf[offset : offset + size], "big")


def _compressed_blocks(path: Path, name: str) -> list[tuple[memoryview, int]]:
    """The gzip streams of a compressed zVariable and their record counts, from the CDF records.

    Written from the CDF v3 internal format description (big-endian, 8-byte offsets): the CDR
    (at byte 8) points to the GDR (+12), whose zVDR chain starts at +20; a zVDR has its next zVDR
    at +12, its VXR head at +28 and its name at +84; a VXR has its next VXR at +12, the used
    entry count at +24 after the entry count at +20, then first[], last[] (4 bytes each) and
    offset[] (8 bytes) arrays; an offset points to a VXR (type 6, nested), a VVR (7) or a
    CVVR (13, compressed size at +16, data at +24).
    """
    data = path.read_bytes()
    view = memoryview(data)
    vdr = _u(data, _u(data, 8 + 12, 8) + 20, 8)
    while vdr:
        if data[vdr + 84 : vdr + 340].split(b"\0", 1)[0].decode() == name:
            break
        vdr = _u(data, vdr + 12, 8)
    else:
        raise KeyError(f"{path}: no zVariable {name}")
    blocks = []

    def walk(vxr: int) -> None:
        while vxr:
            n, used = _u(data, vxr + 20, 4), _u(data, vxr + 24, 4)
            base = vxr + 28 + 8 * n
            for k in range(used):
                rec = _u(data, base + 8 * k, 8)
                kind = _u(data, rec + 8, 4)
                if kind == 6:
                    walk(rec)
                elif kind == 13:
                    size = _u(data, rec + 16, 8)
                    records = _u(data, vxr + 28 + 4 * n + 4 * k, 4) - _u(data, vxr + 28 + 4 * k, 4)
                    blocks.append((view[rec + 24 : rec + 24 + size], records + 1))
                else:
                    raise ValueError(f"{path}: {name} has uncompressed records (type {kind})")
            vxr = _u(data, vxr + 12, 8)

    walk(_u(data, vdr + 28, 8))
    return blocks


def _worker_inflate(data_dir: Path, hours: int) -> None:
    """The floor: only inflating the image variable's compressed blocks (zlib, and libdeflate).

    The blocks are located and read into memory first (untimed): what remains is the
    decompression any reader of these files must do.
    """
    import zlib

    try:
        import deflate
    except ImportError:
        deflate = None
    rss_before = _peak_rss_mb()
    zlib_s = libdeflate_s = 0.0
    n_bytes = 0
    for path in _cdf_paths(data_dir, hours):
        blocks = _compressed_blocks(path, f"thg_asf_{SITE}")
        t0 = time.perf_counter()
        for block, records in blocks:
            # The output size is known (records x 256 x 256 x 2 bytes): one buffer, no regrowth.
            n_bytes += len(zlib.decompress(block, 31, records * 2 * 256 * 256))
        zlib_s += time.perf_counter() - t0
        if deflate is not None:
            t0 = time.perf_counter()
            for block, _ in blocks:
                deflate.gzip_decompress(block)
            libdeflate_s += time.perf_counter() - t0
    frames = n_bytes // (2 * 256 * 256)
    result = {"seconds": zlib_s, "peak_rss_mb": _peak_rss_mb(), "n_frames": frames,
              "rss_after_imports_mb": rss_before}  # fmt: skip
    if deflate is not None:
        result["libdeflate_seconds"] = libdeflate_s
    _emit(result)


def _worker_asilib(data_dir: Path, hours: int) -> None:
    """Runs under the asilib venv's python: imports nothing of aurorax."""
    from datetime import datetime, timedelta

    import asilib
    import cdflib
    import numpy as np

    rss_before = _peak_rss_mb()
    var = f"thg_asf_{SITE}"

    def loader(path):
        cdf = cdflib.CDF(path)
        images = cdf.varget(var)
        times = cdflib.cdfepoch.to_datetime(cdf.varget(f"{var}_epoch"))
        return np.asarray(times).astype("datetime64[us]").astype(object), images

    start = datetime.fromisoformat(START)
    paths = _cdf_paths(data_dir, hours)
    sky = np.load(data_dir / "asilib_skymap.npz")
    t0 = time.perf_counter()
    file_info = {
        "time_range": [start, start + timedelta(hours=hours)],
        "path": [str(p) for p in paths],
        "start_time": [start + timedelta(hours=h) for h in range(hours)],
        "end_time": [start + timedelta(hours=h + 1) for h in range(hours)],
        "loader": loader,
    }
    meta = {
        "array": "THEMIS",
        "location": SITE.upper(),
        "lat": SITE_LAT,
        "lon": SITE_LON,
        "alt": SITE_ALT_KM,
        "cadence": 3,
        "resolution": (256, 256),
    }
    skymap = {k: sky[k] for k in ("lat", "lon", "el", "az")}
    skymap["alt"] = 110
    skymap["path"] = str(data_dir / "asilib_skymap.npz")
    imager = asilib.Imager(file_info, meta, skymap)
    times, _, keogram = imager.keogram()
    seconds = time.perf_counter() - t0
    # asilib keeps the file orientation (row 0 = south): stored row 128 is aurorax row 127.
    rows = np.arange(256)[(sky["el"][:, 128] >= 0) & np.isfinite(sky["lat"][:256, 128])]
    zenith = int(np.flatnonzero(rows == 128)[0])
    _emit(
        {
            "seconds": seconds,
            "peak_rss_mb": _peak_rss_mb(),
            "rss_after_imports_mb": rss_before,
            "n_frames": int(keogram.shape[0]),
            "shape": list(keogram.shape),
            "zenith_sum": float(keogram[:, zenith].sum()),
        }
    )


def _cdf_paths(data_dir: Path, hours: int) -> list[Path]:
    from datetime import datetime, timedelta

    start = datetime.fromisoformat(START)
    out = []
    for h in range(hours):
        t = start + timedelta(hours=h)
        out.append(
            data_dir
            / "asi"
            / "themis"
            / "l1"
            / "asf"
            / SITE
            / f"{t:%Y}"
            / f"{t:%m}"
            / f"thg_l1_asf_{SITE}_{t:%Y%m%d%H}_v01.cdf"
        )
    return out


# --------------------------------------------------------------------------------------------
# Data set (written once with our own writer) and the driver.
# --------------------------------------------------------------------------------------------


def _synthetic_hour(hour: int, rng):
    """1,200 frames of a drifting east-west arc over a dark sky with read noise, as uint16 counts.

    Real-looking statistics matter here: the compressed size (and so the decompression floor)
    depends on the noise, so the frames carry ~40 counts of noise like real THEMIS frames.
    """
    import numpy as np

    n = FRAMES_PER_HOUR
    rows = np.arange(256, dtype=np.float32)
    t = (hour * n + np.arange(n, dtype=np.float32)) / (10 * n)  # 0..1 over the night
    centre = 40 + 176 * t  # the arc drifts from north to south over the night
    profile = 6000 * np.exp(-0.5 * ((rows[None, :] - centre[:, None]) / 6.0) ** 2)
    frames = np.empty((n, 256, 256), dtype=np.uint16)
    for k in range(n):
        noise = rng.integers(0, 80, size=(256, 256), dtype=np.uint16)
        frames[k] = (2500 + profile[k])[:, None].astype(np.uint16) + noise
    return frames


def _prepare(data_dir: Path, hours: int) -> None:
    import numpy as np
    import pandas as pd

    from aurorax.asi import write_skymap, write_themis_cdf
    from aurorax.demo import make_demo_skymap

    data_dir.mkdir(parents=True, exist_ok=True)
    skymap = make_demo_skymap(SITE, SITE_LAT, SITE_LON, SITE_ALT_KM, program="themis")
    if not (data_dir / "skymap.npz").exists():
        write_skymap(data_dir / "skymap.npz", skymap)
        # asilib pairs skymaps with frames in the file orientation (row 0 = south edge).
        k = skymap.altitudes_km.index(110.0)
        np.savez(
            data_dir / "asilib_skymap.npz",
            el=np.asarray(skymap.elevation)[::-1],
            az=np.asarray(skymap.azimuth)[::-1],
            lat=np.asarray(skymap.vertex_lat[k])[::-1],
            lon=np.asarray(skymap.vertex_lon[k])[::-1],
        )
    start = pd.Timestamp(START)
    for h, path in enumerate(_cdf_paths(data_dir, hours)):
        if path.exists():
            continue
        rng = np.random.default_rng(h)
        frames = _synthetic_hour(h, rng)
        times = start + pd.Timedelta(hours=h) + pd.to_timedelta(np.arange(FRAMES_PER_HOUR) * 3, "s")
        tmp = path.with_suffix(".tmp.cdf")
        write_themis_cdf(tmp, SITE, times, frames)
        tmp.rename(path)
        print(f"  wrote {path.name}", flush=True)


def _run(python: str, worker: str, data_dir: Path, hours: int) -> dict:
    cmd = [python, __file__, "--worker", worker, "--data-dir", str(data_dir), "--hours", str(hours)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    raise RuntimeError(f"worker {worker} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=int, default=10, help="hours of 3 s frames (default 10)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--skip-asilib", action="store_true", help="do not run the baseline")
    parser.add_argument(
        "--worker",
        choices=["aurorax", "aurorax-1", "floor", "inflate", "asilib"],
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args(argv)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "aurorax"
    data_dir = args.data_dir or cache / "bench-keogram"

    if args.worker:
        workers = {"aurorax": _worker_aurorax, "floor": _worker_floor, "inflate": _worker_inflate,
                   "asilib": _worker_asilib,
                   "aurorax-1": lambda d, h: _worker_aurorax(d, h, workers=1)}  # fmt: skip
        workers[args.worker](data_dir, args.hours)
        return

    print(
        f"keogram benchmark: {args.hours} h x {FRAMES_PER_HOUR} frames of 256 x 256 in {data_dir}"
    )
    _prepare(data_dir, args.hours)
    results = {
        "cdflib": _run(sys.executable, "floor", data_dir, args.hours),
        "inflate": _run(sys.executable, "inflate", data_dir, args.hours),
        "aurorax": _run(sys.executable, "aurorax", data_dir, args.hours),
        "aurorax-1": _run(sys.executable, "aurorax-1", data_dir, args.hours),
    }
    if not args.skip_asilib:
        script = REPO / "benchmarks" / "asilib_env.sh"
        built = subprocess.run([str(script)], capture_output=True, text=True)
        if built.returncode != 0:
            print(f"asilib baseline venv could not be built:\n{built.stderr[-2000:]}")
        else:
            results["asilib"] = _run(
                built.stdout.strip().splitlines()[-1], "asilib", data_dir, args.hours
            )

    print(f"{'':10s} {'frames':>7s} {'time s':>8s} {'frames/s':>9s} {'peak RSS MB':>12s}")
    for name, r in results.items():
        print(
            f"{name:10s} {r['n_frames']:7d} {r['seconds']:8.2f} {r['n_frames'] / r['seconds']:9.0f} "
            f"{r['peak_rss_mb']:12.0f}"
        )
    inflate = results["inflate"]
    if "libdeflate_seconds" in inflate:
        print(f"{'libdeflate':10s} {inflate['n_frames']:7d} {inflate['libdeflate_seconds']:8.2f}")
    ours = results["aurorax"]
    print("cdflib = decompressing the image variables with cdflib.varget; inflate = only zlib-")
    print(
        "inflating their compressed blocks (read into memory first); libdeflate = the same inflate"
    )
    print(f"aurorax = make_keogram with its default threads ({os.cpu_count()} cores here);")
    print("aurorax-1 = make_keogram(workers=1); everything else runs on one core")
    one = results["aurorax-1"]
    floors = {"cdflib": results["cdflib"]["seconds"], "inflate (zlib)": inflate["seconds"]}
    if "libdeflate_seconds" in inflate:
        floors["inflate (libdeflate)"] = inflate["libdeflate_seconds"]
    for name, seconds in floors.items():
        print(
            f"aurorax / floor [{name}] time: {ours['seconds'] / seconds:.2f}; "
            f"aurorax-1: {one['seconds'] / seconds:.2f} (goal <= 2)"
        )
    print(f"aurorax peak RSS: {ours['peak_rss_mb']:.0f} MB (goal < 1024)")
    if "asilib" in results:
        base = results["asilib"]
        print(f"asilib / aurorax time: {base['seconds'] / ours['seconds']:.2f} (goal >= 5)")
        print(f"asilib / aurorax-1 time: {base['seconds'] / one['seconds']:.2f} (one core each)")
        print(f"asilib / aurorax peak RSS: {base['peak_rss_mb'] / ours['peak_rss_mb']:.2f}")
        agree = abs(base["zenith_sum"] - ours["zenith_sum"]) <= 1e-6 * abs(ours["zenith_sum"])
        print(f"zenith keogram row identical in both: {agree}")


if __name__ == "__main__":
    main()
