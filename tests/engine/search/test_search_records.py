"""Ephemeris search, data product search and the availability summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aurorax.engine import (
    DataProductQuery,
    DataSource,
    EphemerisQuery,
    MetadataField,
    Repository,
    ValidationError,
    availability_summary,
    search_data_products,
    search_ephemeris,
)

from .search_store import GILL_LAT, GILL_LON, START, add_sources, ground_frame, space_frame


@pytest.fixture
def store(tmp_path):
    with Repository(tmp_path / "r.duckdb") as repo:
        src = add_sources(repo)
        conf = np.where(np.arange(1500) % 2 == 0, 99.0, 10.0)
        repo.ingest_ephemeris(ground_frame(src["gill"], GILL_LAT, GILL_LON, np.arange(1500), conf))
        repo.ingest_ephemeris(space_frame(src["swarma"], np.arange(30), 60.0, -100.0, orbit=7))
        keo = DataSource(
            "themis-asi",
            "gillam",
            "keogram maker",
            "ground",
            "GILL keograms",
            data_product_metadata_schema=(MetadataField("keogram_type", "string"),),
        )
        keo = repo.add_data_source(keo)
        day = START
        products = pd.DataFrame(
            {
                "data_source": keo.identifier,
                "data_product_type": ["keogram", "keogram", "movie"],
                "start": [day, day + pd.Timedelta(hours=1), day],
                "end": [
                    day + pd.Timedelta(hours=23, minutes=59),
                    day + pd.Timedelta(hours=2),
                    day + pd.Timedelta(hours=1),
                ],
                "url": ["https://x/daily.png", "https://x/hourly.png", "https://x/movie.mp4"],
                "metadata.keogram_type": ["daily", "hourly", None],
            }
        )
        repo.ingest_data_products(products)
        yield repo, src


def test_ephemeris_search_by_program_and_metadata(store):
    repo, src = store
    body = {
        "start": "2021-12-01T00:10:00",
        "end": "2021-12-01T00:20:00",
        "data_sources": {
            "programs": ["swarm"],
            "ephemeris_metadata_filters": {
                "expressions": [{"key": "orbit_number", "operator": "=", "values": ["7"]}]
            },
        },
    }
    df = search_ephemeris(repo, body)
    assert len(df) == 10
    assert df["epoch"].iloc[0] == pd.Timestamp("2021-12-01T00:10:00", tz="UTC")
    assert df["display_name"].unique().tolist() == ["Swarm A"]
    assert df["nbtrace_lat"].iloc[0] == 60.0 and df["metadata"].iloc[0] == {
        "nbtrace_region": "auroral oval",
        "orbit_number": 7,
    }
    assert EphemerisQuery.from_json(body).to_json()["data_sources"]["programs"] == ["swarm"]
    ground = search_ephemeris(
        repo,
        EphemerisQuery(
            "2021-12-01",
            "2021-12-01T01:00",
            platforms=["GILLAM"],
            metadata_filter={
                "expressions": [
                    {"key": "calgary_apa_ml_v1_confidence", "operator": ">", "values": [50]}
                ]
            },
        ),
    )
    assert len(ground) == 30 and (ground["epoch"].dt.minute % 2 == 0).all()


def test_data_product_search(store):
    repo, _ = store
    body = {
        "start": "2021-12-01T00:00:00",
        "end": "2021-12-02T00:00:00",
        "data_sources": {
            "programs": ["themis-asi"],
            "data_product_metadata_filters": {
                "expressions": [{"key": "keogram_type", "operator": "=", "values": ["daily"]}]
            },
        },
        "data_product_type_filters": ["keogram"],
    }
    df = search_data_products(repo, body)
    assert df["url"].tolist() == ["https://x/daily.png"]
    assert df["end"].iloc[0] == pd.Timestamp("2021-12-01T23:59:00", tz="UTC")
    # A product must lie inside the window.
    q = DataProductQuery("2021-12-01T00:30", "2021-12-02", data_product_types=["keogram", "movie"])
    assert search_data_products(repo, q)["url"].tolist() == ["https://x/hourly.png"]
    with pytest.raises(ValidationError) as info:
        DataProductQuery("2021-12-01", "2021-12-02", data_product_types=["gif"])
    assert str(info.value) == (
        "data_product_types: 'gif' is not allowed; allowed: keogram, montage, movie, summary_plot, data_availability"
    )


def test_unknown_platform_and_empty_match(store):
    repo, _ = store
    with pytest.raises(ValidationError) as info:
        search_ephemeris(repo, EphemerisQuery("2021-12-01", "2021-12-02", platforms=["gilam"]))
    assert str(info.value).startswith(
        "data_sources.platforms: unknown platform 'gilam'; known: fort smith, gillam,"
    )
    df = search_ephemeris(repo, EphemerisQuery("2021-12-01", "2021-12-02", programs=["events"]))
    assert len(df) == 0 and "epoch" in df.columns


def test_availability_summary_per_source_per_day(store):
    repo, _ = store
    df = availability_summary(
        repo, "2021-12-01", "2021-12-03", programs=["themis-asi"], source_type="ground"
    )
    gill = df[df["display_name"] == "THEMIS-ASI GILL"]
    assert gill["ephemeris_count"].tolist() == [1440, 60]
    assert gill["day"].dt.strftime("%Y-%m-%d").tolist() == ["2021-12-01", "2021-12-02"]
    keo = df[df["display_name"] == "GILL keograms"]
    assert keo["data_product_count"].tolist() == [3]
