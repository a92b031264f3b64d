"""The Conjunction analysis page's logic without a browser, and the server's /products/ route."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import pytest

from app.pages.analysis import (
    MAX_WINDOW,
    NO_PASS,
    AnalysisState,
    conjunction_window,
    create_page,
)
from aurorax.asi import Imager, equal_area_mask
from aurorax.viz import plot_footprint_fisheye, plot_footprint_intensity, plot_footprint_montage
from tests.demo_repos import one_day_demo
from tests.serving import fetch, running_server

from .conftest import check_exports, check_html_export

CADENCE_S = 120
T0 = pd.Timestamp("2021-12-01T05:00", tz="UTC")


def build_analysis_demo(folder):
    """THEMIS GILL (images of 2021-12-01 every 2 min) and Swarm B, whose footprint crosses the
    imager's sky from 05:04 to 05:07 UTC."""
    db = folder / "aurorax.duckdb"
    one_day_demo(
        db,
        ["themis-asi", "swarm"],
        platforms=["gillam", "swarmb"],
        image_nights=1,
        asi_dir=folder / "asi",
        products_dir=folder / "products",
        image_cadence_s=CADENCE_S,
    )
    return db


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysis")
    return build_analysis_demo(folder), folder / "asi", folder


@pytest.fixture
def state(demo):
    return create_page(demo[0], demo[1]).state


def test_load_picks_the_first_pass_then_the_closest_approach_button(state):
    assert state.status == ""
    assert state.param.site.objects == ["themis:gill"]
    assert state.param.spacecraft.objects == ["swarmb"]
    assert (state.site, state.spacecraft) == ("themis:gill", "swarmb")
    # Swarm B's footprint is in GILL's sky (10 deg elevation) around 05:04-05:07 only: the one
    # pass, shown in the selector; the window is its minutes plus five on either side.
    passes = state.param.passage.objects[1:]
    assert len(passes) == 1 and state.passage == passes[0]
    assert passes[0].startswith("2021-12-01 05:0") and " UT, closest " in passes[0]
    first, last = state._passes[passes[0]]
    assert T0 + pd.Timedelta("2min") <= first <= last <= T0 + pd.Timedelta("8min")
    window = conjunction_window(first, last)
    assert (state.start, state.end) == tuple(t.tz_convert(None).to_pydatetime() for t in window)
    # The closest-approach button: ten minutes around it, and the selector says none.
    state.closest(state)
    assert state.passage == NO_PASS
    assert (state.start, state.end) == (
        dt.datetime(2021, 12, 1, 5),
        dt.datetime(2021, 12, 1, 5, 10),
    )
    # One row per frame of the window, [05:00, 05:10) every 2 minutes.
    assert list(state.series["time"]) == list(pd.date_range(T0, periods=5, freq="2min"))
    inside = state.series["row"] >= 0
    assert list(state.series["time"][inside]) == [
        T0 + pd.Timedelta("4min"),
        T0 + pd.Timedelta("6min"),
    ]
    assert state.series["intensity"][inside].notna().all()
    assert state.series["intensity"][~inside].isna().all()
    # Montage panels: as many as asked (4): the two frames with the footprint in the sky (with
    # dot and box) and the two nearest them in time (the footprint outside: neither).
    assert state.n_panels == 4
    assert [p[0].time for p in state.panels] == list(
        pd.date_range(T0 + pd.Timedelta("2min"), periods=4, freq="2min")
    )
    drawn = [dot is not None and box is not None for _, dot, box in state.panels]
    assert drawn == [False, True, True, False]
    # Choosing the pass again sets its window again.
    state.passage = passes[0]
    assert (state.start, state.end) == tuple(t.tz_convert(None).to_pydatetime() for t in window)
    assert state.passage == passes[0] and state.status == ""


def test_the_montage_has_the_frames_asked_for(state):
    # Issue 13: four frames asked, two shown (only two had the footprint in the sky).
    for n in (1, 3, 4):
        state.n_panels = n
        assert len(state.panels) == n
        times = [p[0].time for p in state.panels]
        assert times == sorted(times) and len(set(times)) == n
        # The frames with the footprint in the sky come first in the choice.
        assert sum(p[1] is not None for p in state.panels) == min(n, 2)
    # More than the window has: every frame of it.
    state.n_panels = 8
    assert [p[0].time for p in state.panels] == list(state.series["time"])


