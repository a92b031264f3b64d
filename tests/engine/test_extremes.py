"""Numbers and times at their extremes, through the library (the HTTP API refuses them earlier,
naming the JSON path): each is a ValidationError naming what is wrong, never an OverflowError or
pandas' OutOfBoundsDatetime, and nothing is stored."""

from __future__ import annotations

import pytest

from aurorax.engine import ValidationError, search_conjunctions, search_ephemeris
from tests.engine.conftest import table_snapshot

BIG = 10**400
DAY = {"start": "2021-12-01T00:00", "end": "2021-12-02T00:00"}


def _record(source, **fields):
    return {
        "data_source": source.identifier,
        "epoch": "2021-12-01T00:00",
        "location_geo": {"lat": 1.0, "lon": 1.0},
        **fields,
    }


def test_records_with_numbers_no_float_holds_are_refused(repo, gill, swarm):
    before = table_snapshot(repo)
    for record in (
        _record(swarm, location_geo={"lat": BIG, "lon": 1.0}),
        _record(swarm, metadata={"radial_distance": BIG}),
    ):
        with pytest.raises(ValidationError, match=r"ephemeris records: a number is out of range"):
            repo.ingest_ephemeris([record])
    with pytest.raises(ValidationError, match="field 'epoch' must be within 1900-01-01"):
        repo.ingest_ephemeris([_record(swarm, epoch="0001-01-01T00:00")])
    assert table_snapshot(repo) == before


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "radial_distance",
            BIG,
            r"values\[0\]: 10000000000000000000\.\.\. \(401 characters\) is not a valid double",
        ),
        ("orbit_number", 2**63, r"values\[0\]: 9223372036854775808 is not a valid int"),
    ],
)
def test_filter_values_out_of_range_are_refused(repo, swarm, key, value, message):
    flt = {"expressions": [{"key": key, "operator": ">", "values": [value]}]}
    query = {**DAY, "data_sources": {"programs": ["swarm"], "ephemeris_metadata_filters": flt}}
    with pytest.raises(ValidationError, match=message):
        search_ephemeris(repo, query)


def test_distances_and_times_at_the_extremes_are_refused(repo, gill, swarm):
    query = {
        **DAY,
        "ground": [{"programs": ["themis-asi"]}],
        "space": [{"programs": ["swarm"]}],
        "max_distances": {"ground1-space1": BIG},
    }
    with pytest.raises(ValidationError, match=r"must be a finite number of km >= 0, got inf"):
        search_conjunctions(repo, query)
    for start, end, field in (
        ("0001-01-01", "2021-01-01", "start"),
        ("2021-01-01", "9999-12-31", "end"),
    ):
        with pytest.raises(
            ValidationError, match=f"^{field}: .* is outside the times the repository takes"
        ):
            search_ephemeris(repo, {"start": start, "end": end, "data_sources": {}})
        with pytest.raises(ValidationError, match=f"^{field}: .* is outside"):
            repo.availability(start, end)
