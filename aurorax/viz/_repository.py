"""Plots of what a repository holds."""

from __future__ import annotations

import holoviews as hv
import pandas as pd

from . import _backend  # noqa: F401

__all__ = ["plot_record_counts"]


def plot_record_counts(counts: pd.DataFrame) -> hv.Bars:
    """Bars of 1-minute ephemeris records per data source, coloured by source type.

    Parameters
    ----------
    counts
        ``Repository.counts()`` output (columns ``display_name``, ``source_type``, ``ephemeris_count``).

    Returns
    -------
    holoviews.Bars
        Works in Jupyter and in the dashboard alike.
    """
    data = counts.rename(
        columns={
            "display_name": "Data source",
            "source_type": "Source type",
            "ephemeris_count": "Ephemeris records",
        }
    )[["Data source", "Source type", "Ephemeris records"]]
    # The legend goes beside the frame, never over the bars (the tallest bars are often the
    # rightmost, where an inside legend sits); the data-source names are vertical (one a bar,
    # dozens of them) and the plot is tall enough for the longest of them below a frame of
    # about 250 px; the right border leaves the last name clear of the toolbar; the y range
    # starts at zero and leaves a little headroom above the tallest bar.
    return hv.Bars(data, kdims=["Data source"], vdims=["Ephemeris records", "Source type"]).opts(
        color="Source type",
        cmap="Category10",
        xrotation=90,
        responsive=True,
        height=440,
        backend_opts={"plot.min_border_right": 20},
        padding=(0, (0, 0.05)),
        tools=["hover"],
        title="Ephemeris records (1-minute) per data source",
        show_legend=True,
        legend_position="right",
    )
