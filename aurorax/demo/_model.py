"""The demo's physical auroral model in magnetic coordinates, and the ML-style labels derived from it.

Coordinates are AACGM magnetic latitude (degrees) and magnetic local time (hours) of the emission
point at ~110 km. Intensities are column emission rates in Rayleighs. The model is a sum of

* diffuse aurora: a broad band in the equatorward part of the oval, strongest from midnight to
  morning and after substorms;
* discrete arcs: a few seeded arcs a few tens of km wide, elongated in magnetic east-west, riding at
  fixed fractions of the oval width with slow drifts, wave-like distortions and on/off cycles; quiet
  evening arcs, a brightening equatorward arc in the growth phase, bright expansion arcs inside the
  substorm bulge and a westward travelling surge at its western edge;
* pulsating patches: 50-150 km patches on a drifting grid in the post-midnight/morning sector during
  and after substorm recovery, each switching on and off with its own 5-20 s period;
* for 630.0 nm: a poleward-boundary red glow plus weak red parts of the other forms;
* optional airglow background.

Every random choice is a hash of the seed and integer coordinates (see ``_noise``), so any pixel
at any time is reproducible without evaluating the rest of the sky.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._activity import ActivityState, activity_at, make_substorms, oval_boundaries, substorm_reach
from ._noise import hash_normal, hash_uniform, stable_key
from ._orbits import to_utc_index

__all__ = [
    "AuroralModel",
    "EMISSIONS",
    "FOV_RADIUS_KM",
    "APA_LABELS",
    "CLOUD_LABELS",
    "OATH_LABELS",
]

EMISSIONS = ("557.7", "630.0")
#: Radius of the field of view the classifiers look at, at 110 km altitude (km).
FOV_RADIUS_KM = 300.0
APA_LABELS = ("classified as APA", "classified as not APA", "not classified")
CLOUD_LABELS = ("classified as cloudy", "classified as not cloudy", "not classified")
OATH_LABELS = (
    "classified as arc",
    "classified as diffuse",
    "classified as discrete",
    "classified as cloudy",
    "classified as moon",
    "classified as no aurora",
    "not classified",
)

_KM_PER_DEG = 2.0 * np.pi * (6371.2 + 110.0) / 360.0  # at the 110 km emission shell
_AIRGLOW_R = {"557.7": 250.0, "630.0": 60.0}
_N_ARCS = 6
# Pulsating patch grid: cells of 2.5 deg magnetic longitude x 1 deg latitude (~110 km x 113 km
# at 66 deg), drifting eastward at 0.3 deg/min (~0.25 km/s, typical morning-sector convection).
_CELL_LON_DEG = 2.5
_CELL_LAT_DEG = 1.0
_DRIFT_DEG_PER_S = 0.3 / 60.0
_PATCH_LIFE_S = 12.0 * 60.0


def _wrap(d_h):
    return (np.asarray(d_h) + 12.0) % 24.0 - 12.0


def _fov_offsets_km() -> tuple[np.ndarray, np.ndarray]:
    """North and east offsets (km) of the points sampling a site's field of view (37 points)."""
    north, east = [0.0], [0.0]
    for ring, count in ((1, 6), (2, 12), (3, 18)):
        radius = FOV_RADIUS_KM * ring / 3.0
        angles = 2.0 * np.pi * (np.arange(count) + 0.5 * (ring % 2)) / count
        north.extend(radius * np.cos(angles))
        east.extend(radius * np.sin(angles))
    return np.asarray(north), np.asarray(east)


@dataclass(frozen=True)
class _Arc:
    fraction: float  # position across the oval, 0 = equatorward boundary, 1 = poleward
    drift_amp: float
    drift_period_s: float
    drift_phase: float
    width_km: float
    brightness: float
    wave_amp_deg: float
    wave_len_h: float
    wave_speed_h_per_s: float
    wave_phase: float
    life_period_s: float
    life_phase: float


