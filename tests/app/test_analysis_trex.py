"""The Conjunction analysis page with a TREx RGB colour imager (issue 13): listed beside THEMIS,
its frames drawn in colour, the intensity one series per channel and their mean, the exports in
colour; passes of its minute files kept only when a frame was taken during them."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import holoviews as hv
import imageio_ffmpeg
import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from app import services
from app.pages.analysis import MONTAGE_MAX_WIDTH_PX, AnalysisPage, AnalysisState, create_page
from aurorax.asi import CHANNEL_COLUMNS, Imager, equal_area_mask
from tests.demo_repos import one_day_demo

#: DMSP F17's footprint crosses TREx RGB GILL's sky (10 deg elevation) from 12:11 to 12:13 UTC,
#: 13 km from the site at closest.
PASS_HOUR = pd.Timestamp("2021-12-01T12:00", tz="UTC")
TREX_CADENCE_S = 120


def build_trex_analysis_demo(folder: Path) -> tuple[Path, Path, Path]:
    """THEMIS ASI and TREx RGB at Gillam with DMSP F17 on 2021-12-01, as the demo builds them
    (THEMIS every 2 min; TREx RGB every 20 min while the demo's weather lets it operate:
    11:19-12:40 and from 23:22), in ``<folder>/asi``. ``<folder>/asi_dense`` is the same with
    the TREx RGB frames of 12-13 UT every 2 min (the demo's renderer), so that F17's pass has
    colour frames. Returns the repository and the two image folders."""
    from aurorax.demo import AuroralModel, load_sites, render_demo_images

    db = folder / "aurorax.duckdb"
    one_day_demo(
        db,
        ["themis-asi", "trex", "dmsp"],
        platforms=["gillam", "dmspf17"],
        image_nights=1,
        asi_dir=folder / "asi",
        products_dir=folder / "products",
        image_cadence_s=120,
    )
    shutil.copytree(folder / "asi", folder / "asi_dense")
    sites = load_sites()
    sites = sites[(sites["program"] == "trex") & (sites["site_uid"] == "gill")]
    day = PASS_HOUR.floor("D")
    model = AuroralModel(2021, day, day + pd.Timedelta(days=1))
    render_demo_images(folder / "asi_dense", sites, model, [PASS_HOUR], cadence_s=TREX_CADENCE_S)
    return db, folder / "asi", folder / "asi_dense"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db, _, dense = build_trex_analysis_demo(tmp_path_factory.mktemp("analysis_trex"))
    return db, dense


@pytest.fixture
def page(demo):
    state = AnalysisState(db_path=str(demo[0]), asi_dir=str(demo[1]))
    state.load(site="trex:gill", spacecraft="dmspf17")
    assert state.site == "trex:gill", state.status
    return AnalysisPage(state)


def _green(rgb) -> int:
    # Pixels whose green channel stands out (the demo's 557.7 nm aurora in colour): a grey
    # picture has none, nor do the red track, the yellow box and the yellow N and E drawn on it.
    rgb = np.asarray(rgb, dtype=float)
    rgb = rgb / 255.0 if rgb.max() > 1 else rgb
    return int((rgb[..., 1] - np.maximum(rgb[..., 0], rgb[..., 2]) > 0.08).sum())


def test_the_imager_list_has_the_trex_rgb_sites(demo):
    db, asi_dir = demo
    assert services.analysis_imagers(db, asi_dir) == (
        ("themis", "gill", "THEMIS-ASI GILL"),
        ("trex", "gill", "TREx RGB GILL"),
    )
    state = create_page(db, asi_dir).state
    assert state.param.site.objects == ["themis:gill", "trex:gill"]
    # The page still opens on the first imager, the grey THEMIS one.
    assert state.site == "themis:gill" and "intensity_r" not in state.series.columns


def test_a_trex_site_is_analysed_in_colour(page, demo):
    s = page.state
    assert s.status == "" and s.site == "trex:gill"
    passes = s.param.passage.objects[1:]
    assert len(passes) == 1 and s.passage == passes[0] and passes[0].startswith("2021-12-01 12:1")
    series = s.series
    assert list(series.columns[-4:]) == ["intensity", *CHANNEL_COLUMNS]
    # F17 crosses the sky in about two minutes: the box holds pixels in one frame or two.
    inside = series[series["n_pixels"] > 0]
    assert len(inside) >= 1 and inside[list(CHANNEL_COLUMNS)].notna().all().all()
    assert series.loc[series["n_pixels"] == 0, ["intensity", *CHANNEL_COLUMNS]].isna().all().all()
    # Each channel is the mean of its counts in the box; the intensity the mean of the three.
    row = inside.iloc[0]
    imager = Imager(
        "gill", PASS_HOUR, PASS_HOUR + pd.Timedelta(hours=1), program="trex", asi_dir=demo[1],
        download=False,
    )  # fmt: skip
    _, frame = imager.frame_at(row["time"])
    mask = equal_area_mask(imager.skymap, row["lat"], row["lon"], (20.0, 20.0), 110.0)
    for c, column in enumerate(CHANNEL_COLUMNS):
        assert row[column] == pytest.approx(np.nanmean(frame[..., c] * mask))
    assert row["intensity"] == pytest.approx(np.mean([row[c] for c in CHANNEL_COLUMNS]))
    # The green line dominates the demo's aurora, as in a TREx RGB picture.
    assert row["intensity_g"] > row["intensity_r"] and row["intensity_g"] > row["intensity_b"]
    assert all(p[0].image.shape == (128, 128, 3) for p in s.panels)


def test_the_montage_is_in_colour_with_its_scale_and_no_colour_bar(page):
    plot = page.montage_layout()
    (image,) = plot.RGB.values()
    assert not plot.Image.values()  # no grey image
    assert "colorbar" not in image.opts.get().kwargs
    rgb = np.stack([image.dimension_values(d, flat=False) for d in ("R", "G", "B")], axis=-1)
    assert _green(rgb) > 100
    # Outside the lens circle is transparent.
    assert (image.dimension_values("A") == 0).any()
    lo = min(p[0].vmin for p in page.state.panels)
    hi = max(p[0].vmax for p in page.state.panels)
    (scale,) = plot.Scale.values()
    assert list(scale.data["note"]) == [f"R, G, B on one scale: {lo:g}-{hi:g} counts"]
    (compass,) = plot.Compass.values()
    assert list(compass.data["direction"]) == ["N", "E"] * len(page.state.panels)
    assert plot.opts.get().kwargs["width"] <= MONTAGE_MAX_WIDTH_PX
    hv.renderer("bokeh").get_plot(plot)


def test_the_intensity_plot_has_a_curve_per_channel_in_its_colour(page):
    plot = page.intensity_plot()
    curves = {c.label: c.opts.get().kwargs["color"] for c in plot.Curve.values()}
    assert curves == {"R": "red", "G": "green", "B": "blue", "mean of R, G, B": "black"}
    values = {c.label: c.dimension_values(1) for c in plot.Curve.values()}
    np.testing.assert_array_equal(values["G"], page.state.series["intensity_g"])
    np.testing.assert_array_equal(values["mean of R, G, B"], page.state.series["intensity"])
    # Each channel has its dots too: the frame alone with the footprint in the box (12:12 UT)
    # has no line to either side.
    dots = {d.label: d.opts.get().kwargs["color"] for d in plot.Scatter.values() if d.label}
    assert dots == {"R": "red", "G": "green", "B": "blue"}
    hv.renderer("bokeh").get_plot(plot)


def test_the_grey_intensity_plot_is_one_black_curve(demo):
    state = create_page(*demo).state
    assert state.site == "themis:gill"
    page = AnalysisPage(state)
    (curve,) = page.intensity_plot().Curve.values()
    assert curve.opts.get().kwargs["color"] == "black"


def _video(data: bytes) -> np.ndarray:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "movie.mp4"
        path.write_bytes(data)
        n, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
        out = subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(path), "-f", "rawvideo", "-pix_fmt",
             "rgb24", "-"],
            capture_output=True, check=True,
        )  # fmt: skip
    width, height = map(int, re.search(rb"Video: h264.*?, (\d+)x(\d+)", out.stderr).groups())
    return np.frombuffer(out.stdout, dtype=np.uint8).reshape(n, height, width, 3)


def test_the_png_and_the_movie_are_in_colour(page):
    s = page.state
    png = matplotlib.image.imread(io.BytesIO(s.montage_png().getvalue()), format="png")
    assert _green(png) > 1000
    video = _video(s.movie_mp4().getvalue())
    assert len(video) == len(s.series)
    # Every frame in colour (the aurora green), with the red track drawn by the page's hook.
    assert all(_green(frame) > 200 for frame in video)
    red = (video[..., 0] > 180) & (video[..., 1] < 80) & (video[..., 2] < 80)
    assert red.any(axis=(1, 2)).all()


def test_minute_file_passes_need_a_frame_during_the_pass(tmp_path):
    # TREx RGB at the demo's 20-minute cadence: frames at 12:00, 12:20 and 12:40, none while
    # F17's footprint is in the sky (12:11-12:13). The hour has files, but the pass has no
    # images: the page offers none, rather than a window without the footprint in any frame.
    db, sparse, dense = build_trex_analysis_demo(tmp_path)
    assert PASS_HOUR in services._span_image_hours(str(db), str(sparse), "trex", "gill")
    assert services.analysis_imagers(db, sparse)[1] == ("trex", "gill", "TREx RGB GILL")
    assert services.analysis_passes(db, sparse, "trex:gill", "dmspf17").empty
    (first, last) = services.analysis_passes(db, dense, "trex:gill", "dmspf17").iloc[0][:2]
    assert (first, last) == (PASS_HOUR + pd.Timedelta("11min"), PASS_HOUR + pd.Timedelta("13min"))
    # A grey imager's passes are kept by its hourly file, as before.
    assert len(services.analysis_passes(db, sparse, "themis:gill", "dmspf17"))
