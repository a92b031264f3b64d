"""Data availability as a day-by-source heat map (the AuroraX availability page, as a plot)."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pandas as pd

from . import _backend  # noqa: F401

__all__ = ["plot_availability", "MINUTES_PER_DAY"]

MINUTES_PER_DAY = 1440

_KINDS = ("ephemeris", "data_products", "image_files")
# Purple against the greens of the coverage: told apart with every common colour-vision
# deficiency (the two ends of ColorBrewer's PRGn), and by lightness in greyscale.
_MISSING_COLOUR = "#762a83"
_NOT_EXPECTED_COLOUR = "#e0e0e0"
_HATCH_COLOUR = "#7a7a7a"
_HATCH = "/"
# Coverage below this is drawn in the missing colour: any real coverage is at least one minute
# of a day's at most 1440 expected minutes (7e-4), so only "no image file at all" falls below.
_SOME_COVERAGE = 1e-6

_AVAILABLE, _MISSING, _NOT_EXPECTED = "available", "missing", "not expected"


def _day_labels(days) -> list[str]:
    return pd.DatetimeIndex(pd.to_datetime(days)).strftime("%Y-%m-%d").tolist()


def _axis_days(frame_days: pd.Series, days) -> list[str]:
    """Every day label of the x axis, ascending: the frame's days and ``days`` (if given)."""
    labels = set(frame_days)
    if days is not None:
        labels |= set(_day_labels(days))
    # ISO dates sort as text in date order.
    return sorted(labels)


def _names(sources: pd.DataFrame) -> dict:
    return dict(zip(sources["identifier"], sources["display_name"], strict=True))


def _row_order(names: dict, shown) -> list[str]:
    shown = set(shown)
    return [names[i] for i in sorted(names) if names[i] in shown]


def _legend_hook(plot, element):
    """Bokeh: hatch the "not expected" cells and add a legend of the two non-coverage states."""
    from bokeh.core.property.vectorization import field
    from bokeh.models import Legend, LegendItem

    glyph = plot.handles["glyph"]
    glyph.hatch_pattern = field("Hatch")
    glyph.hatch_color = _HATCH_COLOUR
    figure = plot.state
    # Zero-size swatches at a cell that exists (a legend draws a renderer's first data point).
    x = [str(element.dimension_values(0)[0])]
    y = [str(element.dimension_values(1)[0])]
    items = []
    for label, colour, hatch in (
        ("missing: expected, no image file", _MISSING_COLOUR, " "),
        ("not expected: Sun above -12\N{DEGREE SIGN} all day", _NOT_EXPECTED_COLOUR, _HATCH),
    ):
        swatch = figure.rect(
            x=x, y=y, width=0, height=0, fill_color=colour, line_color=None,
            hatch_pattern=hatch, hatch_color=_HATCH_COLOUR,
        )  # fmt: skip
        items.append(LegendItem(label=label, renderers=[swatch]))
    figure.add_layout(
        Legend(items=items, orientation="horizontal", border_line_alpha=0, margin=0), "above"
    )


def _image_frame(availability: pd.DataFrame, names: dict) -> pd.DataFrame:
    expected = availability["expected_minutes"].astype(int).to_numpy()
    images = availability["image_minutes"].astype(int).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(expected > 0, images / np.maximum(expected, 1), np.nan)
    status = np.where(expected <= 0, _NOT_EXPECTED, np.where(images > 0, _AVAILABLE, _MISSING))
    return pd.DataFrame(
        {
            "Day": _day_labels(availability["day"]),
            "Data source": availability["data_source"]
            .map(names)
            .fillna(availability["data_source"].astype(str)),
            "Coverage": coverage,
            # Text columns as objects: HoloViews reshapes value columns, which Arrow strings refuse.
            "Status": pd.Series(status, dtype=object),
            "Image minutes": images,
            "Expected minutes": expected,
            "Hatch": pd.Series(np.where(status == _NOT_EXPECTED, _HATCH, " "), dtype=object),
        }
    )


def plot_availability(
    availability: pd.DataFrame, sources: pd.DataFrame, kind: str = "ephemeris", days=None
) -> hv.HeatMap:
    """Heat map of availability per source per UTC day, days in date order.

    Parameters
    ----------
    availability
        For ``"ephemeris"`` and ``"data_products"``: ``Repository.availability()`` output
        (``data_source, day, ephemeris_count, data_product_count``). For ``"image_files"``: one
        row per imager and day with ``data_source, day, expected_minutes, image_minutes`` (the
        imager's expected operating minutes, e.g. its dark-sky minutes, and how many of them have
        image files).
    sources
        ``Repository.counts()`` (or any frame with ``identifier`` and ``display_name``) naming the rows.
    kind
        ``"ephemeris"`` colours by the fraction of the day's 1440 minutes with ephemeris records;
        ``"data_products"`` by the number of data product records that day; ``"image_files"`` by
        the fraction of the expected minutes with image files, with "missing" (expected minutes,
        no image file) in purple and "not expected" (no expected minute: daylight all day) in
        hatched grey, both named in a legend above the plot.
    days
        Optional days (dates or timestamps) the x axis shows even without data (e.g. every day
        of the chosen span).

    Returns
    -------
    holoviews.HeatMap
        x: UTC day (ascending), y: data source (by identifier); hover shows the counts (and the
        status, for image files). Days without records are blank (white), as on the AuroraX
        availability page.
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, _KINDS))}, got {kind!r}")
    names = _names(sources)
    options = {}
    if kind == "image_files":
        frame = _image_frame(availability, names)
        vdims = ["Coverage", "Status", "Image minutes", "Expected minutes", "Hatch"]
        label, clim = "fraction of the expected minutes with image files", (_SOME_COVERAGE, 1)
        title = "Daily image-file availability"
        options = {
            "clipping_colors": {"min": _MISSING_COLOUR, "NaN": _NOT_EXPECTED_COLOUR},
            "hover_tooltips": [
                "Data source",
                "Day",
                "Status",
                ("Coverage", "@Coverage{0.0%}"),
                "Image minutes",
                "Expected minutes",
            ],
            "hooks": [_legend_hook],
        }
    else:
        column = "ephemeris_count" if kind == "ephemeris" else "data_product_count"
        data = availability[availability[column] > 0]
        frame = pd.DataFrame(
            {
                "Day": _day_labels(data["day"]),
                "Data source": data["data_source"]
                .map(names)
                .fillna(data["data_source"].astype(str)),
                "Records": data[column].astype(int),
            }
        )
        if kind == "ephemeris":
            frame["Coverage"] = frame["Records"] / MINUTES_PER_DAY
            vdims, label, clim = ["Coverage", "Records"], "fraction of the day with data", (0, 1)
        else:
            vdims, label, clim = ["Records"], "data product records", (0, None)
        title = f"Daily {kind.replace('_', ' ')} availability"
    order = _row_order(names, frame["Data source"])
    height = max(240, 18 * len(order) + (150 if kind == "image_files" else 120))
    # A categorical axis lists its factors in the order they first occur in the data, which is
    # by source then day: a day missing for the first source would be drawn after the others.
    frame = frame.sort_values("Day", kind="stable").reset_index(drop=True)
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
            title=title,
            yticks=None,
            **options,
        )
        .redim.values(**{"Day": _axis_days(frame["Day"], days), "Data source": order})
    )
