"""Conjunction search on small stores with known geometry, exports, and bad input."""

from __future__ import annotations

import gc
import json

import numpy as np
import pandas as pd
import pytest

import aurorax.engine.search._result as result_module
from aurorax.engine import (
    ConjunctionQuery,
    FieldOfView,
    GroundCriteria,
    Repository,
    SpaceCriteria,
    ValidationError,
    compile_ephemeris_sql,
    field_of_view_radius_km,
    search_conjunctions,
)

from .search_store import (
    FSMI_LAT,
    FSMI_LON,
    GILL_LAT,
    GILL_LON,
    KM_PER_DEG,
    START,
    add_sources,
    ground_frame,
    space_frame,
)

UTC = "UTC"


def ts(minutes: float) -> pd.Timestamp:
    return (START + pd.Timedelta(minutes=minutes)).tz_localize(UTC)


@pytest.fixture
def store(tmp_path):
    """GILL operating 02:00 h; Swarm A's footprint runs north along GILL's meridian at 0.5 deg/min,
    from 10 deg south of GILL (minute 0) to 19.5 deg north (minute 59)."""
    with Repository(tmp_path / "search.duckdb") as repo:
        src = add_sources(repo)
        conf = np.full(120, 99.0)
        conf[15:18] = 40.0  # the APA model is unsure for three minutes
        repo.ingest_ephemeris(ground_frame(src["gill"], GILL_LAT, GILL_LON, np.arange(120), conf))
        k = np.arange(60)
        repo.ingest_ephemeris(space_frame(src["swarma"], k, GILL_LAT - 10 + 0.5 * k, GILL_LON))
        yield repo, src


def query(**changes) -> dict:
    body = {
        "start": "2021-12-01T00:00:00",
        "end": "2021-12-01T02:00:00",
        "ground": [{"programs": ["themis-asi"], "platforms": ["gillam"]}],
        "space": [{"programs": ["swarm"]}],
        "conjunction_types": ["nbtrace"],
        "max_distances": {"ground1-space1": 500},
    }
    body.update(changes)
    return body


def test_single_pass_over_gillam(store):
    repo, src = store
    res = search_conjunctions(repo, query())
    assert len(res) == 1
    row = res.data.iloc[0]
    # |dlat| <= 500 km / 113.12 km/deg = 4.42 deg: minutes 12 (-4 deg) to 28 (+4 deg).
    assert row["start"] == ts(12) and row["end"] == ts(28)
    assert row["duration_min"] == 17
    assert row["min_distance_km"] == pytest.approx(0.0, abs=1e-6)
    assert row["closest_epoch"] == ts(20)
    assert row["max_distance_km"] == pytest.approx(4 * KM_PER_DEG)  # 452.5 km
    # 4 degrees south and north are equally far up to rounding of the stored latitudes.
    assert row["farthest_epoch"] in (ts(12), ts(28))
    assert (row["ground1"], row["ground1_identifier"]) == (
        "THEMIS-ASI GILL",
        src["gill"].identifier,
    )
    assert (row["space1"], row["space1_identifier"]) == ("Swarm A", src["swarma"].identifier)
    assert row["events"] == [
        {
            "blocks": "ground1-space1",
            "e1_source": "THEMIS-ASI GILL",
            "e2_source": "Swarm A",
            "start": "2021-12-01T00:12:00",
            "end": "2021-12-01T00:28:00",
            "min_distance_km": pytest.approx(0.0, abs=1e-6),
            "max_distance_km": pytest.approx(4 * KM_PER_DEG),
        }
    ]
    assert list(res.data.columns) == [
        "conjunction_type",
        "start",
        "end",
        "duration_min",
        "min_distance_km",
        "max_distance_km",
        "closest_epoch",
        "farthest_epoch",
        "ground1",
        "ground1_identifier",
        "space1",
        "space1_identifier",
        "events",
    ]


def test_metadata_filter_splits_the_pass(store):
    repo, _ = store
    flt = {
        "logical_operator": "AND",
        "expressions": [
            {"key": "calgary_apa_ml_v1", "operator": "in", "values": ["classified as APA"]},
            {"key": "calgary_apa_ml_v1_confidence", "operator": ">=", "values": ["95"]},
        ],
    }
    ground = [{"programs": ["themis-asi"], "ephemeris_metadata_filters": flt}]
    res = search_conjunctions(repo, query(ground=ground))
    assert list(zip(res.data["start"], res.data["end"], strict=True)) == [
        (ts(12), ts(14)),
        (ts(18), ts(28)),
    ]


