"""aurorax.engine.store: the DuckDB file and what is in it.

The DDL and opening of the file (``_schema``, ``_store``), the :class:`Repository` and its
data-source half (``_repository``, ``_sources``), the record value classes (``_records``),
record conversion and validation (``_ingest``, ``_validate``), the per-process shared repository
(``_shared``) and the errors (``_errors``). Nothing here knows about searches.
"""

from ._errors import (
    AuroraXError,
    ConflictError,
    DuplicateError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from ._ingest import (
    data_product_frame_to_records,
    data_product_records_to_frame,
    ephemeris_frame_to_records,
    ephemeris_records_to_frame,
)
from ._pairs import PAIR_MAX_KM, PAIRS_TABLE
from ._parquet import ParquetRepository, export_parquet, open_repository
from ._records import (
    DATA_PRODUCT_TYPES,
    METADATA_DATA_TYPES,
    SOURCE_TYPES,
    DataSource,
    MetadataField,
)
from ._repository import Repository
from ._schema import EPHEMERIS_LOCATION_COLUMNS, SCHEMA_VERSION
from ._shared import close_shared, open_shared, shared_repository
from ._validate import EARLIEST, LATEST, check_time_range

__all__ = [
    "PAIR_MAX_KM",
    "PAIRS_TABLE",
    "SOURCE_TYPES",
    "DATA_PRODUCT_TYPES",
    "METADATA_DATA_TYPES",
    "SCHEMA_VERSION",
    "MetadataField",
    "DataSource",
    "AuroraXError",
    "ValidationError",
    "NotFoundError",
    "ConflictError",
    "DuplicateError",
    "StoreError",
    "Repository",
    "ParquetRepository",
    "export_parquet",
    "open_repository",
    "open_shared",
    "shared_repository",
    "close_shared",
    "ephemeris_records_to_frame",
    "ephemeris_frame_to_records",
    "data_product_records_to_frame",
    "data_product_frame_to_records",
    "EPHEMERIS_LOCATION_COLUMNS",
    "EARLIEST",
    "LATEST",
    "check_time_range",
]
