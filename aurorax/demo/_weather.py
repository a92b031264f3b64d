"""Seeded weather and instrument-outage model for the demo imagers.

Cloud cover at a site is a latent Gaussian AR(1) process sampled hourly (correlation time 6-18 h,
drawn per site) pushed through the normal CDF to a 0..1 cover fraction, then interpolated to the
minute. Each site's climatological clear-sky fraction is drawn between 35% and 60% (winter
prairie/sub-arctic sites are clear roughly half the time). Co-located imagers of different
programs share the site's sky (same cloud), but each instrument has its own outages (power, network,
hardware: a Poisson process, ~1 per 3 weeks, lasting 2 h to 3 days, log-uniform).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ._noise import stable_key
from ._orbits import to_utc_index

__all__ = ["WeatherModel"]

_H = 3600.0


class WeatherModel:
    """Cloud cover and outages for a set of sites over one span (deterministic in ``seed``).

    Parameters
    ----------
    seed
        Seed of the cloud and outage processes.
    sites
        Table with at least ``program`` and ``site_uid`` columns (e.g. :func:`load_sites`).
    start, end
        The span (UTC, naive = UTC); outside it the model still answers (the processes are
        generated with a 2-day margin on both sides and held constant beyond that).

    Examples
    --------
    >>> from datetime import datetime
    >>> import pandas as pd
    >>> sites = pd.DataFrame({"program": ["themis-asi"], "site_uid": ["gill"]})
    >>> weather = WeatherModel(7, sites, datetime(2021, 12, 1), datetime(2021, 12, 2))
    >>> float(weather.cloud_fraction("gill", [datetime(2021, 12, 1, 6)])[0]) <= 1.0
    True
    """

    def __init__(self, seed: int, sites: pd.DataFrame, start, end):
        missing = {"program", "site_uid"} - set(sites.columns)
        if missing:
            raise ValueError(f"WeatherModel: sites table lacks column(s) {sorted(missing)}")
        self.seed = int(seed)
        self.start = to_utc_index(start)[0]
        self.end = to_utc_index(end)[0]
        if self.end <= self.start:
            raise ValueError(f"WeatherModel: end {self.end} must be after start {self.start}")
        self._t0 = self.start - pd.Timedelta(days=2)
        hours = int(np.ceil((self.end - self._t0).total_seconds() / _H)) + 49
        self._hours = np.arange(hours, dtype=float) * _H
        self._cloud: dict[str, np.ndarray] = {}
        for site_uid in sorted(set(sites["site_uid"])):
            self._cloud[site_uid] = self._make_cloud(site_uid, hours)
        self._outages: dict[tuple[str, str], np.ndarray] = {}
        for program, site_uid in sorted(set(zip(sites["program"], sites["site_uid"], strict=True))):
            self._outages[(program, site_uid)] = self._make_outages(program, site_uid)

    def _make_cloud(self, site_uid: str, hours: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, 0xC10D, stable_key(site_uid)])
        tau_h = rng.uniform(6.0, 18.0)
        clear_fraction = rng.uniform(0.35, 0.60)
        phi = np.exp(-1.0 / tau_h)
        latent = np.empty(hours)
        latent[0] = rng.normal()
        shocks = rng.normal(size=hours) * np.sqrt(1.0 - phi**2)
        for i in range(1, hours):
            latent[i] = phi * latent[i - 1] + shocks[i]
        # Cover = CDF of the latent value, stretched so that cover < 0.3 ("clear") occurs with the
        # site's clear-sky fraction and overcast skies saturate at 1.
        threshold = np.quantile(ndtr(latent), clear_fraction) if hours > 10 else 0.5
        cover = np.clip(0.3 + (ndtr(latent) - threshold) * 1.6, 0.0, 1.0)
        return cover

    def _make_outages(self, program: str, site_uid: str) -> np.ndarray:
        rng = np.random.default_rng([self.seed, 0x0E7A, stable_key(program), stable_key(site_uid)])
        span_s = self._hours[-1]
        rate = 1.0 / (21.0 * 86400.0)
        intervals = []
        t = rng.exponential(1.0 / rate)
        while t < span_s:
            duration = np.exp(rng.uniform(np.log(2.0 * _H), np.log(72.0 * _H)))
            intervals.append((t, t + duration))
            t += duration + rng.exponential(1.0 / rate)
        return np.asarray(intervals, dtype=float).reshape(-1, 2)

    def _seconds(self, times) -> np.ndarray:
        index = to_utc_index(times)
        return (index - self._t0).total_seconds().to_numpy(dtype=float)

    def cloud_fraction(self, site_uid: str, times) -> np.ndarray:
        """Cloud cover over ``site_uid`` at ``times`` (0 = clear, 1 = overcast).

        Raises
        ------
        ValueError
            If ``site_uid`` is not one of the model's sites (the message lists them).
        """
        if site_uid not in self._cloud:
            raise ValueError(
                f"WeatherModel: unknown site_uid {site_uid!r}; known: {sorted(self._cloud)}"
            )
        return np.interp(self._seconds(times), self._hours, self._cloud[site_uid])

    def outage(self, program: str, site_uid: str, times) -> np.ndarray:
        """True where the ``program`` imager at ``site_uid`` is down at ``times``.

        Raises
        ------
        ValueError
            If the (program, site_uid) pair is not one of the model's imagers.
        """
        key = (program, site_uid)
        if key not in self._outages:
            raise ValueError(
                f"WeatherModel: unknown imager {program}/{site_uid}; known: "
                f"{sorted(f'{p}/{s}' for p, s in self._outages)}"
            )
        t = self._seconds(times)
        down = np.zeros(t.shape, dtype=bool)
        for begin, finish in self._outages[key]:
            down |= (t >= begin) & (t < finish)
        return down
