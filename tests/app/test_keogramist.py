"""The Keogramist page's logic without a browser, on a demo repository with rendered images."""

from __future__ import annotations

import datetime as dt

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import pytest

from app.pages.keogramist import KeogramistState, create_page
from aurorax.asi import Imager
from aurorax.demo import build_demo
from aurorax.viz import keogram_rows_image, plot_fisheye, plot_keogram_rows

from .conftest import check_exports

DAY1, DAY2 = dt.date(2021, 12, 1), dt.date(2021, 12, 2)
CADENCE_S = 1200


def build_keogram_demo(folder):
    """Two THEMIS imagers (GILL, TPAS) over two days; images rendered for the first day only.

    So the repository holds four daily keogram records, of which the two of 2021-12-02 have no
    image files.
    """
    db = folder / "aurorax.duckdb"
    build_demo(
        db,
        start=DAY1,
        days=2,
        programs=["themis-asi"],
        platforms=["gillam", "the pas"],
        progress=False,
        image_nights=1,
        asi_dir=folder / "asi",
        products_dir=folder / "products",
        image_cadence_s=CADENCE_S,
    )
    return db


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keogramist")
    return build_keogram_demo(folder), folder / "asi", folder / "products"


@pytest.fixture
def state(demo):
    return create_page(*demo).state


def test_first_day_has_one_keogram_row_per_imager(state, demo):
    assert (state.start, state.end) == (DAY1, DAY1)
    assert state.param.programs.objects == ["themis-asi"]
    assert state.status == ""
    assert list(state.rows["label"]) == ["THEMIS-ASI GILL 2021-12-01", "THEMIS-ASI TPAS 2021-12-01"]
    assert list(state.rows["site_uid"]) == ["gill", "tpas"]
    assert list(state.rows["note"]) == ["", ""]
    # Each keogram has exactly the frames of that imager's files of the day (meridian, 256 rows).
    for uid, keogram in zip(["gill", "tpas"], state.keograms, strict=True):
        imager = Imager(uid, "2021-12-01", "2021-12-02", asi_dir=demo[1], download=False)
        assert keogram.values.shape == (len(imager), 256)
        assert keogram.times.equals(imager.times)


def test_rows_are_drawn_where_frames_are(state):
    image = keogram_rows_image(state.keograms, list(state.rows["day"]), list(state.rows["label"]))
    data = image.data
    assert data.shape == (2 * 48, 1440)
    assert image.bounds.lbrt() == (0, 0, 24, 2)
    filled = np.isfinite(data[:48]).all(axis=0)  # top band: GILL
    minutes = (state.keograms[0].times - pd.Timestamp("2021-12-01", tz="UTC")).total_seconds() / 60
    for minute in minutes.astype(int):
        assert filled[minute]
    # Minutes more than half a frame spacing (10 min) from every frame stay empty.
    far = np.min(np.abs(np.arange(1440)[:, None] + 0.5 - minutes.to_numpy()[None, :]), axis=1) > 11
    assert far.any() and not filled[far].any()
    assert np.nanmin(data) >= 0.0 and np.nanmax(data) <= 1.0


def test_days_without_images_say_so_in_their_row(state, demo):
    state.end = DAY2
    assert len(state.rows) == 4
    assert list(state.rows["note"][2:]) == [
        f"no image files for gill on this day in {demo[1]}",
        f"no image files for tpas on this day in {demo[1]}",
    ]
    assert state.keograms[2] is None and state.keograms[3] is None
    assert state.status == "2 of 4 keogram records have no image files here."
    image = keogram_rows_image(state.keograms, list(state.rows["day"]), list(state.rows["label"]))
    assert np.isnan(image.data[2 * 48 :]).all()  # nothing fake drawn for them
    # Clicking such a row explains instead of showing a frame.
    state.pick(8.0, 0.5)  # y in [0, 1] = bottom row = TPAS 2021-12-02
    assert state.fisheye is None
    assert (
        state.picked
        == f"THEMIS-ASI TPAS 2021-12-02: no image files for tpas on this day in {demo[1]}"
    )


def test_click_opens_the_nearest_fisheye_frame(demo):
    page = create_page(*demo)
    state = page.state
    page._keograms(state.rows, state.keograms)
    page.tap.event(x=8.4, y=1.5)  # y in [1, 2] = top row = GILL, 08:24 UT
    assert state.fisheye is not None
    assert state.fisheye.time == pd.Timestamp("2021-12-01T08:20", tz="UTC")
    assert state.fisheye.image.shape == (256, 256)
    assert state.picked.startswith("THEMIS-ASI GILL 2021-12-01: clicked 08:24:00 UT")
    state.pick(30.0, 1.5)  # outside the axis: nothing changes
    assert state.fisheye.time == pd.Timestamp("2021-12-01T08:20", tz="UTC")
    assert isinstance(plot_fisheye(state.fisheye), hv.Image)
    # The day's movie (one frame per image frame, measured 20 fps) starts at that frame.
    assert state.movie == str(
        demo[2] / "movies/themis-asi/gill/2021/12/01/themis-asi_gill_20211201_movie.mp4"
    )
    frame = list(state.keograms[0].times).index(state.fisheye.time)
    assert frame > 0
    assert state.movie_time_s == pytest.approx(frame / 20.0, rel=1e-3)
    assert isinstance(page._movie(state.movie, state.movie_time_s)[1], pn.pane.Video)


