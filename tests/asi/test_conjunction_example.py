"""The Figure 4 example script runs end to end on a tiny configuration."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import imageio_ffmpeg
import matplotlib.image
import pandas as pd
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "figure4_conjunction.py"


@pytest.mark.slow
def test_figure4_example_writes_the_montage_series_and_movie(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("figure4_conjunction", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main([str(tmp_path), "--minutes", "0.5", "--cadence", "6", "--binning", "4"])
    series = pd.read_csv(tmp_path / "intensity.csv")
    assert len(series) == 5  # 30 s of 6 s frames
    # The footprint is in the field of view with a 20 x 20 km box of pixels around it: on the
    # demo's 2021-12-03 arc it is 15-27 degrees above the horizon, where such a box still
    # holds ten or more pixels, more the higher it is.
    assert (series["row"] >= 0).all() and (series["n_pixels"] >= 10).all()
    assert series["elevation_deg"].is_monotonic_increasing
    assert series["n_pixels"].iloc[-1] > series["n_pixels"].iloc[0]
    assert series["intensity"].notna().all()
    png = matplotlib.image.imread(tmp_path / "figure4.png")
    assert png.shape[0] > 600 and png.shape[1] > 1200
    n_frames, _ = imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "figure4.mp4"))
    assert n_frames == len(series)
    assert "footprint crosses it at" in capsys.readouterr().out
