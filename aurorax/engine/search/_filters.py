"""Metadata filters: AuroraX's filter language, typed by a data source's metadata schema.

The language (AuroraX API notes §4f) is one flat group of expressions joined by a single logical
operator::

    {"logical_operator": "AND", "expressions": [
        {"key": "calgary_apa_ml_v1", "operator": "in", "values": ["classified as APA"]},
        {"key": "calgary_apa_ml_v1_confidence", "operator": ">=", "values": ["95"]}]}

Operators are exactly ``=, !=, >, <, >=, <=, between, in, not in``. Values travel as strings in
AuroraX's JSON; here they are converted to the type the schema declares for the key
(``string``, ``int``, ``double``, ``bool``) and a value that does not convert is an error naming the
key and the value. Strings and booleans allow ``=, !=, in, not in`` only (ordering strings is not
meaningful for labels such as ``classified as APA``).

SQL safety: :func:`compile_metadata_filter` is the one pure function that turns a filter into SQL.
Neither keys nor values are ever formatted into the SQL text: the key must exist in the schema and
is passed as a bound JSON-path parameter, and every value is a bound parameter, so a value such as
``x'); DROP TABLE ephemeris; --`` is only ever compared as data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..store import ValidationError

__all__ = [
    "OPERATORS",
    "LOGICAL_OPERATORS",
    "MetadataExpression",
    "MetadataFilter",
    "compile_metadata_filter",
]

OPERATORS = ("=", "!=", ">", "<", ">=", "<=", "between", "in", "not in")
LOGICAL_OPERATORS = ("AND", "OR")
_UNORDERED_OPERATORS = ("=", "!=", "in", "not in")
_OPERATORS_BY_TYPE = {
    "string": _UNORDERED_OPERATORS,
    "bool": _UNORDERED_OPERATORS,
    "int": OPERATORS,
    "double": OPERATORS,
}
# DuckDB type each schema type is compared as; the JSON value is extracted as text, then cast.
_SQL_TYPES = {"string": "VARCHAR", "bool": "BOOLEAN", "int": "BIGINT", "double": "DOUBLE"}
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def _as_values(values: Any) -> tuple:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        return (values,)
    return tuple(values)


@dataclass(frozen=True)
class MetadataExpression:
    """One comparison of a metadata key with one or more values.

    Parameters
    ----------
    key : str
        Metadata field name, as listed in the data source's metadata schema.
    operator : str
        One of ``=, !=, >, <, >=, <=, between, in, not in``.
    values : scalar or sequence
        The value(s) to compare with. A scalar becomes a one-element tuple. ``between`` takes two
        values (inclusive bounds), ``in``/``not in`` one or more, every other operator exactly one.
        Strings such as ``"95"`` are accepted for numeric keys, as AuroraX sends them.
    """

    key: str
    operator: str
    values: tuple = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _as_values(self.values))
        op = self.operator.strip().lower() if isinstance(self.operator, str) else self.operator
        if op not in OPERATORS:
            raise ValidationError(
                f"operator: {self.operator!r} is not a metadata filter operator; "
                f"allowed: {', '.join(OPERATORS)}"
            )
        object.__setattr__(self, "operator", op)
        if not isinstance(self.key, str) or not self.key:
            raise ValidationError(f"key: must be a non-empty string, got {self.key!r}")
        n = len(self.values)
        if op == "between" and n != 2:
            raise ValidationError(f"values: 'between' needs exactly 2 values, got {n}")
        if op in ("in", "not in") and n == 0:
            raise ValidationError(f"values: {op!r} needs at least one value")
        if op not in ("between", "in", "not in") and n != 1:
            raise ValidationError(f"values: {op!r} needs exactly 1 value, got {n}")

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "") -> MetadataExpression:
        """Build from AuroraX's ``{"key", "operator", "values"}`` dictionary.

        ``where`` prefixes error messages (e.g. ``"ground1.ephemeris_metadata_filters.expressions[0]"``).
        """
        if not isinstance(data, Mapping):
            raise ValidationError(
                f"{where or 'expression'}: must be an object, got {type(data).__name__}"
            )
        for name in ("key", "operator", "values"):
            if name not in data:
                raise ValidationError(
                    f"{_at(where, name)}: missing; an expression needs key, operator and values"
                )
        unknown = sorted(set(data) - {"key", "operator", "values"})
        if unknown:
            raise ValidationError(
                f"{_at(where, unknown[0])}: unknown field; allowed: key, operator, values"
            )
        try:
            return cls(key=data["key"], operator=data["operator"], values=data["values"])
        except ValidationError as exc:
            raise ValidationError(_at(where, str(exc))) from None

    def to_json(self) -> dict:
        """AuroraX's shape: values as a list of strings."""
        return {
            "key": self.key,
            "operator": self.operator,
            "values": [_to_text(v) for v in self.values],
        }

    def describe(self) -> str:
        """Plain text, e.g. ``calgary_apa_ml_v1_confidence >= 95``."""
        if self.operator == "between":
            return f"{self.key} between {self.values[0]} and {self.values[1]}"
        if self.operator in ("in", "not in"):
            return f"{self.key} {self.operator} ({', '.join(str(v) for v in self.values)})"
        return f"{self.key} {self.operator} {self.values[0]}"


