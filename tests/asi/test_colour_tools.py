"""TREx RGB colour frames through the ASI tools: the montage, the animations and the intensity at
a footprint (one series per channel and their mean). The frames are written as TREx RGB .h5
files and read back through ``Imager``, as a user's are."""

from __future__ import annotations

import re
import subprocess

import imageio_ffmpeg
import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from aurorax.asi import (
    Imager,
    animate_fisheye,
    azel_to_lla,
    footprint_intensity,
    iter_fisheye_frames,
    iter_map_frames,
    make_montage,
    rgb_levels,
    write_trex_rgb_h5,
)
from aurorax.demo import make_demo_skymap

SITE = ("gill", 56.354, -94.616, 0.229)  # Gillam: lat, lon (deg), alt (km)
EARTH_KM = 6371.2
T0 = pd.Timestamp("2021-12-05T06:00:00Z")
N_FRAMES = 6
# A green-line arc patch and the dim sky around it, counts (R, G, B) of the 8-bit camera.
PATCH = (40, 200, 60)
SKY = (10, 20, 30)
PATCH_RADIUS_KM = 30.0


def _distance_km(lat1, lon1, lat2, lon2, altitude_km=110.0):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * (EARTH_KM + altitude_km) * np.arcsin(np.sqrt(h))


@pytest.fixture(scope="module")
def colour(tmp_path_factory):
    """Six 3-s TREx RGB frames (128 x 128, the demo lens): a green patch 30 km in radius, 20 deg
    east of zenith at 70 deg elevation, on a dim blue-grey sky. Returns (imager, patch lat, lon,
    patch mask)."""
    asi_dir = tmp_path_factory.mktemp("asi")
    uid, lat, lon, alt = SITE
    skymap = make_demo_skymap(uid, lat, lon, alt, program="trex")
    spot_lat, spot_lon = azel_to_lla(lat, lon, alt, 90.0, 70.0, 110.0)
    clat, clon = skymap.pixel_centres(110.0)
    patch = _distance_km(spot_lat, spot_lon, clat, clon) <= PATCH_RADIUS_KM
    frame = np.where(patch[..., None], PATCH, SKY).astype(np.uint8)
    times = T0 + pd.to_timedelta(np.arange(N_FRAMES) * 3, "s")
    name = f"{T0:%Y%m%d_%H%M}_gill_rgb-01_full.h5"
    folder = asi_dir / "trex/rgb/stream0" / f"{T0:%Y/%m/%d}" / "gill_rgb-01" / f"ut{T0:%H}"
    path = write_trex_rgb_h5(
        folder / name, "gill", "rgb-01", times, np.repeat(frame[None], N_FRAMES, axis=0)
    )
    imager = Imager("gill", T0, T0 + pd.Timedelta(minutes=1), files=[path], skymap=skymap)
    return imager, float(spot_lat), float(spot_lon), patch


def _is_green(rgb):
    rgb = np.asarray(rgb, dtype=float)
    return (rgb[..., 1] > rgb[..., 0] + 0.3 * rgb[..., 1]) & (rgb[..., 1] > rgb[..., 2])


def _read_back(path):
    # As tests/asi/test_animate.py: decode with imageio-ffmpeg's ffmpeg to (frames, h, w, 3).
    n_frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    out = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24",
         "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    width, height = map(int, re.search(rb"Video: h264.*?, (\d+)x(\d+)", out.stderr).groups())
    return np.frombuffer(out.stdout, dtype=np.uint8).reshape(n_frames, height, width, 3)


def test_rgb_levels_scale_the_channels_together():
    frame = np.array([[[10, 110, 210], [0, 255, 60]]], dtype=np.uint8)
    levels = rgb_levels(frame, 10.0, 210.0)
    np.testing.assert_allclose(levels, [[[0.0, 0.5, 1.0], [0.0, 1.0, 0.25]]])
    assert levels.dtype == np.float32
    hidden = rgb_levels(frame, 10.0, 210.0, sky=np.array([[True, False]]))
    assert np.isnan(hidden[0, 1]).all() and not np.isnan(hidden[0, 0]).any()
    with pytest.raises(ValueError, match=r"a colour frame is \(y, x, 3\).*got shape \(1, 2\)"):
        rgb_levels(frame[..., 0], 0, 1)


def test_montage_draws_colour_frames_in_colour_and_names_the_scale(colour, tmp_path):
    imager, _, _, patch = colour
    calls = []
    fig = make_montage(
        imager, imager.times[:2], hook=lambda ax, k, t, f: calls.append(f.shape),
        path=tmp_path / "m.png",
    )  # fmt: skip
    assert calls == [(128, 128, 3)] * 2  # the hook gets the colour frame
    axes = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in axes] == ["(A) 06:00:00", "(B) 06:00:03"]
    shown = np.asarray(axes[0].images[0].get_array())
    assert shown.shape == (128, 128, 4)  # RGBA: the colours, and the sky as opaque
    sky = np.isfinite(imager.skymap.elevation)
    assert _is_green(shown[patch, :3]).all()
    assert (shown[~sky, 3] == 0).all() and (shown[sky, 3] == 1).all()
    # The channels on one scale, the first frame's fisheye limits: the patch's green at the top.
    fish = imager.fisheye(imager.times[0])
    assert shown[patch, 1] == pytest.approx(
        min(1.0, (PATCH[1] - fish.vmin) / (fish.vmax - fish.vmin))
    )
    # No colour bar, but the scale in words on the first panel.
    notes = [t.get_text() for t in axes[0].texts]
    assert f"R, G, B on one scale: {fish.vmin:g}-{fish.vmax:g} counts" in notes
    png = matplotlib.image.imread(tmp_path / "m.png")
    assert _is_green(png[..., :3]).sum() > 500  # the saved PNG is in colour too