def test_range_end_is_exclusive_and_start_is_rounded_up(store):
    repo, _ = store
    res = search_conjunctions(repo, query(start="2021-12-01T00:15:30", end="2021-12-01T00:25:00"))
    assert list(zip(res.data["start"], res.data["end"], strict=True)) == [(ts(16), ts(24))]


def test_hemisphere_is_the_spacecraft_geographic_one(tmp_path):
    with Repository(tmp_path / "h.duckdb") as repo:
        src = add_sources(repo)
        repo.ingest_ephemeris(ground_frame(src["gill"], GILL_LAT, GILL_LON, np.arange(10)))
        # Footprint over GILL while the spacecraft is south of the equator (e.g. a HEO apogee).
        repo.ingest_ephemeris(
            space_frame(src["themisd"], np.arange(10), GILL_LAT, GILL_LON, geo_lat=-20.0)
        )
        north = query(space=[{"programs": ["themis"], "hemisphere": ["northern"]}])
        south = query(space=[{"programs": ["themis"], "hemisphere": ["southern"]}])
        assert len(search_conjunctions(repo, north)) == 0
        res = search_conjunctions(repo, south)
        assert list(zip(res.data["start"], res.data["end"], strict=True)) == [(ts(0), ts(9))]


def test_one_missing_minute_splits_and_single_minute_conjunction(tmp_path):
    with Repository(tmp_path / "g.duckdb") as repo:
        src = add_sources(repo)
        repo.ingest_ephemeris(ground_frame(src["gill"], GILL_LAT, GILL_LON, [0, 1, 2, 4, 7]))
        repo.ingest_ephemeris(space_frame(src["swarma"], np.arange(10), GILL_LAT, GILL_LON + 1.0))
        res = search_conjunctions(repo, query())
        assert list(zip(res.data["start"], res.data["end"], strict=True)) == [
            (ts(0), ts(2)),
            (ts(4), ts(4)),
            (ts(7), ts(7)),
        ]
        assert list(res.data["duration_min"]) == [3, 1, 1]


def test_field_of_view_mode(store):
    repo, _ = store
    radius = field_of_view_radius_km(5.0, 110.0)  # 755.8 km = 6.68 deg of latitude
    res = search_conjunctions(repo, query(field_of_view={"min_elevation_deg": 5.0}))
    n = int(np.floor(radius / KM_PER_DEG / 0.5))  # half-degree steps inside the circle
    assert res.data.iloc[0]["start"] == ts(20 - n) and res.data.iloc[0]["end"] == ts(20 + n)
    typed = ConjunctionQuery(
        "2021-12-01",
        "2021-12-01T02:00",
        ground=[GroundCriteria(programs=["themis-asi"])],
        space=[SpaceCriteria(programs=["swarm"])],
        field_of_view=FieldOfView(5.0, 110.0),
    )
    assert search_conjunctions(repo, typed).data["start"].tolist() == [ts(20 - n)]


def test_thirty_second_precision_interpolates(store):
    repo, _ = store
    res = search_conjunctions(repo, query(epoch_search_precision=30))
    row = res.data.iloc[0]
    # Half minutes 11:30 (-4.25 deg, 480.8 km) and 28:30 (+4.25 deg) now qualify.
    assert row["start"] == ts(11.5) and row["end"] == ts(28.5)
    assert row["duration_min"] == 17.5
    assert row["max_distance_km"] == pytest.approx(4.25 * KM_PER_DEG)


