"""ConjunctionQuery: AuroraX's JSON body both ways, typed blocks, distances, validation."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from aurorax.engine import (
    ConjunctionQuery,
    CustomLocationsCriteria,
    EventsCriteria,
    FieldOfView,
    GroundCriteria,
    MetadataExpression,
    MetadataFilter,
    SpaceCriteria,
    ValidationError,
    field_of_view_radius_km,
)

# AuroraX web Example 7 as PyAuroraX sends it (API notes §4a), with events/adhoc blocks added.
EXAMPLE7 = {
    "start": "2008-01-01T00:00:00",
    "end": "2008-01-31T23:59:59",
    "ground": [
        {
            "programs": ["themis-asi"],
            "platforms": [],
            "instrument_types": ["panchromatic ASI"],
            "ephemeris_metadata_filters": {
                "logical_operator": "AND",
                "expressions": [
                    {"key": "calgary_apa_ml_v1", "operator": "in", "values": ["classified as APA"]},
                    {"key": "calgary_apa_ml_v1_confidence", "operator": ">=", "values": ["95"]},
                ],
            },
        }
    ],
    "space": [
        {
            "programs": ["themis"],
            "platforms": [],
            "instrument_types": ["footprint"],
            "hemisphere": ["northern"],
            "ephemeris_metadata_filters": {},
        }
    ],
    "events": [
        {
            "programs": ["events"],
            "platforms": [],
            "instrument_types": ["substorm onset"],
            "ephemeris_metadata_filters": {},
        }
    ],
    "adhoc": [{"locations": [{"lat": 51.05, "lon": -114.07}]}],
    "conjunction_types": ["nbtrace"],
    "max_distances": {"ground1-space1": 500, "ground1-events1": 900, "space1-adhoc1": None},
    "epoch_search_precision": 60,
    "request_id": "abc",
}


def test_aurorax_body_is_accepted_unchanged_and_round_trips():
    q = ConjunctionQuery.from_json(EXAMPLE7)
    assert q.block_names == ("ground1", "space1", "events1", "adhoc1")
    assert q.start == pd.Timestamp("2008-01-01") and q.end == pd.Timestamp("2008-01-31T23:59:59")
    assert q.space[0].hemisphere == ("northern",)
    assert q.custom_locations[0].locations == ((51.05, -114.07),)
    # Missing pairs are filled: None except ground-ground (there is none here).
    assert q.max_distances == {
        "ground1-space1": 500.0,
        "ground1-events1": 900.0,
        "ground1-adhoc1": None,
        "space1-events1": None,
        "space1-adhoc1": None,
        "events1-adhoc1": None,
    }
    body = q.to_json()
    assert body["ground"] == EXAMPLE7["ground"]
    assert body["space"] == EXAMPLE7["space"]
    assert body["adhoc"] == EXAMPLE7["adhoc"]
    assert ConjunctionQuery.from_json(body) == q


def test_custom_locations_alias_and_typed_blocks_equal_json():
    body = copy.deepcopy(EXAMPLE7)
    body["custom_locations"] = body.pop("adhoc")
    typed = ConjunctionQuery(
        start="2008-01-01T00:00:00",
        end="2008-01-31T23:59:59",
        ground=[
            GroundCriteria(
                programs=["themis-asi"],
                instrument_types=["panchromatic ASI"],
                metadata_filter=MetadataFilter(
                    (
                        MetadataExpression("calgary_apa_ml_v1", "in", ["classified as APA"]),
                        MetadataExpression("calgary_apa_ml_v1_confidence", ">=", 95),
                    )
                ),
            )
        ],
        space=[
            SpaceCriteria(
                programs=["themis"], instrument_types=["footprint"], hemisphere="northern"
            )
        ],
        events=[EventsCriteria(programs=["events"], instrument_types=["substorm onset"])],
        custom_locations=[CustomLocationsCriteria([(51.05, -114.07)])],
        distance={"ground1-space1": 500, "ground1-events1": 900},
        request_id="abc",
    )
    assert typed.to_json() == ConjunctionQuery.from_json(body).to_json()


def test_distance_number_expands_to_every_pair_including_ground_ground():
    q = ConjunctionQuery(
        "2021-12-01",
        "2021-12-02",
        ground=[GroundCriteria(programs=["themis-asi"]), GroundCriteria(programs=["rego"])],
        space=[SpaceCriteria(programs=["swarm"])],
        distance=300,
    )
    assert q.max_distances == {
        "ground1-ground2": 300.0,
        "ground1-space1": 300.0,
        "ground2-space1": 300.0,
    }
    # A dict: named pairs set, ground-ground defaults to 0 (co-located), others to None.
    q2 = ConjunctionQuery(
        "2021-12-01",
        "2021-12-02",
        ground=[GroundCriteria(), GroundCriteria()],
        space=[SpaceCriteria()],
        distance={"space1-ground2": 400},
    )
    assert q2.max_distances == {
        "ground1-ground2": 0.0,
        "ground1-space1": None,
        "ground2-space1": 400.0,
    }
    assert q2.pair_limits() == {(0, 1): 0.0, (0, 2): None, (1, 2): 400.0}


def test_field_of_view_replaces_ground_to_other_limits():
    q = ConjunctionQuery(
        "2021-12-01",
        "2021-12-02",
        ground=[GroundCriteria()],
        space=[SpaceCriteria(), SpaceCriteria()],
        distance=200,
        field_of_view=FieldOfView(min_elevation_deg=10, emission_altitude_km=110),
    )
    fov = field_of_view_radius_km(10, 110)
    assert q.pair_limits() == {(0, 1): fov, (0, 2): fov, (1, 2): 200.0}
    assert "inside the imager field of view (elevation >= 10 deg at 110 km)" in q.describe()


def test_describe_example7():
    text = ConjunctionQuery.from_json(EXAMPLE7).describe()
    assert text.startswith(
        "Find conjunctions of type nbtrace between data sources of ground1=(program in (themis-asi) "
        "AND instrument_type in (panchromatic ASI) AND metadata (calgary_apa_ml_v1 in "
        "(classified as APA) AND calgary_apa_ml_v1_confidence >= 95)) AND space1=(program in "
        "(themis) AND instrument_type in (footprint) AND hemisphere in (northern))"
    )
    assert "adhoc1=(location in (51.05/-114.07))" in text
    assert "WHERE epochs are between 2008-01-01T00:00:00 and 2008-01-31T23:59:59" in text
    assert "ground1-space1=500 km" in text and "space1-adhoc1=any" in text


def _body(**changes):
    body = {
        "start": "2021-12-01T00:00:00",
        "end": "2021-12-02T00:00:00",
        "ground": [{"programs": ["themis-asi"]}],
        "space": [{"programs": ["swarm"]}],
        "max_distances": {"ground1-space1": 500},
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"space": []},
            "criteria blocks: the query has 1; a conjunction search needs 2 to 10 (ground, space, "
            "events and custom_locations/adhoc blocks combined)",
        ),
        (
            {"ground": [{}] * 6, "space": [{}] * 5, "max_distances": {}},
            "criteria blocks: the query has 11; a conjunction search needs 2 to 10 (ground, space, "
            "events and custom_locations/adhoc blocks combined)",
        ),
        (
            {"max_distances": {"ground1-space2": 500}},
            "max_distances: key 'ground1-space2' names block space2, which this query does not have "
            "(blocks: ground1, space1)",
        ),
        (
            {"max_distances": {"ground1+space1": 500}},
            "max_distances: key 'ground1+space1' is not a pair of blocks; write it like "
            "'ground1-space1' (blocks of this query: ground1, space1)",
        ),
        (
            {"max_distances": {"ground1-space1": "far"}},
            "max_distances['ground1-space1']: must be a number of km or null, got 'far'",
        ),
        (
            {"max_distances": {"ground1-space1": -1}},
            "max_distances['ground1-space1']: must be a finite number of km >= 0, got -1.0",
        ),
        (
            {"end": "2021-11-30T00:00:00"},
            "end: 2021-11-30T00:00:00 is not after start 2021-12-01T00:00:00",
        ),
        (
            {"start": "yesterday"},
            "start: 'yesterday' is not a time; give an ISO 8601 string such as "
            "'2008-01-01T00:00:00' or a datetime (naive = UTC)",
        ),
        (
            {"conjunction_types": ["magnetic"]},
            "conjunction_types: 'magnetic' is not allowed; allowed: nbtrace, sbtrace, geographic",
        ),
        (
            {"field_of_view": {"min_elevation": 5}},
            "field_of_view: unknown field(s) 'min_elevation'; allowed: min_elevation_deg, "
            "emission_altitude_km",
        ),
        (
            {"field_of_view": {"min_elevation_deg": "low"}},
            "field_of_view.min_elevation_deg: must be a number in [0, 90) degrees, got 'low'",
        ),
        (
            {"epoch_search_precision": 10},
            "epoch_search_precision: 10 is not allowed; allowed: 60, 30 (seconds)",
        ),
        (
            {"space": [{"programs": ["swarm"], "hemisphere": ["north"]}]},
            "space1.hemisphere: 'north' is not allowed; allowed: northern, southern",
        ),
        (
            {"ground": [{"program": ["themis-asi"]}]},
            "ground1: unknown field(s) 'program'; allowed: programs, platforms, instrument_types, "
            "ephemeris_metadata_filters",
        ),
        (
            {
                "ground": [
                    {
                        "programs": "themis-asi",
                        "ephemeris_metadata_filters": {
                            "expressions": [{"key": "k", "operator": "like", "values": ["x"]}]
                        },
                    }
                ]
            },
            "ground1.ephemeris_metadata_filters.expressions[0].operator: 'like' is not a metadata "
            "filter operator; allowed: =, !=, >, <, >=, <=, between, in, not in",
        ),
        (
            {"adhoc": [{"locations": [{"lat": 95, "lon": 0}]}]},
            "adhoc1.locations[0]: lat must be in [-90, 90] and lon in [-180, 180], got (95.0, 0.0)",
        ),
        (
            {"colour": "red"},
            "query: unknown field(s) 'colour'; allowed: start, end, ground, space, "
            "events, adhoc, custom_locations, conjunction_types, max_distances, distance, "
            "epoch_search_precision, request_id, field_of_view",
        ),
    ],
)
def test_bad_queries_name_the_field(changes, message):
    with pytest.raises(ValidationError) as info:
        ConjunctionQuery.from_json(_body(**changes))
    assert str(info.value) == message


def test_aware_times_are_converted_to_utc():
    q = ConjunctionQuery.from_json(_body(start="2021-12-01T01:00:00+01:00"))
    assert q.start == pd.Timestamp("2021-12-01T00:00:00")


def test_field_of_view_radius_geometry():
    # Horizon (0 deg) at 110 km: theta = arccos(R / (R + h)); distance on the 110 km sphere.
    import math

    r = 6371.2
    theta = math.acos(r / (r + 110.0))
    assert field_of_view_radius_km(0.0, 110.0) == pytest.approx(theta * (r + 110.0))
    assert field_of_view_radius_km(0.0, 110.0) == pytest.approx(1195.8, abs=0.1)
    # Higher minimum elevation, smaller circle; higher emission, larger circle.
    assert field_of_view_radius_km(5.0, 110.0) == pytest.approx(755.8, abs=0.1)
    assert field_of_view_radius_km(5.0, 230.0) > field_of_view_radius_km(5.0, 110.0)
    with pytest.raises(ValueError, match=r"min_elevation_deg: must be in \[0, 90\), got 90"):
        field_of_view_radius_km(90)
