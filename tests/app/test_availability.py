"""The availability page's logic without a browser."""

from __future__ import annotations

import datetime as dt

import holoviews as hv
import numpy as np
import pandas as pd
import pytest

from app import services
from app._image_availability import dark_minutes_per_hour, image_availability
from app.pages.availability import AvailabilityPage, AvailabilityState, create_page
from aurorax.asi import find_image_files
from aurorax.demo import build_demo
from aurorax.engine import DataSource
from aurorax.geo import sun_elevation_deg
from aurorax.viz import plot_availability
from tests.browser.conftest import screenshot
from tests.browser.probes import MISSING_PURPLE, heatmap_cell, pixel_at
from tests.serving import running_server

from .conftest import check_exports

_LAYERS = ["Ephemeris", "Data products", "Image files"]

# The columns of the availability page's statistics table, with data or without.
STATISTICS_COLUMNS = [
    "Data source",
    "Program",
    "Ephemeris records",
    "Data products",
    "First day",
    "Last day",
    "Image files (%)",
]


@pytest.fixture
def state(tiny_repository):
    state = AvailabilityState(db_path=str(tiny_repository))
    state.load()
    return state


def test_defaults_to_the_days_with_data(state):
    assert (state.start, state.end) == (dt.date(2021, 12, 1), dt.date(2021, 12, 1))
    assert state.status == ""
    rows = state.selected()
    assert sorted(rows["ephemeris_count"]) == [90, 120]


def test_statistics_and_program_filter(state):
    stats = state.statistics()
    assert dict(zip(stats["Data source"], stats["Ephemeris records"], strict=True)) == {
        "THEMIS-ASI GILL": 90,
        "Swarm A": 120,
    }
    assert list(stats["First day"]) == [dt.date(2021, 12, 1)] * 2
    # Neither is an imager the ASI core can look up (GILL's source names no site_uid).
    assert stats["Image files (%)"].isna().all()
    state.program = "swarm"
    assert list(state.statistics()["Data source"]) == ["Swarm A"]
    assert list(stats.columns) == STATISTICS_COLUMNS


def test_reversed_days_are_a_message(state):
    state.start = dt.date(2021, 12, 5)
    assert state.status == "The end day 2021-12-01 is before the start day 2021-12-05."
    assert state.selected().empty


def test_days_without_data_give_an_empty_selection(state):
    state.param.update(start=dt.date(2022, 1, 1), end=dt.date(2022, 1, 3))
    assert state.status == ""
    assert state.selected().empty


def test_heatmap_colours_by_fraction_of_the_day(state):
    heatmap = plot_availability(state.selected(), state.sources)
    coverage = dict(zip(heatmap.data["Data source"], heatmap.data["Coverage"], strict=True))
    assert coverage == {"THEMIS-ASI GILL": 90 / 1440, "Swarm A": 120 / 1440}
    message = "kind must be one of 'ephemeris', 'data_products', 'image_files', got 'x'"
    with pytest.raises(ValueError, match=message):
        plot_availability(state.selected(), state.sources, kind="x")


def test_empty_repository_message(tmp_path):
    from aurorax.engine import Repository

    with Repository(tmp_path / "empty.duckdb"):
        pass
    state = AvailabilityState(db_path=str(tmp_path / "empty.duckdb"))
    state.load()
    assert state.status == "The repository has no ephemeris records yet."
    assert isinstance(state.selected(), pd.DataFrame) and state.selected().empty


def test_page_builds(tiny_repository):
    assert create_page(tiny_repository).__panel__().get_root() is not None


def test_heatmap_exports_to_png_and_html(tiny_repository):
    page = create_page(tiny_repository)
    check_exports(page.exports)


def test_missing_repository_is_a_message_and_the_page_still_builds(tmp_path):
    missing = tmp_path / "nothing.duckdb"
    page = create_page(missing)
    assert page.state.status == f"Cannot read the repository {missing}: no repository at {missing}"
    empty = page.state.statistics()
    # The table keeps the columns it has with data (an empty table, not a missing one).
    assert empty.empty and list(empty.columns) == STATISTICS_COLUMNS
    assert page.__panel__().get_root() is not None


# -- the day axis ------------------------------------------------------------------------------


