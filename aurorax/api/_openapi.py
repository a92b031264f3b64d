"""The OpenAPI 3 document of the API, served at ``/api/v1/openapi.json``.

Operations are written here by hand next to their schemas; ``tests/api/test_openapi.py``
checks that the document and the routes of :mod:`aurorax.api._routes` name the same paths and
methods, and schemathesis checks the server against the document.
"""

from __future__ import annotations

from ._convert import SOURCE_FORMATS
from ._errors import APIError

__all__ = ["openapi_document", "OPERATIONS"]

_REASONS = {
    400: "Invalid input; the message names the field",
    401: "No API key, or an unknown or revoked one",
    403: "The key may not write this data source, or the server is read-only",
    404: "Not found",
    409: "Duplicate, a conflict with stored records, or a result not ready yet",
    413: "Request body, record count or answer over the server's limit",
    429: "Too many searches queued or running; retry after the Retry-After header's seconds",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    out = {str(c): _json(_ref("Error"), _REASONS[c]) for c in codes}
    if "429" in out:
        out["429"]["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}
        }
    return out


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


_STR_LIST = {"type": "array", "items": {"type": "string"}}
_FORMAT = _query(
    "format", {"type": "string", "enum": list(SOURCE_FORMATS)}, "Data source record format"
)
_STATS = _query("include_stats", {"type": "boolean"}, "Add record counts and first/last epochs")
_ID = _path("identifier", {"type": "integer", "format": "int32"})
_REQUEST_ID = _path("request_id", {"type": "string"})
_PAGING = [
    _query("page", {"type": "integer", "minimum": 1}, "1-based page (with page_size)"),
    _query(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": 100000},
        "Rows per page (default 100)",
    ),
]
_SECURED = [{"ApiKey": []}]

# The writable fields of a data source (POST, PUT and PATCH bodies).
_SOURCE_FIELDS = {
    "identifier": {"type": "integer"},
    "program": {"type": "string", "maxLength": 200},
    "platform": {"type": "string", "maxLength": 50},
    "instrument_type": {"type": "string", "maxLength": 200},
    "source_type": {
        "type": "string",
        "enum": ["ground", "leo", "heo", "lunar", "event_list", "not_applicable"],
    },
    "display_name": {"type": "string", "maxLength": 50},
    "owner": {
        "type": "string",
        "description": "Must equal the key's owner (POST, PUT: the default)",
    },
    "metadata": {"type": "object"},
    "ephemeris_metadata_schema": {"type": "array", "items": {"type": "object"}},
    "data_product_metadata_schema": {"type": "array", "items": {"type": "object"}},
}
_NAMES_THE_SOURCE = {
    n: {"type": "string", "description": "If given, must be the source's"}
    for n in ("program", "platform", "instrument_type")
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error_code", "error_message"],
        "properties": {"error_code": {"type": "string"}, "error_message": {"type": "string"}},
    },
    "DataSource": {
        "type": "object",
        "required": ["identifier"],
        "properties": {
            "identifier": {"type": "integer"},
            "program": {"type": "string"},
            "platform": {"type": "string"},
            "instrument_type": {"type": "string"},
            "source_type": {"type": "string"},
            "display_name": {"type": "string"},
            "owner": {"type": "string"},
            "metadata": {"type": "object"},
            "ephemeris_metadata_schema": {"type": "array", "items": {"type": "object"}},
            "data_product_metadata_schema": {"type": "array", "items": {"type": "object"}},
            "stats": {"type": "object"},
        },
    },
    "NewDataSource": {
        "type": "object",
        "required": ["program", "platform", "instrument_type", "source_type", "display_name"],
        "properties": _SOURCE_FIELDS,
    },
    "DataSourceChanges": {
        "type": "object",
        "description": "Any fields of NewDataSource; the identifier, if given, must not change",
        "properties": _SOURCE_FIELDS,
    },
    "EphemerisDelete": {
        "type": "object",
        "required": ["start", "end"],
        "properties": {
            "start": {"type": "string", "description": "UTC, inclusive"},
            "end": {"type": "string", "description": "UTC, exclusive"},
            **_NAMES_THE_SOURCE,
        },
    },
    "DataProductDelete": {
        "type": "object",
        "required": ["urls"],
        "properties": {
            "urls": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            **_NAMES_THE_SOURCE,
        },
    },
    "DataSourceSearch": {
        "type": "object",
        "properties": {
            "programs": _STR_LIST,
            "platforms": _STR_LIST,
            "instrument_types": _STR_LIST,
            "source_type": {"type": "string"},
            "owner": {"type": "string"},
        },
    },
    "Location": {
        "type": ["object", "null"],
        "properties": {"lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]}},
    },
    "EphemerisRecord": {
        "type": "object",
        "required": ["epoch"],
        "properties": {
            "data_source": {
                "description": "Identifier or basic info; defaults to the URL's source"
            },
            "epoch": {"type": "string", "description": "UTC minute, ISO 8601"},
            "location_geo": _ref("Location"),
            "location_gsm": _ref("Location"),
            "nbtrace": _ref("Location"),
            "sbtrace": _ref("Location"),
            "metadata": {"type": "object"},
        },
    },
    "DataProductRecord": {
        "type": "object",
        "required": ["data_product_type", "start", "end", "url"],
        "properties": {
            "data_source": {
                "description": "Identifier or basic info; defaults to the URL's source"
            },
            "data_product_type": {
                "type": "string",
                "enum": ["keogram", "montage", "movie", "summary_plot", "data_availability"],
            },
            "start": {"type": "string"},
            "end": {"type": "string"},
            "url": {"type": "string", "description": "Stored as given, never fetched"},
            "metadata": {"type": "object"},
        },
    },
    "Uploaded": {
        "type": "object",
        "required": ["data_source", "result_count"],
        "properties": {"data_source": {"type": "integer"}, "result_count": {"type": "integer"}},
    },
    "MetadataFilter": {
        "type": "object",
        "properties": {
            "logical_operator": {"type": "string", "enum": ["AND", "OR"]},
            "expressions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "operator", "values"],
                    "properties": {
                        "key": {"type": "string"},
                        "operator": {
                            "type": "string",
                            "enum": ["=", "!=", ">", "<", ">=", "<=", "between", "in", "not in"],
                        },
                        "values": _STR_LIST,
                    },
                },
            },
        },
    },
    "CriteriaBlock": {
        "type": "object",
        "properties": {
            "programs": _STR_LIST,
            "platforms": _STR_LIST,
            "instrument_types": _STR_LIST,
            "hemisphere": {
                "type": "array",
                "items": {"type": "string", "enum": ["northern", "southern"]},
            },
            "ephemeris_metadata_filters": _ref("MetadataFilter"),
        },
    },
    "ConjunctionQuery": {
        "type": "object",
        "required": ["start", "end"],
        "properties": {
            "start": {"type": "string", "description": "UTC, ISO 8601"},
            "end": {"type": "string", "description": "UTC, ISO 8601; [start, end)"},
            "ground": {"type": "array", "items": _ref("CriteriaBlock")},
            "space": {"type": "array", "items": _ref("CriteriaBlock")},
            "events": {"type": "array", "items": _ref("CriteriaBlock")},
            "adhoc": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "locations": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "lat": {"type": "number"},
                                    "lon": {"type": "number"},
                                },
                            },
                        }
                    },
                },
            },
            "conjunction_types": {
                "type": "array",
                "items": {"type": "string", "enum": ["nbtrace", "sbtrace", "geographic"]},
            },
            "max_distances": {
                "type": "object",
                "additionalProperties": {"type": ["number", "null"]},
                "description": 'km per pair of blocks, e.g. {"ground1-space1": 500}',
            },
            "epoch_search_precision": {"type": "integer", "enum": [30, 60]},
            "field_of_view": {"type": "object"},
            "request_id": {"type": "string"},
        },
    },
    "RecordQuery": {
        "type": "object",
        "required": ["start", "end"],
        "properties": {
            "start": {"type": "string"},
            "end": {"type": "string"},
            "data_sources": {
                "type": "object",
                "properties": {
                    "programs": _STR_LIST,
                    "platforms": _STR_LIST,
                    "instrument_types": _STR_LIST,
                    "ephemeris_metadata_filters": _ref("MetadataFilter"),
                    "data_product_metadata_filters": _ref("MetadataFilter"),
                },
            },
            "data_product_type_filters": _STR_LIST,
        },
    },
    "SearchAccepted": {
        "type": "object",
        "required": ["request_id", "request_url"],
        "properties": {"request_id": {"type": "string"}, "request_url": {"type": "string"}},
    },
    "RequestStatus": {
        "type": "object",
        "required": ["search_request", "search_result", "logs", "status"],
        "properties": {
            "search_request": {"type": "object"},
            "search_result": {
                "type": "object",
                "properties": {
                    "data_uri": {"type": ["string", "null"]},
                    "result_count": {"type": ["integer", "null"]},
                    "file_size": {"type": ["integer", "null"]},
                    "completed_timestamp": {"type": ["string", "null"]},
                    "query_duration": {"type": ["number", "null"], "description": "milliseconds"},
                    "error_condition": {"type": "boolean"},
                    "result_file_deleted_timestamp": {"type": ["string", "null"]},
                },
            },
            "logs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "timestamp": {"type": "string"},
                        "level": {"type": "string", "enum": ["debug", "info", "warn", "error"]},
                        "summary": {"type": "string"},
                    },
                },
            },
            "status": {
                "type": "string",
                "enum": ["queued", "running", "completed", "failed", "cancelled", "deleted"],
            },
        },
    },
    "Cancelled": {
        "type": "object",
        "required": ["request_id", "status"],
        "properties": {"request_id": {"type": "string"}, "status": {"type": "string"}},
    },
    "SearchData": {
        "type": "object",
        "required": ["result", "result_count"],
        "properties": {
            "result": {"type": "array", "items": {"type": "object"}},
            "result_count": {"type": "integer"},
            "page": {"type": "integer"},
            "page_size": {"type": "integer"},
            "n_pages": {"type": "integer"},
            "notes": _STR_LIST,
        },
    },
    "Availability": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["data_source"],
            "properties": {
                "data_source": _ref("DataSource"),
                "available_ephemeris": {
                    "type": "object",
                    "additionalProperties": {"type": "integer"},
                },
                "available_data_products": {
                    "type": "object",
                    "additionalProperties": {"type": "integer"},
                },
            },
        },
    },
}


