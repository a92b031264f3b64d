"""aurorax: an open, self-hostable platform for auroral all-sky imager data.

Subpackages
-----------
geo      geometry and magnetic coordinates (great-circle distance, AACGM, field-line footprints)
engine   the DuckDB data repository and its searches
asi      all-sky imager files, skymaps, projections, keograms, animations and footprint tools
demo     the embedded demo data set builder
viz      HoloViews element builders shared by the web app and notebooks
api      HTTP API handlers and the Python client
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
