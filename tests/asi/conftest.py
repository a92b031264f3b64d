"""Fixtures for the aurorax.asi core tests: the real Gakona files and small synthetic imagers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aurorax.asi import Skymap, azel_to_lla, image_path, write_themis_cdf

REAL_DIR = (Path(__file__).parents[2] / "../shared/data/themis").resolve()
REAL_IMAGES = REAL_DIR / "thg_l1_asf_gako_2011010617_v01.cdf"
REAL_SKYMAP = REAL_DIR / "themis_skymap_gako_20110305-+_vXX.sav"


@pytest.fixture
def real_dir() -> Path:
    if not REAL_IMAGES.is_file() or not REAL_SKYMAP.is_file():
        pytest.skip(f"real THEMIS test files not found in {REAL_DIR}")
    return REAL_DIR


def equidistant_azel(rows, cols, n):
    """Look direction of image positions for an ideal north-up equidistant fisheye of n x n pixels.

    Row 0 is the north edge and x grows eastward (aurorax orientation); the lens circle (elevation
    0) touches the image edges.
    """
    dy = np.asarray(rows, float) - n / 2  # negative = north of the image centre
    dx = np.asarray(cols, float) - n / 2  # positive = east
    zenith_angle = np.hypot(dx, dy) / (n / 2) * 90.0
    el = 90.0 - zenith_angle
    az = np.degrees(np.arctan2(dx, -dy)) % 360.0
    off = el < 0
    return np.where(off, np.nan, az), np.where(off, np.nan, el)


def make_skymap(
    site_uid="test", lat=60.0, lon=-100.0, n=64, altitudes=(90.0, 110.0, 150.0), program="themis",
    valid_from="2020-01-01",
) -> Skymap:  # fmt: skip
    """A geometrically exact synthetic skymap (equidistant lens, spherical Earth)."""
    r, c = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5, indexing="ij")
    az, el = equidistant_azel(r, c, n)
    vr, vc = np.meshgrid(np.arange(n + 1.0), np.arange(n + 1.0), indexing="ij")
    vaz, vel = equidistant_azel(vr, vc, n)
    vlat, vlon = zip(*(azel_to_lla(lat, lon, 0.0, vaz, vel, a) for a in altitudes), strict=True)
    return Skymap(
        site_uid=site_uid, program=program, site_lat=lat, site_lon=lon, site_alt_km=0.0,
        azimuth=az, elevation=el, altitudes_km=altitudes, vertex_lat=np.stack(vlat),
        vertex_lon=np.stack(vlon), valid_from=valid_from,
    )  # fmt: skip


@pytest.fixture
def skymap() -> Skymap:
    return make_skymap()


def write_hours(asi_dir, site_uid, start, hours, n=64, cadence_s=60, seed=0):
    """Write ``hours`` hourly THEMIS files of random n x n frames; returns (times, frames)."""
    rng = np.random.default_rng(seed)
    all_t, all_f = [], []
    for h in range(hours):
        hour = pd.Timestamp(start) + pd.Timedelta(hours=h)
        times = pd.date_range(
            hour, hour + pd.Timedelta(hours=1), freq=f"{cadence_s}s", inclusive="left"
        )
        frames = rng.integers(2000, 12000, size=(len(times), n, n), dtype=np.uint16)
        write_themis_cdf(image_path("themis", site_uid, hour, asi_dir), site_uid, times, frames)
        all_t.append(times)
        all_f.append(frames)
    return pd.DatetimeIndex(np.concatenate(all_t)).tz_localize("UTC"), np.concatenate(all_f)
