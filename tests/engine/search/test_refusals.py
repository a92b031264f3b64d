"""Searches that could only answer nothing are refused with the reason (issue 15): a filter
value a field does not allow, a reversed ``between``, an events block on a repository without
event sources. An empty ``data_sources`` selection means every source, as documented."""

from __future__ import annotations

import pytest

from aurorax.engine import ValidationError, search_conjunctions, search_ephemeris
from tests.engine.conftest import ground_frame

DAY = {"start": "2021-12-01T00:00", "end": "2021-12-02T00:00"}


def _filter(key, operator, values) -> dict:
    return {"expressions": [{"key": key, "operator": operator, "values": values}]}


def test_a_value_outside_the_allowed_values_names_them(repo, gill):
    for operator, values in (
        ("=", ["APA"]),
        ("!=", ["APA"]),
        ("in", ["classified as APA", "APA"]),
        ("not in", ["classified as APA", "APA"]),
    ):
        flt = _filter("calgary_apa_ml_v1", operator, values)
        query = {
            **DAY,
            "data_sources": {"programs": ["themis-asi"], "ephemeris_metadata_filters": flt},
        }
        with pytest.raises(ValidationError) as refused:
            search_ephemeris(repo, query)
        assert str(refused.value) == (
            f"data_sources.ephemeris_metadata_filters.expressions[0].values[{len(values) - 1}]: "
            "'APA' is not an "
            "allowed value of 'calgary_apa_ml_v1'; allowed: 'classified as APA', "
            "'classified as not APA', 'not classified'"
        )
    # The same field in a conjunction block.
    body = {
        **DAY,
        "ground": [
            {
                "programs": ["themis-asi"],
                "ephemeris_metadata_filters": _filter("calgary_apa_ml_v1", "=", ["yes"]),
            }
        ],
        "space": [{"programs": ["swarm"]}],
    }
    with pytest.raises(
        ValidationError,
        match=r"^ground1\.ephemeris_metadata_filters\.expressions\[0\]\.values\[0\]: 'yes' is not an allowed value",
    ):
        search_conjunctions(repo, body)


def test_a_reversed_between_is_refused(repo, gill):
    repo.ingest_ephemeris(ground_frame(gill.identifier, "2021-12-01T06:00", 30))
    flt = _filter("calgary_apa_ml_v1_confidence", "between", [90, 10])
    query = {**DAY, "data_sources": {"programs": ["themis-asi"], "ephemeris_metadata_filters": flt}}
    with pytest.raises(ValidationError) as refused:
        search_ephemeris(repo, query)
    assert str(refused.value) == (
        "data_sources.ephemeris_metadata_filters.expressions[0].values: between 90.0 and 10.0 "
        "has its lower bound above its upper bound; give [10.0, 90.0]"
    )
    flt["expressions"][0]["values"] = [10, 90]
    assert len(search_ephemeris(repo, query)) > 0


def test_an_events_block_without_event_sources_says_so(repo, gill, swarm):
    body = {
        **DAY,
        "ground": [{"programs": ["themis-asi"]}],
        "events": [{"programs": ["substorm list"]}],
    }
    with pytest.raises(ValidationError) as refused:
        search_conjunctions(repo, body)
    assert str(refused.value) == (
        "events1: no event data sources match this block: the repository has no data source "
        "of type event_list"
    )


def test_an_empty_data_sources_selection_means_every_source(repo, gill, swarm):
    repo.ingest_ephemeris(ground_frame(gill.identifier, "2021-12-01T06:00", 10))
    found = search_ephemeris(repo, {**DAY, "data_sources": {}})
    assert set(found["display_name"]) == {"THEMIS-ASI GILL"}  # the only source with records
    assert len(found) == 10
