"""aurorax.engine: the DuckDB data repository and its searches.

The repository half (this block) owns the DuckDB file: the DDL, data sources, validated and
transactional ingest of ephemeris and data-product records, and daily availability. See
``docs/repository.md`` for the table layout and example SQL.
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
from ._records import (
    DATA_PRODUCT_TYPES,
    METADATA_DATA_TYPES,
    SOURCE_TYPES,
    DataSource,
    MetadataField,
)
from ._repository import Repository
from ._schema import SCHEMA_VERSION
from ._shared import close_shared, open_shared, shared_repository

__all__ = [
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
    "open_shared",
    "shared_repository",
    "close_shared",
    "ephemeris_records_to_frame",
    "ephemeris_frame_to_records",
    "data_product_records_to_frame",
    "data_product_frame_to_records",
]

# search
from ._conjunctions import field_of_view_radius_km  # noqa: E402
from ._filters import (  # noqa: E402
    LOGICAL_OPERATORS,
    OPERATORS,
    MetadataExpression,
    MetadataFilter,
    compile_metadata_filter,
)
from ._search import search_conjunctions  # noqa: E402
from ._search_cost import records_to_read  # noqa: E402
from ._search_load import compile_ephemeris_sql  # noqa: E402
from ._search_query import (  # noqa: E402
    CONJUNCTION_TYPES,
    EPOCH_SEARCH_PRECISIONS,
    HEMISPHERES,
    ConjunctionQuery,
    CustomLocationsCriteria,
    EventsCriteria,
    FieldOfView,
    GroundCriteria,
    SpaceCriteria,
)
from ._search_records import (  # noqa: E402
    DataProductQuery,
    EphemerisQuery,
    availability_summary,
    search_data_products,
    search_ephemeris,
)
from ._search_result import ConjunctionResult  # noqa: E402

__all__ += [
    "OPERATORS",
    "LOGICAL_OPERATORS",
    "CONJUNCTION_TYPES",
    "HEMISPHERES",
    "EPOCH_SEARCH_PRECISIONS",
    "MetadataExpression",
    "MetadataFilter",
    "compile_metadata_filter",
    "compile_ephemeris_sql",
    "GroundCriteria",
    "SpaceCriteria",
    "EventsCriteria",
    "CustomLocationsCriteria",
    "FieldOfView",
    "ConjunctionQuery",
    "ConjunctionResult",
    "search_conjunctions",
    "records_to_read",
    "field_of_view_radius_km",
    "EphemerisQuery",
    "DataProductQuery",
    "search_ephemeris",
    "search_data_products",
    "availability_summary",
]
