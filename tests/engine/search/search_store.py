"""Tiny stores for the search tests, built through the Repository's public ingest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aurorax.engine import DataSource, MetadataField

GILL_LAT, GILL_LON = 56.376723, -94.643664
FSMI_LAT, FSMI_LON = 60.03, -111.93
APA = ("classified as APA", "classified as not APA", "not classified")
GROUND_SCHEMA = (
    MetadataField("calgary_apa_ml_v1", "string", allowed_values=APA),
    MetadataField("calgary_apa_ml_v1_confidence", "double"),
)
SPACE_SCHEMA = (
    MetadataField("nbtrace_region", "string"),
    MetadataField("orbit_number", "int"),
)
START = pd.Timestamp("2021-12-01T00:00:00")
# One degree of latitude on the 110 km footprint sphere.
KM_PER_DEG = (6371.2 + 110.0) * np.pi / 180.0


def add_sources(repo) -> dict[str, DataSource]:
    """THEMIS ASI GILL and FSMI (ground), Swarm A (leo), THEMIS-D (heo), a substorm list."""
    specs = {
        "gill": DataSource(
            "themis-asi",
            "gillam",
            "panchromatic ASI",
            "ground",
            "THEMIS-ASI GILL",
            ephemeris_metadata_schema=GROUND_SCHEMA,
        ),
        "fsmi": DataSource(
            "themis-asi",
            "fort smith",
            "panchromatic ASI",
            "ground",
            "THEMIS-ASI FSMI",
            ephemeris_metadata_schema=GROUND_SCHEMA,
        ),
        "swarma": DataSource(
            "swarm", "swarma", "footprint", "leo", "Swarm A", ephemeris_metadata_schema=SPACE_SCHEMA
        ),
        "themisd": DataSource(
            "themis",
            "themisd",
            "footprint",
            "heo",
            "THEMIS-D",
            ephemeris_metadata_schema=SPACE_SCHEMA,
        ),
        "onsets": DataSource(
            "events", "substorm list", "substorm onset", "event_list", "Substorm onsets"
        ),
    }
    return {k: repo.add_data_source(v) for k, v in specs.items()}


def ground_frame(
    source: DataSource, lat: float, lon: float, minutes, confidence=None
) -> pd.DataFrame:
    """Ground ephemeris at ``minutes`` after START: fixed site, nbtrace = geo (northern site)."""
    minutes = np.asarray(minutes)
    conf = np.full(minutes.size, 99.0) if confidence is None else np.asarray(confidence, float)
    return pd.DataFrame(
        {
            "data_source": source.identifier,
            "epoch": START + pd.to_timedelta(minutes, unit="min"),
            "geo_lat": lat,
            "geo_lon": lon,
            "nbtrace_lat": lat,
            "nbtrace_lon": lon,
            "sbtrace_lat": -lat,
            "sbtrace_lon": lon,
            "metadata.calgary_apa_ml_v1": np.where(conf >= 50, APA[0], APA[1]),
            "metadata.calgary_apa_ml_v1_confidence": conf,
        }
    )


def space_frame(source: DataSource, minutes, lat, lon, geo_lat=None, orbit=1) -> pd.DataFrame:
    """Spacecraft ephemeris: nbtrace at (lat, lon); geographic position ``geo_lat`` (default lat)."""
    minutes = np.asarray(minutes)
    lat = np.broadcast_to(np.asarray(lat, float), minutes.shape)
    lon = np.broadcast_to(np.asarray(lon, float), minutes.shape)
    geo = lat if geo_lat is None else np.broadcast_to(np.asarray(geo_lat, float), minutes.shape)
    return pd.DataFrame(
        {
            "data_source": source.identifier,
            "epoch": START + pd.to_timedelta(minutes, unit="min"),
            "geo_lat": geo,
            "geo_lon": lon,
            "nbtrace_lat": lat,
            "nbtrace_lon": lon,
            "sbtrace_lat": -lat,
            "sbtrace_lon": lon,
            "metadata.nbtrace_region": "auroral oval",
            "metadata.orbit_number": orbit,
        }
    )
