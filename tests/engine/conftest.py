"""Shared fixtures for the engine tests: a fresh repository in ``tmp_path`` with two data
sources shaped like AuroraX's (a THEMIS ASI with its ML metadata schema, a Swarm spacecraft
with SSCWeb-style region metadata)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aurorax.engine import DataSource, MetadataField, Repository

# GILL as AuroraX stores it (notes §2): geo = nbtrace, sbtrace from the AACGM mirror point.
GILL_LAT, GILL_LON = 56.376723, -94.643664
GILL_SB_LAT, GILL_SB_LON = -72.769, -134.668

APA_VALUES = ("classified as APA", "classified as not APA", "not classified")

GROUND_SCHEMA = (
    MetadataField("calgary_apa_ml_v1", "string", allowed_values=APA_VALUES),
    MetadataField("calgary_apa_ml_v1_confidence", "double", description="0-100 %"),
)
SPACE_SCHEMA = (
    MetadataField(
        "nbtrace_region",
        "string",
        allowed_values=("polar cap", "cusp", "auroral oval", "mid-latitude", "low latitude"),
    ),
    MetadataField("radial_distance", "double", description="km"),
    MetadataField("tii_on", "bool"),
    MetadataField("orbit_number", "int"),
)
PRODUCT_SCHEMA = (
    MetadataField("keogram_type", "string", allowed_values=("daily", "hourly", "daily_hires")),
)


def table_snapshot(repo: Repository) -> dict[str, list[tuple]]:
    """Every row of every data table, sorted, to compare a store before and after."""
    cursor = repo.cursor()
    out = {}
    for table in ("data_sources", "ephemeris", "data_products", "availability"):
        rows = cursor.execute(f"SELECT * FROM {table}").fetchall()
        out[table] = sorted(rows, key=repr)
    return out


def ground_frame(source_id: int, start: str, minutes: int, seed: int = 0) -> pd.DataFrame:
    """Columnar ephemeris for GILL: one row per operating minute with ML metadata."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "data_source": source_id,
            "epoch": pd.date_range(start, periods=minutes, freq="min"),
            "geo_lat": GILL_LAT,
            "geo_lon": GILL_LON,
            "nbtrace_lat": GILL_LAT,
            "nbtrace_lon": GILL_LON,
            "sbtrace_lat": GILL_SB_LAT,
            "sbtrace_lon": GILL_SB_LON,
            "metadata.calgary_apa_ml_v1": rng.choice(APA_VALUES, minutes),
            "metadata.calgary_apa_ml_v1_confidence": np.round(rng.uniform(0, 100, minutes), 2),
        }
    )


@pytest.fixture
def repo(tmp_path):
    with Repository(tmp_path / "store" / "aurorax.duckdb") as repository:
        yield repository


@pytest.fixture
def gill(repo) -> DataSource:
    return repo.add_data_source(
        DataSource(
            "themis-asi",
            "gillam",
            "panchromatic ASI",
            "ground",
            "THEMIS-ASI GILL",
            metadata={"site_uid": "gill", "latitude": GILL_LAT, "longitude": GILL_LON},
            ephemeris_metadata_schema=GROUND_SCHEMA,
            data_product_metadata_schema=PRODUCT_SCHEMA,
        )
    )


@pytest.fixture
def swarm(repo) -> DataSource:
    return repo.add_data_source(
        DataSource(
            "swarm", "swarma", "footprint", "leo", "Swarm A", ephemeris_metadata_schema=SPACE_SCHEMA
        )
    )
