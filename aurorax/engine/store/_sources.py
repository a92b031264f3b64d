"""The data-source half of :class:`aurorax.engine.Repository`: adding, reading, changing and
deleting the rows of the ``data_sources`` table.

``DataSources`` is a mixin: it uses the repository's ``cursor``, ``_reading``, ``_query`` and
``_transaction`` (one write transaction at a time, DuckDB errors as ``StoreError``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ._errors import ConflictError, DuplicateError, NotFoundError, ValidationError
from ._index import refresh_index
from ._pairs import refresh_pairs
from ._records import DataSource
from ._validate import describe_source

__all__ = ["DataSources"]

# The data_sources columns after ``identifier``; the last three hold JSON.
_FIELDS = (
    "program",
    "platform",
    "instrument_type",
    "source_type",
    "display_name",
    "owner",
    "metadata",
    "ephemeris_metadata_schema",
    "data_product_metadata_schema",
)
_JSON_FIELDS = _FIELDS[-3:]
_SOURCE_COLUMNS = ", ".join(("identifier", *_FIELDS))
_PLACEHOLDERS = ", ".join("?" * (len(_FIELDS) + 1))


def _source_values(record: dict) -> list:
    """The values of ``_FIELDS`` of a ``DataSource.to_dict()`` record, JSON fields as text."""
    return [json.dumps(record[f]) if f in _JSON_FIELDS else record[f] for f in _FIELDS]


def _duplicate(triple: tuple, identifier: int) -> str:
    return (
        f"data source program={triple[0]!r}, platform={triple[1]!r}, "
        f"instrument_type={triple[2]!r} already exists as identifier {identifier}"
    )


def _triple(source: DataSource) -> tuple[str, str, str]:
    return source.program, source.platform, source.instrument_type


class DataSources:
    """Data-source methods of the Repository (see the module docstring)."""

    @staticmethod
    def _source_from_row(row: tuple) -> DataSource:
        (identifier, program, platform, instrument_type, source_type, display_name, owner,
         metadata, ephemeris_schema, product_schema) = row  # fmt: skip
        return DataSource(
            program=program,
            platform=platform,
            instrument_type=instrument_type,
            source_type=source_type,
            display_name=display_name,
            identifier=identifier,
            owner=owner,
            metadata=json.loads(metadata),
            ephemeris_metadata_schema=json.loads(ephemeris_schema),
            data_product_metadata_schema=json.loads(product_schema),
        )

    def _sources(self) -> dict[int, DataSource]:
        cursor = self.cursor()  # not the write connection, which another thread may hold
        with self._reading("reading data sources"):
            try:
                rows = cursor.execute(
                    f"SELECT {_SOURCE_COLUMNS} FROM data_sources ORDER BY identifier"
                ).fetchall()
            finally:
                cursor.close()
        return {row[0]: self._source_from_row(row) for row in rows}

    def add_data_source(self, data_source: DataSource, exist_ok: bool = False) -> DataSource:
        """Store a new data source and return it with its identifier.

        Parameters
        ----------
        data_source
            The source; without an ``identifier`` the next free one (max + 1, starting at 1)
            is assigned.
        exist_ok
            If the same (program, platform, instrument_type) is already stored with identical
            fields, return the stored source instead of raising.

        Raises
        ------
        DuplicateError
            If the identifier or the (program, platform, instrument_type) triple is taken.
        """
        if not isinstance(data_source, DataSource):
            data_source = DataSource.from_dict(data_source)
        sources = self._sources()
        triple = _triple(data_source)
        for stored in sources.values():
            if _triple(stored) != triple:
                continue
            wanted = data_source.to_dict() | {"identifier": stored.identifier}
            if data_source.identifier in (None, stored.identifier) and exist_ok:
                if stored.to_dict() == wanted:
                    return stored
            raise DuplicateError(
                _duplicate(triple, stored.identifier)
                + (" with different fields" if exist_ok else "")
            )
        identifier = data_source.identifier
        if identifier is None:
            identifier = max((i for i in sources if i > 0), default=0) + 1
        elif identifier in sources:
            raise DuplicateError(
                f"data source identifier {identifier} is already used by "
                f"{describe_source(sources[identifier])}"
            )
        record = data_source.to_dict() | {"identifier": identifier}
        self._transaction(
            "add data source",
            lambda con: con.execute(
                f"INSERT INTO data_sources ({_SOURCE_COLUMNS}) VALUES ({_PLACEHOLDERS})",
                [identifier, *_source_values(record)],
            ),
        )
        return DataSource.from_dict(record)

    def update_data_source(
        self, data_source: int | DataSource, changes: Mapping, replace: bool = False
    ) -> DataSource:
        """Change the fields of a stored data source; returns the source as stored.

        Parameters
        ----------
        data_source
            The stored source (or its identifier).
        changes
            Fields to change (``program``, ``display_name``, ``metadata``, the metadata
            schemas, ...), validated as :meth:`add_data_source` validates a new source. An
            ``identifier`` in it must be the source's own: identifiers never change (the
            records point at them).
        replace
            False: the fields not in ``changes`` keep their stored values (HTTP PATCH). True:
            ``changes`` is the whole new source and absent fields take their defaults (PUT).

        Raises
        ------
        NotFoundError
            No such source.
        ValidationError
            A field fails validation, or the identifier would change.
        DuplicateError
            The new (program, platform, instrument_type) belongs to another source.
        """
        stored = self.get_data_source(self._source_id(data_source))
        if not isinstance(changes, Mapping):
            raise ValidationError(
                f"data source changes: expected a mapping of fields, got {type(changes).__name__}"
            )
        if changes.get("identifier", stored.identifier) != stored.identifier:
            raise ValidationError(
                f"identifier: data source {stored.identifier} cannot become "
                f"{changes['identifier']!r} (identifiers never change)"
            )
        record = ({} if replace else stored.to_dict()) | dict(changes)
        updated = DataSource.from_dict(record | {"identifier": stored.identifier})
        for other in self._sources().values():
            if other.identifier != stored.identifier and _triple(other) == _triple(updated):
                raise DuplicateError(_duplicate(_triple(updated), other.identifier))
        assignments = ", ".join(f"{field} = ?" for field in _FIELDS)

        def work(con):
            con.execute(
                f"UPDATE data_sources SET {assignments} WHERE identifier = ?",
                [*_source_values(updated.to_dict()), stored.identifier],
            )
            if updated.source_type != stored.source_type:
                # The index's bin width and the pairs the source is in depend on its type.
                first, last = con.execute(
                    "SELECT min(epoch), max(epoch) FROM ephemeris WHERE data_source = ?",
                    [stored.identifier],
                ).fetchall()[0]
                if first is not None:
                    refresh_index(con, [stored.identifier], first, last)
                    refresh_pairs(con, [stored.identifier], first, last)

        self._transaction("data source update", work)
        return updated

    def get_data_source(
        self,
        identifier: int | None = None,
        *,
        program: str | None = None,
        platform: str | None = None,
        instrument_type: str | None = None,
    ) -> DataSource:
        """One data source by ``identifier`` or by its (program, platform, instrument_type).

        Raises
        ------
        NotFoundError
            Naming what was asked for and the programs that exist.
        """
        sources = self._sources()
        triple = (program, platform, instrument_type)
        if identifier is not None:
            if identifier in sources:
                return sources[identifier]
            wanted = f"identifier {identifier}"
        elif None not in triple:
            for source in sources.values():
                if (source.program, source.platform, source.instrument_type) == triple:
                    return source
            wanted = (
                f"program={program!r}, platform={platform!r}, instrument_type={instrument_type!r}"
            )
        else:
            raise ValidationError(
                "get_data_source needs an identifier or all of program, platform and "
                "instrument_type"
            )
        programs = sorted({s.program for s in sources.values()})
        raise NotFoundError(f"no data source with {wanted}; programs that exist: {programs}")

    def list_data_sources(
        self,
        program: str | None = None,
        platform: str | None = None,
        instrument_type: str | None = None,
        source_type: str | None = None,
    ) -> list[DataSource]:
        """Data sources matching every given field exactly, ordered by identifier."""
        wanted = {
            "program": program,
            "platform": platform,
            "instrument_type": instrument_type,
            "source_type": source_type,
        }
        return [
            s
            for s in self._sources().values()
            if all(v is None or getattr(s, k) == v for k, v in wanted.items())
        ]

    def _source_id(self, data_source: int | DataSource) -> int:
        identifier = data_source.identifier if isinstance(data_source, DataSource) else data_source
        return self.get_data_source(identifier).identifier  # NotFoundError if unknown

    def delete_data_source(self, data_source: int | DataSource) -> None:
        """Delete a data source that has no records left.

        Raises
        ------
        ConflictError
            If ephemeris or data products of the source are still stored (as AuroraX answers
            409 Conflict); delete those first.
        """
        source = self.get_data_source(self._source_id(data_source))
        with self._reading("counting records"):
            counts = self._query(
                "SELECT (SELECT count(*) FROM ephemeris WHERE data_source = $1) AS e, "
                "(SELECT count(*) FROM data_products WHERE data_source = $1) AS p",
                [source.identifier],
            ).iloc[0]
        if counts["e"] or counts["p"]:
            raise ConflictError(
                f"data source {describe_source(source)} still has {int(counts['e'])} ephemeris "
                f"record(s) and {int(counts['p'])} data product(s); delete them first"
            )

        def work(con):
            con.execute("DELETE FROM availability WHERE data_source = ?", [source.identifier])
            con.execute("DELETE FROM data_sources WHERE identifier = ?", [source.identifier])

        self._transaction("data source delete", work)