def _rows(days_by_source: dict) -> pd.DataFrame:
    rows = [
        {"data_source": ident, "day": pd.Timestamp(day, tz="UTC"), "ephemeris_count": 600,
         "data_product_count": 3}
        for ident, days in days_by_source.items()
        for day in days
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _axis_factors(element) -> tuple[list, list]:
    figure = hv.render(element, backend="bokeh")
    return list(map(str, figure.x_range.factors)), list(map(str, figure.y_range.factors))


@pytest.mark.parametrize("kind", ["ephemeris", "data_products"])
def test_heatmap_days_are_in_date_order_whatever_the_first_source_has(kind):
    # The repository returns rows by source, then day: the first source only has the last days
    # of the span (e.g. it was installed on 2021-12-30), the second every day.
    sources = pd.DataFrame({"identifier": [1, 2], "display_name": ["NEW", "OLD"]})
    span = [f"2021-12-{d:02d}" for d in range(1, 32)]
    rows = _rows({1: span[29:], 2: span})
    x, y = _axis_factors(plot_availability(rows, sources, kind=kind))
    assert x == span
    assert y == ["OLD", "NEW"]  # drawn top to bottom by identifier (inverted y axis)
    # Days asked for but without any record are on the axis too, in their place.
    x, _ = _axis_factors(plot_availability(_rows({1: ["2021-12-05"]}), sources, days=span[:7]))
    assert x == span[:7]


# -- image-file availability -------------------------------------------------------------------

DAY1, DAY3 = dt.date(2021, 12, 1), dt.date(2021, 12, 3)


def build_image_demo(data_dir):
    """Two THEMIS imagers (GILL, TPAS) over three days, image files rendered for the first two:
    so 2021-12-03 is a dark night with ephemeris but without image files. The repository and
    the images are where a server with ``AURORAX_DATA_DIR=data_dir`` looks for them."""
    db = data_dir / "aurorax.duckdb"
    build_demo(
        db,
        start=DAY1,
        days=3,
        programs=["themis-asi"],
        platforms=["gillam", "the pas"],
        progress=False,
        image_nights=2,
        asi_dir=data_dir / "asi",
        products_dir=data_dir / "products",
        image_cadence_s=3600,  # one frame an hour (and each hour's first operating minute)
    )
    return db


@pytest.fixture(scope="module")
def image_demo(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("availability")
    return build_image_demo(data_dir), data_dir


@pytest.fixture
def image_state(image_demo):
    db, data_dir = image_demo
    return create_page(db, asi_dir=data_dir / "asi").state


def _source(identifier, uid, lat=None, lon=None, program="themis-asi", source_type="ground"):
    metadata = {"site_uid": uid}
    if lat is not None:
        metadata.update(geo_lat=lat, geo_lon=lon)
    return DataSource(
        program=program, platform=uid, instrument_type="panchromatic ASI",
        source_type=source_type, display_name=f"{program} {uid}", identifier=identifier,
        metadata=metadata,
    )  # fmt: skip


def test_image_minutes_are_the_dark_minutes_of_the_hours_with_files(image_demo):
    db, data_dir = image_demo
    sources = services.data_sources(db)
    ephemeris = services.availability(db)
    rows = image_availability(sources, data_dir / "asi", DAY1, DAY3 + dt.timedelta(days=1))
    assert list(rows.columns) == [
        "data_source", "day", "expected_minutes", "image_minutes", "image_hours"
    ]  # fmt: skip
    assert len(rows) == 2 * 3
    merged = rows.merge(ephemeris, on=["data_source", "day"])
    assert len(merged) == 6
    uids = {s.identifier: s.metadata["site_uid"] for s in sources}
    for row in merged.itertuples():
        # The demo imagers operate in the dark minus their outages: a subset of the expected.
        assert 0 < row.ephemeris_count <= row.expected_minutes < 1440
        day = row.day.date()
        if day < DAY3:
            # Every operating hour of a rendered night has its file, found by the ASI core.
            files = find_image_files(
                "themis", uids[row.data_source], row.day, row.day + pd.Timedelta(days=1),
                data_dir / "asi", None, False,
            )  # fmt: skip
            assert row.image_hours == len(files) > 0
            assert row.ephemeris_count <= row.image_minutes <= row.expected_minutes
        else:
            assert (row.image_hours, row.image_minutes) == (0, 0)


def test_daylight_is_not_expected_and_a_dark_day_without_files_is_missing(tmp_path):
    sources = [
        _source(1, "gill", 56.38, -94.64),  # December at 56 N: long nights
        _source(2, "sout", -75.0, 0.0),  # December at 75 S: the Sun never sets
        _source(3, "swarm", 0.0, 0.0, program="swarm", source_type="leo"),  # not an imager
        # TREx, but not its RGB imager: no image files the ASI core reads (NIR, blue-line).
        _source(4, "trex", 56.0, -94.0, program="trex"),
    ]
    rows = image_availability(sources, tmp_path, DAY1, DAY1 + dt.timedelta(days=2))
    assert list(rows["data_source"]) == [1, 1, 2, 2]
    assert (rows["image_minutes"] == 0).all() and (rows["image_hours"] == 0).all()
    gill, sout = rows[rows["data_source"] == 1], rows[rows["data_source"] == 2]
    assert (gill["expected_minutes"] > 600).all()
    assert (sout["expected_minutes"] == 0).all()
    names = pd.DataFrame({"identifier": [1, 2], "display_name": ["GILL", "SOUT"]})
    heatmap = plot_availability(rows, names, kind="image_files")
    status = dict(zip(heatmap.data["Data source"], heatmap.data["Status"], strict=False))
    assert status == {"GILL": "missing", "SOUT": "not expected"}
    # Not expected has no coverage at all (NaN: the grey colour), missing has none of it (0).
    coverage = heatmap.data.groupby("Data source")["Coverage"].first()
    assert coverage["GILL"] == 0 and np.isnan(coverage["SOUT"])


def test_without_a_location_the_operating_minutes_are_expected(tmp_path):
    asi = tmp_path / "asi"
    folder = asi / "themis" / "l1" / "asf" / "gill" / "2021" / "12"
    folder.mkdir(parents=True)
    for hour in (2, 3):  # names only: the files are counted, never opened
        (folder / f"thg_l1_asf_gill_20211201{hour:02d}_v01.cdf").write_bytes(b"")
    ephemeris = _rows({1: ["2021-12-01"]}).assign(ephemeris_count=90)
    rows = image_availability(
        [_source(1, "gill")], asi, DAY1, DAY1 + dt.timedelta(days=2), ephemeris
    )
    assert rows[["expected_minutes", "image_minutes", "image_hours"]].values.tolist() == [
        [90, 90, 2],
        [0, 0, 0],
    ]


def test_image_layer_of_the_page(image_state):
    state = image_state
    assert (state.start, state.end) == (DAY1, DAY3)
    assert state.status == ""
    state.kind = "Image files"
    page = AvailabilityPage(state)
    heatmap = page.heatmap_plot()
    data = heatmap.data
    cells = zip(data["Day"], data["Data source"], strict=True)
    status = dict(zip(cells, data["Status"], strict=True))
    assert status == {
        (day, name): ("missing" if day == "2021-12-03" else "available")
        for day in ["2021-12-01", "2021-12-02", "2021-12-03"]
        for name in ["THEMIS-ASI GILL", "THEMIS-ASI TPAS"]
    }
    available = data[data["Status"] == "available"]
    assert ((available["Coverage"] > 0.9) & (available["Coverage"] <= 1)).all()
    x, _ = _axis_factors(heatmap)
    assert x == ["2021-12-01", "2021-12-02", "2021-12-03"]
    stats = state.statistics()
    assert list(stats.columns) == STATISTICS_COLUMNS
    # Two of the three nights have files: a little under two thirds of the dark minutes.
    totals = state.image_availability.groupby("data_source")[["image_minutes", "expected_minutes"]]
    percent = (100 * totals.sum()["image_minutes"] / totals.sum()["expected_minutes"]).round(1)
    assert (
        list(stats["Image files (%)"]) == list(percent) and all(60 < percent) and all(percent < 67)
    )
    check_exports(page.exports)


def build_trex_image_demo(data_dir):
    """TREx RGB at Rabbit Lake (operating both nights) over two days, its colour minute files
    rendered for the first night only (the UCalgary stream0 layout,
    ``trex/rgb/stream0/.../rabb_rgb-01/utHH/*.h5``), where a server with
    ``AURORAX_DATA_DIR=data_dir`` looks for them."""
    db = data_dir / "aurorax.duckdb"
    build_demo(
        db,
        start=DAY1,
        days=2,
        programs=["trex"],
        platforms=["rabbit lake"],
        progress=False,
        image_nights=1,
        asi_dir=data_dir / "asi",
        products_dir=data_dir / "products",
        image_cadence_s=3600,
    )
    return db


@pytest.fixture(scope="module")
def trex_demo(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("trex-availability")
    return build_trex_image_demo(data_dir), data_dir


def test_trex_rgb_minute_files_count_by_hour(trex_demo):
    db, data_dir = trex_demo
    (source,) = services.data_sources(db)
    assert (source.program, source.instrument_type) == ("trex", "RGB ASI")
    rows = image_availability([source], data_dir / "asi", DAY1, DAY1 + dt.timedelta(days=2))
    first, second = rows.itertuples()
    day = pd.Timestamp(DAY1, tz="UTC")
    files = find_image_files(
        "trex", "rabb", day, day + pd.Timedelta(days=1), data_dir / "asi", None, False
    )
    hours = {dt.datetime.strptime(f.name[:11], "%Y%m%d_%H") for f in files}
    # Every hour with a minute file counts, as an hourly CDF does: its dark minutes are covered.
    assert first.image_hours == len(hours) > 10
    assert 0.9 * first.expected_minutes < first.image_minutes <= first.expected_minutes
    assert (second.image_hours, second.image_minutes) == (0, 0) and second.expected_minutes > 600


def test_trex_rows_show_their_image_files_on_the_page(trex_demo):
    db, data_dir = trex_demo
    page = create_page(db, asi_dir=data_dir / "asi")
    state = page.state
    state.kind = "Image files"
    data = page.heatmap_plot().data
    status = dict(zip(data["Day"], data["Status"], strict=True))
    assert set(data["Data source"]) == {"TREx RGB RABB"}
    assert status == {"2021-12-01": "available", "2021-12-02": "missing"}
    (percent,) = state.statistics()["Image files (%)"]
    assert 40 < percent < 55  # one night of two


def test_no_imager_in_the_program_is_a_message(tiny_repository, tmp_path):
    page = create_page(tiny_repository, asi_dir=tmp_path)
    page.state.kind = "Image files"
    assert page.heatmap_plot() is None
    text = page._heatmap().object
    assert text == (
        "No all-sky imager with image files (THEMIS ASI, REGO, TREx RGB) and a site code among "
        "the chosen data sources."
    )


def test_dark_minutes_are_those_judged_minute_by_minute():
    # Twilight hours are judged minute by minute, the others by their edges: the same counts as
    # judging every minute of a year, at an auroral site, the equator and a polar-day site.
    start = dt.date(2021, 1, 1)
    minutes = np.datetime64(start, "m") + np.arange(366 * 1440)
    for lat, lon in [(56.38, -94.64), (0.0, 0.0), (-75.0, 0.0), (78.2, 15.6)]:
        every = (sun_elevation_deg(lat, lon, minutes) < -12).reshape(366, 24, 60).sum(axis=2)
        assert (dark_minutes_per_hour(lat, lon, start, 366) == every).all()


def test_a_span_too_long_for_the_image_layer_is_a_message(image_state):
    state = image_state
    state.kind = "Image files"
    state.param.update(start=dt.date(2020, 1, 1), end=dt.date(2021, 12, 3))
    assert state.status == (
        "Image files are counted for at most 366 days at a time; choose a shorter span."
    )
    assert state.image_availability is None
    assert state.selected_images().empty


# -- in a browser ------------------------------------------------------------------------------

DAYS = ["2021-12-01", "2021-12-02", "2021-12-03"]


@pytest.mark.browser
@pytest.mark.slow
def test_in_a_browser_days_ascend_and_image_files_show_available_and_missing(image_demo, browser):
    db, data_dir = image_demo
    # The browser tests' window (tests/browser/conftest.py).
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        with running_server(db, data_dir, path="/availability") as base:
            page.goto(base + "/availability", wait_until="networkidle")
            page.get_by_text("Data statistics").first.wait_for(timeout=30_000)
            page.locator(".tabulator-row").first.wait_for(timeout=30_000)

            # Nothing of the controls is cut off: every input and button lies inside the window,
            # and the page does not scroll sideways.
            width = page.evaluate("document.documentElement.clientWidth")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            program = page.get_by_role("combobox")  # the Program choice
            controls = [page.get_by_text("Program", exact=True).first, program]
            controls += [page.get_by_role("button", name=n) for n in _LAYERS]
            controls += page.locator("input.form-control").all()  # the two days
            assert len(controls) == 7
            for control in controls:
                box = control.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            assert program.bounding_box()["width"] >= 150

            cell = heatmap_cell(page, DAYS[0], "THEMIS-ASI GILL", "Daily ephemeris availability")
            assert cell["days"] == DAYS

            page.get_by_role("button", name="Image files").click()
            title = "Daily image-file availability"
            available = heatmap_cell(page, "2021-12-01", "THEMIS-ASI GILL", title)
            missing = heatmap_cell(page, "2021-12-03", "THEMIS-ASI GILL", title)
            assert available["days"] == DAYS
            page.mouse.move(5, 5)  # no tooltip over the cells
            page.wait_for_timeout(300)
            r, g, b = pixel_at(page, available["x"], available["y"])
            assert g > r + 30 and g > b + 30  # a green of high coverage
            assert (
                max(
                    abs(c - p)
                    for c, p in zip(
                        pixel_at(page, missing["x"], missing["y"]), MISSING_PURPLE, strict=True
                    )
                )
                <= 12
            )
            for cell, day, status in [
                (available, "2021-12-01", "available"),
                (missing, "2021-12-03", "missing"),
            ]:
                page.mouse.move(cell["x"], cell["y"])
                tip = page.locator(".bk-tooltip-content", has_text=f"Day: {day}")
                tip.first.wait_for(timeout=15_000)
                text = tip.first.text_content()
                assert "Data source: THEMIS-ASI GILL" in text and f"Status: {status}" in text
            page.mouse.move(5, 5)
            screenshot(page, "availability-image-files")
    finally:
        context.close()
    assert errors == []
