"""The availability page's logic without a browser."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from app.pages.availability import AvailabilityState, create_page
from aurorax.viz import plot_availability

from .conftest import check_exports

# The columns of the availability page's statistics table, with data or without.
STATISTICS_COLUMNS = [
    "Data source",
    "Program",
    "Ephemeris records",
    "Data products",
    "First day",
    "Last day",
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
    with pytest.raises(ValueError, match="kind must be 'ephemeris' or 'data_products', got 'x'"):
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