def test_metadata_filter_on_operating_minutes(state):
    minutes = [r["metadata"]["operating_minutes"] for r in _records(state)]
    state.min_operating_minutes = max(minutes) + 1
    assert state.rows is None
    assert state.status == (
        f"No daily keograms from 2021-12-01 to 2021-12-01 with at least {max(minutes) + 1} "
        "operating minutes."
    )
    state.min_operating_minutes = min(minutes)
    assert len(state.rows) == 2 and state.status == ""


def _records(state):
    from app import services

    rows = services.daily_keograms(
        state.db_path, pd.Timestamp(DAY1, tz="UTC"), pd.Timestamp(DAY2, tz="UTC")
    )
    return rows.to_dict("records")


def test_bad_input_is_a_message(state):
    state.start = DAY2
    state.end = DAY1
    assert state.status == "The end day 2021-12-01 is before the start day 2021-12-02."
    assert state.rows is None
    state.start, state.end = dt.date(2022, 1, 1), dt.date(2022, 1, 2)
    assert state.status == "No daily keograms from 2022-01-01 to 2022-01-02."
    state.programs = ["themis-asi"]
    state.start, state.end = DAY1, DAY2
    state.max_records = 3
    state.param.trigger("start")
    assert len(state.rows) == 3
    assert state.status.startswith("4 keograms match; listing the first 3. Narrow the days")
    # Rows beyond a page are on the next pages (20 a page by default).
    assert (state.max_rows, state.n_pages) == (20, 1)
    state.max_records, state.max_rows = 10, 3
    assert (len(state.rows), state.n_pages, state.n_records) == (3, 2, 4)
    assert state.page_label == "Page 1 of 2 (rows 1-3 of 4)"
    state.next_page()
    assert list(state.rows["label"]) == ["THEMIS-ASI TPAS 2021-12-02"]


def test_missing_repository_is_a_message(tmp_path):
    state = KeogramistState(db_path=str(tmp_path / "none.duckdb"), asi_dir=str(tmp_path))
    state.load()
    assert state.status.startswith(f"Cannot read the repository {tmp_path / 'none.duckdb'}")


def test_plot_renders_with_bokeh(state):
    state.end = DAY2
    plot = plot_keogram_rows(
        state.keograms, list(state.rows["day"]), list(state.rows["label"]), list(state.rows["note"])
    )
    (labels,) = [layer for layer in plot[()] if isinstance(layer, hv.Labels)]
    assert list(labels.dimension_values("note")) == list(state.rows["note"][2:])
    figure = hv.render(plot, backend="bokeh")
    ticks = figure.yaxis[0].major_label_overrides
    assert sorted(ticks.values()) == sorted(state.rows["label"])


def test_sixty_rows_make_one_raster(state):
    keograms = state.keograms[:1] * 60
    days = [state.rows["day"][0]] * 60
    labels = [f"row {i}" for i in range(60)]
    image = keogram_rows_image(keograms, days, labels)
    assert image.data.shape == (60 * 48, 1440)
    assert image.bounds.lbrt() == (0, 0, 24, 60)
    figure = hv.render(plot_keogram_rows(keograms, days, labels), backend="bokeh")
    assert len(figure.renderers) == 1  # one rasterised image, not sixty glyphs


def test_url_days_pick_the_search(demo):
    state = KeogramistState(db_path=str(demo[0]), asi_dir=str(demo[1]), products_dir=str(demo[2]))
    state.load(start="2021-12-01", end="2021-12-02")
    assert (state.start, state.end) == (DAY1, DAY2)
    assert len(state.rows) == 4
    state.load(start="2021-12-02")
    assert (state.start, state.end) == (DAY2, DAY2)
    state.load(start="yesterday", end="2021-12-02")
    assert state.status.startswith("Cannot read the days 'yesterday' to '2021-12-02'")


def test_keograms_and_fisheye_export_to_png_and_html(demo):
    page = create_page(*demo)
    check_exports(page.exports)
    with pytest.raises(ValueError, match="nothing to export"):
        page.fisheye_exports[0].callback()
    page.state.pick(8.4, 1.5)  # the top row: GILL 2021-12-01
    assert page.state.fisheye is not None
    pixels = check_exports(page.fisheye_exports)
    assert pixels.shape[:2] == (420, 420)


def _axes(figure, side):
    return [a for a in getattr(figure, side) if a.__class__.__name__ == "LinearAxis"]


