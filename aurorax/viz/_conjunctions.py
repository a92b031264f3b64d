"""Plots of one conjunction: the footprint tracks on a latitude-longitude map with coastlines,
the distance over time."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pandas as pd

from . import _backend  # noqa: F401
from ._coastlines import coastlines_within

__all__ = ["plot_conjunction_distance", "plot_conjunction_map", "field_of_view_circle"]

# Same sphere as the search's distances (aurorax.geo: Earth radius + 110 km emission height).
_SPHERE_KM = 6371.2 + 110.0
_KDIMS = [hv.Dimension("lon", label="Longitude (deg)"), hv.Dimension("lat", label="Latitude (deg)")]


def field_of_view_circle(
    lat_deg: float, lon_deg: float, radius_km: float, n: int = 181
) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes (degrees) of the circle ``radius_km`` around a site.

    The circle is drawn on the 6481.2 km sphere the conjunction search measures distances on,
    so a footprint inside it is a footprint the field-of-view mode accepts. Longitudes are
    unwrapped around the site's longitude (they may leave [-180, 180] near the antimeridian)
    so the outline is one unbroken line.
    """
    phi1, lam1 = np.radians(lat_deg), np.radians(lon_deg)
    delta = radius_km / _SPHERE_KM
    bearing = np.linspace(0.0, 2.0 * np.pi, n)
    phi2 = np.arcsin(np.sin(phi1) * np.cos(delta) + np.cos(phi1) * np.sin(delta) * np.cos(bearing))
    lam2 = lam1 + np.arctan2(
        np.sin(bearing) * np.sin(delta) * np.cos(phi1),
        np.cos(delta) - np.sin(phi1) * np.sin(phi2),
    )
    return np.degrees(phi2), np.degrees(lam2)


def plot_conjunction_distance(series: pd.DataFrame, max_distance_km: float | None = None):
    """Distance over time of one conjunction.

    Parameters
    ----------
    series
        ``ConjunctionResult.distance_series(i)``: ``epoch`` (UTC), ``distance_km`` and one column
        per pair of blocks (km).
    max_distance_km
        If given, a dashed horizontal line at the search's distance limit.

    Returns
    -------
    holoviews.Overlay
        One curve per pair of blocks (km against UTC time).
    """
    epoch = pd.to_datetime(series["epoch"]).dt.tz_convert(None)
    pairs = [c for c in series.columns if c not in ("epoch", "distance_km")]
    curves = [
        hv.Curve((epoch, series[c]), "UTC", ("distance_km", "Distance (km)"), label=c).opts(
            tools=["hover"]
        )
        for c in pairs
    ]
    if max_distance_km is not None:
        curves.append(
            hv.HLine(max_distance_km, label="limit").opts(color="grey", line_dash="dashed")
        )
    return hv.Overlay(curves).opts(
        title="Distance between the conjunction's members",
        responsive=True,
        height=300,
        legend_position="top_left",
    )


def split_at_dateline(lonlat: np.ndarray) -> list[np.ndarray]:
    """Cut a track of ``(lon, lat)`` rows where it crosses the dateline (a jump of over 180
    degrees of longitude between records), so that no segment is drawn across the whole map."""
    lonlat = np.asarray(lonlat, dtype=float)
    if len(lonlat) < 2:
        return [lonlat]
    cuts = np.flatnonzero(np.abs(np.diff(lonlat[:, 0])) > 180.0) + 1
    return [piece for piece in np.split(lonlat, cuts) if len(piece)]


def plot_conjunction_map(
    tracks: pd.DataFrame,
    sites: pd.DataFrame | None = None,
    field_of_view_km: float | None = None,
    coastlines: bool = True,
):
    """Footprint tracks (and imager sites with their fields of view) on a lat-lon map.

    No map tiles are used, so the plot works offline: the coastlines are GSHHS's, read from
    cartopy's data directory (Debian's ``python-cartopy-data``) and cut to the map's window.

    Parameters
    ----------
    tracks
        One row per record: ``name`` (the member's display name), ``epoch``, ``lat``, ``lon``
        (degrees, the conjunction type's location).
    sites
        Optional ``name, lat, lon`` of ground imagers (drawn as points).
    field_of_view_km
        If given, a circle of this radius (km on the 110 km shell) around every site.
    coastlines
        Draw the coastlines inside the window (the tracks, sites and circles with a margin of
        a tenth of their span, at least 2 degrees).

    Returns
    -------
    holoviews.Overlay
        Longitude and latitude in degrees; the coastlines, when drawn, are its first element
        (``Coastlines`` group) and the window is its ``xlim``/``ylim``.
    """
    layers = []
    extent = [tracks[["lon", "lat"]].to_numpy(dtype=float)]
    for name, rows in tracks.groupby("name", sort=False):
        rows = rows.sort_values("epoch")
        layers.append(
            hv.Path(split_at_dateline(rows[["lon", "lat"]].to_numpy()), _KDIMS, label=name).opts(
                line_width=3
            )
        )
        layers.append(
            hv.Points(
                rows.iloc[[0]][["lon", "lat"]].to_numpy(),
                _KDIMS,
            ).opts(marker="circle", size=8)
        )
    if sites is not None and len(sites):
        if field_of_view_km:
            for _, site in sites.iterrows():
                lat, lon = field_of_view_circle(site["lat"], site["lon"], field_of_view_km)
                extent.append(np.column_stack([lon, lat]))
                layers.append(
                    hv.Path([np.column_stack([lon, lat])], _KDIMS)
                    .relabel(f"{site['name']} field of view")
                    .opts(color="grey", line_dash="dotted")
                )
        layers.append(
            hv.Points(sites[["lon", "lat", "name"]], _KDIMS, ["name"], label="imager sites").opts(
                color="black", marker="triangle", size=12, tools=["hover"]
            )
        )
        extent.append(sites[["lon", "lat"]].to_numpy(dtype=float))
    window = {}
    points = np.concatenate(extent)
    points = points[np.isfinite(points).all(axis=1)]
    if coastlines and len(points):
        (lon0, lat0), (lon1, lat1) = points.min(axis=0), points.max(axis=0)
        dlon, dlat = max(0.1 * (lon1 - lon0), 2.0), max(0.1 * (lat1 - lat0), 2.0)
        xlim, ylim = (lon0 - dlon, lon1 + dlon), (max(lat0 - dlat, -90.0), min(lat1 + dlat, 90.0))
        coast = hv.Path([coastlines_within(xlim, ylim)], _KDIMS, group="Coastlines")
        layers.insert(0, coast.opts(color="#8a8a8a", line_width=1))
        window = {"xlim": xlim, "ylim": ylim}
    return hv.Overlay(layers).opts(
        title="Footprint tracks",
        responsive=True,
        height=420,
        legend_position="top_left",
        **window,
    )
