"""The metadata filter language and its one SQL compiler."""

from __future__ import annotations

import duckdb
import pytest

from aurorax.engine import (
    MetadataExpression,
    MetadataFilter,
    ValidationError,
    compile_metadata_filter,
)

SCHEMA = {
    "calgary_apa_ml_v1": "string",
    "calgary_apa_ml_v1_confidence": "double",
    "orbit_number": "int",
    "tii_on": "bool",
}

APA_BODY = {
    "logical_operator": "AND",
    "expressions": [
        {"key": "calgary_apa_ml_v1", "operator": "in", "values": ["classified as APA"]},
        {"key": "calgary_apa_ml_v1_confidence", "operator": ">=", "values": ["95"]},
    ],
}


def test_aurorax_filter_round_trips_and_compiles_to_bound_sql():
    flt = MetadataFilter.from_json(APA_BODY)
    assert flt.to_json() == APA_BODY
    sql, params = compile_metadata_filter(flt, SCHEMA)
    assert sql == (
        "((TRY_CAST(json_extract_string(metadata, ?) AS VARCHAR) IN (?)) AND "
        "(TRY_CAST(json_extract_string(metadata, ?) AS DOUBLE) >= ?))"
    )
    assert params == [
        '$."calgary_apa_ml_v1"',
        "classified as APA",
        '$."calgary_apa_ml_v1_confidence"',
        95.0,
    ]


def test_every_operator_compiles_with_typed_values():
    exprs = [
        MetadataExpression("orbit_number", "between", ["10", 20]),
        MetadataExpression("orbit_number", "not in", [1, "2"]),
        MetadataExpression("tii_on", "=", "true"),
        MetadataExpression("calgary_apa_ml_v1_confidence", "<", 5.5),
    ]
    sql, params = compile_metadata_filter(MetadataFilter(exprs, "or"), SCHEMA)
    assert " OR " in sql
    assert "BETWEEN ? AND ?" in sql and "NOT IN (?, ?)" in sql and "AS BOOLEAN) = ?" in sql
    assert params[1:3] == [10, 20]
    assert params[4:6] == [1, 2]
    assert params[7] is True
    assert params[9] == 5.5


def test_empty_filter_is_true():
    assert compile_metadata_filter(MetadataFilter.from_json({}), SCHEMA) == ("TRUE", [])
    assert compile_metadata_filter(MetadataFilter.from_json(None), SCHEMA) == ("TRUE", [])


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (
            {"key": "apa", "operator": "=", "values": ["x"]},
            "f.expressions[0].key: unknown metadata key 'apa'; known keys: calgary_apa_ml_v1, "
            "calgary_apa_ml_v1_confidence, orbit_number, tii_on",
        ),
        (
            {"key": "calgary_apa_ml_v1", "operator": ">", "values": ["x"]},
            "f.expressions[0].operator: '>' is not allowed for string key 'calgary_apa_ml_v1'; "
            "allowed: =, !=, in, not in",
        ),
        (
            {"key": "calgary_apa_ml_v1_confidence", "operator": ">=", "values": ["ninety"]},
            "f.expressions[0].values[0]: 'ninety' is not a valid double",
        ),
        (
            {"key": "orbit_number", "operator": "=", "values": ["1.5"]},
            "f.expressions[0].values[0]: '1.5' is not a valid int",
        ),
        (
            {"key": "tii_on", "operator": "=", "values": ["maybe"]},
            "f.expressions[0].values[0]: 'maybe' is not a valid bool",
        ),
    ],
)
def test_schema_errors_name_the_field(expr, message):
    flt = MetadataFilter.from_json({"expressions": [expr]})
    with pytest.raises(ValidationError) as info:
        compile_metadata_filter(flt, SCHEMA, where="f")
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"expressions": [{"key": "a", "operator": "contains", "values": ["x"]}]},
            "expressions[0].operator: 'contains' is not a metadata filter operator; "
            "allowed: =, !=, >, <, >=, <=, between, in, not in",
        ),
        (
            {"expressions": [{"key": "a", "operator": "between", "values": ["1"]}]},
            "expressions[0].values: 'between' needs exactly 2 values, got 1",
        ),
        (
            {"expressions": [{"key": "a", "operator": "=", "values": ["1", "2"]}]},
            "expressions[0].values: '=' needs exactly 1 value, got 2",
        ),
        (
            {"logical_operator": "XOR", "expressions": []},
            "logical_operator: 'XOR' is not allowed; allowed: AND, OR",
        ),
        (
            {"expressions": [{"key": "a", "operator": "="}]},
            "expressions[0].values: missing; an expression needs key, operator and values",
        ),
        ({"exprs": []}, "exprs: unknown field; allowed: logical_operator, expressions"),
    ],
)
def test_bad_filter_json(body, message):
    with pytest.raises(ValidationError) as info:
        MetadataFilter.from_json(body)
    assert str(info.value) == message


def test_camel_case_logical_operator_is_accepted():
    flt = MetadataFilter.from_json({"logicalOperator": "OR", "expressions": []})
    assert flt.logical_operator == "OR"


def test_injection_attempt_is_only_data():
    """A hostile value is a bound parameter: it matches nothing and the table survives."""
    con = duckdb.connect()
    con.execute("CREATE TABLE ephemeris (metadata JSON)")
    con.execute("""INSERT INTO ephemeris VALUES ('{"calgary_apa_ml_v1": "classified as APA"}')""")
    hostile = "x'); DROP TABLE ephemeris; --"
    flt = MetadataFilter((MetadataExpression("calgary_apa_ml_v1", "=", hostile),))
    sql, params = compile_metadata_filter(flt, SCHEMA)
    assert hostile not in sql
    rows = con.execute(f"SELECT count(*) FROM ephemeris WHERE {sql}", params).fetchone()
    assert rows == (0,)
    # The same value stored as data is found by the same filter.
    con.execute("INSERT INTO ephemeris VALUES (?)", [f'{{"calgary_apa_ml_v1": "{hostile}"}}'])
    assert con.execute(f"SELECT count(*) FROM ephemeris WHERE {sql}", params).fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM ephemeris").fetchone() == (2,)


def test_hostile_key_never_reaches_sql():
    flt = MetadataFilter((MetadataExpression("a') OR TRUE --", "=", "x"),))
    with pytest.raises(ValidationError, match="unknown metadata key"):
        compile_metadata_filter(flt, SCHEMA)
    # A schema key with quotes is addressed through a bound, JSON-quoted path.
    sql, params = compile_metadata_filter(flt, {"a') OR TRUE --": "string"})
    assert "OR TRUE" not in sql
    assert params[0] == '$."a\') OR TRUE --"'


def test_describe():
    assert MetadataFilter.from_json(APA_BODY).describe() == (
        "calgary_apa_ml_v1 in (classified as APA) AND calgary_apa_ml_v1_confidence >= 95"
    )
