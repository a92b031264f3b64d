"""Ingest stores what it is given, replaces re-ingested minutes/URLs, and is all-or-nothing."""

from __future__ import annotations

import datetime as dt
import json
import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurorax.engine import (
    ConflictError,
    DataSource,
    NotFoundError,
    Repository,
    StoreError,
    ValidationError,
    data_product_frame_to_records,
    ephemeris_frame_to_records,
)
from aurorax.engine.store import _ingest
from tests.engine.conftest import (
    GILL_LAT,
    GILL_LON,
    GILL_SB_LAT,
    GILL_SB_LON,
    GROUND_SCHEMA,
    ground_frame,
    table_snapshot,
)


def _ephemeris(repo, source_id=None):
    sql = "SELECT * FROM ephemeris"
    params = []
    if source_id is not None:
        sql += " WHERE data_source = ?"
        params = [source_id]
    return repo.cursor().execute(sql + " ORDER BY data_source, epoch", params).df()


def test_columnar_ingest_stores_values(repo, gill):
    frame = ground_frame(gill.identifier, "2021-12-01T06:00", 90, seed=3)
    assert repo.ingest_ephemeris(frame) == 90
    stored = _ephemeris(repo)
    assert len(stored) == 90
    assert stored["epoch"].iloc[0] == pd.Timestamp("2021-12-01T06:00")
    assert stored["epoch"].iloc[-1] == pd.Timestamp("2021-12-01T07:29")
    assert stored["geo_lat"].eq(GILL_LAT).all() and stored["geo_lon"].eq(GILL_LON).all()
    assert stored["sbtrace_lat"].eq(GILL_SB_LAT).all()
    # Ground instruments have no GSM location: stored as SQL NULL, not NaN.
    nulls = repo.cursor().execute("SELECT count(*) FROM ephemeris WHERE gsm_lat IS NULL").fetchone()
    assert nulls == (90,)
    first = json.loads(stored["metadata"].iloc[0])
    assert first == {
        "calgary_apa_ml_v1": frame["metadata.calgary_apa_ml_v1"].iloc[0],
        "calgary_apa_ml_v1_confidence": frame["metadata.calgary_apa_ml_v1_confidence"].iloc[0],
    }


def test_metadata_queryable_with_duckdb_json(repo, gill):
    frame = ground_frame(gill.identifier, "2021-12-01T06:00", 120, seed=4)
    repo.ingest_ephemeris(frame)
    expected = int((frame["metadata.calgary_apa_ml_v1"] == "classified as APA").sum())
    count = (
        repo.cursor()
        .execute(
            "SELECT count(*) FROM ephemeris "
            "WHERE metadata->>'$.calgary_apa_ml_v1' = 'classified as APA'"
        )
        .fetchone()[0]
    )
    assert count == expected > 0
    confident = (
        repo.cursor()
        .execute(
            "SELECT count(*) FROM ephemeris "
            "WHERE CAST(metadata->>'$.calgary_apa_ml_v1_confidence' AS DOUBLE) >= 50"
        )
        .fetchone()[0]
    )
    assert confident == int((frame["metadata.calgary_apa_ml_v1_confidence"] >= 50).sum())


def test_timezone_aware_epochs_are_converted_to_utc(repo, gill):
    frame = ground_frame(gill.identifier, "2021-12-01T06:00", 3)
    frame["epoch"] = frame["epoch"].dt.tz_localize("UTC").dt.tz_convert("America/Winnipeg")
    repo.ingest_ephemeris(frame)
    assert _ephemeris(repo)["epoch"].tolist() == list(
        pd.date_range("2021-12-01T06:00", periods=3, freq="min")
    )


def test_metadata_column_of_dicts_equals_prefixed_columns(repo, gill, swarm):
    prefixed = ground_frame(gill.identifier, "2021-12-01T06:00", 20, seed=5)
    as_dicts = prefixed.drop(columns=[c for c in prefixed if c.startswith("metadata.")])
    as_dicts["metadata"] = [
        {"calgary_apa_ml_v1": a, "calgary_apa_ml_v1_confidence": c}
        for a, c in zip(
            prefixed["metadata.calgary_apa_ml_v1"],
            prefixed["metadata.calgary_apa_ml_v1_confidence"],
            strict=True,
        )
    ]
    repo.ingest_ephemeris(prefixed)
    first = _ephemeris(repo)
    repo.ingest_ephemeris(as_dicts)
    second = _ephemeris(repo)
    pd.testing.assert_frame_equal(first, second)