class AuroralModel:
    """Deterministic auroral emission model for one demo span.

    Parameters
    ----------
    seed
        Seed of every random choice (substorm times and strengths, arcs, patches, noise).
    start, end
        The span (UTC; naive = UTC). Substorm cycles are drawn for it (and 12 h before it).

    Examples
    --------
    >>> from datetime import datetime
    >>> model = AuroralModel(2021, datetime(2021, 12, 1), datetime(2021, 12, 2))
    >>> model.intensity_rayleigh(datetime(2021, 12, 1, 9), [60.0, 66.0, 80.0], 2.0).shape
    (3,)
    """

    def __init__(self, seed: int, start, end):
        self.seed = int(seed)
        self.start = to_utc_index(start)[0]
        self.end = to_utc_index(end)[0]
        if self.end <= self.start:
            raise ValueError(f"AuroralModel: end {self.end} must be after start {self.start}")
        duration = (self.end - self.start).total_seconds()
        self.substorms = make_substorms(self.seed, duration)
        rng = np.random.default_rng([self.seed, 0xA4C])
        self._arcs = tuple(
            _Arc(
                fraction=float(f),
                drift_amp=float(rng.uniform(0.03, 0.12)),
                drift_period_s=float(rng.uniform(20.0, 90.0) * 60.0),
                drift_phase=float(rng.uniform(0.0, 2 * np.pi)),
                width_km=float(rng.uniform(15.0, 40.0)),
                brightness=float(rng.uniform(0.6, 1.4)),
                wave_amp_deg=float(rng.uniform(0.05, 0.3)),
                wave_len_h=float(rng.uniform(0.7, 3.0)),
                wave_speed_h_per_s=float(rng.uniform(-1.0, 1.0) / 3600.0),
                wave_phase=float(rng.uniform(0.0, 2 * np.pi)),
                life_period_s=float(rng.uniform(1.0, 4.0) * 3600.0),
                life_phase=float(rng.uniform(0.0, 2 * np.pi)),
            )
            for f in np.sort(rng.uniform(0.12, 0.92, _N_ARCS))
        )

    # ------------------------------------------------------------------ time and activity
    def seconds(self, time) -> np.ndarray:
        """Seconds since the model start for ``time`` (any datetime-like, scalar or array)."""
        index = to_utc_index(time)
        seconds = (index - self.start).total_seconds().to_numpy(dtype=float)
        return seconds.reshape(np.shape(time)) if np.ndim(time) else seconds.reshape(())

    def activity(self, time) -> ActivityState:
        """Activity drivers (AE-like index, phases) at ``time``."""
        return activity_at(self.substorms, self.seconds(time))

    def boundaries(self, time, mlt_h) -> tuple[np.ndarray, np.ndarray]:
        """Equatorward and poleward oval boundaries (AACGM latitude, degrees) at (time, MLT)."""
        state = self.activity(time)
        return oval_boundaries(state, mlt_h)

    def boundaries_at_seconds(self, t_s, mlt_h) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`boundaries`, with times given as model seconds (faster in bulk)."""
        return oval_boundaries(activity_at(self.substorms, np.asarray(t_s, dtype=float)), mlt_h)

    # ------------------------------------------------------------------ emission components
    def components(
        self, t_s, mlat, mlt_h, time_average: bool = False, red: bool = False
    ) -> dict[str, np.ndarray]:
        """557.7 nm emission of each auroral form (Rayleighs) at model time ``t_s`` (seconds).

        Returns a dict with ``diffuse``, ``arcs``, ``pulsating``, ``red_glow`` (the 630.0 nm
        poleward-boundary glow) and the boundaries ``equatorward``/``poleward`` (degrees), all
        broadcast to a common shape. ``time_average`` replaces the on/off switching of pulsating
        patches by its duty cycle (what a one-minute classifier sees). ``red`` adds
        ``red_arcs``: the arcs 4x wider, as the 630.0 nm emission at ~230 km spreads them.
        """
        t, mlat, mlt = np.broadcast_arrays(
            np.asarray(t_s, dtype=float), np.asarray(mlat, dtype=float), np.asarray(mlt_h, float)
        )
        state = activity_at(self.substorms, t)
        eq, pb = oval_boundaries(state, mlt)
        width = np.maximum(pb - eq, 0.5)
        night = 0.5 * (1.0 + np.cos(2.0 * np.pi * mlt / 24.0))
        morning = np.exp(-0.5 * (_wrap(mlt - 3.0) / 3.5) ** 2)

        # Diffuse aurora: centred a quarter of the way into the oval, brightest midnight-morning.
        centre = eq + 0.25 * width
        sigma = 0.3 * width + 0.6
        reach = substorm_reach(state, mlt)
        level = 500.0 + 1000.0 * state.pulsating + 1500.0 * state.substorm * reach
        diffuse = (
            level * (0.25 + 0.75 * np.maximum(night, morning)) * np.exp(-0.5 * ((mlat - centre) / sigma) ** 2)
        )  # fmt: skip

        arcs = self._arcs_component(t, mlat, mlt, state, eq, width)
        pulsating = self._pulsating_component(t, mlat, mlt, state, eq, width, time_average)
        red_glow = (
            (600.0 + 1500.0 * state.substorm * reach)
            * (0.4 + 0.6 * night)
            * np.exp(-0.5 * ((mlat - pb - 0.3) / 0.9) ** 2)
        )
        out = {
            "diffuse": diffuse,
            "arcs": arcs,
            "pulsating": pulsating,
            "red_glow": red_glow,
            "equatorward": eq,
            "poleward": pb,
        }
        if red:
            out["red_arcs"] = self._arcs_component(t, mlat, mlt, state, eq, width, width_scale=4.0)
        return out

    def _arcs_component(self, t, mlat, mlt, state, eq, width, width_scale: float = 1.0):
        evening = np.exp(-0.5 * (_wrap(mlt - 21.5) / 3.0) ** 2)
        dmlt_bulge = np.abs(_wrap(mlt - state.bulge_mlt_h))
        # Soft-edged bulge: the expansion reaches an MLT when the widening bulge covers it, and is
        # brightest at the onset MLT (half as bright at the edge).
        edge = state.bulge_halfwidth_h
        in_bulge = (1.0 - 0.5 * np.clip(dmlt_bulge / edge, 0.0, 1.0)) / (
            1.0 + np.exp((dmlt_bulge - edge) / 0.12)
        )
        total = np.zeros(np.shape(t))
        for i, arc in enumerate(self._arcs):
            frac = arc.fraction + arc.drift_amp * np.sin(
                2 * np.pi * t / arc.drift_period_s + arc.drift_phase
            )
            wave = arc.wave_amp_deg * np.sin(
                2 * np.pi * (mlt + arc.wave_speed_h_per_s * t) / arc.wave_len_h + arc.wave_phase
            )
            lat0 = eq + frac * width + wave
            sigma = width_scale * arc.width_km / 2.355 / _KM_PER_DEG
            profile = np.exp(-0.5 * ((mlat - lat0) / sigma) ** 2)
            # Arcs come and go over hours: a clipped sinusoid keeps each one on ~60% of the time.
            alive = np.clip(1.5 * np.sin(2 * np.pi * t / arc.life_period_s + arc.life_phase) + 0.6,
                            0.0, 1.0)  # fmt: skip
            # Beads/folds along the arc so it is not perfectly uniform in longitude.
            beads = 0.75 + 0.25 * np.sin(2 * np.pi * mlt / (0.15 + 0.03 * i) + 3.0 * i)
            quiet = 2500.0 * evening * (1.0 + 0.6 * state.growth * (arc.fraction < 0.45))
            expansion = 15000.0 * state.substorm * in_bulge
            total = total + arc.brightness * alive * beads * profile * (quiet + expansion)
        # Westward travelling surge: a bright swirl at the poleward edge, west end of the bulge.
        wts_mlt = state.bulge_mlt_h - 1.3 * state.bulge_halfwidth_h
        wts_lat = eq + width - 0.8
        expanding = np.clip(state.since_onset_s / 900.0, 0.0, 1.0) * (state.since_onset_s < 7200.0)
        surge = (
            20000.0 * state.substorm * expanding
            * np.exp(-0.5 * (_wrap(mlt - wts_mlt) / 0.5) ** 2)
            * np.exp(-0.5 * ((mlat - wts_lat) / 0.7) ** 2)
        )  # fmt: skip
        return total + surge

    def _pulsating_component(self, t, mlat, mlt, state, eq, width, time_average):
        sector = np.exp(-0.5 * (_wrap(mlt - 3.5) / 2.5) ** 2)
        rel = (mlat - eq) / width
        band = 1.0 / (1.0 + np.exp(-(rel + 0.05) / 0.04)) / (1.0 + np.exp((rel - 0.85) / 0.07))
        drive = state.pulsating * sector * band
        active = drive > 1e-3
        out = np.zeros(np.shape(t))
        if not np.any(active):
            return out
        ta, lat_a, mlt_a = t[active], mlat[active], mlt[active]
        u = (mlt_a * 15.0 - _DRIFT_DEG_PER_S * ta) / _CELL_LON_DEG
        v = lat_a / _CELL_LAT_DEG
        iu0, iv0 = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
        # Patches may spill a quarter cell into their neighbours, so each point looks at its own
        # cell and the three nearest ones (the 2 x 2 block around it) and keeps the brightest.
        su = np.where(u - iu0 >= 0.5, 1, -1)
        sv = np.where(v - iv0 >= 0.5, 1, -1)
        best = np.zeros(ta.shape)
        seed = self.seed ^ 0x9A75
        for du, dv in ((0, 0), (1, 0), (0, 1), (1, 1)):
            iu, iv = iu0 + du * su, iv0 + dv * sv
            offset = hash_uniform(seed, iu, iv, 0) * _PATCH_LIFE_S
            life = (ta + offset) / _PATCH_LIFE_S
            k = np.floor(life).astype(np.int64)
            present = hash_uniform(seed, iu, iv, k, 1) < 0.9
            cu = iu + 0.35 + 0.3 * hash_uniform(seed, iu, iv, k, 2)
            cv = iv + 0.35 + 0.3 * hash_uniform(seed, iu, iv, k, 3)
            radius = 0.45 + 0.2 * hash_uniform(seed, iu, iv, k, 4)
            dist = np.hypot(u - cu, (v - cv) * 1.2) / radius
            shape = np.exp(-(dist**6))
            envelope = np.sqrt(np.sin(np.pi * (life - k)))
            brightness = 2000.0 + 6000.0 * hash_uniform(seed, iu, iv, k, 5)
            duty = 0.35 + 0.25 * hash_uniform(seed, iu, iv, k, 6)
            if time_average:
                on = duty
            else:
                period = 5.0 + 15.0 * hash_uniform(seed, iu, iv, k, 7)
                phase = hash_uniform(seed, iu, iv, k, 8)
                on = (np.mod(ta / period + phase, 1.0) < duty).astype(float)
            best = np.maximum(best, present * shape * envelope * brightness * on)
        out[active] = drive[active] * best
        return out

    def intensity_rayleigh(
        self, time, mlat, mlt, emission: str = "557.7", include_airglow: bool = True
    ) -> np.ndarray:
        """Auroral (plus airglow) emission rate at (time, magnetic latitude, MLT), in Rayleighs.

        Parameters
        ----------
        time
            UTC time(s), naive = UTC; broadcasts against ``mlat`` and ``mlt``.
        mlat
            AACGM magnetic latitude of the emission point (degrees; the model is symmetric in
            hemisphere, |mlat| is used).
        mlt
            Magnetic local time (hours).
        emission
            ``"557.7"`` (green line, panchromatic and green channels) or ``"630.0"`` (red line,
            REGO and the red channel).
        include_airglow
            Add a constant night-sky airglow (250 R at 557.7 nm, 60 R at 630.0 nm).

        Returns
        -------
        numpy.ndarray
            Rayleighs, broadcast shape of the inputs.
        """
        return self.intensity_at_seconds(self.seconds(time), mlat, mlt, emission, include_airglow)

    def intensity_at_seconds(
        self, t_s, mlat, mlt, emission: str = "557.7", include_airglow: bool = True
    ) -> np.ndarray:
        """Like :meth:`intensity_rayleigh`, with times as model seconds (``t_s``, float array).

        Evaluating many frames in one call (``t_s`` of shape ``(n, 1)`` against pixel arrays of
        shape ``(1, m)``) avoids the per-call overhead of the time conversion.
        """
        if emission not in EMISSIONS:
            raise ValueError(f"emission must be one of {list(EMISSIONS)}, got {emission!r}")
        c = self.components(
            t_s, np.abs(np.asarray(mlat, dtype=float)), np.mod(mlt, 24.0), red=emission == "630.0"
        )
        if emission == "557.7":
            total = c["diffuse"] + c["arcs"] + c["pulsating"]
        else:
            # Red/green ratios: soft diffuse precipitation is red-rich, energetic arcs and
            # pulsating aurora (few-10 keV electrons) much less so.
            # The red line comes from ~230 km, where the emission of an arc spreads over a few
            # times its green width (and its 110 s lifetime smooths it further): red arcs are
            # modelled 4x wider with 2% of the green peak per unit width (8% integrated).
            total = (
                0.35 * c["diffuse"] + 0.02 * c["red_arcs"] + 0.03 * c["pulsating"] + c["red_glow"]
            )
        if include_airglow:
            total = total + _AIRGLOW_R[emission]
        return total

    # ------------------------------------------------------------------ classification
    def fov_components(self, time, site_mlat, site_mlt) -> pd.DataFrame:
        """What the model puts inside a site's field of view, averaged over each minute.

        Parameters
        ----------
        time
            UTC times (one per row).
        site_mlat, site_mlt
            The site's AACGM latitude (degrees) and MLT (hours) at each time (or scalars).

        Returns
        -------
        pandas.DataFrame
            ``diffuse``, ``arcs``, ``pulsating`` (mean 557.7 nm Rayleighs over the 37 points
            sampling a disc of :data:`FOV_RADIUS_KM` at 110 km), ``arcs_max`` (brightest arc point,
            R), ``pulsating_cover`` (fraction of points with > 500 R of pulsating aurora).
        """
        t_s = np.atleast_1d(self.seconds(time)).astype(float)
        n = t_s.size
        site_mlat = np.abs(np.broadcast_to(np.asarray(site_mlat, dtype=float), (n,)))
        site_mlt = np.broadcast_to(np.asarray(site_mlt, dtype=float), (n,))
        north, east = _fov_offsets_km()
        mlat = site_mlat[:, None] + north[None, :] / _KM_PER_DEG
        coslat = np.cos(np.radians(np.clip(site_mlat, 0.0, 89.0)))[:, None]
        mlt = np.mod(site_mlt[:, None] + east[None, :] / (_KM_PER_DEG * coslat) / 15.0, 24.0)
        c = self.components(t_s[:, None], mlat, mlt, time_average=True)
        return pd.DataFrame(
            {
                "diffuse": c["diffuse"].mean(axis=1),
                "arcs": c["arcs"].mean(axis=1),
                "pulsating": c["pulsating"].mean(axis=1),
                "arcs_max": c["arcs"].max(axis=1),
                "pulsating_cover": (c["pulsating"] > 500.0).mean(axis=1),
            }
        )

    def classify(
        self,
        time,
        site_mlat,
        site_mlt,
        cloud_fraction,
        key: str = "",
        fov: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """ML-style labels for a site's minutes, derived from the model and the weather.

        Parameters
        ----------
        time
            UTC minutes (one per row).
        site_mlat, site_mlt
            The site's AACGM latitude (degrees) and MLT (hours), per row or scalars.
        cloud_fraction
            Cloud cover over the site, 0..1 (from :class:`WeatherModel`), per row or scalar.
        key
            Names the noise stream (e.g. ``"themis-asi/gill"``): the seeded confidence noise
            depends on the seed, this key and the minute, not on batching.
        fov
            Precomputed :meth:`fov_components` for these rows (co-located imagers share one sky).

        Returns
        -------
        pandas.DataFrame
            One row per minute with the AuroraX ephemeris metadata fields
            ``calgary_apa_ml_v1`` (:data:`APA_LABELS`), ``calgary_apa_ml_v1_confidence``
            (0-100), ``calgary_cloud_ml_v1`` (:data:`CLOUD_LABELS`),
            ``calgary_cloud_ml_v1_confidence`` (0-100) and ``clausen_ml_oath``
            (:data:`OATH_LABELS`).

        Notes
        -----
        * cloud: "cloudy" when cover >= 0.5; confidence 50 + 100 |cover - 0.5| plus noise.
        * APA: the model abstains ("not classified") under overcast (cover >= 0.9). Otherwise a
          score = sqrt(pulsating share of the field-of-view emission) x coverage of the field of
          view by patches (saturating at 30%) x sqrt(sky visibility), mapped through a logistic to a probability; the label is the
          likelier class and the confidence its probability (%), plus noise. High confidence
          therefore needs patches filling much of the sky and dominating it.
        * OATH: cloudy (cover >= 0.6), no aurora (little emission), discrete (bright dynamic
          arcs > 8 kR), arc (arcs dominate), otherwise diffuse (pulsating patches are part of
          OATH's diffuse class).
        """
        if fov is None:
            fov = self.fov_components(time, site_mlat, site_mlt)
        n = len(fov)
        if np.size(np.atleast_1d(self.seconds(time))) != n:
            raise ValueError(f"classify: fov has {n} rows but time has {np.size(time)} values")
        cloud = np.clip(np.broadcast_to(np.asarray(cloud_fraction, dtype=float), (n,)), 0.0, 1.0)
        minutes = np.floor(np.atleast_1d(self.seconds(time)) / 60.0).astype(np.int64)
        stream = self.seed ^ (stable_key(key) << 20)
        noise_cloud = hash_normal(stream, minutes, 11)
        noise_apa = hash_normal(stream, minutes, 12)

        cloudy = cloud >= 0.5
        cloud_conf = np.clip(50.0 + 100.0 * np.abs(cloud - 0.5) + 3.0 * noise_cloud, 50.0, 99.9)

        d, a, p = fov["diffuse"].to_numpy(), fov["arcs"].to_numpy(), fov["pulsating"].to_numpy()
        # Patches sit on a diffuse background, which dilutes them only partly (weight 0.25).
        share = p / (p + a + 0.25 * d + 100.0)
        cover = np.clip(fov["pulsating_cover"].to_numpy() / 0.3, 0.0, 1.0)
        score = np.sqrt(share) * cover * np.sqrt(1.0 - cloud)
        prob = 1.0 / (1.0 + np.exp(-(score - 0.3) / 0.05))
        is_apa = prob >= 0.5
        apa_conf = np.clip(100.0 * np.where(is_apa, prob, 1.0 - prob) + 1.5 * noise_apa, 50.0, 99.9)
        overcast = cloud >= 0.9
        apa = np.where(is_apa, APA_LABELS[0], APA_LABELS[1]).astype(object)
        apa[overcast] = APA_LABELS[2]
        apa_conf = np.where(overcast, np.nan, apa_conf)

        visible = np.sqrt(1.0 - cloud)
        total = (d + a + p) * visible
        amax = fov["arcs_max"].to_numpy() * visible
        oath = np.full(n, "classified as diffuse", dtype=object)
        arc_dominant = (a >= np.maximum(d, p)) | (amax > 3000.0)
        oath[arc_dominant] = "classified as arc"
        oath[arc_dominant & (amax > 8000.0)] = "classified as discrete"
        oath[(total < 600.0) & (amax < 1500.0)] = "classified as no aurora"
        oath[cloud >= 0.6] = "classified as cloudy"
        return pd.DataFrame(
            {
                "calgary_apa_ml_v1": apa,
                "calgary_apa_ml_v1_confidence": np.round(apa_conf, 1),
                "calgary_cloud_ml_v1": np.where(cloudy, CLOUD_LABELS[0], CLOUD_LABELS[1]).astype(
                    object
                ),
                "calgary_cloud_ml_v1_confidence": np.round(cloud_conf, 1),
                "clausen_ml_oath": oath,
            }
        )