def test_the_intensity_series_has_every_frame_of_the_files(state, demo):
    imager = Imager("gill", state.start, state.end, asi_dir=demo[1], download=False)
    start, end = pd.Timestamp(state.start, tz="UTC"), pd.Timestamp(state.end, tz="UTC")
    frames = [t for t in imager.times if start <= t < end]
    assert list(state.series["time"]) == frames and len(frames) == 6


def test_the_drawn_track_is_smooth_not_the_one_minute_polyline(state):
    # Issue 13: the track was the 1-minute ephemeris points joined by straight lines (4 points
    # inside the sky, kinked at each); it is interpolated along great circles to a 1-s step.
    rows, cols = state.track
    assert len(rows) >= 200
    steps = np.hypot(np.diff(rows), np.diff(cols))
    assert steps.max() <= 8  # pixels between consecutive points (a 256-pixel THEMIS frame)
    # The footprint of each frame is on the track (the same interpolation at the frame time).
    inside = state.series[state.series["row"] >= 0]
    for row in inside.itertuples():
        gap = np.hypot(rows - row.row, cols - row.col).min()
        assert gap <= 2


def test_another_spacecraft_offers_its_own_passes(state):
    # A window set by hand is no longer the pass: the selector says so.
    state.end = state.end + dt.timedelta(minutes=1)
    assert state.passage == NO_PASS
    # A spacecraft without a pass (here: without ephemeris) offers none.
    state.param.spacecraft.objects = ["swarmb", "nothing"]
    state.spacecraft = "nothing"
    assert state.param.passage.objects == [NO_PASS] and state.passage == NO_PASS
    assert state.status == (
        "The ephemeris search failed: data_sources.platforms: unknown platform 'nothing'; "
        "known: gillam, swarmb"
    )


def test_conjunction_window_margins_and_cap():
    start, end = pd.Timestamp("2021-12-01T05:04", tz="UTC"), pd.Timestamp("2021-12-01T05:07")
    assert conjunction_window(start, end) == (
        pd.Timestamp("2021-12-01T04:59", tz="UTC"),
        pd.Timestamp("2021-12-01T05:13", tz="UTC"),
    )
    long = conjunction_window(start, start + pd.Timedelta(hours=5))
    assert long[1] - long[0] == MAX_WINDOW


def test_intensity_is_the_mean_of_the_box_pixels(state, demo):
    row = state.series[state.series["row"] >= 0].iloc[0]
    imager = Imager("gill", T0, T0 + pd.Timedelta("10min"), asi_dir=demo[1], download=False)
    _, frame = imager.frame_at(row["time"])
    mask = equal_area_mask(imager.skymap, row["lat"], row["lon"], (20.0, 20.0), 110.0)
    assert row["n_pixels"] == int(np.isfinite(mask).sum()) > 0
    assert row["intensity"] == pytest.approx(np.nanmean(frame * mask))
    # The drawn footprint and box are around the frame's footprint pixel.
    (fisheye, dot, (box_rows, box_cols)) = next(p for p in state.panels if p[1] is not None)
    assert fisheye.time == row["time"]
    assert dot == (row["row"], row["col"])
    assert box_rows.min() <= dot[0] <= box_rows.max()
    assert box_cols.min() <= dot[1] <= box_cols.max()


def test_a_bigger_box_holds_more_pixels(state):
    small = state.series["n_pixels"].to_numpy()
    state.box_ew_km = state.box_ns_km = 60.0
    big = state.series["n_pixels"].to_numpy()
    inside = small > 0
    assert (big[inside] > small[inside]).all()


def test_url_parameters_pick_the_analysis(demo):
    state = AnalysisState(db_path=str(demo[0]), asi_dir=str(demo[1]))
    state.load(
        site="gill", spacecraft="swarmb", start="2021-12-01T05:04:00", end="2021-12-01T05:08:00"
    )
    assert state.status == ""
    assert (state.start, state.end) == (
        dt.datetime(2021, 12, 1, 5, 4),
        dt.datetime(2021, 12, 1, 5, 8),
    )
    assert list(state.series["time"]) == [T0 + pd.Timedelta("4min"), T0 + pd.Timedelta("6min")]


