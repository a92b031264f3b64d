"""Global auroral activity for the demo: substorm cycles and the oval boundaries they drive.

Each substorm cycle is a quiet interval, a growth phase (the polar cap fills with open flux: the
oval moves equatorward and thins while its equatorward arc brightens a little), an expansion phase
(onset in the pre-midnight sector, a poleward-expanding bulge with a westward travelling surge at
its western edge) and a recovery phase (the bulge fades; pulsating patches and diffuse aurora fill
the post-midnight and morning sector). The numbers are chosen to match textbook statistics
(Akasofu 1964; Frey et al. 2004 onset MLT; ~3 substorms a day, AE peaks of a few hundred nT).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "SubstormTable",
    "ActivityState",
    "make_substorms",
    "activity_at",
    "oval_boundaries",
    "substorm_reach",
]

_H = 3600.0
_MIN = 60.0


@dataclass(frozen=True)
class SubstormTable:
    """Substorm cycles of one demo span; times in seconds since the model's start.

    Attributes
    ----------
    onset_s
        Expansion-phase onset times (s), increasing.
    growth_s, expansion_s, recovery_s
        Phase durations (s): growth ends at onset, expansion starts there.
    peak_ae_nt
        AE-like peak strength of each substorm (nT).
    onset_mlt_h
        Magnetic local time of the onset / bulge centre (hours).
    """

    onset_s: np.ndarray
    growth_s: np.ndarray
    expansion_s: np.ndarray
    recovery_s: np.ndarray
    peak_ae_nt: np.ndarray
    onset_mlt_h: np.ndarray


@dataclass(frozen=True)
class ActivityState:
    """Activity drivers at an array of times (all arrays have the shape of the times).

    Attributes
    ----------
    ae_nt
        AE-like activity index (nT).
    growth
        Growth-phase progress, 0 outside a growth phase, rising to 1 at onset.
    substorm
        Substorm envelope: 0..1, rises through expansion, decays through recovery (scaled by the
        substorm's strength relative to 1000 nT).
    bulge_mlt_h
        MLT of the current (or last) bulge centre (hours).
    bulge_halfwidth_h
        Half-width of the bulge in MLT (hours): 0.3 h at onset, widening to 3 h as the substorm
        develops (the expansion reaches a site when its MLT distance from onset falls inside it).
    pulsating
        Pulsating-aurora driver 0..1: builds up after expansion and decays over a few hours.
    since_onset_s
        Seconds since the last onset (large where none happened yet).
    stretch
        How stretched the magnetotail is, 0..1: the growth progress before an onset, relaxing
        smoothly afterwards (e-folding over half the expansion phase: the dipolarization), so the oval
        does not jump back poleward everywhere at the onset instant.
    """

    ae_nt: np.ndarray
    growth: np.ndarray
    substorm: np.ndarray
    bulge_mlt_h: np.ndarray
    bulge_halfwidth_h: np.ndarray
    pulsating: np.ndarray
    since_onset_s: np.ndarray
    stretch: np.ndarray


def make_substorms(seed: int, duration_s: float) -> SubstormTable:
    """Draw the substorm cycles for a span of ``duration_s`` seconds (deterministic in ``seed``).

    Cycles start 12 h before the span so that it opens with activity already under way.
    """
    rng = np.random.default_rng([seed, 0x5AB5])
    onsets, growth, expansion, recovery, peak, mlt = [], [], [], [], [], []
    t = -12.0 * _H
    while t < duration_s + 6.0 * _H:
        quiet = float(np.clip(rng.gamma(2.0, 2.2 * _H), 0.75 * _H, 16.0 * _H))
        g = rng.uniform(30.0, 75.0) * _MIN
        e = rng.uniform(15.0, 35.0) * _MIN
        r = rng.uniform(70.0, 160.0) * _MIN
        onset = t + quiet + g
        onsets.append(onset)
        growth.append(g)
        expansion.append(e)
        recovery.append(r)
        peak.append(float(np.clip(np.exp(rng.normal(np.log(500.0), 0.45)), 180.0, 1600.0)))
        mlt.append(float(np.clip(rng.normal(23.0, 0.8), 20.5, 25.0)) % 24.0)
        t = onset + e + r
    return SubstormTable(*(np.asarray(v, dtype=float) for v in (onsets, growth, expansion,
                                                                 recovery, peak, mlt)))  # fmt: skip


def activity_at(table: SubstormTable, t_s) -> ActivityState:
    """Evaluate the activity drivers at times ``t_s`` (seconds since the model start)."""
    t = np.asarray(t_s, dtype=float)
    n = table.onset_s.size
    last = np.searchsorted(table.onset_s, t, side="right") - 1
    has_last = last >= 0
    li = np.clip(last, 0, n - 1)
    ni = np.clip(last + 1, 0, n - 1)

    since = np.where(has_last, t - table.onset_s[li], 1e9)
    to_next = np.where(last + 1 < n, table.onset_s[ni] - t, 1e9)
    growth = np.clip(1.0 - to_next / table.growth_s[ni], 0.0, 1.0)

    exp_s = table.expansion_s[li]
    rec_s = table.recovery_s[li]
    strength = table.peak_ae_nt[li] / 1000.0
    rising = np.clip(since / exp_s, 0.0, 1.0)
    # Recovery decays with an e-folding time of 40% of the recovery phase, so the envelope is
    # ~8% of peak when the next quiet interval starts.
    after = np.maximum(since - exp_s, 0.0)
    envelope = np.where(since < exp_s, rising, np.exp(-after / (0.4 * rec_s)))
    substorm = np.where(has_last, strength * envelope, 0.0)

    # Pulsating aurora follows injections: it builds up over ~20 min after expansion and lasts a
    # few hours, well into the next quiet interval (Jones et al. 2011: patches persist for hours),
    # so the patches of the previous substorm live on after the next onset (no reset at onsets).
    pulsating = _pulsating_drive(table, li, t) * has_last
    prev = np.clip(last - 1, 0, n - 1)
    pulsating = np.maximum(pulsating, _pulsating_drive(table, prev, t) * (last >= 1))

    # The bulge starts at the onset MLT a few tens of minutes of MLT wide and spreads east and
    # west as the substorm develops (the westward travelling surge at its western edge), so a site
    # an hour or two of MLT away sees the brightening tens of minutes after the onset sector.
    halfwidth = 0.3 + 2.7 * np.clip(since / (exp_s + 0.5 * rec_s), 0.0, 1.0)
    ae = 60.0 + 120.0 * growth + 1000.0 * substorm
    relaxing = np.where(has_last, np.exp(-np.maximum(since, 0.0) / (0.5 * exp_s)), 0.0)
    return ActivityState(
        stretch=np.maximum(growth, relaxing),
        ae_nt=ae,
        growth=growth,
        substorm=substorm,
        bulge_mlt_h=table.onset_mlt_h[li],
        bulge_halfwidth_h=halfwidth,
        pulsating=pulsating,
        since_onset_s=since,
    )


def _pulsating_drive(table: SubstormTable, index, t) -> np.ndarray:
    """Pulsating-aurora driver 0..1 from substorm ``index`` at times ``t`` (0 before its end of
    expansion)."""
    since = t - table.onset_s[index]
    exp_s = table.expansion_s[index]
    after = np.maximum(since - exp_s, 0.0)
    shape = (1.0 - np.exp(-after / (20.0 * _MIN))) * np.exp(-after / (3.0 * _H)) / 0.8
    strength = np.clip(table.peak_ae_nt[index] / 1000.0 * 1.6, 0.3, 1.0)
    return np.clip(np.where(since >= exp_s, strength * shape, 0.0), 0.0, 1.0)


def substorm_reach(state: ActivityState, mlt_h, spread: float = 2.0) -> np.ndarray:
    """How far the current substorm has reached MLT ``mlt_h``: 1 inside, 0 outside (soft edge).

    The disturbance starts at the onset MLT and spreads east and west with the bulge
    (``spread`` times its half-width: 2 = the diffuse aurora and the oval's equatorward motion
    reach 6 h of MLT from onset, the dawn sector, an hour or so after the onset), so sites at
    different MLT see a substorm at different times instead of all at once.
    """
    d = np.abs(_wrap_mlt(np.asarray(mlt_h, dtype=float) - state.bulge_mlt_h))
    edge = spread * state.bulge_halfwidth_h
    return 1.0 / (1.0 + np.exp((d - edge) / 0.25))


def _wrap_mlt(d_h):
    """Wrap an MLT difference into [-12, 12) hours."""
    return (np.asarray(d_h) + 12.0) % 24.0 - 12.0


def oval_boundaries(state: ActivityState, mlt_h) -> tuple[np.ndarray, np.ndarray]:
    """Equatorward and poleward oval boundaries (AACGM latitude, degrees) at ``mlt_h`` (hours).

    ``state`` arrays broadcast against ``mlt_h``. The oval is offset toward midnight (lowest
    equatorward boundary at 00 MLT, ~66 deg quiet, ~60 deg for AE ~ 1500 nT; ~74-76 deg at noon)
    and widest in the midnight sector. The growth phase moves it ~1.5 deg equatorward and thins
    it by 30%; the substorm bulge pushes the poleward boundary up to ~8 deg poleward around the
    onset MLT.
    """
    mlt = np.asarray(mlt_h, dtype=float)
    phi = 2.0 * np.pi * mlt / 24.0
    # The growth phase moves the whole oval; a substorm only where it has reached so far.
    ae = (60.0 + 120.0 * state.stretch + 1000.0 * state.substorm * substorm_reach(state, mlt)) / 1e3
    night = 0.5 * (1.0 + np.cos(phi))  # 1 at midnight, 0 at noon
    equatorward = 70.5 - 4.0 * ae - 1.5 * state.stretch - 4.5 * np.cos(phi)
    width = (2.0 + 3.0 * night + 3.5 * ae * night) * (1.0 - 0.3 * state.stretch)
    dmlt = _wrap_mlt(mlt - state.bulge_mlt_h)
    bulge = (
        8.0
        * np.clip(state.substorm, 0.0, 1.2)
        * np.exp(-0.5 * (dmlt / state.bulge_halfwidth_h) ** 2)
    )
    return equatorward, equatorward + width + bulge
