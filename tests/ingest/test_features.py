"""Image features on frames of known content."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aurorax.demo import make_demo_skymap
from aurorax.ingest import FRAME_FEATURES, MINUTE_FEATURES
from aurorax.ingest._features import MinuteFeatureBuilder, block_means, frame_features, sky_masks


@pytest.fixture(scope="module")
def masks():
    return sky_masks(make_demo_skymap("gill", 56.38, -94.64, 0.0, "themis").elevation)


def _features(frames, masks):
    return pd.Series(frame_features(block_means(frames, masks), masks)[0], index=FRAME_FEATURES)


def test_uniform_sky_has_no_structure(masks):
    flat = _features(np.full((1, 256, 256), 3000, dtype=np.uint16), masks)
    assert flat["log_floor"] == pytest.approx(np.log10(3000.0))
    assert flat["log_p99"] == 0.0 and flat["gradient_ns"] == 0.0 and flat["gradient_ew"] == 0.0
    assert flat["bright_fraction"] == 0.0


def test_an_east_west_arc_has_north_south_gradients(masks):
    frame = np.full((1, 256, 256), 3000.0)
    rows = np.arange(256)[:, None]
    frame += 8000.0 * np.exp(-0.5 * ((rows - 128) / 6.0) ** 2)  # a band across the sky, E-W
    arc = _features(frame.astype(np.uint16), masks)
    assert arc["gradient_ns"] > 10 * arc["gradient_ew"]
    assert arc["gradient_ratio"] > 1.0
    assert arc["log_p99"] == pytest.approx(np.log10(8001.0), abs=0.1)
    turned = _features(np.swapaxes(frame, 1, 2).astype(np.uint16), masks)
    assert turned["gradient_ratio"] == pytest.approx(-arc["gradient_ratio"], abs=0.05)


def test_minutes_combine_frames_and_pairs_across_chunks(masks):
    rng = np.random.default_rng(0)
    times = pd.date_range("2021-12-02T04:00:50", periods=6, freq="5s", tz="UTC")
    frames = (3000 + 500 * rng.random((6, 256, 256))).astype(np.uint16)
    whole = MinuteFeatureBuilder(masks)
    whole.add(times, frames)
    split = MinuteFeatureBuilder(masks)
    split.add(times[:1], frames[:1])
    split.add(times[1:], frames[1:])
    a, b = whole.result(), split.result()
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == list(MINUTE_FEATURES)
    assert list(a.index) == [pd.Timestamp("2021-12-02T04:00", tz="UTC"),
                             pd.Timestamp("2021-12-02T04:01", tz="UTC")]  # fmt: skip
    assert a["has_pair"].tolist() == [1.0, 1.0]  # 04:00:50/55 and 04:01:00..15
    assert (a["log_change"] > 0).all()
    single = MinuteFeatureBuilder(masks)
    single.add(times[:1], frames[:1])
    assert single.result()["has_pair"].tolist() == [0.0]
    assert single.result()["log_change"].tolist() == [0.0]
