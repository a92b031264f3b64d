"""The image-content classifier: held-out accuracy against the majority baseline, and its output."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aurorax.ingest import (
    LABEL_FIELDS,
    MINUTE_FEATURES,
    TrainingConfig,
    classifier_cache_path,
    evaluate_classifier,
    load_classifier,
)


def test_classifier_beats_the_majority_baseline_on_held_out_nights(classifier):
    report = evaluate_classifier(classifier)
    assert report.train_minutes == 1440  # 6 sites x 8 nights x 30 minutes
    assert report.heldout_minutes == 6 * 3 * 25
    for name in LABEL_FIELDS:
        score = report.score(name)
        confusion = score.confusion
        assert confusion.sum() == report.heldout_minutes
        assert np.trace(confusion) / confusion.sum() == score.accuracy
        # Clearly better than always answering the commonest training label.
        assert score.accuracy >= score.baseline + 0.05, (name, score.accuracy, score.baseline)
    assert report.score("calgary_cloud_ml_v1").accuracy > 0.85
    assert report.score("clausen_ml_oath").accuracy > 0.75
    text = report.format()
    assert "calgary_apa_ml_v1: accuracy" in text and "majority baseline" in text


def test_classifier_is_cached_by_configuration(data_dir, classifier):
    path = classifier_cache_path("themis", data_dir=data_dir)
    assert path.is_file() and path.parent == data_dir / "models"
    assert classifier.config == TrainingConfig()
    other = classifier_cache_path("themis", TrainingConfig(seed=7), data_dir=data_dir)
    assert other != path and not other.exists()
    try:
        load_classifier("themis", TrainingConfig(seed=7), data_dir=data_dir, train=False)
    except FileNotFoundError as exc:
        assert str(other) in str(exc)
    else:
        raise AssertionError("an untrained configuration must not be found in the cache")


def test_predictions_carry_confidences_only_when_classified(classifier):
    rng = np.random.default_rng(3)
    features = pd.DataFrame(
        rng.normal(0.0, 1.0, (50, len(MINUTE_FEATURES))), columns=MINUTE_FEATURES
    )
    features["log_floor"] = np.log10(2500.0)
    out = classifier.predict(features)
    assert list(out.columns) == [
        "calgary_apa_ml_v1", "calgary_apa_ml_v1_confidence",
        "calgary_cloud_ml_v1", "calgary_cloud_ml_v1_confidence", "clausen_ml_oath",
    ]  # fmt: skip
    for name in ("calgary_apa_ml_v1", "calgary_cloud_ml_v1"):
        unclassified = out[name] == "not classified"
        assert out.loc[unclassified, f"{name}_confidence"].isna().all()
        confidence = out.loc[~unclassified, f"{name}_confidence"]
        assert ((confidence > 0) & (confidence <= 100)).all()