def test_dict_records_round_trip(repo, gill, swarm):
    records = [
        {
            "data_source": {
                "program": "swarm",
                "platform": "swarma",
                "instrument_type": "footprint",
            },
            "epoch": "2021-12-01T06:00:00",
            "location_geo": {"lat": 71.25, "lon": -101.5},
            "location_gsm": {"lat": 68.0, "lon": 150.25},
            "nbtrace": {"lat": 70.5, "lon": -99.75},
            "sbtrace": {"lat": -62.0, "lon": 160.0},
            "metadata": {
                "nbtrace_region": "auroral oval",
                "radial_distance": 6832.5,
                "tii_on": True,
                "orbit_number": 47001,
            },
        },
        {
            "data_source": {"identifier": gill.identifier},
            "epoch": dt.datetime(2021, 12, 1, 6, 0, tzinfo=dt.UTC),
            "location_geo": {"lat": GILL_LAT, "lon": GILL_LON},
            "location_gsm": None,
            "nbtrace": {"lat": GILL_LAT, "lon": GILL_LON},
            "sbtrace": {"lat": GILL_SB_LAT, "lon": GILL_SB_LON},
            "metadata": {"calgary_apa_ml_v1": "not classified"},
        },
    ]
    assert repo.ingest_ephemeris(records) == 2
    back = ephemeris_frame_to_records(_ephemeris(repo), repo.list_data_sources())
    assert back[0] == {
        "data_source": gill.basic_info(),
        "epoch": "2021-12-01T06:00:00",
        "location_geo": {"lat": GILL_LAT, "lon": GILL_LON},
        "location_gsm": {"lat": None, "lon": None},
        "nbtrace": {"lat": GILL_LAT, "lon": GILL_LON},
        "sbtrace": {"lat": GILL_SB_LAT, "lon": GILL_SB_LON},
        "metadata": {"calgary_apa_ml_v1": "not classified"},
    }
    assert back[1] == records[0] | {"data_source": swarm.basic_info()}
    # The returned dicts are accepted by ingest again (same minutes: replaced, not added).
    assert repo.ingest_ephemeris(back) == 2
    assert len(_ephemeris(repo)) == 2


def test_reingest_replaces_minutes(repo, gill):
    repo.ingest_ephemeris(ground_frame(gill.identifier, "2021-12-01T06:00", 60, seed=1))
    again = ground_frame(gill.identifier, "2021-12-01T06:30", 60, seed=2)
    again["metadata.calgary_apa_ml_v1_confidence"] = 42.0
    repo.ingest_ephemeris(again)
    stored = _ephemeris(repo)
    assert len(stored) == 90  # 06:00-07:29, the 30 overlapping minutes replaced
    assert not stored.duplicated(["data_source", "epoch"]).any()
    confidence = stored["metadata"].map(lambda m: json.loads(m)["calgary_apa_ml_v1_confidence"])
    assert (confidence[stored["epoch"] >= pd.Timestamp("2021-12-01T06:30")] == 42.0).all()
    assert (confidence[stored["epoch"] < pd.Timestamp("2021-12-01T06:30")] != 42.0).all()
    avail = repo.availability()
    assert avail["ephemeris_count"].tolist() == [90]


def test_failure_mid_batch_rolls_back(repo, gill, monkeypatch):
    repo.ingest_ephemeris(ground_frame(gill.identifier, "2021-12-01T23:00", 120, seed=1))
    before = table_snapshot(repo)
    original = _ingest.write_ephemeris

    def failing(con, batch):
        original(con, batch)  # the delete and insert have run inside the transaction...
        con.execute("SELECT error('disk full while updating availability')")

    monkeypatch.setattr("aurorax.engine.store._repository.write_ephemeris", failing)
    with pytest.raises(StoreError) as info:
        repo.ingest_ephemeris(ground_frame(gill.identifier, "2021-12-02T00:00", 60, seed=9))
    assert str(info.value).startswith(
        f"ephemeris ingest failed in repository {repo.path}, nothing was stored: "
    )
    assert "disk full while updating availability" in str(info.value)
    assert table_snapshot(repo) == before  # ...and were rolled back


def test_multi_source_batch_keeps_each_sources_keys(repo, gill, swarm):
    frame = pd.DataFrame(
        {
            "data_source": [gill.identifier, swarm.identifier],
            "epoch": pd.to_datetime(["2021-12-01T06:00", "2021-12-01T06:00"]),
            "geo_lat": [GILL_LAT, 66.0],
            "geo_lon": [GILL_LON, -100.0],
            "metadata.calgary_apa_ml_v1": ["classified as APA", None],
            "metadata.tii_on": [None, False],
        }
    )
    repo.ingest_ephemeris(frame)
    stored = _ephemeris(repo)
    assert [json.loads(m) for m in stored["metadata"]] == [
        {"calgary_apa_ml_v1": "classified as APA"},
        {"tii_on": False},
    ]