def test_bad_url_parameters_say_so(demo):
    state = AnalysisState(db_path=str(demo[0]), asi_dir=str(demo[1]))
    state.load(site="inuv", spacecraft="swarmb")
    assert state.status == "No imager 'inuv' with image files; choose one of ['themis:gill']."
    state.load(site="gill", spacecraft="dmspf16")
    assert state.status == "No spacecraft 'dmspf16'; choose one of ['swarmb']."
    state.load(site="gill", spacecraft="swarmb", start="yesterday-ish", end="2021-12-01")
    assert state.status.startswith("Cannot read the time window 'yesterday-ish' to '2021-12-01'")


def test_bad_windows_give_a_message_not_a_stack_trace(state):
    state.closest(state)
    state.end = dt.datetime(2021, 12, 1, 4)
    assert state.status == "The end 2021-12-01 04:00:00 is not after the start 2021-12-01 05:00:00."
    assert state.series is None and state.panels == []
    state.end = dt.datetime(2021, 12, 1, 8)
    assert state.status == (
        f"The window is {pd.Timedelta(hours=3)}; the longest analysed is {MAX_WINDOW} "
        "(every frame is read). Narrow it."
    )
    # No image files in the afternoon.
    state.param.update(start=dt.datetime(2021, 12, 1, 16), end=dt.datetime(2021, 12, 1, 16, 10))
    assert state.status.startswith(
        "No frames of THEMIS-ASI GILL from 2021-12-01 16:00 to 16:10 UTC"
    )
    assert state.series is None
    # Frames, but the footprint is far away: the series is empty and the page says why.
    state.param.update(start=dt.datetime(2021, 12, 1, 6), end=dt.datetime(2021, 12, 1, 6, 10))
    assert state.status == (
        "The footprint of swarmb never enters the field of view of THEMIS-ASI GILL in this window: "
        "the intensity is empty."
    )
    assert len(state.series) == 5 and state.series["intensity"].isna().all()
    # The closest-approach button brings the conjunction back.
    state.closest(state)
    assert state.status == ""
    assert state.start == dt.datetime(2021, 12, 1, 5)


def test_exports_are_a_png_and_an_mp4(state):
    png = state.montage_png().getvalue()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    mp4 = state.movie_mp4().getvalue()
    assert mp4[4:8] == b"ftyp"
    assert state.export_name("png") == "gill_swarmb_20211201_045900.png"


def test_exports_without_an_analysis_refuse(demo):
    state = AnalysisState(db_path=str(demo[0]), asi_dir=str(demo[1]))
    with pytest.raises(ValueError, match="nothing to export"):
        state.montage_png()


def test_plots_are_holoviews_elements_that_render(state):
    fisheye, dot, box = next(p for p in state.panels if p[1] is not None)
    rows, cols = state.track
    plot = plot_footprint_fisheye(fisheye, rows, cols, dot, box)
    assert isinstance(plot, hv.Overlay)
    ny = fisheye.image.shape[0]
    (points,) = plot.Points.values()
    # Pixel (row, col) is drawn at its centre with north (row 0) at the top.
    assert points.data.iloc[0].tolist() == [dot[1] + 0.5, ny - dot[0] - 0.5]
    series = plot_footprint_intensity(state.series, [fisheye.time])
    hv.renderer("bokeh").get_plot(plot)
    hv.renderer("bokeh").get_plot(series)