def test_three_blocks_need_every_pair_in_the_same_minute(tmp_path):
    with Repository(tmp_path / "3.duckdb") as repo:
        src = add_sources(repo)
        repo.ingest_ephemeris(ground_frame(src["gill"], GILL_LAT, GILL_LON, np.arange(30)))
        repo.ingest_ephemeris(space_frame(src["swarma"], np.arange(30), GILL_LAT, GILL_LON + 2.0))
        # THEMIS-D footprint 2 deg of latitude north of GILL at minutes 10-19 only.
        repo.ingest_ephemeris(
            space_frame(src["themisd"], np.arange(10, 20), GILL_LAT + 2.0, GILL_LON)
        )
        body = query(
            space=[{"programs": ["swarm"]}, {"programs": ["themis"]}],
            max_distances={"ground1-space1": 300, "ground1-space2": 300, "space1-space2": None},
        )
        res = search_conjunctions(repo, body)
        assert list(zip(res.data["start"], res.data["end"], strict=True)) == [(ts(10), ts(19))]
        row = res.data.iloc[0]
        d_swarm = 2.0 * np.cos(np.radians(GILL_LAT)) * KM_PER_DEG  # ~ 2 deg of longitude
        # Conjunction distance = the larger constrained pair (THEMIS-D: 2 deg of latitude).
        assert row["min_distance_km"] == pytest.approx(2 * KM_PER_DEG)
        assert {e["blocks"] for e in row["events"]} == {
            "ground1-space1",
            "ground1-space2",
            "space1-space2",
        }
        ev = {e["blocks"]: e for e in row["events"]}
        assert ev["ground1-space1"]["min_distance_km"] == pytest.approx(d_swarm, rel=1e-3)
        # Constraining the spacecraft pair to 100 km removes it (they are ~250 km apart).
        body["max_distances"]["space1-space2"] = 100
        assert len(search_conjunctions(repo, body)) == 0


def test_antimeridian_and_pole_with_custom_locations(tmp_path):
    with Repository(tmp_path / "a.duckdb") as repo:
        src = add_sources(repo)
        repo.ingest_ephemeris(space_frame(src["swarma"], [0, 1], [65.0, 89.9], [-179.9, 0.0]))
        body = {
            "start": "2021-12-01T00:00:00",
            "end": "2021-12-01T00:05:00",
            "space": [{"programs": ["swarm"]}],
            "adhoc": [
                {"locations": [{"lat": 65.0, "lon": 179.9}]},
                {"locations": [{"lat": 89.9, "lon": 180.0}]},
            ],
            "conjunction_types": ["geographic"],
            "max_distances": {"space1-adhoc1": 50, "space1-adhoc2": 50},
        }
        res = search_conjunctions(repo, body)
        assert len(res) == 0  # never both at once
        body["max_distances"] = {"space1-adhoc1": 50, "space1-adhoc2": None}
        res = search_conjunctions(repo, body)
        row = res.data.iloc[0]
        assert (row["start"], row["end"]) == (ts(0), ts(0))
        assert row["min_distance_km"] == pytest.approx(
            0.2 * np.cos(np.radians(65)) * KM_PER_DEG, rel=1e-4
        )
        assert pd.isna(row["adhoc1_identifier"]) and row["adhoc1"] == "custom location 65/179.9"
        body["max_distances"] = {"space1-adhoc1": None, "space1-adhoc2": 50}
        res = search_conjunctions(repo, body)
        assert res.data.iloc[0]["start"] == ts(1)
        ev = {e["blocks"]: e for e in res.data.iloc[0]["events"]}
        assert ev["space1-adhoc2"]["min_distance_km"] == pytest.approx(0.2 * KM_PER_DEG, rel=1e-4)


def test_exports_pages_and_distance_series(store, tmp_path):
    repo, _ = store
    res = search_conjunctions(repo, query(max_distances={"ground1-space1": 100}))
    assert len(res) == 1 and res.data.iloc[0]["start"] == ts(19)  # 0.5 deg = 56.6 km at 19-21
    assert res.data.iloc[0]["end"] == ts(21)
    series = res.distance_series(0)
    assert list(series.columns) == ["epoch", "distance_km", "ground1-space1"]
    assert series["epoch"].tolist() == [ts(19), ts(20), ts(21)]
    expected = [0.5 * KM_PER_DEG, 0.0, 0.5 * KM_PER_DEG]
    assert series["distance_km"].tolist() == pytest.approx(expected, abs=1e-6)

    res = search_conjunctions(repo, query(max_distances={"ground1-space1": 500}))
    csv = res.to_csv()
    assert csv.splitlines()[1].startswith("nbtrace,2021-12-01T00:12:00,2021-12-01T00:28:00,17.0,")
    rows = json.loads(res.to_json())
    assert (
        rows[0]["events"][0]["blocks"] == "ground1-space1"
        and rows[0]["ground1"] == "THEMIS-ASI GILL"
    )
    res.to_parquet(tmp_path / "c.parquet")
    back = pd.read_parquet(tmp_path / "c.parquet")
    assert back["start"].iloc[0] == ts(12) and back["min_distance_km"].iloc[0] == pytest.approx(
        0.0, abs=1e-6
    )
    aurorax = res.to_aurorax_json()["result"][0]
    assert (
        aurorax["start"] == "2021-12-01T00:12:00"
        and aurorax["closest_epoch"] == "2021-12-01T00:20:00"
    )
    assert [s["display_name"] for s in aurorax["data_sources"]] == ["THEMIS-ASI GILL", "Swarm A"]
    assert aurorax["events"][0]["e2_source"]["program"] == "swarm"
    assert res.n_pages(page_size=1) == 1 and len(res.page(1, page_size=1)) == 1
    with pytest.raises(ValidationError, match=r"page: 2 is out of range; pages: 1 to 1"):
        res.page(2, page_size=1)


