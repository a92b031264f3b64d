"""Labelled training images from the demo: frames rendered by the demo's own image code, with the
labels the demo's auroral model gives each minute (``AuroralModel.classify``).

For each camera program, imager site and UTC night of a seeded demo span, a seeded sample of the
minutes the Sun is below -12 degrees is drawn; each minute is rendered either as one frame (as a
coarse-cadence archive has) or as three frames 3 s apart (the real THEMIS/REGO cadence), through
:class:`aurorax.demo.FrameRenderer` with the demo weather's clouds, and its labels are computed the
way ``build_demo`` labels the demo repository's ephemeris. Training and held-out sets come from
different nights of the same span, so a held-out minute was never seen in training, not even its
neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aurorax import geo
from aurorax.demo import AuroralModel, FrameRenderer, WeatherModel, load_sites

from ._features import MinuteFeatureBuilder, sky_masks

__all__ = ["TrainingConfig", "LABEL_FIELDS", "labelled_minutes"]

#: The ephemeris metadata fields the classifier predicts (the demo's ground schema); each of the
#: first two also has a ``<field>_confidence`` (percent).
LABEL_FIELDS = ("calgary_apa_ml_v1", "calgary_cloud_ml_v1", "clausen_ml_oath")

# Sites the training images are rendered for (a spread of magnetic latitudes, so the oval passes
# overhead, poleward and equatorward of them on different nights).
_SITES = {
    "themis": ("gill", "rank", "fsmi", "talo", "pina", "inuv"),
    "rego": ("gill", "rank", "fsmi", "talo", "luck", "resu"),
}
_PROGRAMS = {"themis": "themis-asi", "rego": "rego"}
# Model evaluated per 4 x 4 THEMIS pixels (8 x 8 REGO): exactly the feature blocks, 2.5x faster
# to render than the demo's per 2 x 2 and the same after block averaging (see ``_features``).
_BINNING = {"themis": 4, "rego": 8}
_BURST_OFFSETS_S = (0.0, 3.0, 6.0)


@dataclass(frozen=True)
class TrainingConfig:
    """How the classifier's labelled demo images are made (everything seeded).

    Attributes
    ----------
    seed
        Seed of the demo models (auroral, weather) and of the minute sampling.
    start
        First UTC day of the demo span (ISO date).
    train_nights, heldout_nights
        UTC days used for training, then the following days held out for evaluation.
    train_minutes, heldout_minutes
        Minutes sampled per site and night.
    """

    seed: int = 2021
    start: str = "2021-12-01"
    train_nights: int = 8
    heldout_nights: int = 3
    train_minutes: int = 30
    heldout_minutes: int = 25

    def key(self) -> str:
        """Stable text naming this configuration (used in the cache file name)."""
        return (
            f"s{self.seed}-{self.start}-n{self.train_nights}+{self.heldout_nights}"
            f"-m{self.train_minutes}+{self.heldout_minutes}"
        )


def _site_rows(program: str) -> pd.DataFrame:
    sites = load_sites()
    rows = sites[(sites["program"] == _PROGRAMS[program]) & sites["site_uid"].isin(_SITES[program])]
    return rows.reset_index(drop=True)


def labelled_minutes(
    program: str, config: TrainingConfig, heldout: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Render and label sampled demo minutes of one camera program.

    Parameters
    ----------
    program
        ``"themis"`` or ``"rego"`` (the ASI core's program names).
    config
        The sampling and seeds.
    heldout
        False: the training nights; True: the held-out nights after them.

    Returns
    -------
    features, labels : pandas.DataFrame
        One row per sampled minute, in the same order: the :data:`~._features.MINUTE_FEATURES`
        of its rendered frames, and its demo labels (:data:`LABEL_FIELDS`).
    """
    if program not in _PROGRAMS:
        raise ValueError(f"program must be one of {sorted(_PROGRAMS)}, got {program!r}")
    start = pd.Timestamp(config.start, tz="UTC")
    days = config.train_nights + config.heldout_nights
    end = start + pd.Timedelta(days=days)
    nights = range(config.train_nights, days) if heldout else range(config.train_nights)
    per_night = config.heldout_minutes if heldout else config.train_minutes
    sites = _site_rows(program)
    model = AuroralModel(config.seed, start, end)
    weather = WeatherModel(config.seed, sites, start, end)
    mid = (start + (end - start) / 2).tz_convert(None).to_pydatetime()
    features, labels = [], []
    for site_index, site in enumerate(sites.itertuples(index=False)):
        site_mlat, site_mlon = geo.geo_to_aacgm(site.lat, site.lon, 110.0, mid)
        for night in nights:
            day = start + pd.Timedelta(days=night)
            minutes = pd.date_range(day, periods=1440, freq="min")
            t64 = minutes.tz_convert(None).to_numpy()
            dark = minutes[geo.sun_elevation_deg(site.lat, site.lon, t64) < -12.0]
            if dark.empty:
                continue
            rng = np.random.default_rng([config.seed, site_index, night, int(heldout)])
            chosen = dark[np.sort(rng.choice(len(dark), min(per_night, len(dark)), replace=False))]
            # A coarse archive has one frame per minute or fewer, a real one twenty: train on both.
            bursts = rng.random(len(chosen)) < 0.5
            offsets = rng.uniform(0.0, 50.0, len(chosen))
            times = []
            for minute, burst, offset in zip(chosen, bursts, offsets, strict=True):
                steps = _BURST_OFFSETS_S if burst else _BURST_OFFSETS_S[:1]
                times.extend(minute + pd.Timedelta(seconds=offset + s) for s in steps)
            frame_times = pd.DatetimeIndex(times)
            uid = site.site_uid

            def cloud(t, uid=uid):
                return weather.cloud_fraction(uid, t)

            renderer = FrameRenderer(
                model, site.program, uid, site.lat, site.lon, site.alt_km, day + pd.Timedelta(hours=6),
                binning=_BINNING[program], cloud=cloud, seed=config.seed,
            )  # fmt: skip
            frames = renderer.render(frame_times, rng)
            builder = MinuteFeatureBuilder(sky_masks(renderer.skymap.elevation))
            builder.add(frame_times, frames)
            features.append(builder.result())
            mlt0 = np.asarray(
                geo.magnetic_local_time(np.zeros(len(chosen)), chosen.tz_convert(None).to_numpy()),
                dtype=float,
            )
            site_mlt = (mlt0 + float(site_mlon) / 15.0) % 24.0
            labels.append(
                model.classify(
                    chosen,
                    float(site_mlat),
                    site_mlt,
                    weather.cloud_fraction(uid, chosen),
                    key=f"{site.program}/{uid}",
                )
            )
    return (
        pd.concat(features, ignore_index=True),
        pd.concat(labels, ignore_index=True)[list(LABEL_FIELDS)],
    )
