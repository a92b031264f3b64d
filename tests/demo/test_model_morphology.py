"""What the demo aurora looks like: an oval in magnetic coordinates, local substorm onsets that
spread in MLT, a red line fainter and smoother than the green, and a dark sky near zero."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from aurorax.demo import THEMIS_CAMERA, AuroralModel, FrameRenderer, load_sites
from aurorax.demo._products import DISPLAY_SPAN_R, keogram_limits

START, END = datetime(2021, 12, 1), datetime(2021, 12, 15)


@pytest.fixture(scope="module")
def model():
    return AuroralModel(2021, START, END)


def _onsets(model, min_ae=400.0):
    """Substorms inside the span, at least ``min_ae`` strong."""
    table = model.substorms
    keep = (table.onset_s > 6 * 3600) & (table.onset_s < 13 * 86400) & (table.peak_ae_nt > min_ae)
    return np.flatnonzero(keep)


def test_quiet_oval_peaks_in_the_auroral_zone_and_is_faint_at_low_latitude(model):
    table = model.substorms
    # The quietest midnight of the span: the most time since the last substorm's recovery.
    t = np.arange(86400.0, 13 * 86400.0, 600.0)
    ae = model.activity(pd.Timestamp(START) + pd.to_timedelta(t, "s")).ae_nt
    quiet = t[np.argmin(ae)]
    assert table.onset_s.size > 20
    mlat = np.linspace(50.0, 85.0, 351)
    green = model.intensity_at_seconds(quiet, mlat, 0.0, include_airglow=False)
    peak = mlat[np.argmax(green)]
    assert 63.0 <= peak <= 72.0
    assert green.max() > 300.0  # a diffuse oval of some hundred Rayleighs at least
    assert np.all(green[mlat < 58.0] < 0.02 * green.max())  # mid latitudes: dark
    assert np.all(green[mlat > 82.0] < 0.05 * green.max())  # polar cap: dark
    # Noon: the oval sits several degrees poleward of its midnight position.
    noon = model.intensity_at_seconds(quiet, mlat, 12.0, include_airglow=False)
    assert mlat[np.argmax(noon)] > peak + 4.0


def test_a_substorm_brightens_its_onset_sector_before_sectors_hours_away(model):
    lags = []
    for i in _onsets(model):
        onset, mlt0 = model.substorms.onset_s[i], model.substorms.onset_mlt_h[i]
        t = onset + np.arange(-600.0, 3600.0, 30.0)
        mlat = np.linspace(58.0, 78.0, 81)[None, :]

        def first_bright(mlt, t=t, mlat=mlat, onset=onset):
            # The brightest point of the meridian (time-averaged pulsations), against the
            # 10 minutes before onset: when it first rises by 1 kR.
            c = model.components(t[:, None], mlat, mlt % 24.0, time_average=True)
            total = (c["diffuse"] + c["arcs"] + c["pulsating"]).max(axis=1)
            before = total[t < onset].max()
            rising = np.flatnonzero((total > before + 1000.0) & (t >= onset))
            return t[rising[0]] - onset if rising.size else np.inf

        at_onset = first_bright(mlt0)
        assert at_onset <= 1800.0  # within the expansion phase (15-35 min)
        # Two hours of MLT east and west the brightening arrives minutes to tens of minutes later.
        lags += [first_bright(mlt0 + 2.0) - at_onset, first_bright(mlt0 - 2.0) - at_onset]
    lags = np.asarray(lags)
    assert lags.size >= 10
    assert np.mean(lags > 240.0) >= 0.8
    assert np.median(lags) > 600.0


def test_the_oval_does_not_jump_anywhere_at_the_onset_instant(model):
    for i in _onsets(model, 0.0)[:10]:
        onset, mlt0 = model.substorms.onset_s[i], model.substorms.onset_mlt_h[i]
        for mlt in (mlt0 + 6.0, mlt0 + 12.0):
            eq_before, pb_before = model.boundaries_at_seconds(onset - 1.0, mlt % 24.0)
            eq_after, pb_after = model.boundaries_at_seconds(onset + 1.0, mlt % 24.0)
            assert abs(eq_after - eq_before) < 0.1
            assert abs(pb_after - pb_before) < 0.1


def test_pulsating_patches_outlive_the_next_onset(model):
    table = model.substorms
    for i in _onsets(model, 0.0):
        following = table.onset_s[i + 1]
        before = model.activity(pd.Timestamp(START) + pd.Timedelta(seconds=following - 1.0))
        after = model.activity(pd.Timestamp(START) + pd.Timedelta(seconds=following + 1.0))
        assert after.pulsating >= 0.99 * before.pulsating


def test_pulsating_aurora_lives_after_midnight(model):
    i = _onsets(model)[0]
    table = model.substorms
    t = table.onset_s[i] + table.expansion_s[i] + 40 * 60.0
    mlat = np.linspace(58.0, 76.0, 73)[:, None]
    mlt = np.linspace(0.0, 24.0, 97)[None, :]
    c = model.components(t, mlat, mlt, time_average=True)
    by_mlt = c["pulsating"].max(axis=0)
    assert by_mlt.max() > 500.0
    assert 0.5 <= mlt[0, np.argmax(by_mlt)] <= 7.0
    assert by_mlt[(mlt[0] >= 12.0) & (mlt[0] <= 21.0)].max() < 0.05 * by_mlt.max()


def test_red_line_is_fainter_and_smoother_than_the_green(model):
    # An evening arc: a time when the brightest 557.7 nm point of the 21 MLT meridian is an arc.
    mlat = np.linspace(60.0, 78.0, 721)
    best = None
    for t in np.arange(86400.0, 5 * 86400.0, 900.0):
        green = model.intensity_at_seconds(t, mlat, 21.0, include_airglow=False)
        c = model.components(t, mlat, 21.0)
        if c["arcs"].max() > 1500.0 and (best is None or c["arcs"].max() > best[1]):
            best = (t, c["arcs"].max())
    assert best is not None
    green = model.intensity_at_seconds(best[0], mlat, 21.0, "557.7", include_airglow=False)
    red = model.intensity_at_seconds(best[0], mlat, 21.0, "630.0", include_airglow=False)
    assert red.max() < 0.5 * green.max()

    def roughness(profile):
        # Curvature relative to brightness: narrow arcs are rough, a diffuse glow is smooth.
        return np.abs(np.diff(profile, 2)).sum() / profile.max()

    assert roughness(red) < 0.5 * roughness(green)


def test_a_dark_sky_is_near_zero_counts_in_the_frames(model):
    sites = load_sites()
    site = sites[(sites.program == "themis-asi") & (sites.site_uid == "gill")].iloc[0]
    renderer = FrameRenderer(
        model, "themis-asi", "gill", site.lat, site.lon, site.alt_km,
        pd.Timestamp("2021-12-01T02:00Z"), binning=4, noise=False,
    )  # fmt: skip
    frame = renderer.render([pd.Timestamp("2021-12-01T02:00Z")])[0].astype(float)
    zenith = renderer.skymap.elevation > 60.0
    expected_dark = THEMIS_CAMERA.bias_counts + THEMIS_CAMERA.gain_counts_per_rayleigh * 250.0
    dark = np.percentile(frame[zenith], 5)
    # The darkest parts of the sky near zenith are just the airglow: a few hundred counts,
    # not a bias of thousands that a map would paint as an opaque disc.
    assert dark <= expected_dark + 50.0
    assert dark < 0.1 * THEMIS_CAMERA.gain_counts_per_rayleigh * 6000.0
    assert np.all(frame[~renderer.sky] == THEMIS_CAMERA.bias_counts)


def test_keogram_limits_do_not_stretch_a_quiet_night_into_noise():
    rng = np.random.default_rng(3)
    noise = 500.0 + 20.0 * rng.standard_normal((300, 256))
    lo, hi = keogram_limits(noise, "themis-asi")
    assert hi - lo >= DISPLAY_SPAN_R["557.7"] * THEMIS_CAMERA.gain_counts_per_rayleigh
    # A bright night keeps its own range.
    bright = noise.copy()
    bright[:, 100:110] += 40000.0
    assert keogram_limits(bright, "themis-asi")[1] > 40000.0