def test_rgb_movie_is_in_colour_with_the_hooks_drawing(colour, tmp_path):
    imager, _, _, patch = colour
    drawn = []

    def hook(frame):
        assert frame.image.shape == (128, 128, 3)
        if frame.index == 1:
            frame.rgb[0:8, 0:8] = (255, 0, 0)  # a corner, outside the sky
        drawn.append(frame.index)

    path = animate_fisheye(
        imager, tmp_path / "rgb.mp4", hook=hook, mode="rgb", scale=1, fps=5, progress=False
    )
    video = _read_back(path)
    assert video.shape == (N_FRAMES, 128, 128, 3) and drawn == list(range(N_FRAMES))
    rows, cols = np.nonzero(patch)
    centre = video[
        :, int(rows.mean()) - 2 : int(rows.mean()) + 2, int(cols.mean()) - 2 : int(cols.mean()) + 2
    ]
    assert _is_green(centre).all()
    assert (video[1, 1:6, 1:6, 0] > 180).all() and (video[0, 1:6, 1:6] < 40).all()
    frame = next(iter_fisheye_frames(imager, mode="rgb", scale=2))
    assert frame.rgb.shape == (256, 256, 3) and frame.rgb.dtype == np.uint8
    assert frame.rgb[0, 0].tolist() == [0, 0, 0]  # outside the lens circle is black


def test_figure_mode_movie_is_in_colour_and_the_hook_draws_on_it(colour, tmp_path):
    imager, _, _, patch = colour
    rows, cols = np.nonzero(patch)
    row, col = int(rows.mean()), int(cols.mean())

    def hook(frame):
        if frame.index == 0:
            frame.ax.plot([30], [100], "s", color="red", markersize=10)

    path = animate_fisheye(imager, tmp_path / "fig.mp4", hook=hook, scale=2, fps=5, progress=False)
    video = _read_back(path)
    assert video.shape == (N_FRAMES, 256, 256, 3)
    assert _is_green(video[:, 2 * row - 2 : 2 * row + 2, 2 * col - 2 : 2 * col + 2]).all()
    red = video[:, 2 * 100 - 2 : 2 * 100 + 2, 2 * 30 - 2 : 2 * 30 + 2].astype(int)
    assert ((red[0, ..., 0] > 180) & (red[0, ..., 1] < 90)).all()
    assert not (red[1, ..., 0] > 180).any()  # drawn on frame 0 only


def test_map_frames_of_colour_frames_are_in_colour(colour):
    imager, spot_lat, spot_lon, _ = colour
    frame = next(iter_map_frames(imager, altitude_km=110.0))
    rgb = frame.render()
    assert rgb.ndim == 3 and _is_green(rgb).sum() > 50
    ax = frame.ax
    x, y = ax.transData.transform((spot_lon, spot_lat))
    height = rgb.shape[0]
    assert _is_green(rgb[int(height - y), int(x)])


def test_intensity_of_colour_frames_is_one_series_per_channel_and_their_mean(colour):
    imager, spot_lat, spot_lon, _ = colour
    t0 = imager.times[0]
    track_t = t0 + pd.to_timedelta([0, 15], "s")
    result = footprint_intensity(
        imager, track_t, [spot_lat, spot_lat], [spot_lon, spot_lon + 4.0], 110.0, box_km=(20, 20)
    )
    assert list(result.columns) == [
        "time", "lat", "lon", "alt_km", "azimuth_deg", "elevation_deg", "row", "col",
        "n_pixels", "intensity", "intensity_r", "intensity_g", "intensity_b",
    ]  # fmt: skip
    assert len(result) == N_FRAMES
    first, last = result.iloc[0], result.iloc[-1]
    # At the patch: each channel its own counts, and the intensity the mean of the three.
    assert (first["intensity_r"], first["intensity_g"], first["intensity_b"]) == PATCH
    assert first["intensity"] == pytest.approx(sum(PATCH) / 3)
    # Four degrees east, well outside the patch: the sky's counts.
    assert (last["intensity_r"], last["intensity_g"], last["intensity_b"]) == SKY
    assert last["intensity"] == pytest.approx(sum(SKY) / 3)
    # Pixels are counted once, not once per channel (a 20 x 20 km box at ~2.8 km per pixel).
    assert 10 < first["n_pixels"] < 150
    peak = footprint_intensity(
        imager, track_t, [spot_lat] * 2, [spot_lon - 0.2, spot_lon + 0.2], 110.0,
        box_km=(100, 100), statistic=np.nanmax,
    )  # fmt: skip
    assert (peak["intensity_g"] == PATCH[1]).all()
    np.testing.assert_allclose(peak["intensity"], sum(PATCH) / 3)
