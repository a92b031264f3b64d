"""The demo's repository records as tables: one frame of ephemeris or data product rows per source."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aurorax import geo

from ._orbits import SpacecraftElements, propagate
from ._regions import spacecraft_regions, trace_regions
from ._urls import keogram_url

__all__ = ["ground_frame", "keogram_frame", "movie_frame", "space_frame"]


def ground_frame(ident, times, site, fp_day, labels) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "data_source": ident,
            "epoch": times,
            "geo_lat": float(site["lat"]),
            "geo_lon": float(site["lon"]),
            "gsm_lat": np.nan,
            "gsm_lon": np.nan,
        }
    )
    days = times.floor("D")
    for column in ("nbtrace_lat", "nbtrace_lon", "sbtrace_lat", "sbtrace_lon"):
        frame[column] = fp_day[column].reindex(days).to_numpy()
    for column in labels.columns:
        frame[f"metadata.{column}"] = labels[column].to_numpy()
    return frame


def keogram_frame(ident, program, site_uid, times: pd.DatetimeIndex) -> pd.DataFrame:
    rows = []
    for kind, freq in (("daily", "D"), ("hourly", "h")):
        groups = pd.Series(times, index=times).groupby(times.floor(freq))
        for bucket, values in groups:
            rows.append(
                {
                    "data_source": ident,
                    "data_product_type": "keogram",
                    "start": values.iloc[0],
                    "end": values.iloc[-1],
                    "url": keogram_url(program, site_uid, bucket, kind == "hourly"),
                    "metadata.keogram_type": kind,
                    "metadata.operating_minutes": int(values.size),
                }
            )
    return pd.DataFrame(rows)


def movie_frame(records: pd.DataFrame, ident: int, daily: pd.DataFrame) -> pd.DataFrame:
    """The movie records of rendered products, with the span of the day's daily keogram.

    A daily movie shows the night's frames (every cadence of the operating minutes), so it covers
    what the daily keogram covers: the record takes that record's ``start``, ``end`` and
    ``operating_minutes`` rather than counting frames.
    """
    movies = records[records["data_product_type"] == "movie"]
    by_day = daily.set_index(daily["start"].dt.floor("D"))
    day = movies["start"].dt.floor("D")
    keogram = by_day.loc[day]
    return pd.DataFrame(
        {
            "data_source": ident,
            "data_product_type": "movie",
            "start": keogram["start"].to_numpy(),
            "end": keogram["end"].to_numpy(),
            "url": movies["url"].to_numpy(),
            "metadata.movie_type": movies["metadata.movie_type"].to_numpy(),
            "metadata.operating_minutes": keogram["metadata.operating_minutes"].to_numpy(),
        }
    )


def space_frame(ident, sc: SpacecraftElements, minutes, mlt0, model) -> pd.DataFrame:
    pos = propagate(sc, minutes)
    lat, lon, alt = (pos[c].to_numpy() for c in ("geo_lat", "geo_lon", "altitude_km"))
    t64 = minutes.tz_convert(None).to_numpy()
    gsm_lat, gsm_lon = geo.geo_to_gsm(lat, lon, alt, t64)
    fp = geo.footprints(lat, lon, alt, t64, method="auto")
    t_s = model.seconds(minutes)
    north = trace_regions(model, t_s, fp.nbtrace_lat, fp.nbtrace_lon, t64, mlt0)
    south = trace_regions(model, t_s, fp.sbtrace_lat, fp.sbtrace_lon, t64, mlt0)
    radial = pos["radial_distance_km"].to_numpy()
    return pd.DataFrame(
        {
            "data_source": ident,
            "epoch": minutes,
            "geo_lat": lat,
            "geo_lon": lon,
            "gsm_lat": gsm_lat,
            "gsm_lon": gsm_lon,
            "nbtrace_lat": fp.nbtrace_lat,
            "nbtrace_lon": fp.nbtrace_lon,
            "sbtrace_lat": fp.sbtrace_lat,
            "sbtrace_lon": fp.sbtrace_lon,
            "metadata.radial_distance": np.round(radial, 1),
            "metadata.nbtrace_region": north,
            "metadata.sbtrace_region": south,
            "metadata.spacecraft_region": spacecraft_regions(radial, gsm_lat, gsm_lon, north),
            "metadata.state": "definitive",
        }
    )
