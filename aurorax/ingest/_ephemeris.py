"""Spacecraft positions to 1-minute ephemeris records (GSM, B-trace footprints, radial distance)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aurorax import geo
from aurorax.demo import geodetic_to_ecef

__all__ = ["ephemeris_records"]


def ephemeris_records(data_source: int, positions: pd.DataFrame) -> pd.DataFrame:
    """Turn geodetic positions into ephemeris records for ``Repository.ingest_ephemeris``.

    Parameters
    ----------
    data_source : int
        Identifier of the (``leo``/``heo``) data source.
    positions : pandas.DataFrame
        Columns ``epoch`` (UTC, whole minutes), ``geo_lat``, ``geo_lon`` (deg) and ``altitude_km``.

    Returns
    -------
    pandas.DataFrame
        Columns data_source, epoch, geo_lat, geo_lon, gsm_lat, gsm_lon, nbtrace_lat/lon,
        sbtrace_lat/lon (deg) and ``metadata.radial_distance`` (geocentric distance, km).
    """
    lat, lon, alt = (
        positions[c].to_numpy(dtype=float) for c in ("geo_lat", "geo_lon", "altitude_km")
    )
    t64 = pd.DatetimeIndex(positions["epoch"]).tz_convert(None).to_numpy()
    gsm_lat, gsm_lon = geo.geo_to_gsm(lat, lon, alt, t64)
    fp = geo.footprints(lat, lon, alt, t64, method="auto")
    radial = np.linalg.norm(np.asarray(geodetic_to_ecef(lat, lon, alt)).reshape(-1, 3), axis=1)
    return pd.DataFrame(
        {
            "data_source": data_source,
            "epoch": positions["epoch"].to_numpy(),
            "geo_lat": lat,
            "geo_lon": lon,
            "gsm_lat": gsm_lat,
            "gsm_lon": gsm_lon,
            "nbtrace_lat": fp.nbtrace_lat,
            "nbtrace_lon": fp.nbtrace_lon,
            "sbtrace_lat": fp.sbtrace_lat,
            "sbtrace_lon": fp.sbtrace_lon,
            "metadata.radial_distance": np.round(radial, 1),
        }
    )
