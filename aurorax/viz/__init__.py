"""aurorax.viz: HoloViews element builders shared by the web app and Jupyter users.

Every ``plot_*`` function returns a HoloViews element (or overlay/layout), never a widget, so the
same plot displays in a notebook, in the dashboard, and exports to PNG or standalone HTML.
"""

from ._availability import plot_availability
from ._repository import plot_record_counts

__all__ = ["plot_availability", "plot_record_counts"]
