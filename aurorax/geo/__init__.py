"""Geometry and magnetic coordinates: great-circle distance, AACGM-v2, field-line footprints, the Sun.

Conventions: angles in degrees (longitudes returned in -180..180), altitudes in km above the WGS84
ellipsoid (geodetic), times in UTC (naive datetimes are UTC). ``aurorax.geo`` imports nothing else from
``aurorax``. See ``docs/geo.md`` for formulas and examples.
"""

from ._aacgm import Footprints, aacgm_to_geo, geo_to_aacgm, ground_btrace, magnetic_local_time
from ._constants import AACGM_FOOTPRINT_MAX_ALTITUDE_KM, EARTH_RADIUS_KM, FOOTPRINT_ALTITUDE_KM
from ._distance import great_circle_distance_km
from ._frames import FRAMES, convert_frame, frame_to_geodetic, geodetic_to_frame
from ._gsm import geo_to_gsm
from ._interpolate import interpolate_great_circle
from ._oval import OVAL_Q_LEVELS, feldstein_oval
from ._sun import sun_elevation_deg
from ._trace import footprints, trace_footprint

__all__ = [
    "AACGM_FOOTPRINT_MAX_ALTITUDE_KM",
    "EARTH_RADIUS_KM",
    "FRAMES",
    "FOOTPRINT_ALTITUDE_KM",
    "OVAL_Q_LEVELS",
    "Footprints",
    "aacgm_to_geo",
    "convert_frame",
    "feldstein_oval",
    "footprints",
    "frame_to_geodetic",
    "geo_to_aacgm",
    "geo_to_gsm",
    "geodetic_to_frame",
    "great_circle_distance_km",
    "interpolate_great_circle",
    "ground_btrace",
    "magnetic_local_time",
    "sun_elevation_deg",
    "trace_footprint",
]