def _search_ops(segment: str, query_schema: str, label: str) -> dict:
    base = f"/api/v1/{segment}"
    fmt = _query(
        "format",
        {"type": "string", "enum": ["aurorax", "rows"]},
        "aurorax (default): AuroraX's records; rows: the library's table (conjunctions)",
    )
    return {
        (f"{base}/search", "post"): {
            "summary": f"Start an asynchronous {label} search",
            "requestBody": _body(_ref(query_schema)),
            "responses": {
                "202": {
                    "description": "Accepted; poll the Location",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": _ref("SearchAccepted")}},
                },
                **_errors(400, 413, 429),
            },
        },
        (f"{base}/search_synchronous", "post"): {
            "summary": f"Run a {label} search and return its result",
            "parameters": [fmt, *_PAGING],
            "requestBody": _body(_ref(query_schema)),
            "responses": {
                "200": _json(_ref("SearchData"), "The result"),
                **_errors(400, 413, 429),
            },
        },
        (f"{base}/requests/{{request_id}}", "get"): {
            "summary": f"Status of a {label} search request, with logs and duration",
            "parameters": [_REQUEST_ID],
            "responses": {"200": _json(_ref("RequestStatus"), "Status"), **_errors(404)},
        },
        (f"{base}/requests/{{request_id}}", "delete"): {
            "summary": "Cancel a queued or running search, or delete a finished one's result",
            "parameters": [_REQUEST_ID],
            "responses": {"200": _json(_ref("Cancelled"), "Cancelled or deleted"), **_errors(404)},
        },
        (f"{base}/requests/{{request_id}}/data", "get"): {
            "summary": f"Result of a finished {label} search (paginated with page, page_size)",
            "parameters": [_REQUEST_ID, fmt, *_PAGING],
            "responses": {
                "200": _json(_ref("SearchData"), "The result"),
                **_errors(400, 404, 409, 413),
            },
        },
    }


