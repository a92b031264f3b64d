"""SSCWeb-style region labels of spacecraft and their footprints, from the demo auroral oval."""

from __future__ import annotations

import numpy as np

from aurorax import geo

__all__ = ["trace_regions", "spacecraft_regions"]

_RE_KM = geo.EARTH_RADIUS_KM


def trace_regions(model, t_s, fp_lat, fp_lon, t64, mlt0) -> np.ndarray:
    """Region of footprints relative to the model's oval at the same minute.

    Parameters
    ----------
    model
        The :class:`AuroralModel` (its boundaries are symmetric in hemisphere, so |mlat| is used).
    t_s
        Model time of each footprint (s).
    fp_lat, fp_lon
        Footprint geodetic latitude/longitude (degrees, NaN = no footprint), at 110 km.
    t64
        UTC times (numpy datetime64) of the footprints.
    mlt0
        MLT of AACGM longitude 0 at each time (hours); MLT is linear in AACGM longitude.

    Returns
    -------
    numpy.ndarray of str
        ``polar cap`` (poleward of the oval; ``cusp`` within 3 deg of it at 10-14 MLT), ``auroral
        oval`` (``cleft`` at 9-15 MLT), ``mid-latitude`` (up to 15 deg equatorward of the oval),
        ``low latitude`` below that, ``none`` without a footprint.
    """
    fp_lat = np.asarray(fp_lat, dtype=float)
    out = np.full(fp_lat.shape, "none", dtype=object)
    ok = np.isfinite(fp_lat) & np.isfinite(fp_lon)
    if not ok.any():
        return out
    mlat, mlon = geo.geo_to_aacgm(fp_lat[ok], np.asarray(fp_lon)[ok], 110.0, t64[ok])
    mlat = np.abs(np.asarray(mlat, dtype=float))
    mlt = (np.asarray(mlt0)[ok] + np.asarray(mlon, dtype=float) / 15.0) % 24.0
    eq, pb = model.boundaries_at_seconds(np.asarray(t_s)[ok], mlt)
    day = (mlt >= 10.0) & (mlt <= 14.0)
    dayside = (mlt >= 9.0) & (mlt <= 15.0)
    region = np.where(mlat >= eq - 15.0, "mid-latitude", "low latitude").astype(object)
    region[(mlat >= eq) & (mlat < pb)] = "auroral oval"
    region[(mlat >= eq) & (mlat < pb) & dayside] = "cleft"
    region[mlat >= pb] = "polar cap"
    region[(mlat >= pb) & (mlat < pb + 3.0) & day] = "cusp"
    region[~np.isfinite(mlat)] = "none"
    out[ok] = region
    return out


def spacecraft_regions(radial_km, gsm_lat, gsm_lon, nbtrace_region) -> np.ndarray:
    """Coarse magnetospheric region of spacecraft from geometry (not a magnetopause model).

    A dipole L-shell ``L = r / cos^2(gsm_lat)`` (GSM latitude standing in for magnetic latitude)
    separates the plasmasphere (L <= 4); field lines with a polar-cap or missing north footprint
    are open (tail lobe on the nightside, high-latitude boundary layer on the dayside); beyond
    10 RE on the dayside is the magnetosheath; nightside points beyond 8 RE within 3 RE of the
    GSM equatorial plane are in the plasma sheet; the rest is day/nightside magnetosphere.
    """
    r = np.asarray(radial_km, dtype=float) / _RE_KM
    lat = np.radians(np.asarray(gsm_lat, dtype=float))
    lon = np.radians(np.asarray(gsm_lon, dtype=float))
    x = r * np.cos(lat) * np.cos(lon)
    z = r * np.sin(lat)
    dayside = x >= 0.0
    with np.errstate(divide="ignore"):
        shell = r / np.cos(lat) ** 2
    region = np.where(dayside, "dayside magnetosphere", "nightside magnetosphere").astype(object)
    open_line = np.isin(np.asarray(nbtrace_region), ("polar cap", "none"))
    region[~dayside & (r > 8.0) & (np.abs(z) < 3.0)] = "plasma sheet"
    region[open_line & ~dayside] = "tail lobe"
    region[open_line & dayside] = "high latitude boundary layer"
    region[dayside & (r > 10.0)] = "dayside magnetosheath"
    plasmasphere = shell <= 4.0
    region[plasmasphere & dayside] = "dayside plasmasphere"
    region[plasmasphere & ~dayside] = "nightside plasmasphere"
    return region
