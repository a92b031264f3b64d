"""aurorax.engine.search: conjunction, ephemeris, data product and availability searches.

Query parsing (``_query``, ``_filters``, ``_util``), loading the members' tracks from the store
(``_load``: the one place with the conjunction search's SQL), the conjunction algorithm on arrays
(``_algorithm``: no SQL, no I/O), the search that ties them (``_conjunction_search``), its
results (``_result``), the record searches and availability (``_records``) and a search's cost
(``_cost``). It reads the store through :class:`aurorax.engine.store.Repository`.
"""

from ._algorithm import field_of_view_radius_km
from ._conjunction_search import search_conjunctions
from ._cost import records_to_read
from ._filters import (
    LOGICAL_OPERATORS,
    OPERATORS,
    MetadataExpression,
    MetadataFilter,
    compile_metadata_filter,
)
from ._load import compile_ephemeris_sql
from ._query import (
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
from ._records import (
    DataProductQuery,
    EphemerisQuery,
    availability_summary,
    search_data_products,
    search_ephemeris,
)
from ._result import ConjunctionResult
from ._split import search_conjunctions_split, split_time_range

__all__ = [
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
    "search_conjunctions_split",
    "split_time_range",
    "records_to_read",
    "field_of_view_radius_km",
    "EphemerisQuery",
    "DataProductQuery",
    "search_ephemeris",
    "search_data_products",
    "availability_summary",
]
