"""aurorax.demo: the embedded demo data set (offline, deterministic, seeded).

Real THEMIS ASI / REGO / TREx RGB site coordinates (``data/sites.csv``), spacecraft propagated with
SGP4 from documented representative orbital elements, imager operation from the real sun elevation and
a seeded weather/outage model, and ML-style metadata derived from a physical auroral model in magnetic
coordinates that the image renderer also uses. See ``docs/demo.md``.
"""

from ._build import (
    AACGM_FOOTPRINT_MAX_ALTITUDE_KM,
    DARK_SUN_ELEVATION_DEG,
    DEFAULT_DAYS,
    IMAGE_BINNING,
    IMAGE_CADENCE_S,
    RENDERED_PROGRAMS,
    DemoBuildError,
    DemoSummary,
    build_demo,
    demo_programs,
)
from ._images import (
    DEMO_IMAGE_SITES,
    REGO_CAMERA,
    THEMIS_CAMERA,
    CameraModel,
    FrameRenderer,
    camera_for_program,
    dark_hours,
    render_demo_images,
    van_rhijn_factor,
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
from ._products import (
    DISPLAY_SPAN_R,
    KEOGRAM_WIDTH_PX,
    keogram_image,
    keogram_limits,
    render_demo_products,
    render_products,
    write_keogram_png,
)
from ._schemas import (
    GROUND_EPHEMERIS_SCHEMA,
    KEOGRAM_SCHEMA,
    SPACE_EPHEMERIS_SCHEMA,
    SPACECRAFT_REGIONS,
    TRACE_REGIONS,
)
from ._sites import SITES_COLUMNS, SitesFileError, load_sites, sites_csv_candidates
from ._skymaps import (
    REGO_LENS,
    THEMIS_LENS,
    FisheyeLens,
    demo_skymap_path,
    fisheye_azel,
    lens_for_program,
    make_demo_skymap,
    write_demo_skymap,
)
from ._urls import keogram_url, movie_url, product_path
from ._weather import WeatherModel

__all__ = [
    "AACGM_FOOTPRINT_MAX_ALTITUDE_KM",
    "APA_LABELS",
    "AuroralModel",
    "CLOUD_LABELS",
    "CameraModel",
    "DARK_SUN_ELEVATION_DEG",
    "DEFAULT_DAYS",
    "DISPLAY_SPAN_R",
    "IMAGE_BINNING",
    "IMAGE_CADENCE_S",
    "RENDERED_PROGRAMS",
    "DEMO_IMAGE_SITES",
    "DemoBuildError",
    "DemoSummary",
    "EMISSIONS",
    "FOV_RADIUS_KM",
    "FisheyeLens",
    "FrameRenderer",
    "GROUND_EPHEMERIS_SCHEMA",
    "KEOGRAM_SCHEMA",
    "KEOGRAM_WIDTH_PX",
    "OATH_LABELS",
    "PropagationError",
    "REGO_CAMERA",
    "REGO_LENS",
    "SITES_COLUMNS",
    "SPACECRAFT",
    "SPACECRAFT_REGIONS",
    "SPACE_EPHEMERIS_SCHEMA",
    "SitesFileError",
    "SpacecraftElements",
    "THEMIS_CAMERA",
    "THEMIS_LENS",
    "TRACE_REGIONS",
    "WeatherModel",
    "build_demo",
    "camera_for_program",
    "dark_hours",
    "demo_programs",
    "demo_skymap_path",
    "ecef_to_geodetic",
    "fisheye_azel",
    "geodetic_to_ecef",
    "gmst_rad",
    "keogram_image",
    "keogram_limits",
    "keogram_url",
    "lens_for_program",
    "load_sites",
    "make_demo_skymap",
    "movie_url",
    "product_path",
    "propagate",
    "render_demo_images",
    "render_demo_products",
    "render_products",
    "sites_csv_candidates",
    "teme_to_ecef",
    "van_rhijn_factor",
    "write_demo_skymap",
    "write_keogram_png",
]