def _at(where: str, rest: str) -> str:
    """``where.rest`` (or ``rest`` alone): builds the dotted field path of an error message."""
    return f"{where}.{rest}" if where else rest


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class MetadataFilter:
    """A group of :class:`MetadataExpression` joined by ``AND`` or ``OR`` (AuroraX has no nesting).

    Parameters
    ----------
    expressions : sequence of MetadataExpression
        The comparisons; an empty filter matches everything.
    logical_operator : {"AND", "OR"}
        How the expressions combine (default ``AND``).
    """

    expressions: tuple[MetadataExpression, ...] = ()
    logical_operator: str = "AND"

    def __post_init__(self) -> None:
        object.__setattr__(self, "expressions", tuple(self.expressions))
        op = self.logical_operator
        op = op.strip().upper() if isinstance(op, str) else op
        if op not in LOGICAL_OPERATORS:
            raise ValidationError(
                f"logical_operator: {self.logical_operator!r} is not allowed; "
                f"allowed: {', '.join(LOGICAL_OPERATORS)}"
            )
        object.__setattr__(self, "logical_operator", op)
        for i, e in enumerate(self.expressions):
            if not isinstance(e, MetadataExpression):
                raise ValidationError(
                    f"expressions[{i}]: expected MetadataExpression, got {type(e).__name__}"
                )

    def __bool__(self) -> bool:
        return bool(self.expressions)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None, where: str = "") -> MetadataFilter:
        """Build from AuroraX's filter object; ``None`` or ``{}`` is the empty filter.

        The camelCase spelling ``logicalOperator`` found in AuroraX's response-format schema is
        accepted as well. ``where`` prefixes error messages, e.g.
        ``"ground1.ephemeris_metadata_filters"``.
        """
        if data is None:
            return cls()
        if isinstance(data, MetadataFilter):
            return data
        if not isinstance(data, Mapping):
            raise ValidationError(
                f"{where or 'metadata filter'}: must be an object, got {type(data).__name__}"
            )
        unknown = sorted(set(data) - {"logical_operator", "logicalOperator", "expressions"})
        if unknown:
            raise ValidationError(
                f"{_at(where, unknown[0])}: unknown field; allowed: logical_operator, expressions"
            )
        op = data.get("logical_operator", data.get("logicalOperator", "AND"))
        raw = data.get("expressions", []) or []
        if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
            raise ValidationError(f"{_at(where, 'expressions')}: must be a list")
        expressions = tuple(
            MetadataExpression.from_json(e, _at(where, f"expressions[{i}]"))
            for i, e in enumerate(raw)
        )
        try:
            return cls(expressions, op)
        except ValidationError as exc:
            raise ValidationError(_at(where, str(exc))) from None

    def to_json(self) -> dict:
        """AuroraX's shape; the empty filter is ``{}`` as PyAuroraX sends it."""
        if not self.expressions:
            return {}
        return {
            "logical_operator": self.logical_operator,
            "expressions": [e.to_json() for e in self.expressions],
        }

    def describe(self) -> str:
        """Plain text, e.g. ``calgary_apa_ml_v1 in (classified as APA) AND ...``."""
        return f" {self.logical_operator} ".join(e.describe() for e in self.expressions)


