"""aurorax.asi: all-sky imager files, skymaps, projection, global grid and keograms.

Orientation convention for every image-shaped array: dims ``(y, x)`` (frames ``(time, y, x)``)
with row 0 at the NORTH edge and x growing EASTWARD, i.e. north up and east right when drawn
with the first row at the top (map view, as asilib plots fisheyes). See ``docs/asi.md``.
"""

from . import _cdf  # noqa: F401  (registers the THEMIS and REGO readers)
from ._cdf import RegoReader, ThemisReader, write_rego_cdf, write_themis_cdf
from ._files import (
    download_skymaps,
    find_image_files,
    image_path,
    image_relative_path,
    local_image_hours,
    skymap_folder,
)
from ._geometry import azel_to_lla, lla_to_azel
from ._grid import GlobalGrid, GridIndex, Mosaic
from ._imager import Imager
from ._keogram import KEOGRAM_AXES, Keogram, make_keogram
from ._projection import (
    DEFAULT_ALTITUDE_KM,
    DEFAULT_MIN_ELEVATION_DEG,
    FISHEYE_PERCENTILES,
    Fisheye,
    MappedFrame,
    default_altitude_km,
    make_fisheye,
    project_frame,
)
from ._registry import (
    AsiError,
    AsiFileError,
    AsiFileNotFoundError,
    ImageReader,
    get_reader,
    list_readers,
    register_reader,
)
from ._skymap import Skymap, load_skymap, read_skymap, skymap_file_date, write_skymap

__all__ = [
    "AsiError",
    "AsiFileError",
    "AsiFileNotFoundError",
    "DEFAULT_ALTITUDE_KM",
    "DEFAULT_MIN_ELEVATION_DEG",
    "FISHEYE_PERCENTILES",
    "Fisheye",
    "GlobalGrid",
    "GridIndex",
    "ImageReader",
    "Imager",
    "KEOGRAM_AXES",
    "Keogram",
    "MappedFrame",
    "Mosaic",
    "RegoReader",
    "Skymap",
    "ThemisReader",
    "azel_to_lla",
    "default_altitude_km",
    "download_skymaps",
    "find_image_files",
    "get_reader",
    "image_path",
    "image_relative_path",
    "list_readers",
    "local_image_hours",
    "lla_to_azel",
    "load_skymap",
    "make_fisheye",
    "make_keogram",
    "project_frame",
    "read_skymap",
    "register_reader",
    "skymap_file_date",
    "skymap_folder",
    "write_rego_cdf",
    "write_skymap",
    "write_themis_cdf",
]

# tools
from ._animate import (  # noqa: E402  (tools build on the names above)
    AnimationFrame,
    animate_fisheye,
    animate_map,
    iter_fisheye_frames,
    iter_map_frames,
    write_movie,
)
from ._conjunction import (  # noqa: E402
    AzEl,
    equal_area_mask,
    footprint_intensity,
    lla_to_azel_pixel,
    lla_to_footprint,
)
from ._keogram_store import (  # noqa: E402
    keogram_store_path,
    load_keogram,
    save_keogram,
    stored_keogram,
)
from ._montage import make_montage  # noqa: E402

__all__ += [
    "keogram_store_path",
    "load_keogram",
    "save_keogram",
    "stored_keogram",
    "AnimationFrame",
    "AzEl",
    "animate_fisheye",
    "animate_map",
    "equal_area_mask",
    "footprint_intensity",
    "iter_fisheye_frames",
    "iter_map_frames",
    "lla_to_azel_pixel",
    "lla_to_footprint",
    "make_montage",
    "write_movie",
]
