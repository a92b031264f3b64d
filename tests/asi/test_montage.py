"""Montage of fisheye frames: nearest frames, time stamps, caller overlays, PNG output."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from aurorax.asi import AsiError, Imager, image_path, make_montage, write_themis_cdf

from .conftest import make_skymap

N = 64


@pytest.fixture(scope="module")
def imager(tmp_path_factory):
    asi_dir = tmp_path_factory.mktemp("asi")
    start = pd.Timestamp("2021-12-05T06:00:00")
    times = start + pd.to_timedelta(np.arange(10) * 3, "s")
    frames = 1000 + 100 * np.arange(10)[:, None, None] + np.zeros((1, N, N))
    path = image_path("themis", "test", start, asi_dir)
    write_themis_cdf(path, "test", times, frames.astype(np.uint16))
    return Imager(
        "test", start, start + pd.Timedelta(minutes=1), files=[path], skymap=make_skymap()
    )


def test_montage_panels_show_the_nearest_frames_with_time_stamps(imager, tmp_path):
    t0 = imager.times[0]
    wanted = [t0 + pd.Timedelta(seconds=s) for s in (1, 10, 26)]
    calls = []

    def hook(ax, index, frame_time, frame):
        ax.plot([N / 2], [N / 2], "r+")
        calls.append((index, frame_time, float(frame[N // 2, N // 2])))

    fig = make_montage(imager, wanted, ncols=2, hook=hook, path=tmp_path / "m.png")
    axes = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in axes] == ["(A) 06:00:00", "(B) 06:00:09", "(C) 06:00:27"]
    # Frame k has counts 1000 + 100 k: nearest frames are 0, 3 and 9.
    assert [c[2] for c in calls] == [1000.0, 1300.0, 1900.0]
    assert [c[0] for c in calls] == [0, 1, 2]
    shown = axes[1].images[0].get_array()
    sky = np.isfinite(imager.skymap.elevation)
    assert np.all(shown[sky] == 1300.0)
    assert np.ma.getmaskarray(np.ma.masked_invalid(shown))[~sky].all()
    png = matplotlib.image.imread(tmp_path / "m.png")
    assert png.shape[0] > 300 and png.shape[1] > 600  # 2 x 2 panels of 3 in at 150 dpi
    assert len(fig.axes) == 4  # the empty fourth slot is kept but hidden
    assert not fig.axes[3].axison


def test_montage_into_given_axes_and_errors(imager):
    from matplotlib.figure import Figure

    fig = Figure()
    axes = fig.subplots(1, 2)
    out = make_montage(imager, [imager.times[0], imager.times[-1]], axes=list(axes))
    assert out is fig
    with pytest.raises(ValueError) as err:
        make_montage(imager, [imager.times[0]], axes=list(axes))
    assert str(err.value) == "got 2 axes for 1 times; pass one axes per time"
    with pytest.raises(ValueError) as err:
        make_montage(imager, [])
    assert str(err.value) == "make_montage needs at least one time"
    with pytest.raises(AsiError, match="no frame of 'test' within 5 s"):
        make_montage(imager, [imager.times[0] - pd.Timedelta(minutes=5)], max_offset_s=5)
