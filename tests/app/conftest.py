"""A tiny repository built through the library's own ingest, for the dashboard tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aurorax.engine import DataSource, MetadataField, Repository


def build_tiny_repository(path):
    """Two sources: a ground imager with 90 operating minutes and a spacecraft with 120."""
    with Repository(path) as repo:
        gill = repo.add_data_source(
            DataSource(
                program="themis-asi",
                platform="gillam",
                instrument_type="panchromatic ASI",
                source_type="ground",
                display_name="THEMIS-ASI GILL",
                ephemeris_metadata_schema=(
                    MetadataField(
                        "clausen_ml_oath", "string", allowed_values=("classified as arc",)
                    ),
                ),
            )
        )
        swarm = repo.add_data_source(
            DataSource(
                program="swarm",
                platform="swarma",
                instrument_type="footprint",
                source_type="leo",
                display_name="Swarm A",
            )
        )
        start = pd.Timestamp("2021-12-01T00:00", tz="UTC")
        ground_epochs = pd.date_range(start, periods=90, freq="min")
        repo.ingest_ephemeris(
            pd.DataFrame(
                {
                    "data_source": gill.identifier,
                    "epoch": ground_epochs,
                    "geo_lat": 56.38,
                    "geo_lon": -94.64,
                    "gsm_lat": np.nan,
                    "gsm_lon": np.nan,
                    "nbtrace_lat": 56.38,
                    "nbtrace_lon": -94.64,
                    "sbtrace_lat": -72.77,
                    "sbtrace_lon": -134.67,
                    "metadata.clausen_ml_oath": "classified as arc",
                }
            )
        )
        epochs = pd.date_range(start, periods=120, freq="min")
        lat = np.linspace(-80.0, 80.0, 120)
        repo.ingest_ephemeris(
            pd.DataFrame(
                {
                    "data_source": swarm.identifier,
                    "epoch": epochs,
                    "geo_lat": lat,
                    "geo_lon": 10.0,
                    "gsm_lat": lat,
                    "gsm_lon": 0.0,
                    "nbtrace_lat": np.abs(lat),
                    "nbtrace_lon": 10.0,
                    "sbtrace_lat": -np.abs(lat),
                    "sbtrace_lon": 10.0,
                }
            )
        )
    return path


@pytest.fixture
def tiny_repository(tmp_path):
    return build_tiny_repository(tmp_path / "tiny.duckdb")
