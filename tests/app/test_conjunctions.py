"""The conjunction search page's logic without a browser, on a one-day demo repository."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import pytest

from app.pages._conjunction_detail import detail_view
from app.pages.conjunctions import EXAMPLES, ConjunctionSearchState, create_page
from aurorax.engine import ConjunctionQuery
from aurorax.geo import great_circle_distance_km
from aurorax.viz import field_of_view_circle, plot_conjunction_distance, plot_conjunction_map
from aurorax.viz._conjunctions import split_at_dateline
from tests.demo_repos import one_day_demo

from .conftest import check_exports

APA_EXAMPLE = next(iter(EXAMPLES))


@pytest.fixture(scope="module")
def demo_repository(tmp_path_factory):
    return one_day_demo(tmp_path_factory.mktemp("conjunctions") / "demo.duckdb")


@pytest.fixture
def state(demo_repository):
    state = ConjunctionSearchState(db_path=str(demo_repository))
    state.load()
    return state


def test_defaults_and_options_come_from_the_repository(state):
    assert (state.start, state.end) == (dt.date(2021, 12, 1), dt.date(2021, 12, 1))
    assert [b["kind"] for b in state.blocks] == ["ground", "space"]
    assert state.options("ground", "programs") == ["themis-asi"]
    assert state.options("space", "platforms") == ["themisa", "themisd", "themise"]
    assert state.options("space", "instrument_types") == ["footprint"]
    assert state.status == ""


def test_paper_example_finds_the_fort_simpson_conjunction(state):
    state.example = APA_EXAMPLE
    state.search()
    assert state.status.startswith("Found 1 conjunction in ")
    assert state.status_kind == "success"
    row = state.table.iloc[0]
    assert (row["ground1"], row["space1"]) == ("THEMIS-ASI FSIM", "THEMIS-E")
    assert (row["start"], row["end"]) == ("2021-12-01 09:48", "2021-12-01 10:37")
    body = json.loads(state.query_json)
    assert body["max_distances"] == {"ground1-space1": 500}
    assert body["ground"][0]["ephemeris_metadata_filters"]["expressions"][1] == {
        "key": "calgary_apa_ml_v1_confidence",
        "operator": ">=",
        "values": ["95"],
    }
    assert body["end"] == "2021-12-02T00:00:00"


def test_query_json_round_trips_through_the_form(state, demo_repository):
    state.example = APA_EXAMPLE
    state.end = dt.date(2021, 12, 3)
    body = state.body()
    other = ConjunctionSearchState(db_path=str(demo_repository))
    other.load()
    other.apply_body(json.loads(json.dumps(body)))
    assert other.body() == body
    assert (other.start, other.end) == (dt.date(2021, 12, 1), dt.date(2021, 12, 3))
    assert ConjunctionQuery.from_json(body).to_json()["max_distances"] == {"ground1-space1": 500}


def test_metadata_filter_editor_uses_the_schema(state):
    state.set_block(0, "programs", ["themis-asi"])
    assert "calgary_apa_ml_v1_confidence" in state.metadata_schema(0)
    assert state.operators(0, "calgary_apa_ml_v1") == ["=", "!=", "in", "not in"]
    assert ">=" in state.operators(0, "calgary_apa_ml_v1_confidence")
    assert state.allowed_values(0, "calgary_apa_ml_v1") == [
        "classified as APA",
        "classified as not APA",
        "not classified",
    ]
    state.add_filter(0)
    state.set_filter(0, 0, "key", "calgary_apa_ml_v1_confidence")
    assert state.blocks[0]["filters"][0] == {
        "key": "calgary_apa_ml_v1_confidence",
        "operator": "=",
        "values": [],
    }
    state.set_filter(0, 0, "operator", ">=")
    state.set_filter(0, 0, "values", ["95"])
    state.distance_km = 500.0
    state.set_block(1, "hemisphere", ["northern"])
    state.search()
    # The filter removes minutes (it may split a conjunction into several).
    with_filter = state.result.data["duration_min"].sum()
    assert json.loads(state.query_json)["ground"][0]["ephemeris_metadata_filters"] == {
        "logical_operator": "AND",
        "expressions": [
            {"key": "calgary_apa_ml_v1_confidence", "operator": ">=", "values": ["95"]}
        ],
    }
    state.remove_filter(0, 0)
    state.search()
    assert 0 < with_filter < state.result.data["duration_min"].sum()
    assert "nbtrace_region" in state.metadata_schema(1)
    # No event list in this repository: a message instead of an empty editor row.
    state.add_block("events")
    state.add_filter(2)
    assert state.status == "events1: its data sources declare no metadata to filter on."
    assert state.blocks[2]["filters"] == []


def test_bad_metadata_value_is_a_message(state):
    state.example = APA_EXAMPLE
    state.set_filter(0, 1, "values", ["high"])
    state.search()
    assert state.status_kind == "danger"
    assert "'high' is not a valid double" in state.status
    assert state.result is None


def test_reversed_and_missing_dates_are_messages(state):
    state.start = dt.date(2021, 12, 5)
    state.search()
    assert state.status == "The end day 2021-12-01 is before the start day 2021-12-05."
    assert state.table is None
    state.end = None
    state.search()
    assert state.status == "Choose both a start and an end day."


def test_one_block_and_unknown_program_are_messages(state):
    state.remove_block(1)
    state.search()
    assert state.status.startswith("criteria blocks: the query has 1; a conjunction search needs 2")
    state.add_block("space")
    state.set_block(1, "programs", ["swarm"])
    state.search()
    assert state.status.startswith("space1.programs: unknown program 'swarm'")


def test_nothing_found_and_too_many_rows(state):
    state.add_block("adhoc")
    state.set_block(2, "locations", "-45, 0")  # the South Atlantic: no imager anywhere near
    state.distance_km = 100.0
    state.search()
    assert state.status_kind == "warning"
    assert state.status.startswith("No conjunctions found in ")
    assert state.table is not None and state.table.empty
    state.remove_block(2)
    state.distance_km = 500.0
    state.max_rows = 2
    state.search()
    n = len(state.result)
    assert n > 2 and len(state.table) == 2
    assert f"Found {n} conjunctions in " in state.status
    assert "the table shows the first 2 (the downloads hold all)" in state.status


def test_bad_locations_and_advanced_distances_are_messages(state):
    state.add_block("adhoc")
    state.set_block(2, "locations", "56.4")
    state.search()
    assert state.status == (
        "custom location '56.4': write 'lat, lon' in degrees, locations separated by ';'"
    )
    state.set_block(2, "locations", "56.38, -94.64")
    state.advanced_distances = "{ground1-space1: 3}"
    state.search()
    assert state.status.startswith("Advanced distances are not valid JSON")
    state.advanced_distances = '{"ground1-space1": 300, "space1-adhoc1": null}'
    body = state.body()
    assert body["max_distances"] == {
        "ground1-space1": 300,
        "ground1-adhoc1": 500.0,
        "space1-adhoc1": None,
    }


def test_downloads_hold_every_row(state):
    assert state.download("csv") is None
    state.distance_km = 500.0
    state.search()
    n = len(state.result)
    assert len(pd.read_csv(state.download("csv"))) == n
    assert len(json.loads(state.download("json").getvalue())) == n
    parquet = pd.read_parquet(io.BytesIO(state.download("parquet").getvalue()))
    assert len(parquet) == n and str(parquet["start"].dtype) == "datetime64[ns, UTC]"
    with pytest.raises(ValueError, match="format must be csv, json or parquet, got 'xls'"):
        state.download("xls")


def test_opening_a_result_shows_distance_tracks_and_products(state):
    state.example = APA_EXAMPLE
    state.search()
    state.selected_row = 0
    d = state.detail
    assert d["title"] == "THEMIS-ASI FSIM x THEMIS-E, 2021-12-01 09:48-10:37 UT (nbtrace)"
    series = d["series"]
    assert len(series) == 50  # 09:48 .. 10:37 inclusive
    assert series["distance_km"].max() <= 500
    assert series["distance_km"].min() == pytest.approx(state.result.data["min_distance_km"][0])
    assert set(d["tracks"]["name"]) == {"THEMIS-E"}
    assert list(d["sites"]["name"]) == ["THEMIS-ASI FSIM"]
    assert d["field_of_view_km"] == pytest.approx(755.8, abs=0.1)
    assert d["limit_km"] == 500
    assert set(d["products"]["data_product_type"]) == {"keogram"}
    assert (d["products"]["display_name"] == "THEMIS-ASI FSIM").all()
    # The way into Conjunction analysis: the conjunction's minutes plus five on either side.
    assert d["analysis_url"] == (
        "./analysis?site=themis%3Afsim&spacecraft=themise"
        "&start=2021-12-01T09%3A43%3A00&end=2021-12-01T10%3A43%3A00"
    )
    # The plots are built from the same frames.
    overlay = plot_conjunction_map(d["tracks"], d["sites"], d["field_of_view_km"])
    # coastlines, the track, its first point, the field of view, the site
    assert len(overlay) == 5
    coast = overlay.get(0)
    assert coast.group == "Coastlines"
    (x0, x1), (y0, y1) = overlay.opts.get().kwargs["xlim"], overlay.opts.get().kwargs["ylim"]
    circle = np.column_stack(field_of_view_circle(61.76, -121.27, d["field_of_view_km"]))
    assert x0 < circle[:, 1].min() and x1 > circle[:, 1].max()
    assert y0 < circle[:, 0].min() and y1 > circle[:, 0].max()
    xy = coast.array()
    xy = xy[np.isfinite(xy).all(axis=1)]
    assert ((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)).all()
    assert len(plot_conjunction_map(d["tracks"], d["sites"], coastlines=False)) == 3
    # That night's products: daily keograms first, each link naming its kind and time span.
    view, _ = detail_view(d)
    texts = [o.object for o in view.select(pn.pane.Markdown)]
    links = next(t for t in texts if t.startswith("#### That night's")).splitlines()[1:]
    kinds = d["products"]["metadata"].map(lambda m: m["keogram_type"])
    assert len(links) == min(12, len(kinds))
    pattern = (
        r"- \[THEMIS-ASI FSIM (daily|hourly) keogram \(2021-12-01 \d\d:\d\d-\d\d:\d\d UT\)\]"
        r"\(/products/keograms/themis-asi/fsim/2021/12/01/.+\.png\)"
    )
    assert all(re.fullmatch(pattern, line) for line in links), links
    assert [re.match(pattern, line)[1] for line in links][: (kinds == "daily").sum()] == [
        "daily"
    ] * int((kinds == "daily").sum())
    assert len(plot_conjunction_distance(series, 500)) == 2
    state.selected_row = 7
    assert state.status == "There is no conjunction #7; rows: 0 to 0."


def test_field_of_view_circle_is_at_the_radius():
    lat, lon = field_of_view_circle(61.76, -121.27, 755.8)
    d = great_circle_distance_km(61.76, -121.27, lat, lon)
    np.testing.assert_allclose(d, 755.8, rtol=1e-9)


def test_page_builds_and_a_missing_repository_is_a_message(demo_repository, tmp_path):
    page = create_page(demo_repository)
    page.state.search()
    page.state.selected_row = 0
    assert page.__panel__().get_root() is not None
    missing = create_page(tmp_path / "nothing.duckdb")
    assert missing.state.status == f"Cannot read the repository {tmp_path / 'nothing.duckdb'}: " + (
        f"no repository at {tmp_path / 'nothing.duckdb'}"
    )
    assert missing.__panel__().get_root() is not None


def test_opened_conjunction_map_and_distance_export(demo_repository):
    page = create_page(demo_repository)
    state = page.state
    state.example = APA_EXAMPLE
    state.search()
    state.selected_row = 0
    page._detail(state.detail)
    stems = [w.filename for row in page.detail_exports for w in row]
    assert stems == [
        "conjunction-0-map.png",
        "conjunction-0-map.html",
        "conjunction-0-distance.png",
        "conjunction-0-distance.html",
    ]
    for row in page.detail_exports:
        check_exports(row)


def test_a_track_across_the_dateline_is_not_drawn_across_the_map():
    # A pass from 175 E to 175 W, one record a minute: the map shows it as two pieces, each
    # with steps of a few degrees, never a segment from +179 to -179 across the whole map.
    lon = np.concatenate([np.arange(175.0, 180.0, 1.5), np.arange(-179.5, -174.0, 1.5)])
    tracks = pd.DataFrame(
        {
            "name": "ISS",
            "epoch": pd.date_range("2019-12-09 22:50", periods=len(lon), freq="min", tz="UTC"),
            "lat": np.linspace(60.0, 62.0, len(lon)),
            "lon": lon,
        }
    )
    overlay = plot_conjunction_map(tracks, coastlines=False)
    path = next(e for e in overlay if isinstance(e, hv.Path))
    pieces = path.split()
    assert len(pieces) == 2
    for piece in pieces:
        assert np.abs(np.diff(piece.dimension_values("lon"))).max() < 5.0
    assert sum(len(piece) for piece in split_at_dateline(tracks[["lon", "lat"]].to_numpy())) == len(
        lon
    )
