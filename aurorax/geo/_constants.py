"""Physical and geodetic constants used throughout :mod:`aurorax.geo`."""

#: Mean Earth radius (km) used for great-circle distances. It equals the IGRF reference radius, so
#: "Earth radii" (RE) mean the same thing in distances and in field-line tracing.
EARTH_RADIUS_KM = 6371.2

#: Default footprint altitude (km): the height of the bright green (557.7 nm) auroral emission,
#: the altitude at which AuroraX-style conjunctions compare magnetic footprints.
FOOTPRINT_ALTITUDE_KM = 110.0

#: WGS84 ellipsoid: semi-major axis (km) and flattening. Input latitudes/altitudes are geodetic on it.
WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563

#: Highest altitude (km) at which AACGM-v2 coefficients are valid (Shepherd 2014).
AACGM_MAX_ALTITUDE_KM = 2000.0

#: Positions at or below this geodetic altitude (km) get AACGM-v2 footprints in
#: ``footprints(method="auto")`` (valid up to 2000 km of *its* height, hence the margin; agrees with
#: field-line tracing to < 10 km poleward of 50 deg latitude and is ~200x faster); higher positions
#: are traced through IGRF.
AACGM_FOOTPRINT_MAX_ALTITUDE_KM = 1800.0
