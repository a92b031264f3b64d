"""The Figure 4 example script runs end to end on a tiny configuration."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import imageio_ffmpeg
import matplotlib.image
import pandas as pd
import pytest

from aurorax.engine import Repository, search_ephemeris
from aurorax.geo import great_circle_distance_km

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "figure4_conjunction.py"


@pytest.mark.slow
def test_figure4_example_writes_the_montage_series_and_movie(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("figure4_conjunction", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main([str(tmp_path), "--minutes", "0.5", "--cadence", "6", "--binning", "4"])
    series = pd.read_csv(tmp_path / "intensity.csv", parse_dates=["time"])
    assert len(series) == 5  # 30 s of 6 s frames
    # The footprint is in the field of view with a 20 x 20 km box of pixels around it.
    assert (series["row"] >= 0).all() and (series["n_pixels"] >= 10).all()
    # It is the demo spacecraft's own footprint from the repository: every frame's position
    # lies on the great circle between the two 1-minute records around it.
    with Repository(tmp_path / "demo.duckdb", read_only=True) as repo:
        out = capsys.readouterr().out
        name = out.split(" over ")[0]
        source = next(s for s in repo.list_data_sources() if s.display_name == name)
        track = search_ephemeris(repo, {
            "start": (series["time"].min() - pd.Timedelta(minutes=1)).isoformat(),
            "end": (series["time"].max() + pd.Timedelta(minutes=2)).isoformat(),
            "data_sources": {"programs": [source.program], "platforms": [source.platform]},
        })  # fmt: skip
    epochs = pd.DatetimeIndex(track["epoch"])
    for t, lat, lon in zip(
        pd.to_datetime(series["time"]), series["lat"], series["lon"], strict=True
    ):
        k = epochs.searchsorted(t, side="right")
        a, b = track.iloc[k - 1], track.iloc[k]
        via = great_circle_distance_km(
            a.nbtrace_lat, a.nbtrace_lon, lat, lon
        ) + great_circle_distance_km(lat, lon, b.nbtrace_lat, b.nbtrace_lon)
        assert via == pytest.approx(
            great_circle_distance_km(a.nbtrace_lat, a.nbtrace_lon, b.nbtrace_lat, b.nbtrace_lon),
            abs=1.0,
        )
    assert series["intensity"].notna().all()
    png = matplotlib.image.imread(tmp_path / "figure4.png")
    assert png.shape[0] > 600 and png.shape[1] > 1200
    n_frames, _ = imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "figure4.mp4"))
    assert n_frames == len(series)
    assert "footprint crosses it at" in out
