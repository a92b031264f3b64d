"""The Keogramist's order, grouping, paging, quick selection and "only rows with images".

On a demo of two programs (THEMIS ASI, REGO) at two sites (Fort Smith, Gillam) over two days,
images rendered for the first day only. Fort Smith's imagers start operating at 00:21 UT and
Gillam's at 00:00, so ordering by the records' start times would mix the programs.
"""

from __future__ import annotations

import datetime as dt

import holoviews as hv
import pandas as pd
import pytest

from app.pages.keogramist import create_page
from aurorax.demo import build_demo
from aurorax.engine import DataProductQuery, Repository, search_data_products

DAY1, DAY2 = dt.date(2021, 12, 1), dt.date(2021, 12, 2)
BY_DATE = [
    "REGO FSMI 2021-12-01",
    "REGO GILL 2021-12-01",
    "THEMIS-ASI FSMI 2021-12-01",
    "THEMIS-ASI GILL 2021-12-01",
    "REGO FSMI 2021-12-02",
    "REGO GILL 2021-12-02",
    "THEMIS-ASI FSMI 2021-12-02",
    "THEMIS-ASI GILL 2021-12-02",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keogramist-paging")
    db = folder / "aurorax.duckdb"
    build_demo(
        db,
        start=DAY1,
        days=2,
        programs=["themis-asi", "rego"],
        platforms=["gillam", "fort smith"],
        progress=False,
        image_nights=1,
        asi_dir=folder / "asi",
        products_dir=folder / "products",
        image_cadence_s=1200,
    )
    return db, folder / "asi", folder / "products"


@pytest.fixture
def state(demo):
    state = create_page(*demo).state
    state.end = DAY2
    return state


def daily_keogram_records(db, start, end):
    """The daily keogram records of ``[start, end)`` (UTC days), read from the repository."""
    with Repository(db, read_only=True) as repo:
        records = search_data_products(
            repo,
            DataProductQuery(
                pd.Timestamp(start, tz="UTC"),
                pd.Timestamp(end, tz="UTC"),
                data_product_types=["keogram"],
            ),
        )
    daily = [(m or {}).get("keogram_type") == "daily" for m in records["metadata"]]
    return records.loc[daily].reset_index(drop=True)


def test_the_demo_mixes_programs_by_start_time(demo):
    # The premise of the ordering test: sorted by start time, REGO and THEMIS rows interleave.
    records = daily_keogram_records(demo[0], DAY1, DAY2)
    by_start = records.sort_values(["start", "program"])["display_name"].tolist()
    assert by_start == ["REGO GILL", "THEMIS-ASI GILL", "REGO FSMI", "THEMIS-ASI FSMI"]


def test_rows_are_sorted_by_date_program_and_site(state):
    assert list(state.rows["label"]) == BY_DATE
    assert state.group_by == "date"
    assert list(state.rows["group"]) == ["2021-12-01"] * 4 + ["2021-12-02"] * 4
    assert list(state.rows["tick"]) == [label.rsplit(" ", 1)[0] for label in BY_DATE]
    state.group_by = "site"
    assert list(state.rows["label"]) == [
        "REGO FSMI 2021-12-01",
        "REGO FSMI 2021-12-02",
        "REGO GILL 2021-12-01",
        "REGO GILL 2021-12-02",
        "THEMIS-ASI FSMI 2021-12-01",
        "THEMIS-ASI FSMI 2021-12-02",
        "THEMIS-ASI GILL 2021-12-01",
        "THEMIS-ASI GILL 2021-12-02",
    ]
    assert list(state.rows["group"][:2]) == ["REGO FSMI", "REGO FSMI"]
    assert list(state.rows["tick"][:2]) == ["2021-12-01", "2021-12-02"]


def test_the_plot_labels_each_group_once(demo):
    page = create_page(*demo)
    page.state.end = DAY2
    figure = hv.render(page.keograms_plot(), backend="bokeh")
    groups = [a for a in figure.left if a.name == "groups"]
    assert len(groups) == 1
    assert groups[0].major_label_overrides == {6.0: "2021-12-01", 2.0: "2021-12-02"}
    rows = [a for a in figure.left if a.name != "groups"][0]
    assert rows.major_label_overrides[7.5] == "REGO FSMI"


def test_pages_of_rows(state):
    state.max_rows = 3
    assert (state.page, state.n_pages, state.n_records) == (1, 3, 8)
    assert state.page_label == "Page 1 of 3 (rows 1-3 of 8)"
    assert list(state.rows["label"]) == BY_DATE[:3]
    assert len(state.keograms) == 3
    state.next_page()
    assert state.page == 2 and list(state.rows["label"]) == BY_DATE[3:6]
    state.next_page()
    assert state.page_label == "Page 3 of 3 (rows 7-8 of 8)"
    assert list(state.rows["label"]) == BY_DATE[6:]
    state.next_page()  # past the last page: stays
    assert state.page == 3
    state.previous_page()
    assert state.page == 2
    # A click picks the row of the shown page (y in [2, 3] = its top row).
    state.pick(8.0, 2.5)
    assert state.picked.startswith("THEMIS-ASI GILL 2021-12-01: clicked 08:00:00 UT")
    # A new search starts on its first page.
    state.group_by = "site"
    assert state.page == 1 and state.picked == ""


def test_only_rows_with_images(state, demo):
    assert state.only_with_images is False
    assert sum(k is None for k in state.keograms) == 4  # the second day has no images
    assert state.status == "4 of 8 keogram records have no image files here."
    state.only_with_images = True
    assert list(state.rows["label"]) == BY_DATE[:4]
    assert all(k is not None for k in state.keograms)
    assert list(state.rows["note"]) == [""] * 4
    assert state.n_records == 4
    assert state.status == "4 of 8 keogram records have no image files here and are hidden."
    state.start = state.end = DAY2
    assert state.rows is None
    assert state.status == (
        "None of the 4 keogram records from 2021-12-02 to 2021-12-02 has image files here."
    )


def test_quick_selection(state):
    assert (state.first_day, state.last_day) == (DAY1, DAY2)
    state.first_night()
    assert (state.start, state.end) == (DAY1, DAY1)
    assert len(state.rows) == 4
    state.whole_span()
    assert (state.start, state.end) == (DAY1, DAY2)
    assert state.dataset_families() == ["REGO", "THEMIS"]
    state.select_datasets("THEMIS")
    assert state.programs == ["themis-asi"]
    assert set(state.rows["program"]) == {"themis-asi"} and len(state.rows) == 4
    state.select_datasets("REGO")
    assert state.programs == ["rego"]
    assert list(state.rows["label"]) == [r for r in BY_DATE if r.startswith("REGO")]
    state.clear_datasets()
    assert state.programs == [] and len(state.rows) == 8


def test_too_many_records_are_a_message(state):
    state.max_records = 5
    assert state.n_records == 5
    assert list(state.rows["label"]) == BY_DATE[:5]
    assert state.status.startswith("8 keograms match; listing the first 5. Narrow the days")


def test_the_page_has_the_new_controls(demo):
    import panel as pn

    page = create_page(*demo)
    layout = page.__panel__()
    buttons = {b.label for b in layout.select(pn.widgets.Button)}
    assert {"First night", "Whole span", "All THEMIS", "All REGO", "Clear"} <= buttons
    assert {"Previous", "Next"} <= buttons
    (checkbox,) = layout.select(pn.widgets.Checkbox)
    assert checkbox.label == "Only rows with images" and checkbox.value is False
    (group,) = layout.select(pn.widgets.RadioButtonGroup)
    assert group.value == "date"
    (whole,) = [b for b in layout.select(pn.widgets.Button) if b.label == "Whole span"]
    whole.clicks += 1
    assert (page.state.start, page.state.end) == (DAY1, DAY2)
    (nxt,) = [b for b in layout.select(pn.widgets.Button) if b.label == "Next"]
    assert nxt.disabled  # 8 rows fit on one page
    page.state.max_rows = 5
    assert not nxt.disabled
    nxt.clicks += 1
    assert page.state.page == 2
    (previous,) = [b for b in layout.select(pn.widgets.Button) if b.label == "Previous"]
    assert not previous.disabled and nxt.disabled
    # A new search goes back to page 1, and the pager says so.
    page.state.group_by = "site"
    assert page.state.page == 1
    assert previous.disabled and not nxt.disabled
    (label,) = [m for m in layout.select(pn.pane.Markdown) if m.name == "page"]
    assert label.object == "Page 1 of 2 (rows 1-5 of 8)"
