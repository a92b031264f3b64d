"""aurorax.demo: the embedded demo data set (offline, deterministic, seeded).

Real THEMIS ASI / REGO / TREx RGB site coordinates (``data/sites.csv``), spacecraft propagated with
SGP4 from documented representative orbital elements, imager operation from the real sun elevation and
a seeded weather/outage model, and ML-style metadata derived from a physical auroral model in magnetic
coordinates that the image renderer also uses. See ``docs/demo.md``.
"""

from ._build import (
    AACGM_FOOTPRINT_MAX_ALTITUDE_KM,
    DARK_SUN_ELEVATION_DEG,
    DemoBuildError,
    DemoSummary,
    build_demo,
    demo_programs,
    keogram_url,
)
from ._model import APA_LABELS, CLOUD_LABELS, EMISSIONS, FOV_RADIUS_KM, OATH_LABELS, AuroralModel
from ._orbits import (
    SPACECRAFT,
    PropagationError,
    SpacecraftElements,
    ecef_to_geodetic,
    geodetic_to_ecef,
    gmst_rad,
    propagate,
    teme_to_ecef,
)
from ._schemas import (
    GROUND_EPHEMERIS_SCHEMA,
    KEOGRAM_SCHEMA,
    SPACE_EPHEMERIS_SCHEMA,
    SPACECRAFT_REGIONS,
    TRACE_REGIONS,
)
from ._sites import SITES_COLUMNS, SitesFileError, load_sites, sites_csv_candidates
from ._weather import WeatherModel

__all__ = [
    "AACGM_FOOTPRINT_MAX_ALTITUDE_KM",
    "APA_LABELS",
    "AuroralModel",
    "CLOUD_LABELS",
    "DARK_SUN_ELEVATION_DEG",
    "DemoBuildError",
    "DemoSummary",
    "EMISSIONS",
    "FOV_RADIUS_KM",
    "GROUND_EPHEMERIS_SCHEMA",
    "KEOGRAM_SCHEMA",
    "OATH_LABELS",
    "PropagationError",
    "SITES_COLUMNS",
    "SPACECRAFT",
    "SPACECRAFT_REGIONS",
    "SPACE_EPHEMERIS_SCHEMA",
    "SitesFileError",
    "SpacecraftElements",
    "TRACE_REGIONS",
    "WeatherModel",
    "build_demo",
    "demo_programs",
    "ecef_to_geodetic",
    "geodetic_to_ecef",
    "gmst_rad",
    "keogram_url",
    "load_sites",
    "propagate",
    "sites_csv_candidates",
    "teme_to_ecef",
]
