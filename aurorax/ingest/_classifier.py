"""The image-content classifier: gradient-boosted trees (scikit-learn) trained on labelled demo
images, one model per label field and camera program, cached in the data directory.

``load_classifier`` returns the cached model, training it first when the cache has none for this
configuration (about half a minute per camera on a 2-core machine; the cache file is written
atomically, so an interrupted training leaves nothing behind). ``evaluate_classifier`` scores it on
the held-out demo nights against the majority-class baseline.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from aurorax.demo import APA_LABELS, CLOUD_LABELS, OATH_LABELS

from ._features import MINUTE_FEATURES
from ._training import LABEL_FIELDS, TrainingConfig, labelled_minutes

__all__ = [
    "ImageClassifier",
    "ClassifierReport",
    "FieldScore",
    "train_classifier",
    "load_classifier",
    "classifier_cache_path",
    "evaluate_classifier",
]

# Bump when features or model change: the cache file name carries it, so old files are ignored.
MODEL_VERSION = 2
_LABELS = {
    "calgary_apa_ml_v1": APA_LABELS,
    "calgary_cloud_ml_v1": CLOUD_LABELS,
    "clausen_ml_oath": OATH_LABELS,
}
_CONFIDENCE = ("calgary_apa_ml_v1", "calgary_cloud_ml_v1")
_NOT_CLASSIFIED = "not classified"


@dataclass(frozen=True)
class ImageClassifier:
    """Per-minute classifiers of one camera program (``"themis"`` or ``"rego"``).

    Attributes
    ----------
    program
        The ASI core's program name.
    config
        How its training images were made.
    models
        ``field -> fitted estimator`` for each of :data:`LABEL_FIELDS`; ``None`` for a field whose
        training labels had a single class (then ``constants`` holds it).
    constants
        ``field -> label`` for single-class fields.
    train_counts
        ``field -> {label: minutes}`` of the training set (the majority baseline comes from it).
    """

    program: str
    config: TrainingConfig
    models: dict = field(default_factory=dict)
    constants: dict = field(default_factory=dict)
    train_counts: dict = field(default_factory=dict)

    @property
    def train_minutes(self) -> int:
        """Number of training minutes."""
        counts = next(iter(self.train_counts.values()), {})
        return int(sum(counts.values()))

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Metadata columns for minutes with these :data:`MINUTE_FEATURES` rows.

        Returns
        -------
        pandas.DataFrame
            Same index; ``calgary_apa_ml_v1`` and ``calgary_apa_ml_v1_confidence`` (percent,
            NaN when the label is "not classified", which AuroraX stores without a confidence),
            ``calgary_cloud_ml_v1`` and its ``_confidence``, ``clausen_ml_oath``.
        """
        x = features[list(MINUTE_FEATURES)].to_numpy(dtype=float)
        out = pd.DataFrame(index=features.index)
        for name in LABEL_FIELDS:
            model = self.models.get(name)
            if model is None or len(x) == 0:
                labels = np.full(len(x), self.constants.get(name, _NOT_CLASSIFIED), dtype=object)
                confidence = np.full(len(x), 100.0)
            else:
                proba = model.predict_proba(x)
                best = proba.argmax(axis=1)
                labels = np.asarray(model.classes_, dtype=object)[best]
                confidence = np.round(100.0 * proba[np.arange(len(x)), best], 1)
            out[name] = labels
            if name in _CONFIDENCE:
                out[f"{name}_confidence"] = np.where(labels == _NOT_CLASSIFIED, np.nan, confidence)
        return out


@dataclass(frozen=True)
class FieldScore:
    """Held-out score of one label field.

    Attributes
    ----------
    field
        Metadata field name.
    accuracy
        Fraction of held-out minutes labelled as the demo model labels them.
    baseline
        Accuracy of always answering the training set's most common label.
    labels
        Row/column order of ``confusion``.
    confusion
        ``confusion[i, j]``: minutes whose demo label is ``labels[i]`` and prediction ``labels[j]``.
    """

    field: str
    accuracy: float
    baseline: float
    labels: tuple[str, ...]
    confusion: np.ndarray


@dataclass(frozen=True)
class ClassifierReport:
    """:func:`evaluate_classifier`'s result: one :class:`FieldScore` per field, and sizes."""

    program: str
    train_minutes: int
    heldout_minutes: int
    scores: tuple[FieldScore, ...]

    def score(self, name: str) -> FieldScore:
        """The score of field ``name``."""
        return next(s for s in self.scores if s.field == name)

    def format(self) -> str:
        """A plain-text table of accuracies and confusion matrices."""
        lines = [
            f"classifier {self.program}: {self.train_minutes} training minutes, "
            f"{self.heldout_minutes} held-out minutes (other nights)"
        ]
        for s in self.scores:
            lines.append(
                f"  {s.field}: accuracy {s.accuracy:.3f}, majority baseline {s.baseline:.3f}"
            )
            width = max(len(label) for label in s.labels)
            lines.append("    " + " " * width + "  predicted: " + " | ".join(_short(s.labels)))
            for label, row in zip(s.labels, s.confusion, strict=True):
                lines.append(f"    {label:>{width}}  " + " ".join(f"{v:6d}" for v in row))
        return "\n".join(lines)


