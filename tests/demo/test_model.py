"""The auroral model: activity-driven oval, fine structure, and the ML-style labels derived from it."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from aurorax.demo import APA_LABELS, CLOUD_LABELS, OATH_LABELS, AuroralModel

START, END = datetime(2021, 12, 1), datetime(2021, 12, 15)


@pytest.fixture(scope="module")
def model():
    return AuroralModel(2021, START, END)


def _at(model, seconds):
    return model.start + pd.to_timedelta(seconds, unit="s")


def _a_substorm(model):
    """An onset inside the span whose growth phase follows at least 1 h of quiet."""
    table = model.substorms
    for i in range(1, table.onset_s.size):
        quiet_start = table.onset_s[i - 1] + table.expansion_s[i - 1] + table.recovery_s[i - 1]
        growth_start = table.onset_s[i] - table.growth_s[i]
        if table.onset_s[i] > 86400 and growth_start - quiet_start > 4 * 3600:
            return i
    raise AssertionError("no isolated substorm in the span")


def test_oval_moves_equatorward_in_growth_and_bulges_poleward_in_expansion(model):
    table = model.substorms
    i = _a_substorm(model)
    onset = table.onset_s[i]
    quiet = onset - table.growth_s[i] - 600.0
    peak = onset + table.expansion_s[i]
    mlt = table.onset_mlt_h[i]
    eq_quiet, pb_quiet = model.boundaries(_at(model, quiet), mlt)
    eq_onset, pb_onset = model.boundaries(_at(model, onset - 1.0), mlt)
    eq_peak, pb_peak = model.boundaries(_at(model, peak), mlt)
    # Growth phase: ~1.5 deg equatorward shift plus the AE rise, and a thinner oval.
    assert eq_onset < eq_quiet - 1.0
    assert pb_onset - eq_onset < pb_quiet - eq_quiet
    # Expansion: the poleward boundary jumps poleward in the bulge and the oval widens.
    assert pb_peak > pb_onset + 2.0
    assert pb_peak - eq_peak > 2.0 * (pb_quiet - eq_quiet)
    # The bulge is local: 12 h away in MLT (noon) the whole oval just shifts equatorward with
    # activity instead of expanding poleward.
    _, pb_noon = model.boundaries(_at(model, peak), (mlt + 12.0) % 24.0)
    _, pb_noon_quiet = model.boundaries(_at(model, quiet), (mlt + 12.0) % 24.0)
    assert pb_noon < pb_noon_quiet
    assert pb_peak - pb_quiet > 3.0


def test_quiet_oval_shape_is_offset_toward_midnight(model):
    table = model.substorms
    i = _a_substorm(model)
    quiet = table.onset_s[i] - table.growth_s[i] - 600.0
    eq_midnight, _ = model.boundaries(_at(model, quiet), 0.0)
    eq_noon, _ = model.boundaries(_at(model, quiet), 12.0)
    assert 63.0 < eq_midnight < 67.5
    assert 72.0 < eq_noon < 77.0


def test_intensity_is_vectorised_and_emission_is_checked(model):
    mlat = np.linspace(55.0, 85.0, 31)[:, None]
    mlt = np.linspace(0.0, 24.0, 25)[None, :]
    green = model.intensity_rayleigh(datetime(2021, 12, 3, 8), mlat, mlt)
    red = model.intensity_rayleigh(datetime(2021, 12, 3, 8), mlat, mlt, emission="630.0")
    assert green.shape == red.shape == (31, 25)
    # Airglow floor everywhere; the aurora itself lives inside 58-82 deg magnetic latitude.
    assert green.min() >= 250.0 and red.min() >= 60.0
    assert np.all(green[0] == pytest.approx(250.0, abs=1.0))
    with pytest.raises(
        ValueError, match=r"emission must be one of \['557.7', '630.0'\], got '427.8'"
    ):
        model.intensity_rayleigh(datetime(2021, 12, 3, 8), 65.0, 0.0, emission="427.8")


def test_arcs_are_tens_of_km_wide_in_latitude(model):
    # Scan across the evening oval (21.5 MLT, quiet arcs) at 0.02 deg (~2.3 km) steps.
    km_per_deg = 2 * np.pi * (6371.2 + 110.0) / 360.0
    mlat = np.arange(60.0, 80.0, 0.02)
    widths = []
    for hour in range(0, 24 * 6, 5):
        t = model.start + pd.Timedelta(hours=hour)
        arcs = model.components(model.seconds(t), mlat, 21.5)["arcs"]
        top = int(np.argmax(arcs))
        if arcs[top] < 1000.0:
            continue
        half = arcs >= arcs[top] / 2
        lo = hi = top
        while lo > 0 and half[lo - 1]:
            lo -= 1
        while hi < mlat.size - 1 and half[hi + 1]:
            hi += 1
        widths.append((hi - lo + 1) * 0.02 * km_per_deg)
    assert len(widths) >= 5
    assert 10.0 < np.median(widths) < 60.0


def test_pulsating_patches_switch_on_and_off_with_5_to_20_s_periods(model):
    # Find a point inside an active patch during a recovery phase (morning sector).
    table = model.substorms
    i = _a_substorm(model)
    t0 = table.onset_s[i] + table.expansion_s[i] + 1800.0
    mlat = np.arange(60.0, 75.0, 0.1)[:, None]
    mlt = np.arange(1.0, 6.0, 0.05)[None, :]
    averaged = model.components(t0, mlat, mlt, time_average=True)["pulsating"]
    assert averaged.max() > 1000.0
    r, c = np.unravel_index(np.argmax(averaged), averaged.shape)
    seconds = t0 + np.arange(0.0, 120.0, 0.25)
    series = model.components(seconds, mlat[r, 0], mlt[0, c])["pulsating"]
    on = series > 0.5 * series.max()
    assert 0.2 < on.mean() < 0.8  # both states occur
    rises = np.flatnonzero(on[1:] & ~on[:-1])
    period_s = np.median(np.diff(rises)) * 0.25
    assert 5.0 <= period_s <= 20.0


def test_same_seed_same_sky_other_seed_other_sky():
    a = AuroralModel(7, START, END).intensity_rayleigh(
        datetime(2021, 12, 5, 10), 67.0, np.arange(24)
    )
    b = AuroralModel(7, START, END).intensity_rayleigh(
        datetime(2021, 12, 5, 10), 67.0, np.arange(24)
    )
    c = AuroralModel(8, START, END).intensity_rayleigh(
        datetime(2021, 12, 5, 10), 67.0, np.arange(24)
    )
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def _site_minutes(model, days=14):
    times = pd.date_range(START, periods=days * 1440, freq="1min", tz="UTC")
    # A site at 67 deg magnetic latitude whose MLT is UT - 7.5 h (central Canada).
    mlt = ((times.hour + times.minute / 60.0).to_numpy() - 7.5) % 24.0
    return times, mlt


def test_apa_is_reported_only_where_the_model_has_pulsating_patches(model):
    times, mlt = _site_minutes(model)
    fov = model.fov_components(times, 67.0, mlt)
    labels = model.classify(times, 67.0, mlt, 0.1, key="test/site", fov=fov)
    apa = (labels["calgary_apa_ml_v1"] == "classified as APA").to_numpy()
    assert apa.sum() > 60  # hours of APA in two weeks at an auroral-zone site
    assert np.all(fov["pulsating"].to_numpy()[apa] > 100.0)
    assert np.all(fov["pulsating_cover"].to_numpy()[apa] > 0.0)
    # Pulsating aurora is a post-midnight/morning phenomenon in the model.
    assert np.all((mlt[apa] > 22.0) | (mlt[apa] < 9.0))
    confident = apa & (labels["calgary_apa_ml_v1_confidence"].to_numpy() >= 95.0)
    assert confident.sum() > 10
    assert set(labels["calgary_apa_ml_v1"]) <= set(APA_LABELS)
    assert set(labels["calgary_cloud_ml_v1"]) <= set(CLOUD_LABELS)
    assert set(labels["clausen_ml_oath"]) <= set(OATH_LABELS)
    conf = labels["calgary_apa_ml_v1_confidence"].to_numpy()
    assert np.nanmin(conf) >= 50.0 and np.nanmax(conf) <= 100.0


def test_clouds_drive_cloud_label_and_overcast_suppresses_other_labels(model):
    times, mlt = _site_minutes(model, days=2)
    cloud = np.linspace(0.0, 1.0, times.size)
    labels = model.classify(times, 67.0, mlt, cloud, key="test/site")
    cloudy = labels["calgary_cloud_ml_v1"] == "classified as cloudy"
    np.testing.assert_array_equal(cloudy.to_numpy(), cloud >= 0.5)
    overcast = cloud >= 0.9
    assert set(labels["calgary_apa_ml_v1"][overcast]) == {"not classified"}
    assert labels["calgary_apa_ml_v1_confidence"][overcast].isna().all()
    assert set(labels["clausen_ml_oath"][cloud >= 0.6]) == {"classified as cloudy"}
    assert labels["calgary_cloud_ml_v1_confidence"].iloc[-1] > 95.0


def test_noise_does_not_depend_on_batching(model):
    times, mlt = _site_minutes(model, days=1)
    whole = model.classify(times, 67.0, mlt, 0.2, key="a")
    part = model.classify(times[500:700], 67.0, mlt[500:700], 0.2, key="a")
    pd.testing.assert_frame_equal(whole.iloc[500:700].reset_index(drop=True), part)
