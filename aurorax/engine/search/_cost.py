"""What a search will cost before it runs: how many records it has to read.

Counted from the availability table (one row per data source and day), so the estimate is a
millisecond's query whatever the repository's size; a server refuses a search over its limit
before giving it a thread.
"""

from __future__ import annotations

from ._conjunction_search import match_data_sources
from ._query import ConjunctionQuery
from ._records import DataProductQuery, EphemerisQuery

__all__ = ["records_to_read"]


def records_to_read(repository, query: ConjunctionQuery | EphemerisQuery | DataProductQuery) -> int:
    """The number of records ``query`` has to read: the ephemeris records (data product
    records, for a :class:`DataProductQuery`) of the data sources it selects, on the days of
    ``[start, end)``.

    Raises
    ------
    ValidationError
        As the search itself would, for a program, platform or instrument type no data source
        has.
    """
    sources = repository.list_data_sources()
    column = "ephemeris_count"
    ids: set[int] = set()
    if isinstance(query, ConjunctionQuery):
        for name, block in zip(query.block_names, query.blocks, strict=True):
            kind = name.rstrip("0123456789")
            if kind != "adhoc":
                ids.update(s.identifier for s in match_data_sources(block, sources, name, kind))
    else:
        if isinstance(query, DataProductQuery):
            column = "data_product_count"
        ids.update(s.identifier for s in match_data_sources(query, sources, "data_sources", "any"))
    if not ids:
        return 0
    counts = repository.availability(query.start, query.end, sorted(ids))
    return int(counts[column].sum())