def test_data_products_ingest_replace_and_availability(repo, gill):
    products = [
        {
            "data_source": gill.identifier,
            "data_product_type": "keogram",
            "start": f"2021-12-0{day}T00:00:00",
            "end": f"2021-12-0{day}T23:59:59",
            "url": f"https://example.org/gill/2021120{day}_keogram.png",
            "metadata": {"keogram_type": "daily"},
        }
        for day in (1, 2)
    ]
    assert repo.ingest_data_products(products) == 2
    # The same URL re-ingested with another day replaces the product and moves its count.
    moved = products[1] | {"start": "2021-12-03T00:00:00", "end": "2021-12-03T23:59:59"}
    assert repo.ingest_data_products([moved]) == 1
    stored = (
        repo.cursor().execute('SELECT url, start, "end" FROM data_products ORDER BY start').df()
    )
    assert stored["url"].tolist() == [products[0]["url"], products[1]["url"]]
    assert stored["start"].tolist() == [pd.Timestamp("2021-12-01"), pd.Timestamp("2021-12-03")]
    avail = repo.availability(data_sources=[gill])
    assert avail["day"].dt.strftime("%Y-%m-%d").tolist() == ["2021-12-01", "2021-12-03"]
    assert avail["data_product_count"].tolist() == [1, 1]
    back = data_product_frame_to_records(
        repo.cursor().execute("SELECT * FROM data_products ORDER BY start").df(),
        repo.list_data_sources(),
    )
    assert back[1] == moved | {"data_source": gill.basic_info()}


def test_empty_batch_is_a_no_op(repo, gill):
    frame = ground_frame(gill.identifier, "2021-12-01T06:00", 0)
    before = table_snapshot(repo)
    assert repo.ingest_ephemeris(frame) == 0
    assert repo.ingest_ephemeris([]) == 0
    assert table_snapshot(repo) == before


def test_null_geographic_location_is_allowed(repo, gill):
    # AuroraX allows null locations for "global" events (pyaurorax #78).
    frame = ground_frame(gill.identifier, "2021-12-01T06:00", 2)
    frame[["geo_lat", "geo_lon"]] = np.nan
    repo.ingest_ephemeris(frame)
    assert repo.cursor().execute(
        "SELECT count(*) FROM ephemeris WHERE geo_lat IS NULL AND geo_lon IS NULL"
    ).fetchone() == (2,)


