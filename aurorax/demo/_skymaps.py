"""Synthetic but physical skymaps for the demo imagers.

A demo imager is an ideal equidistant fisheye lens (zenith angle proportional to the distance from the
image centre) looking straight up, with north up and the same east/west convention the ASI core
documents for the real THEMIS data. Every pixel gets the azimuth and elevation of its centre, and every
pixel vertex gets the latitude and longitude where its line of sight crosses each mapping altitude,
from exact spherical geometry (a ray from the site meeting the sphere of radius ``R_E + altitude``).
Pixels whose centre lies beyond the lens's field of view are NaN, as in the real skymaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from aurorax.asi import Skymap, azel_to_lla, skymap_folder, write_skymap

__all__ = [
    "FisheyeLens",
    "THEMIS_LENS",
    "REGO_LENS",
    "TREX_LENS",
    "lens_for_program",
    "core_program",
    "fisheye_azel",
    "make_demo_skymap",
    "write_demo_skymap",
    "demo_skymap_path",
]


@dataclass(frozen=True)
class FisheyeLens:
    """An ideal equidistant fisheye camera.

    Attributes
    ----------
    size_px
        Image side in pixels (square images).
    fov_deg
        Full field of view in degrees (180 = horizon to horizon).
    fov_radius_px
        Distance from the image centre, in pixels, at which the zenith angle reaches ``fov_deg / 2``.
    altitudes_km
        Mapping altitudes of the skymap's vertex latitude/longitude, in km.
    """

    size_px: int
    fov_deg: float
    fov_radius_px: float
    altitudes_km: tuple[float, ...]

    @property
    def deg_per_px(self) -> float:
        """Zenith angle per pixel of radius, in degrees (constant for an equidistant lens)."""
        return 0.5 * self.fov_deg / self.fov_radius_px


# THEMIS ASIs have a 256 x 256 sensor behind a ~170 degree fisheye; REGO 512 x 512 at 630.0 nm.
# The field-of-view circle sits a few pixels inside the frame, as in the real images.
THEMIS_LENS = FisheyeLens(
    size_px=256, fov_deg=170.0, fov_radius_px=122.0, altitudes_km=(90, 110, 150)
)
REGO_LENS = FisheyeLens(size_px=512, fov_deg=170.0, fov_radius_px=244.0, altitudes_km=(230,))
# TREx RGB: the real colour frames are 480 x 553 pixels; the demo renders them at about a quarter
# of that side, 128 x 128 (1/16 of the pixels), which keeps a week of six imagers cheap to build.
TREX_LENS = FisheyeLens(
    size_px=128, fov_deg=170.0, fov_radius_px=61.0, altitudes_km=(90, 110, 150, 230)
)

# Demo program (the sites table) -> the ASI core's image program (file layout, skymap names).
_CORE = {"themis-asi": "themis", "themis": "themis", "rego": "rego", "trex": "trex"}
_LENSES = {"themis": THEMIS_LENS, "rego": REGO_LENS, "trex": TREX_LENS}


def core_program(program: str) -> str:
    """The ASI core's image program (``aurorax.asi.IMAGE_PROGRAMS``) of a demo program.

    ``"themis-asi"``/``"themis"`` -> ``"themis"``, ``"rego"`` -> ``"rego"``, ``"trex"`` (TREx
    RGB) -> ``"trex"``.

    Raises
    ------
    ValueError
        For any other program, naming the allowed ones.
    """
    try:
        return _CORE[program.lower()]
    except KeyError:
        raise ValueError(
            f"program {program!r} has no demo lens; allowed: 'themis-asi', 'rego', 'trex'"
        ) from None


def lens_for_program(program: str) -> FisheyeLens:
    """Return the demo lens of an imager program (``themis-asi``/``themis``, ``rego``, ``trex``).

    Raises
    ------
    ValueError
        For any other program, naming the allowed ones.
    """
    return _LENSES[core_program(program)]


def _north_east_offsets(n: int, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (north, east) in pixels from the image centre of grid ``positions`` (in pixel units).

    The aurorax orientation (``aurorax.asi`` skymap docs, the same the readers give the real
    THEMIS frames): row 0 is the NORTH edge and x grows EASTWARD, north up and east right.
    """
    centre = n / 2.0
    rows, cols = np.meshgrid(positions, positions, indexing="ij")
    return centre - rows, cols - centre