@pytest.mark.parametrize("enabled", [True, False])
def test_building_rows_pauses_the_garbage_collector_and_restores_it(store, enabled, monkeypatch):
    # The rows are built with the cyclic collector off (it would walk every dict made so far
    # at each allocation burst); whatever state the caller had is restored, on errors too.
    repo, _ = store
    seen = []
    real = result_module._events

    def spy(*args):
        seen.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(result_module, "_events", spy)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        res = search_conjunctions(repo, query())
        assert len(res) == 1 and seen == [False]
        assert gc.isenabled() is enabled
        res.to_aurorax_json()
        assert gc.isenabled() is enabled
        with pytest.raises(ZeroDivisionError), result_module.gc_paused():
            assert not gc.isenabled()
            raise ZeroDivisionError
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_empty_result_has_the_columns(store, tmp_path):
    repo, _ = store
    res = search_conjunctions(repo, query(start="2021-12-01T01:00:00"))  # Swarm gone by then
    assert len(res) == 0 and res.n_pages() == 0
    assert str(res.data["start"].dtype) == "datetime64[ns, UTC]"
    assert res.to_json() == "[]" and res.to_aurorax_json() == {"result": []}
    res.to_parquet(tmp_path / "empty.parquet")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"ground": [{"programs": ["themis-asii"]}]},
            "ground1.programs: unknown program 'themis-asii' for a ground block; known: themis-asi",
        ),
        (
            {"ground": [{"programs": ["swarm"]}]},
            "ground1.programs: unknown program 'swarm' for a ground block (it exists for leo data "
            "sources); known: themis-asi",
        ),
        (
            {"space": [{"platforms": ["swarmz"]}]},
            "space1.platforms: unknown platform 'swarmz' for a space block; known: swarma, themisd",
        ),
        (
            {
                "ground": [
                    {
                        "ephemeris_metadata_filters": {
                            "expressions": [
                                {
                                    "key": "calgary_apa_ml_v1_confidence",
                                    "operator": ">",
                                    "values": ["high"],
                                }
                            ]
                        }
                    }
                ]
            },
            "ground1.ephemeris_metadata_filters.expressions[0].values[0]: 'high' is not a valid double",
        ),
        (
            {
                "space": [
                    {
                        "ephemeris_metadata_filters": {
                            "expressions": [{"key": "tii_on", "operator": "=", "values": ["true"]}]
                        }
                    }
                ]
            },
            "space1.ephemeris_metadata_filters.expressions[0].key: unknown metadata key 'tii_on'; "
            "known keys: nbtrace_region, orbit_number",
        ),
    ],
)
def test_bad_input_is_a_clear_error(store, changes, message):
    repo, _ = store
    with pytest.raises(ValidationError) as info:
        search_conjunctions(repo, query(**changes))
    assert str(info.value) == message


def test_hostile_filter_value_is_data(store):
    repo, _ = store
    hostile = "x'); DROP TABLE ephemeris; --"
    # A free string field: the value is bound as data and matches nothing.
    flt = {"expressions": [{"key": "nbtrace_region", "operator": "=", "values": [hostile]}]}
    res = search_conjunctions(repo, query(space=[{"ephemeris_metadata_filters": flt}]))
    assert len(res) == 0
    # A field with allowed values refuses it by name before any SQL.
    flt = {"expressions": [{"key": "calgary_apa_ml_v1", "operator": "=", "values": [hostile]}]}
    with pytest.raises(ValidationError, match="is not an allowed value of 'calgary_apa_ml_v1'"):
        search_conjunctions(repo, query(ground=[{"ephemeris_metadata_filters": flt}]))
    assert repo.cursor().execute("SELECT count(*) FROM ephemeris").fetchone() == (180,)


