"""Value classes of the data repository: data sources and their metadata schemas.

Field names, limits and vocabularies follow the AuroraX search API (data source identity is the
triple ``(program, platform, instrument_type)`` plus an integer ``identifier``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ._errors import ValidationError

__all__ = [
    "SOURCE_TYPES",
    "DATA_PRODUCT_TYPES",
    "METADATA_DATA_TYPES",
    "MetadataField",
    "DataSource",
]

SOURCE_TYPES = ("ground", "leo", "heo", "lunar", "event_list", "not_applicable")
DATA_PRODUCT_TYPES = ("keogram", "montage", "movie", "summary_plot", "data_availability")
METADATA_DATA_TYPES = ("string", "int", "double", "bool")

# AuroraX's own length limits; its server answers a generic HTTP 500 when they are exceeded
# (pyaurorax checks them client-side), so we check them here with a clear message instead.
_MAX_LENGTHS = {"program": 200, "platform": 50, "instrument_type": 200, "display_name": 50}


def _coerce_allowed(value: Any, data_type: str, field_name: str) -> Any:
    """Convert one allowed value (AuroraX sends them as strings) to the field's type."""
    if data_type == "string":
        if not isinstance(value, str):
            raise ValidationError(
                f"metadata field {field_name!r}: allowed value {value!r} must be a string"
            )
        return value
    if data_type == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValidationError(
            f"metadata field {field_name!r}: allowed value {value!r} must be true or false"
        )
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if math.isnan(number) or (data_type == "int" and not number.is_integer()):
        raise ValidationError(
            f"metadata field {field_name!r}: allowed value {value!r} must be {data_type}"
        )
    return int(number) if data_type == "int" else number


@dataclass(frozen=True)
class MetadataField:
    """One field of a data source's ephemeris or data-product metadata schema.

    Parameters
    ----------
    field_name
        Key in the records' ``metadata`` mapping, e.g. ``"calgary_apa_ml_v1"``.
    data_type
        One of :data:`METADATA_DATA_TYPES` (``string``, ``int``, ``double``, ``bool``).
    description, additional_description
        Free text shown to users.
    allowed_values
        If not empty, the only values a record may carry (converted to ``data_type``;
        AuroraX transmits them as strings, e.g. ``"1"`` for an ``int`` field).
    searchable
        Whether user interfaces offer the field as a filter (AuroraX semantics; it does not
        restrict the search API).
    """

    field_name: str
    data_type: str
    description: str = ""
    allowed_values: tuple = ()
    additional_description: str = ""
    searchable: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.field_name, str) or not self.field_name.strip():
            raise ValidationError(
                f"metadata field_name must be a non-empty string, got {self.field_name!r}"
            )
        if self.data_type not in METADATA_DATA_TYPES:
            raise ValidationError(
                f"metadata field {self.field_name!r}: data_type must be one of "
                f"{list(METADATA_DATA_TYPES)}, got {self.data_type!r}"
            )
        allowed = self.allowed_values
        if allowed is None:
            allowed = ()
        if isinstance(allowed, str | bytes) or not isinstance(allowed, Iterable):
            raise ValidationError(
                f"metadata field {self.field_name!r}: allowed_values must be a list, "
                f"got {allowed!r}"
            )
        coerced = tuple(_coerce_allowed(v, self.data_type, self.field_name) for v in allowed)
        object.__setattr__(self, "allowed_values", coerced)

    def to_dict(self) -> dict:
        """The AuroraX JSON shape of this field (allowed values as given, typed)."""
        return {
            "field_name": self.field_name,
            "data_type": self.data_type,
            "description": self.description,
            "allowed_values": list(self.allowed_values),
            "additional_description": self.additional_description,
            "searchable": self.searchable,
        }

    @classmethod
    def from_dict(cls, value: Mapping | MetadataField) -> MetadataField:
        """Build a field from its AuroraX JSON shape (unknown keys are an error)."""
        if isinstance(value, MetadataField):
            return value
        if not isinstance(value, Mapping):
            raise ValidationError(f"a metadata schema entry must be a mapping, got {value!r}")
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValidationError(
                f"metadata schema entry {value.get('field_name')!r} has unknown key(s) {unknown}; "
                f"known keys are {sorted(known)}"
            )
        if "field_name" not in value or "data_type" not in value:
            raise ValidationError(
                f"metadata schema entry {dict(value)!r} needs 'field_name' and 'data_type'"
            )
        return cls(**value)