def _convert(value: Any, data_type: str, where: str) -> Any:
    """Convert one filter value to the schema's type or raise a ValidationError naming ``where``."""
    try:
        if data_type == "string":
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                return str(value)
            raise TypeError
        if data_type == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise TypeError
        if data_type == "int":
            if isinstance(value, bool):
                raise TypeError
            if isinstance(value, float):
                if not value.is_integer():
                    raise TypeError
                value = int(value)
            else:
                value = int(str(value).strip())
            if not -(2**63) <= value < 2**63:  # DuckDB's BIGINT
                raise TypeError
            return value
        if data_type == "double":
            if isinstance(value, bool):
                raise TypeError
            out = float(str(value).strip()) if isinstance(value, str) else float(value)
            if out != out:  # NaN never compares equal to anything; reject rather than match nothing
                raise TypeError
            return out
    except (TypeError, ValueError, OverflowError):
        pass
    shown = (
        repr(value)
        if len(repr(value)) <= 40
        else f"{repr(value)[:20]}... ({len(repr(value))} characters)"
    )
    raise ValidationError(f"{where}: {shown} is not a valid {data_type}")


def compile_metadata_filter(
    flt: MetadataFilter,
    schema: Mapping[str, str],
    *,
    column: str = "metadata",
    where: str = "metadata_filters",
    allowed_values: Mapping[str, tuple] | None = None,
) -> tuple[str, list]:
    """Compile a metadata filter into a parametrised SQL boolean expression (pure function).

    Parameters
    ----------
    flt : MetadataFilter
        The filter to compile.
    schema : mapping of str to str
        ``field_name -> data_type`` (``string``, ``int``, ``double``, ``bool``) of the metadata
        fields that may be filtered on.
    column : str
        SQL name of the JSON metadata column. This is a trusted identifier chosen by the engine,
        never user input.
    where : str
        Prefix for error messages, e.g. ``"ground1.ephemeris_metadata_filters"``.
    allowed_values : mapping of str to tuple, optional
        ``field_name -> allowed values`` of the fields whose schema restricts them; a filter
        value outside them could only match nothing (or, negated, everything), so it is refused.

    Returns
    -------
    sql : str
        A parenthesised boolean expression with ``?`` placeholders, ``"TRUE"`` for an empty filter.
    params : list
        The bound values, in placeholder order: for each expression the JSON path, then its values.

    Raises
    ------
    ValidationError
        For a key not in ``schema`` (the message lists the known keys), an operator the key's type
        does not allow, a value that does not convert to the key's type, a value outside the
        key's ``allowed_values``, or a ``between`` whose lower bound is above its upper bound.
    """
    if not flt.expressions:
        return "TRUE", []
    parts: list[str] = []
    params: list = []
    for i, e in enumerate(flt.expressions):
        here = f"{where}.expressions[{i}]"
        if e.key not in schema:
            known = (
                ", ".join(sorted(schema)) or "(the matched data sources declare no metadata schema)"
            )
            raise ValidationError(
                f"{here}.key: unknown metadata key {e.key!r}; known keys: {known}"
            )
        data_type = schema[e.key]
        allowed = _OPERATORS_BY_TYPE.get(data_type)
        if allowed is None:
            raise ValidationError(f"{here}.key: {e.key!r} has unsupported data_type {data_type!r}")
        if e.operator not in allowed:
            raise ValidationError(
                f"{here}.operator: {e.operator!r} is not allowed for {data_type} key {e.key!r}; "
                f"allowed: {', '.join(allowed)}"
            )
        values = [_convert(v, data_type, f"{here}.values[{j}]") for j, v in enumerate(e.values)]
        known_values = (allowed_values or {}).get(e.key) or ()
        for j, v in enumerate(values):
            if known_values and v not in known_values:
                raise ValidationError(
                    f"{here}.values[{j}]: {v!r} is not an allowed value of {e.key!r}; allowed: "
                    + ", ".join(map(repr, known_values))
                )
        if e.operator == "between" and values[0] > values[1]:
            raise ValidationError(
                f"{here}.values: between {values[0]!r} and {values[1]!r} has its lower bound "
                f"above its upper bound; give [{values[1]!r}, {values[0]!r}]"
            )
        # The JSON path is a bound parameter built from a schema-validated key; json.dumps quotes it
        # so keys with dots or spaces address one member rather than a nested path.
        path = "$." + json.dumps(e.key)
        operand = f"TRY_CAST(json_extract_string({column}, ?) AS {_SQL_TYPES[data_type]})"
        params.append(path)
        if e.operator == "between":
            parts.append(f"({operand} BETWEEN ? AND ?)")
        elif e.operator in ("in", "not in"):
            marks = ", ".join("?" for _ in values)
            parts.append(f"({operand} {e.operator.upper()} ({marks}))")
        else:
            parts.append(f"({operand} {e.operator} ?)")
        params.extend(values)
    return "(" + f" {flt.logical_operator} ".join(parts) + ")", params
