"""Data availability as a day-by-source heat map (the AuroraX availability page, as a plot)."""

from __future__ import annotations

import holoviews as hv
import pandas as pd

from . import _backend  # noqa: F401

__all__ = ["plot_availability", "MINUTES_PER_DAY"]

MINUTES_PER_DAY = 1440


def plot_availability(
    availability: pd.DataFrame, sources: pd.DataFrame, kind: str = "ephemeris"
) -> hv.HeatMap:
    """Heat map of records per source per UTC day.

    Parameters
    ----------
    availability
        ``Repository.availability()`` output: ``data_source, day, ephemeris_count, data_product_count``.
    sources
        ``Repository.counts()`` (or any frame with ``identifier`` and ``display_name``) naming the rows.
    kind
        ``"ephemeris"`` colours by the fraction of the day's 1440 minutes with ephemeris records;
        ``"data_products"`` colours by the number of data product records that day.

    Returns
    -------
    holoviews.HeatMap
        x: UTC day, y: data source; hover shows the count. Days without records are blank
        (white), as on the AuroraX availability page.
    """
    if kind not in ("ephemeris", "data_products"):
        raise ValueError(f"kind must be 'ephemeris' or 'data_products', got {kind!r}")
    names = dict(zip(sources["identifier"], sources["display_name"], strict=True))
    column = "ephemeris_count" if kind == "ephemeris" else "data_product_count"
    data = availability[availability[column] > 0]
    frame = pd.DataFrame(
        {
            "Day": pd.to_datetime(data["day"]).dt.strftime("%Y-%m-%d"),
            "Data source": data["data_source"].map(names).fillna(data["data_source"].astype(str)),
            "Records": data[column].astype(int),
        }
    )
    if kind == "ephemeris":
        frame["Coverage"] = frame["Records"] / MINUTES_PER_DAY
        vdims, label, clim = ["Coverage", "Records"], "fraction of the day with data", (0, 1)
    else:
        vdims, label, clim = ["Records"], "data product records", (0, None)
    order = [names[i] for i in sorted(names) if names[i] in set(frame["Data source"])]
    height = max(240, 18 * len(order) + 120)
    return (
        hv.HeatMap(frame, kdims=["Day", "Data source"], vdims=vdims)
        .opts(
            cmap="Greens",
            clim=clim,
            colorbar=True,
            colorbar_opts={"title": label},
            tools=["hover"],
            xrotation=90,
            responsive=True,
            height=height,
            invert_yaxis=True,
            title=f"Daily {kind.replace('_', ' ')} availability",
            yticks=None,
        )
        .redim.values(**{"Data source": order})
    )