def fisheye_azel(lens: FisheyeLens, *, vertices: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation of each pixel centre (or vertex) of an equidistant fisheye.

    Parameters
    ----------
    lens
        The camera.
    vertices
        If True, return the ``(size + 1, size + 1)`` pixel corners instead of the
        ``(size, size)`` pixel centres.

    Returns
    -------
    azimuth_deg, elevation_deg
        Azimuth clockwise from geographic north (0..360) and elevation above the horizon, in
        degrees. NaN beyond the field of view.
    """
    n = lens.size_px
    positions = np.arange(n + 1.0) if vertices else np.arange(n) + 0.5
    north, east = _north_east_offsets(n, positions)
    radius = np.hypot(north, east)
    zenith = radius * lens.deg_per_px
    azimuth = np.degrees(np.arctan2(east, north)) % 360.0
    elevation = 90.0 - zenith
    outside = zenith > 0.5 * lens.fov_deg
    azimuth[outside] = np.nan
    elevation[outside] = np.nan
    return azimuth, elevation


def make_demo_skymap(
    site_uid: str,
    site_lat: float,
    site_lon: float,
    site_alt_km: float,
    program: str = "themis",
    valid_from: datetime = datetime(2000, 1, 1),
) -> Skymap:
    """Build the demo skymap of one site.

    Parameters
    ----------
    site_uid
        Four-letter site code, e.g. ``"gill"``.
    site_lat, site_lon, site_alt_km
        Site location (degrees, degrees, km).
    program
        ``"themis"``/``"themis-asi"`` (256 x 256, vertices at 90/110/150 km), ``"rego"``
        (512 x 512, vertices at 230 km) or ``"trex"`` (TREx RGB, 128 x 128, vertices at
        90/110/150/230 km: its green line at 110 km, its red line at 230 km).
    valid_from
        Start of the skymap's validity (naive = UTC).

    Returns
    -------
    Skymap
        Pixel-centre azimuth/elevation and vertex lat/lon at each altitude (exact spherical
        geometry, ``aurorax.asi.azel_to_lla``), NaN beyond the field of view.
    """
    lens = lens_for_program(program)
    azimuth, elevation = fisheye_azel(lens)
    v_az, v_el = fisheye_azel(lens, vertices=True)
    shape = (len(lens.altitudes_km), lens.size_px + 1, lens.size_px + 1)
    lat = np.empty(shape)
    lon = np.empty(shape)
    for k, altitude in enumerate(lens.altitudes_km):
        lat[k], lon[k] = azel_to_lla(site_lat, site_lon, site_alt_km, v_az, v_el, altitude)
    return Skymap(
        site_uid=site_uid,
        program=core_program(program),
        site_lat=float(site_lat),
        site_lon=float(site_lon),
        site_alt_km=float(site_alt_km),
        azimuth=azimuth,
        elevation=elevation,
        altitudes_km=tuple(float(a) for a in lens.altitudes_km),
        vertex_lat=lat,
        vertex_lon=lon,
        valid_from=valid_from,
    )


def demo_skymap_path(asi_dir: Path, program: str, site_uid: str, valid_from: datetime) -> Path:
    """Where the demo skymap of a site lives: the ASI core's skymap folder and file pattern."""
    core = core_program(program)
    site = site_uid.lower()
    name = f"{core}_skymap_{site}_{valid_from:%Y%m%d}-+_v01.npz"
    return skymap_folder(core, site, Path(asi_dir)) / name


def write_demo_skymap(
    asi_dir: Path,
    site_uid: str,
    site_lat: float,
    site_lon: float,
    site_alt_km: float,
    program: str = "themis",
    valid_from: datetime = datetime(2000, 1, 1),
) -> Path:
    """Build a site's demo skymap and write it where ``aurorax.asi.load_skymap`` finds it.

    Returns
    -------
    Path
        ``<asi_dir>/<program>/skymaps/<site>/<program>_skymap_<site>_<YYYYMMDD>-+_v01.npz``.
    """
    skymap = make_demo_skymap(site_uid, site_lat, site_lon, site_alt_km, program, valid_from)
    return write_skymap(demo_skymap_path(asi_dir, program, site_uid, valid_from), skymap)
