"""aurorax.viz: HoloViews element builders shared by the web app and Jupyter users.

Every ``plot_*`` function returns a HoloViews element (or overlay/layout), never a widget, so the
same plot displays in a notebook, in the dashboard, and exports to PNG or standalone HTML.
"""

from ._analysis import plot_footprint_fisheye, plot_footprint_intensity, plot_footprint_montage
from ._availability import plot_availability
from ._conjunctions import field_of_view_circle, plot_conjunction_distance, plot_conjunction_map
from ._export import save_html, save_png
from ._globe import (
    DEFAULT_GLOBE_LAYERS,
    GLOBE_LAYERS,
    IMAGE_CMAPS,
    plot_globe,
    project_orthographic,
)
from ._keogramist import keogram_rows_image, plot_fisheye, plot_keogram_rows
from ._oval import OVAL_ALTITUDE_KM, oval_grid
from ._repository import plot_record_counts

__all__ = [
    "plot_footprint_fisheye",
    "plot_footprint_montage",
    "plot_footprint_intensity",
    "DEFAULT_GLOBE_LAYERS",
    "GLOBE_LAYERS",
    "IMAGE_CMAPS",
    "OVAL_ALTITUDE_KM",
    "oval_grid",
    "plot_globe",
    "project_orthographic",
    "keogram_rows_image",
    "plot_fisheye",
    "plot_keogram_rows",
    "plot_availability",
    "plot_record_counts",
    "plot_conjunction_distance",
    "plot_conjunction_map",
    "field_of_view_circle",
    "save_html",
    "save_png",
]