def test_block_matching_nothing_gives_an_empty_result_with_a_note(tmp_path):
    with Repository(tmp_path / "n.duckdb") as repo:
        add_sources(repo)
        body = query(ground=[{"programs": ["themis-asi"], "instrument_types": ["footprint"]}])
        with pytest.raises(
            ValidationError, match="unknown instrument_type 'footprint' for a ground block"
        ):
            search_conjunctions(repo, body)
        res = search_conjunctions(repo, query(ground=[{"platforms": ["gillam", "fort smith"]}]))
        assert len(res) == 0  # no ephemeris stored


def test_two_ground_sites_sorted_by_start(tmp_path):
    with Repository(tmp_path / "two.duckdb") as repo:
        src = add_sources(repo)
        repo.ingest_ephemeris(ground_frame(src["gill"], GILL_LAT, GILL_LON, np.arange(60)))
        repo.ingest_ephemeris(ground_frame(src["fsmi"], FSMI_LAT, FSMI_LON, np.arange(60)))
        k = np.arange(60)
        # Westward along 58 N: passes GILL's meridian first, then FSMI's.
        repo.ingest_ephemeris(space_frame(src["swarma"], k, 58.0, -90.0 - 0.5 * k))
        res = search_conjunctions(
            repo,
            query(ground=[{"programs": ["themis-asi"]}], max_distances={"ground1-space1": 300}),
        )
        assert res.data["ground1"].tolist() == ["THEMIS-ASI GILL", "THEMIS-ASI FSMI"]
        assert res.data["start"].is_monotonic_increasing


def test_two_conjunction_types_and_an_events_block(store):
    repo, src = store
    res = search_conjunctions(repo, query(conjunction_types=["geographic", "nbtrace"]))
    assert res.data["conjunction_type"].tolist() == ["geographic", "nbtrace"]
    assert res.data["start"].tolist() == [ts(12), ts(12)]
    # A substorm onset list: one record at minute 20, 300 km east of GILL's meridian.
    onset_lon = GILL_LON + 300.0 / (KM_PER_DEG * np.cos(np.radians(GILL_LAT)))
    frame = space_frame(src["onsets"], [20], GILL_LAT, onset_lon).drop(
        columns=["metadata.nbtrace_region", "metadata.orbit_number"]
    )
    repo.ingest_ephemeris(frame)
    body = query(
        events=[{"programs": ["events"], "instrument_types": ["substorm onset"]}],
        max_distances={"ground1-space1": 500, "ground1-events1": 400},
    )
    res = search_conjunctions(repo, body)
    assert len(res) == 1
    row = res.data.iloc[0]
    assert (row["start"], row["end"], row["events1"]) == (ts(20), ts(20), "Substorm onsets")
    ev = {e["blocks"]: e for e in row["events"]}
    assert ev["ground1-events1"]["min_distance_km"] == pytest.approx(300.0, rel=2e-3)


def test_compile_ephemeris_sql_is_parametrised():
    sql, params = compile_ephemeris_sql(
        [3, 5],
        pd.Timestamp("2021-12-01"),
        pd.Timestamp("2021-12-02"),
        ["nbtrace"],
        "(x = ?)",
        ["v"],
        ["northern"],
    )
    assert sql == (
        "SELECT e.data_source, e.epoch, nbtrace_lat AS lat_nbtrace, nbtrace_lon AS lon_nbtrace "
        "FROM ephemeris AS e WHERE e.data_source IN (?, ?) AND e.epoch >= ? AND e.epoch < ? "
        "AND (x = ?) AND geo_lat >= 0"
    )
    assert params[:2] == [3, 5] and params[-1] == "v"
    stats, _ = compile_ephemeris_sql(
        [3], pd.Timestamp("2021-12-01"), pd.Timestamp("2021-12-02"), ["sbtrace"], kind="stats"
    )
    assert "min(sbtrace_lat) AS lat_min_sbtrace" in stats and stats.endswith(
        "GROUP BY e.data_source"
    )


def test_result_accessors_reject_bad_arguments(store, tmp_path):
    repo, _ = store
    res = search_conjunctions(repo, query())
    with pytest.raises(ValidationError, match=r"^index: 1 is out of range; rows: 0 to 0$"):
        res.distance_series(1)
    with pytest.raises(ValidationError, match=r"^page_size: must be a positive integer, got 0$"):
        res.page(1, page_size=0)
    res.to_csv(tmp_path / "c.csv")
    back = pd.read_csv(tmp_path / "c.csv")
    assert back.loc[0, "end"] == "2021-12-01T00:28:00"
    assert json.loads(back.loc[0, "events"])[0]["e2_source"] == "Swarm A"