def _availability_op(kind: str) -> dict:
    params = [
        _query("start", {"type": "string"}, "UTC day or time (default: 1 January this year)"),
        _query(
            "end", {"type": "string"}, "UTC, excluded (default: a year after the default start)"
        ),
        *[
            _query(n, {"type": "array", "items": {"type": "string"}}, f"{n} (repeatable, OR'd)")
            for n in ("program", "platform", "instrument_type")
        ],
        _query("source_type", {"type": "string"}, "Only this source type"),
        _query("owner", {"type": "string"}, "Only sources of this owner"),
        _FORMAT,
    ]
    for p in params[2:5]:
        p.update(style="form", explode=True)
    return {
        "summary": f"Per data source, {kind.replace('_', ' ')} records per day",
        "parameters": params,
        "responses": {"200": _json(_ref("Availability"), "Availability"), **_errors(400)},
    }


OPERATIONS = {
    ("/api/v1/openapi.json", "get"): {
        "summary": "This document",
        "responses": {
            "200": _json({"type": "object", "required": ["openapi", "paths"]}, "OpenAPI 3.1")
        },
    },
    ("/api/v1/data_sources", "get"): {
        "summary": "List data sources (exact-match filters)",
        "parameters": [
            *[
                _query(n, {"type": "string"}, f"Only this {n}")
                for n in ("program", "platform", "instrument_type", "source_type", "owner")
            ],
            _FORMAT,
            _STATS,
        ],
        "responses": {
            "200": _json({"type": "array", "items": _ref("DataSource")}, "Data sources"),
            **_errors(400),
        },
    },
    ("/api/v1/data_sources", "post"): {
        "summary": "Create a data source (owned by the key's owner)",
        "security": _SECURED,
        "requestBody": _body(_ref("NewDataSource")),
        "responses": {
            "201": _json(_ref("DataSource"), "Created (full record)"),
            **_errors(400, 401, 403, 409, 413),
        },
    },
    ("/api/v1/data_sources/search", "post"): {
        "summary": "Data sources matching lists of programs, platforms, instrument types",
        "parameters": [_FORMAT, _STATS],
        "requestBody": _body(_ref("DataSourceSearch")),
        "responses": {
            "200": _json({"type": "array", "items": _ref("DataSource")}, "Data sources"),
            **_errors(400, 413),
        },
    },
    ("/api/v1/data_sources/{identifier}", "get"): {
        "summary": "One data source",
        "parameters": [_ID, _FORMAT, _STATS],
        "responses": {"200": _json(_ref("DataSource"), "The data source"), **_errors(400, 404)},
    },
    ("/api/v1/data_sources/{identifier}", "put"): {
        "summary": "Replace a data source (absent fields take their defaults)",
        "security": _SECURED,
        "parameters": [_ID],
        "requestBody": _body(_ref("NewDataSource")),
        "responses": {
            "200": _json(_ref("DataSource"), "Stored (full record)"),
            **_errors(400, 401, 403, 404, 409, 413),
        },
    },
    ("/api/v1/data_sources/{identifier}", "patch"): {
        "summary": "Change some fields of a data source",
        "security": _SECURED,
        "parameters": [_ID],
        "requestBody": _body(_ref("DataSourceChanges")),
        "responses": {
            "200": _json(_ref("DataSource"), "Stored (full record)"),
            **_errors(400, 401, 403, 404, 409, 413),
        },
    },
    ("/api/v1/data_sources/{identifier}", "delete"): {
        "summary": "Delete a data source that has no records left (409 while it has some)",
        "security": _SECURED,
        "parameters": [_ID],
        "responses": {"204": {"description": "Deleted"}, **_errors(400, 401, 403, 404, 409)},
    },
    ("/api/v1/data_sources/{identifier}/ephemeris", "delete"): {
        "summary": "Delete the source's ephemeris records with start <= epoch < end (UTC)",
        "security": _SECURED,
        "parameters": [_ID],
        "requestBody": _body(_ref("EphemerisDelete")),
        "responses": {
            "200": _json(_ref("Uploaded"), "Deleted (result_count records)"),
            **_errors(400, 401, 403, 404, 413),
        },
    },
    ("/api/v1/data_sources/{identifier}/data_products", "delete"): {
        "summary": "Delete the source's data products with these URLs",
        "security": _SECURED,
        "parameters": [_ID],
        "requestBody": _body(_ref("DataProductDelete")),
        "responses": {
            "200": _json(_ref("Uploaded"), "Deleted (result_count products)"),
            **_errors(400, 401, 403, 404, 409, 413),
        },
    },
    ("/api/v1/data_sources/{identifier}/ephemeris", "post"): {
        "summary": "Upload ephemeris records (validated; all stored or none)",
        "security": _SECURED,
        "parameters": [_ID],
        "requestBody": _body({"type": "array", "items": _ref("EphemerisRecord")}),
        "responses": {"200": _json(_ref("Uploaded"), "Stored"), **_errors(400, 401, 403, 404, 413)},
    },
    ("/api/v1/data_sources/{identifier}/data_products", "post"): {
        "summary": "Upload data product records (validated; all stored or none)",
        "security": _SECURED,
        "parameters": [_ID],
        "requestBody": _body({"type": "array", "items": _ref("DataProductRecord")}),
        "responses": {"200": _json(_ref("Uploaded"), "Stored"), **_errors(400, 401, 403, 404, 413)},
    },
    **_search_ops("conjunctions", "ConjunctionQuery", "conjunction"),
    **_search_ops("ephemeris", "RecordQuery", "ephemeris"),
    **_search_ops("data_products", "RecordQuery", "data product"),
    ("/api/v1/availability/ephemeris", "get"): _availability_op("ephemeris"),
    ("/api/v1/availability/data_products", "get"): _availability_op("data_products"),
    ("/api/v1/utils/describe/query/conjunction", "post"): {
        "summary": "A conjunction query in plain text",
        "requestBody": _body(_ref("ConjunctionQuery")),
        "responses": {
            "200": {
                "description": "Description",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            **_errors(400, 413),
        },
    },
}


def openapi_document() -> dict:
    """The OpenAPI 3.1 document (paths relative to the server that serves it)."""
    paths: dict = {}
    for (path, method), op in OPERATIONS.items():
        paths.setdefault(path, {})[method] = {
            **op,
            "operationId": f"{method}_{path.removeprefix('/api/v1/').replace('/', '_')}".replace(
                "{", ""
            )
            .replace("}", "")
            .replace(".", "_"),
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "aurorax API",
            "version": "1",
            "description": "AuroraX-shaped searches of a self-hosted aurorax repository. Errors are "
            f"{{error_code, error_message}} (see {APIError.__module__}). Writes need an API key "
            "in the x-aurorax-api-key header.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "x-aurorax-api-key"}
            },
        },
    }