@settings(max_examples=25, deadline=None)
@given(
    first=st.sets(st.integers(0, 2 * 1440 - 1), min_size=1, max_size=200),
    second=st.sets(st.integers(0, 2 * 1440 - 1), min_size=1, max_size=200),
)
def test_replace_semantics_property(first, second):
    """After ingesting two overlapping batches: the union of minutes, the second batch's
    values where they overlap, and availability counting each minute once per day."""
    start = pd.Timestamp("2021-12-01")
    with Repository(":memory:") as repo:
        source = repo.add_data_source(
            DataSource("p", "q", "r", "ground", "P", ephemeris_metadata_schema=GROUND_SCHEMA)
        )
        for minutes, confidence in ((first, 10.0), (second, 20.0)):
            offsets = sorted(minutes, reverse=True)  # unsorted on purpose: ingest sorts
            repo.ingest_ephemeris(
                pd.DataFrame(
                    {
                        "data_source": source.identifier,
                        "epoch": start + pd.to_timedelta(offsets, unit="min"),
                        "metadata.calgary_apa_ml_v1_confidence": confidence,
                    }
                )
            )
        stored = (
            repo.cursor()
            .execute(
                "SELECT epoch, CAST(metadata->>'$.calgary_apa_ml_v1_confidence' AS DOUBLE) AS c "
                "FROM ephemeris"
            )
            .df()
        )
        expected = {start + pd.Timedelta(minutes=m): 20.0 if m in second else 10.0
                    for m in first | second}  # fmt: skip
        assert dict(zip(stored["epoch"], stored["c"], strict=True)) == expected
        per_day = pd.Series([m // 1440 for m in first | second]).value_counts().sort_index()
        avail = repo.availability()
        assert avail["ephemeris_count"].tolist() == per_day.tolist()
        assert (avail["day"].dt.day - 1).tolist() == per_day.index.tolist()


def test_readers_never_see_half_a_batch(repo, gill):
    batches = [ground_frame(gill.identifier, "2021-12-01", 500).iloc[i::10] for i in range(10)]
    seen: list[int] = []
    done = threading.Event()

    def read() -> None:
        cursor = repo.cursor()
        while not done.is_set():
            seen.append(cursor.execute("SELECT count(*) FROM ephemeris").fetchone()[0])
        cursor.close()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for batch in batches:
            repo.ingest_ephemeris(batch)
    finally:
        done.set()
        reader.join(timeout=30)
    assert seen, "the reader ran no query"
    assert all(count % 50 == 0 for count in seen)  # whole batches of 50 only
    assert repo.counts()["ephemeris_count"].tolist() == [500]


def test_threads_sharing_a_repository_take_turns_writing(repo, gill, swarm):
    errors: list[BaseException] = []

    def load(source_id: int) -> None:
        try:
            for hour in range(5):
                frame = ground_frame(gill.identifier, f"2021-12-01T0{hour}:00", 60)
                if source_id != gill.identifier:
                    frame = frame[["epoch", "geo_lat", "geo_lon"]].assign(data_source=source_id)
                repo.ingest_ephemeris(frame)
                repo.list_data_sources()  # reads interleave with the other thread's writes
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(s.identifier,)) for s in (gill, swarm)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert repo.counts()["ephemeris_count"].tolist() == [300, 300]


def test_delete_ephemeris_range_and_availability(repo, gill, swarm):
    repo.ingest_ephemeris(ground_frame(gill.identifier, "2021-12-01T22:00", 240))  # to 02:00
    # Half-open [start, end): 23:30 up to (not including) 01:00 is 90 minutes.
    assert repo.delete_ephemeris(gill, "2021-12-01T23:30", "2021-12-02T01:00") == 90
    epochs = _ephemeris(repo)["epoch"]
    assert len(epochs) == 150
    assert pd.Timestamp("2021-12-01T23:29") in set(epochs)
    assert pd.Timestamp("2021-12-02T01:00") in set(epochs)
    assert not epochs.between(
        pd.Timestamp("2021-12-01T23:30"), pd.Timestamp("2021-12-02T00:59")
    ).any()
    assert repo.availability()["ephemeris_count"].tolist() == [90, 60]
    # Deleting the rest of day 2 removes its availability row.
    assert repo.delete_ephemeris(gill.identifier, "2021-12-02", "2021-12-03") == 60
    avail = repo.availability()
    assert avail["day"].tolist() == [pd.Timestamp("2021-12-01", tz="UTC")]
    assert repo.delete_ephemeris(swarm, "2021-12-01", "2021-12-03") == 0
    with pytest.raises(ValidationError) as info:
        repo.delete_ephemeris(gill, "2021-12-02", "2021-12-01")
    assert str(info.value) == (
        "end 2021-12-01 00:00:00 must be after start 2021-12-02 00:00:00 (UTC, [start, end))"
    )


def test_delete_data_products_and_source(repo, gill, swarm):
    products = [
        {
            "data_source": gill.identifier,
            "data_product_type": "keogram",
            "start": f"2021-12-0{day}T00:00:00",
            "end": f"2021-12-0{day}T23:59:59",
            "url": f"https://example.org/gill/2021120{day}_keogram.png",
        }
        for day in (1, 2)
    ]
    repo.ingest_data_products(products)
    repo.ingest_ephemeris(ground_frame(gill.identifier, "2021-12-01T06:00", 10))
    assert repo.delete_data_products([products[1]["url"], "https://example.org/none.png"]) == 1
    avail = repo.availability()
    assert avail[["ephemeris_count", "data_product_count"]].values.tolist() == [[10, 1]]
    with pytest.raises(ConflictError) as info:
        repo.delete_data_source(gill)
    assert str(info.value) == (
        "data source 1 (themis-asi/gillam/panchromatic ASI) still has 10 ephemeris record(s) "
        "and 1 data product(s); delete them first"
    )
    # Deleting through another source names the product's own source and deletes nothing.
    with pytest.raises(ConflictError) as info:
        repo.delete_data_products([products[0]["url"]], data_source=swarm)
    assert str(info.value) == (
        f"data product {products[0]['url']!r} belongs to data source {gill.identifier}, not "
        f"{swarm.identifier}; nothing was deleted"
    )
    assert repo.availability()["data_product_count"].tolist() == [1]
    repo.delete_data_source(swarm)
    assert [s.identifier for s in repo.list_data_sources()] == [gill.identifier]
    with pytest.raises(NotFoundError):
        repo.delete_data_source(swarm)
    assert repo.delete_data_products([products[0]["url"]], data_source=gill) == 1
    repo.delete_ephemeris(gill, "2021-12-01", "2021-12-02")
    repo.delete_data_source(gill)
    assert table_snapshot(repo) == {
        "data_sources": [],
        "ephemeris": [],
        "data_products": [],
        "availability": [],
    }
