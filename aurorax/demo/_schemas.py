"""Metadata schemas and data-source records of the demo sources (AuroraX vocabulary)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from aurorax.engine import DataSource, MetadataField

from ._model import APA_LABELS, CLOUD_LABELS, OATH_LABELS
from ._orbits import SpacecraftElements

__all__ = [
    "GROUND_EPHEMERIS_SCHEMA",
    "SPACE_EPHEMERIS_SCHEMA",
    "KEOGRAM_SCHEMA",
    "TRACE_REGIONS",
    "SPACECRAFT_REGIONS",
    "DEMO_MARKER",
    "DEMO_BUILD_VERSION",
    "ground_data_source",
    "space_data_source",
]

#: Key in every demo data source's ``metadata``; marks a repository as built by ``build_demo``.
DEMO_MARKER = "aurorax_demo"
#: Version of what ``build_demo`` builds, stored in the marker (``build_version``). Raise it when
#: the demo's content changes (new programs, images, metadata), so that ``prepare_demo`` (the
#: dashboard's start-up) rebuilds demos built before; demos older than version 1 carry none.
#: 1: TREx RGB colour imagers with rendered images.
DEMO_BUILD_VERSION = 1

#: SSCWeb-style regions of a B-trace footprint (``"none"``: the field line does not reach the
#: footprint altitude in that hemisphere, e.g. it is open or the tracer gave up).
TRACE_REGIONS = (
    "polar cap",
    "cusp",
    "cleft",
    "auroral oval",
    "mid-latitude",
    "low latitude",
    "none",
)
#: Coarse SSCWeb-style magnetospheric regions of a spacecraft.
SPACECRAFT_REGIONS = (
    "dayside plasmasphere",
    "nightside plasmasphere",
    "dayside magnetosphere",
    "nightside magnetosphere",
    "plasma sheet",
    "tail lobe",
    "high latitude boundary layer",
    "dayside magnetosheath",
)

_DEMO_NOTE = "Demo data: derived from aurorax's seeded auroral and weather models, not real data."

GROUND_EPHEMERIS_SCHEMA: tuple[MetadataField, ...] = (
    MetadataField(
        "calgary_apa_ml_v1",
        "string",
        "Amorphous pulsating aurora (APA) classification of the minute's images",
        APA_LABELS,
        _DEMO_NOTE,
    ),
    MetadataField(
        "calgary_apa_ml_v1_confidence",
        "double",
        "Confidence of calgary_apa_ml_v1, percent (0-100)",
        (),
        _DEMO_NOTE,
    ),
    MetadataField(
        "calgary_cloud_ml_v1",
        "string",
        "Cloud classification of the minute's images",
        CLOUD_LABELS,
        _DEMO_NOTE,
    ),
    MetadataField(
        "calgary_cloud_ml_v1_confidence",
        "double",
        "Confidence of calgary_cloud_ml_v1, percent (0-100)",
        (),
        _DEMO_NOTE,
    ),
    MetadataField(
        "clausen_ml_oath",
        "string",
        "Auroral morphology class (Clausen & Nickisch 2018 OATH classes)",
        OATH_LABELS,
        _DEMO_NOTE + " The demo never produces 'classified as moon'.",
    ),
)

SPACE_EPHEMERIS_SCHEMA: tuple[MetadataField, ...] = (
    MetadataField("radial_distance", "double", "Geocentric distance of the spacecraft, km"),
    MetadataField(
        "nbtrace_region",
        "string",
        "Region of the north B-trace footprint relative to the demo auroral oval",
        TRACE_REGIONS,
    ),
    MetadataField(
        "sbtrace_region",
        "string",
        "Region of the south B-trace footprint relative to the demo auroral oval",
        TRACE_REGIONS,
    ),
    MetadataField(
        "spacecraft_region",
        "string",
        "Coarse magnetospheric region of the spacecraft (dipole L-shell and GSM position)",
        SPACECRAFT_REGIONS,
    ),
    MetadataField("state", "string", "Ephemeris state", ("definitive", "predictive")),
)

#: Data-product metadata of the demo imagers: keograms (``keogram_type``) and the movies of the
#: rendered nights (``movie_type``); the name is kept from when keograms were the only product.
KEOGRAM_SCHEMA: tuple[MetadataField, ...] = (
    MetadataField("keogram_type", "string", "Keogram kind", ("daily", "hourly")),
    MetadataField("movie_type", "string", "Movie kind", ("daily",)),
    MetadataField("operating_minutes", "int", "Minutes of imaging the product covers"),
)


def _marker(seed: int, start: pd.Timestamp, days: int) -> dict:
    marker = {"seed": int(seed), "start": start.isoformat(), "days": int(days)}
    return {DEMO_MARKER: marker | {"build_version": DEMO_BUILD_VERSION}}


def ground_data_source(site: Mapping, seed: int, start: pd.Timestamp, days: int) -> DataSource:
    """The data source of one demo imager (a row of :func:`load_sites`)."""
    metadata = {
        "site_uid": site["site_uid"],
        "geo_lat": float(site["lat"]),
        "geo_lon": float(site["lon"]),
        "altitude_km": float(site["alt_km"]),
        **_marker(seed, start, days),
    }
    return DataSource(
        program=site["program"],
        platform=site["platform"],
        instrument_type=site["instrument_type"],
        source_type="ground",
        display_name=site["display_name"],
        owner="demo@aurorax.invalid",
        metadata=metadata,
        ephemeris_metadata_schema=GROUND_EPHEMERIS_SCHEMA,
        data_product_metadata_schema=KEOGRAM_SCHEMA,
    )


def space_data_source(
    elements: SpacecraftElements, seed: int, start: pd.Timestamp, days: int
) -> DataSource:
    """The data source of one demo spacecraft, with its orbital elements in ``metadata``."""
    metadata = {
        "orbital_elements": {
            "epoch": pd.Timestamp(elements.epoch).isoformat(),
            "inclination_deg": elements.inclination_deg,
            "raan_deg": elements.raan_deg,
            "eccentricity": elements.eccentricity,
            "arg_perigee_deg": elements.arg_perigee_deg,
            "mean_anomaly_deg": elements.mean_anomaly_deg,
            "mean_motion_rev_per_day": elements.mean_motion_rev_per_day,
            "gravity_model": "WGS72",
            "provenance": elements.provenance,
        },
        **_marker(seed, start, days),
    }
    return DataSource(
        program=elements.program,
        platform=elements.platform,
        instrument_type="footprint",
        source_type=elements.source_type,
        display_name=elements.display_name,
        owner="demo@aurorax.invalid",
        metadata=metadata,
        ephemeris_metadata_schema=SPACE_EPHEMERIS_SCHEMA,
    )