def _short(labels) -> list[str]:
    return [label.replace("classified as ", "") for label in labels]


def _fit(x: np.ndarray, y: np.ndarray, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier

    # Early stopping off: it draws a random validation split, and the model must depend only on
    # the seed and the data.
    model = HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.1, max_leaf_nodes=15, l2_regularization=1.0,
        early_stopping=False, random_state=seed,
    )  # fmt: skip
    return model.fit(x, y)


def train_classifier(program: str, config: TrainingConfig | None = None) -> ImageClassifier:
    """Render the training minutes of ``program`` and fit one model per label field.

    Parameters
    ----------
    program
        ``"themis"`` or ``"rego"``.
    config
        Training images (default :class:`TrainingConfig`).
    """
    config = config or TrainingConfig()
    features, labels = labelled_minutes(program, config, heldout=False)
    x = features[list(MINUTE_FEATURES)].to_numpy(dtype=float)
    models, constants, counts = {}, {}, {}
    for name in LABEL_FIELDS:
        y = labels[name].to_numpy(dtype=object).astype(str)
        counts[name] = {str(k): int(v) for k, v in labels[name].value_counts().items()}
        if len(np.unique(y)) < 2:
            constants[name] = str(y[0])
            continue
        models[name] = _fit(x, y, config.seed)
    return ImageClassifier(program, config, models, constants, counts)


def classifier_cache_path(
    program: str, config: TrainingConfig | None = None, data_dir=None
) -> Path:
    """Cache file of the classifier of ``program`` for ``config`` under the data directory.

    ``<data_dir>/models/ingest-classifier-v<N>-<program>-<hash>.pkl``; the hash covers the
    training configuration and the scikit-learn version (a pickle is only good for the version
    that wrote it).
    """
    import sklearn

    config = config or TrainingConfig()
    if data_dir is None:
        from aurorax.config import load_settings

        data_dir = load_settings().data_dir
    text = f"{config.key()}|sklearn {sklearn.__version__}|numpy {np.__version__}"
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    name = f"ingest-classifier-v{MODEL_VERSION}-{program}-{digest}.pkl"
    return Path(data_dir) / "models" / name


def load_classifier(
    program: str, config: TrainingConfig | None = None, data_dir=None, train: bool = True
) -> ImageClassifier:
    """The cached classifier of ``program``, trained and cached first if missing.

    Parameters
    ----------
    program
        ``"themis"`` or ``"rego"``.
    config
        Training configuration (default :class:`TrainingConfig`).
    data_dir
        Root of the cache (default ``settings.data_dir``).
    train
        Train when the cache has no file (else ``FileNotFoundError``).
    """
    config = config or TrainingConfig()
    path = classifier_cache_path(program, config, data_dir)
    if path.is_file():
        with path.open("rb") as fh:
            model = pickle.load(fh)
        if isinstance(model, ImageClassifier) and model.config == config:
            return model
    if not train:
        raise FileNotFoundError(f"no cached {program} classifier at {path}")
    model = train_classifier(program, config)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with tmp.open("wb") as fh:
        pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return model


def evaluate_classifier(
    classifier: ImageClassifier | str = "themis", data_dir=None
) -> ClassifierReport:
    """Score a classifier on held-out demo images (nights it was not trained on).

    Parameters
    ----------
    classifier
        An :class:`ImageClassifier`, or a program name whose cached classifier is loaded (trained
        if needed) from ``data_dir``.
    data_dir
        Cache root when ``classifier`` is a program name.

    Returns
    -------
    ClassifierReport
        Accuracy, majority-class baseline (the most common *training* label, as a trivial model
        would learn it) and confusion matrix of each field.
    """
    if isinstance(classifier, str):
        classifier = load_classifier(classifier, data_dir=data_dir)
    config = classifier.config
    features, labels = labelled_minutes(classifier.program, config, heldout=True)
    predicted = classifier.predict(features)
    scores = []
    for name in LABEL_FIELDS:
        truth = labels[name].to_numpy(dtype=object).astype(str)
        guess = predicted[name].to_numpy(dtype=object).astype(str)
        counts = classifier.train_counts[name]
        majority = max(sorted(counts), key=counts.get)
        present = set(truth) | set(guess)
        order = tuple(label for label in _LABELS[name] if label in present)
        index = {label: i for i, label in enumerate(order)}
        confusion = np.zeros((len(order), len(order)), dtype=np.int64)
        np.add.at(confusion, ([index[t] for t in truth], [index[g] for g in guess]), 1)
        scores.append(
            FieldScore(
                name,
                float(np.mean(truth == guess)),
                float(np.mean(truth == majority)),
                order,
                confusion,
            )
        )
    return ClassifierReport(
        classifier.program, classifier.train_minutes, len(features), tuple(scores)
    )
