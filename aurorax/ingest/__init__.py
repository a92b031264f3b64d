"""aurorax.ingest: index a real archive of THEMIS/REGO image files into the repository.

``ingest_archive`` (the ``aurorax ingest DIR`` command) scans an archive, creates each site's ground
data source, and on Dask distributed computes the ephemeris of the minutes with frames, their
image-content metadata (a classifier trained on the demo's labelled images) and the daily and
hourly keograms and daily movies; the driving process alone writes to DuckDB, and a ledger makes
a stopped ingest resumable. See ``docs/ingest.md``.
"""

from ._classifier import (
    ClassifierReport,
    FieldScore,
    ImageClassifier,
    classifier_cache_path,
    evaluate_classifier,
    load_classifier,
    train_classifier,
)
from ._features import FRAME_FEATURES, MINUTE_FEATURES, PAIR_FEATURES
from ._ledger import LEDGER_TABLE
from ._run import IngestFailure, IngestSummary, dask_client, format_summary, ingest_archive
from ._scan import ArchiveFile, ScanProblem, data_source_for, scan_archive
from ._training import LABEL_FIELDS, TrainingConfig

__all__ = [
    "ArchiveFile",
    "IngestFailure",
    "IngestSummary",
    "LEDGER_TABLE",
    "ScanProblem",
    "dask_client",
    "data_source_for",
    "format_summary",
    "ingest_archive",
    "scan_archive",
    "ClassifierReport",
    "FieldScore",
    "FRAME_FEATURES",
    "ImageClassifier",
    "LABEL_FIELDS",
    "MINUTE_FEATURES",
    "PAIR_FEATURES",
    "TrainingConfig",
    "classifier_cache_path",
    "evaluate_classifier",
    "load_classifier",
    "train_classifier",
]

from ._tle import TLEError, TwoLineElement, read_tle, tle_checksum, tle_positions  # noqa: E402

__all__ += ["TLEError", "TwoLineElement", "read_tle", "tle_checksum", "tle_positions"]
from ._ephemeris import ephemeris_records  # noqa: E402

__all__ += ["ephemeris_records"]
from ._ephemeris_ingest import (  # noqa: E402
    DEFAULT_TLE_SPAN_DAYS,
    EphemerisIngestSummary,
    format_ephemeris_summary,
    ingest_ephemeris_files,
    spacecraft_source,
)

__all__ += [
    "DEFAULT_TLE_SPAN_DAYS",
    "EphemerisIngestSummary",
    "format_ephemeris_summary",
    "ingest_ephemeris_files",
    "spacecraft_source",
]
from ._cdf_positions import PositionFileError, read_position_cdf  # noqa: E402

__all__ += ["PositionFileError", "read_position_cdf"]
from ._aurorax_json import (  # noqa: E402
    AuroraXImportSummary,
    ImportedSource,
    format_import_summary,
    import_aurorax_json,
)

__all__ += [
    "AuroraXImportSummary",
    "ImportedSource",
    "format_import_summary",
    "import_aurorax_json",
]