def _schema_tuple(schema: Any, owner: str) -> tuple[MetadataField, ...]:
    if schema is None:
        return ()
    if isinstance(schema, str | bytes | Mapping) or not isinstance(schema, Iterable):
        raise ValidationError(f"{owner} must be a list of metadata fields, got {schema!r}")
    fields = tuple(MetadataField.from_dict(entry) for entry in schema)
    names = [f.field_name for f in fields]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValidationError(f"{owner} declares field(s) {duplicated} more than once")
    return fields


@dataclass(frozen=True)
class DataSource:
    """A data source: one instrument at one platform of one program.

    Parameters
    ----------
    program, platform, instrument_type
        The unique identity triple, e.g. ``("themis-asi", "gillam", "panchromatic ASI")``.
        At most 200, 50 and 200 characters.
    source_type
        One of :data:`SOURCE_TYPES`.
    display_name
        Short label shown to users, e.g. ``"THEMIS-ASI GILL"`` (at most 50 characters).
    identifier
        Integer id; ``None`` lets the repository assign the next free one.
    owner
        Contact (e-mail) of the person responsible for the source.
    metadata
        Free-form JSON-compatible mapping (e.g. site coordinates). Stored as given.
    ephemeris_metadata_schema, data_product_metadata_schema
        The fields ephemeris / data-product records of this source may carry in their
        ``metadata``; entries are :class:`MetadataField` or their dict shape.
    """

    program: str
    platform: str
    instrument_type: str
    source_type: str
    display_name: str
    identifier: int | None = None
    owner: str = ""
    # Left out of the hash (a mapping is not hashable) so data sources can key dicts/sets.
    metadata: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    ephemeris_metadata_schema: tuple[MetadataField, ...] = ()
    data_product_metadata_schema: tuple[MetadataField, ...] = ()

    def __post_init__(self) -> None:
        for name in ("program", "platform", "instrument_type", "display_name"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(
                    f"data source {name} must be a non-empty string, got {value!r}"
                )
            if len(value) > _MAX_LENGTHS[name]:
                raise ValidationError(
                    f"data source {name} {value!r} is {len(value)} characters long; "
                    f"at most {_MAX_LENGTHS[name]} are allowed"
                )
        if self.source_type not in SOURCE_TYPES:
            raise ValidationError(
                f"data source source_type must be one of {list(SOURCE_TYPES)}, "
                f"got {self.source_type!r}"
            )
        if self.identifier is not None:
            if isinstance(self.identifier, bool) or not float(self.identifier).is_integer():
                raise ValidationError(
                    f"data source identifier must be an integer, got {self.identifier!r}"
                )
            object.__setattr__(self, "identifier", int(self.identifier))
        if not isinstance(self.owner, str):
            raise ValidationError(f"data source owner must be a string, got {self.owner!r}")
        metadata = {} if self.metadata is None else self.metadata
        if not isinstance(metadata, Mapping):
            raise ValidationError(f"data source metadata must be a mapping, got {metadata!r}")
        object.__setattr__(self, "metadata", MappingProxyType(dict(metadata)))
        for name in ("ephemeris_metadata_schema", "data_product_metadata_schema"):
            object.__setattr__(self, name, _schema_tuple(getattr(self, name), name))

    def to_dict(self) -> dict:
        """The AuroraX ``full_record`` JSON shape of this data source."""
        return {
            "identifier": self.identifier,
            "program": self.program,
            "platform": self.platform,
            "instrument_type": self.instrument_type,
            "source_type": self.source_type,
            "display_name": self.display_name,
            "owner": self.owner,
            "metadata": dict(self.metadata),
            "ephemeris_metadata_schema": [f.to_dict() for f in self.ephemeris_metadata_schema],
            "data_product_metadata_schema": [
                f.to_dict() for f in self.data_product_metadata_schema
            ],
        }

    def basic_info(self) -> dict:
        """The AuroraX ``basic_info`` shape, used inside returned ephemeris/product records."""
        return {
            "identifier": self.identifier,
            "program": self.program,
            "platform": self.platform,
            "instrument_type": self.instrument_type,
            "source_type": self.source_type,
            "display_name": self.display_name,
        }

    @classmethod
    def from_dict(cls, value: Mapping) -> DataSource:
        """Build a data source from its AuroraX JSON shape (extra keys such as ``stats`` or
        ``maintainers`` are ignored, since AuroraX returns them but they are not identity)."""
        if not isinstance(value, Mapping):
            raise ValidationError(f"a data source must be a mapping, got {value!r}")
        missing = [
            k
            for k in ("program", "platform", "instrument_type", "source_type", "display_name")
            if k not in value
        ]
        if missing:
            raise ValidationError(f"data source {dict(value)!r} is missing field(s) {missing}")
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in value.items() if k in known})
