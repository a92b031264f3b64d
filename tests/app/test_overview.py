"""The overview page's logic, without a browser: build the State, set params, assert on results."""

from __future__ import annotations

import pytest

from app.pages.overview import OverviewPage, OverviewState, create_page

from .conftest import check_exports


def test_state_lists_every_source_with_counts(tiny_repository):
    state = OverviewState(db_path=str(tiny_repository))
    state.load()
    assert state.status == ""
    table = state.table()
    assert sorted(table["Data source"]) == ["Swarm A", "THEMIS-ASI GILL"]
    counts = dict(zip(table["Data source"], table["Ephemeris records"], strict=True))
    assert counts == {"Swarm A": 120, "THEMIS-ASI GILL": 90}
    assert state.totals() == {"sources": 2, "ephemeris": 210, "data_products": 0}


def test_state_filters_by_source_type(tiny_repository):
    state = OverviewState(db_path=str(tiny_repository))
    state.load()
    assert state.param.source_type.objects == ["all", "ground", "leo"]
    state.source_type = "leo"
    assert list(state.table()["Data source"]) == ["Swarm A"]


def test_missing_repository_is_a_message_not_a_crash(tmp_path):
    state = OverviewState(db_path=str(tmp_path / "nothing.duckdb"))
    state.load()
    assert state.counts is None
    assert state.status.startswith(f"Cannot read the repository {tmp_path / 'nothing.duckdb'}")
    assert state.table().empty


def test_page_renders_to_a_bokeh_model(tiny_repository):
    page = create_page(tiny_repository)
    assert isinstance(page, OverviewPage)
    model = page.__panel__().get_root()
    assert model is not None


def test_record_counts_export_to_png_and_html(tiny_repository):
    page = create_page(tiny_repository)
    assert [w.filename for w in page.exports] == ["record-counts.png", "record-counts.html"]
    check_exports(page.exports)


def test_export_without_a_plot_refuses(tmp_path):
    page = create_page(tmp_path / "none.duckdb")
    with pytest.raises(ValueError, match="nothing to export"):
        page.exports[0].callback()
