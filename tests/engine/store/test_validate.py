"""Bad input is rejected whole, with a message naming record, field and problem, and the
store does not change."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from aurorax.engine import DataSource, MetadataField, NotFoundError, ValidationError
from tests.engine.conftest import GILL_LAT, ground_frame, table_snapshot


@pytest.fixture
def stored(repo, gill, swarm):
    """A store holding one hour of GILL, and its snapshot."""
    repo.ingest_ephemeris(ground_frame(gill.identifier, "2021-12-01T06:00", 60))
    return table_snapshot(repo)


def _rejects(repo, snapshot, records, message, error=ValidationError):
    with pytest.raises(error) as info:
        repo.ingest_ephemeris(records)
    assert str(info.value) == message
    assert table_snapshot(repo) == snapshot


def test_latitude_out_of_range(repo, gill, stored):
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 30)
    frame.loc[[5, 9, 20], "geo_lat"] = [91.0, -90.5, 120.0]
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris record 5: field 'geo_lat' must be within -90..90, got 91.0 "
        "(2 more record(s) have the same problem)",
    )


def test_longitude_out_of_range_names_the_convention(repo, gill, stored):
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 30)
    frame.loc[3, "nbtrace_lon"] = 265.356  # 0..360 east longitude, as some tables give it
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris record 3: field 'nbtrace_lon' must be within -180..180 (longitudes are "
        "-180..180), got 265.356",
    )


def test_half_a_location_is_rejected(repo, gill, stored):
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 30)
    frame.loc[4, "sbtrace_lon"] = np.nan
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris record 4: fields 'sbtrace_lat' and 'sbtrace_lon' must both be numbers or "
        "both be null",
    )


def test_epoch_not_on_a_minute(repo, gill, stored):
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 30)
    frame.loc[12, "epoch"] = pd.Timestamp("2021-12-02T00:12:03")
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris record 12: field 'epoch' must be exactly on a minute (seconds = 0), "
        "got 2021-12-02T00:12:03 UTC",
    )


def test_unparseable_epoch(repo, gill, stored):
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 3)
    frame["epoch"] = frame["epoch"].astype(object)
    frame.loc[1, "epoch"] = "yesterday"
    _rejects(
        repo, stored, frame, "ephemeris record 1: field 'epoch' must be a UTC time, got 'yesterday'"
    )


def test_unknown_source_identifier_lists_what_exists(repo, gill, swarm, stored):
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 10)
    frame.loc[7:, "data_source"] = 99
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris record 7: data_source 99 does not exist (identifiers in the repository: "
        "1-2); programs that exist: ['swarm', 'themis-asi'] "
        "(2 more record(s) have the same problem)",
        NotFoundError,
    )


def test_unknown_program_in_dict_record_lists_programs(repo, gill, swarm, stored):
    record = {
        "data_source": {"program": "themis", "platform": "gillam", "instrument_type": "ASI"},
        "epoch": "2021-12-02T00:00:00",
        "location_geo": {"lat": GILL_LAT, "lon": -94.6},
    }
    _rejects(
        repo,
        stored,
        [record],
        "ephemeris record 0: no data source with program='themis', platform='gillam', "
        "instrument_type='ASI'; programs that exist: ['swarm', 'themis-asi']",
        NotFoundError,
    )


def test_metadata_wrong_type_matches_issue_example(repo, gill, stored):
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 30)
    column = "metadata.calgary_apa_ml_v1_confidence"
    frame[column] = frame[column].astype(object)
    frame.loc[17, column] = "high"
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris record 17: field 'metadata.calgary_apa_ml_v1_confidence' must be double, "
        "got 'high'",
    )


def test_metadata_outside_allowed_values(repo, gill, stored):
    records = [
        {
            "data_source": {"identifier": gill.identifier},
            "epoch": f"2021-12-02T00:0{i}:00",
            "location_geo": {"lat": GILL_LAT, "lon": -94.6},
            "metadata": {"calgary_apa_ml_v1": value},
        }
        for i, value in enumerate(["not classified", "classified as APA", "maybe APA"])
    ]
    _rejects(
        repo,
        stored,
        records,
        "ephemeris record 2: field 'metadata.calgary_apa_ml_v1' must be one of "
        "['classified as APA', 'classified as not APA', 'not classified'], got 'maybe APA'",
    )


def test_metadata_key_not_in_schema_is_rejected(repo, gill, stored):
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 5)
    frame["metadata.clausen_ml_oath"] = [None, None, "classified as arc", None, None]
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris record 2: field 'metadata.clausen_ml_oath' is not in the ephemeris metadata "
        "schema of data source 1 (themis-asi/gillam/panchromatic ASI); declared fields are "
        "['calgary_apa_ml_v1', 'calgary_apa_ml_v1_confidence'], got 'classified as arc'",
    )


@pytest.mark.parametrize(
    ("field", "values", "message"),
    [
        ("orbit_number", [101, 102.5], "must be int, got 102.5"),
        ("orbit_number", [101, True], "must be int, got True"),
        ("tii_on", [True, 1], "must be bool, got 1"),
        ("tii_on", [True, "yes"], "must be bool, got 'yes'"),
        ("radial_distance", [6800.0, float("inf")], "must be double, got inf"),
        ("radial_distance", [6800.0, False], "must be double, got False"),
        ("nbtrace_region", ["cusp", 4], "must be string, got 4"),
    ],
)
def test_metadata_types(repo, swarm, stored, field, values, message):
    records = [
        {
            "data_source": swarm.identifier,
            "epoch": dt.datetime(2021, 12, 2, 0, i),
            "location_geo": {"lat": 70.0, "lon": 10.0},
            "metadata": {field: value},
        }
        for i, value in enumerate(values)
    ]
    _rejects(repo, stored, records, f"ephemeris record 1: field 'metadata.{field}' {message}")


def test_duplicate_minute_in_one_batch(repo, gill, stored):
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 10)
    frame.loc[6, "epoch"] = frame.loc[2, "epoch"]
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris record 6: repeats the data_source and epoch of record 2 in the same batch",
    )


def test_unknown_and_missing_columns(repo, gill, stored):
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 3)
    _rejects(
        repo,
        stored,
        frame.rename(columns={"geo_lat": "latitude"}),
        "ephemeris batch has unknown column(s) ['latitude']; expected ['data_source', 'epoch'], "
        "optionally ['geo_lat', 'geo_lon', 'gsm_lat', 'gsm_lon', 'nbtrace_lat', 'nbtrace_lon', "
        "'sbtrace_lat', 'sbtrace_lon'] and metadata as 'metadata' or 'metadata.<field>'",
    )
    _rejects(
        repo,
        stored,
        frame.drop(columns="epoch"),
        "ephemeris batch is missing column(s) ['epoch']",
    )


def test_unknown_key_in_dict_record(repo, gill, stored):
    record = {"data_source": gill.identifier, "epoch": "2021-12-02T00:00", "location": None}
    _rejects(
        repo,
        stored,
        [record],
        "ephemeris record 0 has unknown key(s) ['location']; known keys are ['data_source', "
        "'epoch', 'location_geo', 'location_gsm', 'metadata', 'nbtrace', 'sbtrace']",
    )


def test_data_product_errors(repo, gill, stored):
    good = {
        "data_source": gill.identifier,
        "data_product_type": "keogram",
        "start": "2021-12-02T00:00:00",
        "end": "2021-12-02T23:59:59",
        "url": "https://example.org/gill/20211202_keogram.png",
        "metadata": {"keogram_type": "daily"},
    }
    cases = [
        (
            {"data_product_type": "mosaic"},
            "field 'data_product_type' must be one of ['keogram', 'montage', 'movie', "
            "'summary_plot', 'data_availability'], got 'mosaic'",
        ),
        (
            {"end": "2021-12-01T23:00:00"},
            "field 'end' must not be before 'start', got 2021-12-01T23:00:00 UTC",
        ),
        ({"url": ""}, "field 'url' must be a non-empty string"),
        (
            {"metadata": {"keogram_type": "weekly"}},
            "field 'metadata.keogram_type' must be one of ['daily', 'hourly', 'daily_hires'], "
            "got 'weekly'",
        ),
        (
            {"url": good["url"]},
            "repeats the url of record 0 in the same batch",
        ),
    ]
    for change, message in cases:
        second = good | {"url": "https://example.org/gill/20211202_other.png"} | change
        with pytest.raises(ValidationError) as info:
            repo.ingest_data_products([good, second])
        assert str(info.value) == f"data product record 1: {message}"
        assert table_snapshot(repo) == stored


def test_source_definition_errors():
    with pytest.raises(ValidationError) as info:
        DataSource("themis-asi", "gillam", "panchromatic ASI", "satellite", "THEMIS-ASI GILL")
    assert str(info.value) == (
        "data source source_type must be one of ['ground', 'leo', 'heo', 'lunar', "
        "'event_list', 'not_applicable'], got 'satellite'"
    )
    with pytest.raises(ValidationError) as info:
        DataSource("themis-asi", "g" * 51, "panchromatic ASI", "ground", "THEMIS-ASI GILL")
    assert str(info.value) == (
        f"data source platform {'g' * 51!r} is 51 characters long; at most 50 are allowed"
    )
    with pytest.raises(ValidationError) as info:
        MetadataField("calgary_apa_ml_v1_confidence", "float")
    assert str(info.value) == (
        "metadata field 'calgary_apa_ml_v1_confidence': data_type must be one of "
        "['string', 'int', 'double', 'bool'], got 'float'"
    )
    with pytest.raises(ValidationError) as info:
        MetadataField("quality", "int", allowed_values=("1", "high"))
    assert str(info.value) == "metadata field 'quality': allowed value 'high' must be int"
    assert MetadataField("quality", "int", allowed_values=("1", "2")).allowed_values == (1, 2)


def test_large_batch_reports_first_offender_and_count(repo, gill, stored):
    # Validation is vectorised: a 200,000-row batch with scattered bad latitudes reports the
    # first one and how many others, without storing anything.
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 200_000)
    frame.loc[[150_001, 199_999], "geo_lat"] = [-91.0, 95.5]
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris record 150001: field 'geo_lat' must be within -90..90, got -91.0 "
        "(1 more record(s) have the same problem)",
    )


def test_non_numeric_location_in_dict_record(repo, gill, stored):
    records = [
        {"data_source": gill.identifier, "epoch": "2021-12-02T00:00", "location_geo": None},
        {
            "data_source": gill.identifier,
            "epoch": "2021-12-02T00:01",
            "location_geo": {"lat": "north", "lon": -94.6},
        },
    ]
    _rejects(
        repo,
        stored,
        records,
        "ephemeris record 1: field 'geo_lat' must be a number in degrees, got 'north'",
    )


def test_records_of_the_wrong_shape(repo, gill, stored):
    _rejects(
        repo,
        stored,
        {"data_source": gill.identifier, "epoch": "2021-12-02T00:00"},
        "ephemeris records must be a pandas DataFrame or a list of dicts, got dict",
    )
    _rejects(
        repo,
        stored,
        [{"data_source": gill.identifier, "epoch": "2021-12-02T00:00", "nbtrace": [56.4, -94.6]}],
        "ephemeris record 0: field 'nbtrace' must be null or a mapping with 'lat' and 'lon' "
        "(degrees), got [56.4, -94.6]",
    )
    _rejects(
        repo,
        stored,
        [{"data_source": {"program": "themis-asi"}, "epoch": "2021-12-02T00:00"}],
        "ephemeris record 0: field 'data_source' needs an 'identifier' or all of 'program', "
        "'platform' and 'instrument_type', got {'program': 'themis-asi'}",
    )


def test_metadata_column_and_prefixed_columns_together(repo, gill, stored):
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 2)
    frame["metadata"] = [{}, {}]
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris batch has both a 'metadata' column and 'metadata.<field>' columns "
        "['metadata.calgary_apa_ml_v1', 'metadata.calgary_apa_ml_v1_confidence']; give one or "
        "the other",
    )


def test_bad_query_arguments(repo, gill):
    with pytest.raises(ValidationError) as info:
        repo.availability(start="first of december")
    assert str(info.value).startswith("start must be a UTC time, got 'first of december'")
    with pytest.raises(ValidationError) as info:
        repo.get_data_source()
    assert str(info.value) == (
        "get_data_source needs an identifier or all of program, platform and instrument_type"
    )


def test_multi_source_batch_reports_the_earliest_record(repo, gill, swarm, stored):
    # Record 1 (Swarm) carries a GILL-only key and record 3 (GILL) a value GILL does not
    # allow: the key check runs first and names record 1.
    frame = pd.DataFrame(
        {
            "data_source": [gill.identifier, swarm.identifier, gill.identifier, gill.identifier],
            "epoch": pd.date_range("2021-12-02", periods=4, freq="min"),
            "metadata.calgary_apa_ml_v1": ["not classified", "not classified", None, "APA"],
        }
    )
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris record 1: field 'metadata.calgary_apa_ml_v1' is not in the ephemeris "
        "metadata schema of data source 2 (swarm/swarma/footprint); declared fields are "
        "['nbtrace_region', 'orbit_number', 'radial_distance', 'tii_on'], got 'not classified'",
    )
    frame.loc[1, "metadata.calgary_apa_ml_v1"] = None
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris record 3: field 'metadata.calgary_apa_ml_v1' must be one of "
        "['classified as APA', 'classified as not APA', 'not classified'], got 'APA'",
    )


def test_a_stray_nanosecond_is_not_on_the_minute(repo, gill, stored):
    # DuckDB stores microseconds; the check runs before that truncation could hide this.
    frame = ground_frame(gill.identifier, "2021-12-02T00:00", 3)
    frame["epoch"] = frame["epoch"].astype("datetime64[ns]")
    frame.loc[2, "epoch"] += pd.Timedelta(nanoseconds=500)
    _rejects(
        repo,
        stored,
        frame,
        "ephemeris record 2: field 'epoch' must be exactly on a minute (seconds = 0), "
        "got 2021-12-02T00:02:00.000000500 UTC",
    )
