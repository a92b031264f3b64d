"""aurorax.asi: all-sky imager files, skymaps, projection, global grid and keograms.

Orientation convention for every image-shaped array: dims ``(y, x)`` (frames ``(time, y, x)``)
with row 0 at the NORTH edge and x growing EASTWARD, i.e. north up and east right when drawn
with the first row at the top (map view, as asilib plots fisheyes). See ``docs/asi.md``.
"""

from . import _cdf  # noqa: F401  (registers the THEMIS and REGO readers)
from ._cdf import (
    RegoReader,
    ThemisReader,
    ThemisThumbnailReader,
    write_rego_cdf,
    write_themis_cdf,
)
from ._download import AsiDownloadError
from ._files import (
    download_files,
    download_skymaps,
    find_image_files,
    image_path,
    image_relative_path,
    local_image_hours,
    skymap_folder,
    stream0_relative_path,
)
from ._geometry import azel_to_lla, lla_to_azel
from ._grid import GlobalGrid, GridIndex, Mosaic
from ._imager import Imager
from ._keogram import KEOGRAM_AXES, Keogram, make_keogram
from ._pgm import (  # registers the UCalgary stream0 PGM readers
    PgmRegoReader,
    PgmThemisReader,
    PgmTrexBlueReader,
    PgmTrexNirReader,
    SpectrographRefusal,
    read_pgm_stream,
    write_ucalgary_pgm,
)
from ._projection import (
    DEFAULT_ALTITUDE_KM,
    DEFAULT_MIN_ELEVATION_DEG,
    FISHEYE_PERCENTILES,
    Fisheye,
    MappedFrame,
    default_altitude_km,
    make_fisheye,
    project_frame,
    rgb_levels,
)
from ._registry import (
    AsiError,
    AsiFileError,
    AsiFileNotFoundError,
    ImageProgram,
    ImageReader,
    get_program,
    get_reader,
    list_readers,
    register_program,
    register_reader,
)
from ._skymap import Skymap, load_skymap, read_skymap, skymap_file_date, write_skymap
from ._trex_rgb import TrexRgbReader, write_trex_rgb_h5
from ._ucalgary import (  # registers the stream0 programs for Imager(program=...)
    STREAM0_PROGRAMS,
    Calibration,
    find_stream0_files,
    read_calibration,
    to_rayleighs,
)

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
    "rgb_levels",
    "skymap_file_date",
    "skymap_folder",
    "write_rego_cdf",
    "write_skymap",
    "write_themis_cdf",
    # UCalgary native formats
    "Calibration",
    "ImageProgram",
    "PgmRegoReader",
    "PgmThemisReader",
    "PgmTrexBlueReader",
    "PgmTrexNirReader",
    "STREAM0_PROGRAMS",
    "SpectrographRefusal",
    "ThemisThumbnailReader",
    "TrexRgbReader",
    "find_stream0_files",
    "get_program",
    "read_calibration",
    "read_pgm_stream",
    "register_program",
    "to_rayleighs",
    "write_trex_rgb_h5",
    "write_ucalgary_pgm",
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
    CHANNEL_COLUMNS,
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
    "AsiDownloadError",
    "download_files",
    "stream0_relative_path",
    "keogram_store_path",
    "load_keogram",
    "save_keogram",
    "stored_keogram",
    "AnimationFrame",
    "AzEl",
    "CHANNEL_COLUMNS",
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