def test_ut_axis_is_labelled_at_the_bottom_and_the_top(state):
    figure = hv.render(
        plot_keogram_rows(state.keograms, list(state.rows["day"]), list(state.rows["label"])),
        backend="bokeh",
    )
    hours = list(range(0, 25, 2))
    for side in ("below", "above"):
        (axis,) = _axes(figure, side)
        assert list(axis.ticker.ticks) == hours
        assert axis.visible and axis.major_label_text_font_size != "0pt"
        assert axis.x_range_name == "default"
    assert figure.below[0].axis_label == "UT (hours)"
    # The top axis is drawn again (not duplicated) when the plot is rendered a second time.
    figure = hv.render(plot_keogram_rows(state.keograms[:1], [DAY1], ["one"]), backend="bokeh")
    assert len(_axes(figure, "above")) == 1


def test_groups_are_labelled_beside_their_rows(state):
    keograms = [state.keograms[0], None, state.keograms[1]]
    days = [DAY1, DAY2, DAY2]
    plot = plot_keogram_rows(
        keograms,
        days,
        ["GILL", "GILL", "TPAS"],
        groups=["2021-12-01", "2021-12-02", "2021-12-02"],
    )
    figure = hv.render(plot, backend="bokeh")
    rows_axis, groups_axis = _axes(figure, "left")
    assert rows_axis.major_label_overrides == {2.5: "GILL", 1.5: "GILL", 0.5: "TPAS"}
    # Each group's label is centred on its rows (top row first: y from 3 down to 0).
    assert list(groups_axis.ticker.ticks) == [2.5, 1.0]
    assert groups_axis.major_label_overrides == {2.5: "2021-12-01", 1.0: "2021-12-02"}
    # One line between the groups, across the whole day.
    (segments,) = [layer for layer in plot[()] if isinstance(layer, hv.Segments)]
    assert segments.array().tolist() == [[0.0, 2.0, 24.0, 2.0]]
    with pytest.raises(ValueError, match="one group per row"):
        plot_keogram_rows(keograms, days, ["a", "b", "c"], groups=["x"])


@pytest.fixture(scope="module")
def colour_demo(tmp_path_factory):
    """THEMIS ASI and TREx RGB at Fort Smith, one day with images (TREx every 20 minutes)."""
    folder = tmp_path_factory.mktemp("keogramist-colour")
    db = folder / "aurorax.duckdb"
    build_demo(
        db, start=DAY1, days=1, programs=["themis-asi", "trex"], platforms=["fort smith"],
        progress=False, image_nights=1, asi_dir=folder / "asi",
        products_dir=folder / "products", image_cadence_s=CADENCE_S,
    )  # fmt: skip
    return db, folder / "asi", folder / "products"


def test_a_trex_rgb_row_is_a_colour_keogram_and_its_frames_are_in_colour(colour_demo):
    page = create_page(*colour_demo)
    state = page.state
    assert list(state.rows["label"]) == ["THEMIS-ASI FSMI 2021-12-01", "TREx RGB FSMI 2021-12-01"]
    themis, trex = state.keograms
    imager = Imager("fsmi", "2021-12-01", "2021-12-02", program="trex", asi_dir=colour_demo[1])
    # The meridian of each colour frame, with its three channels (uint8 red, green, blue).
    assert trex.values.shape == (len(imager), 128, 3) and trex.values.dtype == np.uint8
    np.testing.assert_array_equal(trex.values, imager.read()[1][:, :, 64, :])
    assert themis.values.ndim == 2
    image = keogram_rows_image(state.keograms, list(state.rows["day"]), list(state.rows["label"]))
    assert isinstance(image, hv.RGB)
    rgba = image.data
    assert rgba.shape == (2 * 48, 1440, 4) and image.bounds.lbrt() == (0, 0, 24, 2)
    # The top band is the first row (THEMIS, grey), the TREx row below it is in colour;
    # minutes without a frame are transparent.
    top, bottom = rgba[:48], rgba[48:]
    seen = top[..., 3] == 1
    assert seen.any() and np.allclose(top[seen][:, 0], top[seen][:, 1])
    shown = bottom[bottom[..., 3] == 1][:, :3]
    assert len(shown) and (np.ptp(shown, axis=1) > 0.02).mean() > 0.5
    assert (bottom[..., 3] == 0).any()
    figure = hv.render(page.keograms_plot(), backend="bokeh")
    assert len(figure.renderers) == 1  # one rasterised RGBA image
    # A click on the TREx row opens a colour fisheye frame, drawn in colour.
    page._keograms(state.rows, state.keograms)
    page.tap.event(x=6.0, y=0.5)
    assert state.fisheye is not None and state.fisheye.image.shape == (128, 128, 3)
    assert state.picked.startswith("TREx RGB FSMI 2021-12-01: clicked 06:00:00 UT")
    assert isinstance(plot_fisheye(state.fisheye), hv.RGB)
    hv.render(plot_fisheye(state.fisheye), backend="bokeh")