def test_montage_is_one_plot_with_every_frame(state):
    rows, cols = state.track
    plot = plot_footprint_montage(state.panels, rows, cols)
    fisheye = state.panels[0][0]
    ny, nx = fisheye.image.shape
    (image,) = plot.Image.values()
    strip = image.dimension_values(2, flat=False)
    n = len(state.panels)
    assert n == state.n_panels == 4
    # Drawn 300 px high: a frame of up to ~375 rows is sent as it is, a larger one in blocks.
    k = max(1, round(ny / 300))
    assert strip.shape[0] == ny // k and nx * n < strip.shape[1] * k < nx * n * 1.4
    # The bounds stay in image pixels, where the track, box and dots are drawn.
    assert image.bounds.lbrt()[3] == ny
    # One grey scale in counts for every frame, from the lowest to the highest frame limit,
    # with its colour bar.
    lo = min(p[0].vmin for p in state.panels)
    hi = max(p[0].vmax for p in state.panels)
    assert image.opts.get().kwargs["clim"] == (lo, hi) and hi > lo > 0
    assert image.opts.get().kwargs["colorbar"] is True
    assert image.vdims[0].name == "counts"
    # Frame k's dot sits where the single-frame plot puts it, shifted by k frames and a gap.
    (points,) = plot.Points.values()
    width = image.bounds.lbrt()[2]
    step = (width + (width - nx * n) // (n - 1)) / n
    with_dots = [(k, dot) for k, (_, dot, _) in enumerate(state.panels) if dot is not None]
    assert len(points.data) == len(with_dots) == 2
    for m, (k, dot) in enumerate(with_dots):
        assert points.data.iloc[m].tolist() == pytest.approx(
            [dot[1] + 0.5 + k * step, ny - dot[0] - 0.5]
        )
    (labels,) = plot.Labels.values()
    (compass,) = plot.Compass.values()
    assert list(labels.data["title"]) == [f"{p[0].time:%H:%M:%S} UT" for p in state.panels]
    # Every frame has its north above it (row 0, the top) and east on its right (x eastward).
    assert list(compass.data["direction"]) == ["N", "E"] * n
    north, east = compass.data.iloc[0], compass.data.iloc[1]
    assert north["x"] == pytest.approx(nx / 2) and north["y"] > ny
    assert nx < east["x"] < step and east["y"] == pytest.approx(ny / 2)
    with pytest.raises(ValueError, match="panels is empty"):
        plot_footprint_montage([])
    hv.renderer("bokeh").get_plot(plot)


def test_montage_sends_large_frames_at_the_drawn_size():
    from aurorax.viz._analysis import _reduce

    values = np.arange(16, dtype=np.float32).reshape(4, 4)
    values[0, 0] = np.nan
    reduced = _reduce(values, 2)
    np.testing.assert_allclose(reduced, [[(1 + 4 + 5) / 3, 4.5], [10.5, 12.5]])
    assert np.isnan(_reduce(np.full((4, 4), np.nan, dtype=np.float32), 2)).all()
    assert _reduce(values, 1) is values


def test_page_builds(state, demo):
    page = create_page(demo[0], demo[1])
    layout = page.__panel__()
    assert isinstance(layout, pn.Column)
    assert layout.objects[2].objects[0].value == "themis:gill"


def test_missing_images_say_so(demo, tmp_path):
    state = create_page(demo[0], tmp_path).state
    assert state.status == f"No imager of the repository has image files under {tmp_path}."


@pytest.mark.slow
def test_server_serves_product_files_and_refuses_traversal(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    one_day_demo(
        data / "aurorax.duckdb",
        ["themis-asi"],
        platforms=["gillam"],
        image_nights=1,
        asi_dir=data / "asi",
        products_dir=data / "products",
        image_cadence_s=1200,
    )
    keogram = next((data / "products").rglob("*.png"))
    url = "/products/" + keogram.relative_to(data / "products").as_posix()
    with running_server(data / "aurorax.duckdb", data) as base:
        with urllib.request.urlopen(base + url, timeout=30) as response:
            assert response.status == 200
            assert response.read()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<title>aurorax: Conjunction analysis</title>" in fetch(base + "/analysis")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + "/products/../../etc/passwd", timeout=30)
    # Tornado's static handler answers a path outside its folder with 403 and reads nothing.
    assert refused.value.code == 403
    assert b"root:" not in refused.value.read()


def test_montage_and_intensity_export_to_png_and_html(demo):
    page = create_page(demo[0], demo[1])
    assert page.state.panels
    (montage,) = page.montage_exports  # its PNG is the matplotlib montage (tested above)
    assert montage.filename == "montage.html"
    assert check_html_export(montage).count("Bokeh.embed") >= 1
    check_exports(page.intensity_exports)
