"""The OpenAPI document is true: it names exactly the routes and methods the server has, and
schemathesis, generating requests from it against the live server, finds no server error and
no response outside the document."""

from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aurorax.api import ROUTES, openapi_document

_METHODS = ("get", "post", "put", "patch", "delete")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Integers no float holds, and the first and last days ISO 8601 can write: the inputs that gave
# 500s (OverflowError, OutOfBoundsDatetime) before they were checked.
_HUGE = 10**400
_TIMES = ("0001-01-01T00:00:00", "9999-12-31T23:59:59")


def _extremes(value, depth: int = 0):
    """``value`` with every number at the extremes (alternating signs) and every time
    string at the first or last representable day."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return _HUGE if depth % 2 == 0 else -_HUGE
    if isinstance(value, str):
        return _TIMES[depth % 2] if _TIME.match(value) else value
    if isinstance(value, dict):
        return {k: _extremes(v, depth + i) for i, (k, v) in enumerate(value.items())}
    if isinstance(value, list):
        return [_extremes(v, depth + i) for i, v in enumerate(value)]
    return value


def _query_names(path: str, method: str) -> set[str]:
    operation = openapi_document()["paths"][path][method.lower()]
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


def _implemented(handler) -> set[str]:
    from tornado.web import RequestHandler

    return {m for m in _METHODS if getattr(handler, m) is not getattr(RequestHandler, m)}


def test_every_route_is_documented_and_every_documented_operation_exists(api):
    served = api("GET", "/openapi.json").json()
    assert served == openapi_document()
    documented = {(path, m) for path, ops in served["paths"].items() for m in ops}
    routed = {(template, m) for template, handler, _ in ROUTES for m in _implemented(handler)}
    assert routed == documented
    assert ("/api/v1/conjunctions/requests/{request_id}", "delete") in routed


def test_documented_routes_answer_json_errors_for_unknown_methods(api):
    response = api("PUT", "/data_sources")
    assert response.status_code == 405
    assert response.json()["error_code"] == "NotImplemented"


def test_path_parameters_match_the_templates():
    for template, _, _ in ROUTES:
        names = re.findall(r"\{(\w+)\}", template)
        op = next(iter(openapi_document()["paths"][template].values()))
        declared = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        assert declared == names, template


def test_schemathesis_finds_no_server_error(server):
    # One test driving every operation (the lazy pytest fixture loader of schemathesis does not
    # work with this pytest): a bounded, derandomized set of generated requests per operation.
    schema = schemathesis.openapi.from_url(f"{server}/api/v1/openapi.json")
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def check(case):
            case.call_and_validate(checks=checks, timeout=30)
            # The same request with its numbers and times at their extremes.
            if isinstance(case.body, dict | list):
                case.body = _extremes(case.body)
            query = {k: _extremes(v) for k, v in (case.query or {}).items()}
            for name in ("start", "end"):
                if name in _query_names(case.path, case.method):
                    query[name] = _TIMES[name == "end"]
            case.query = query or case.query
            case.call_and_validate(checks=checks, timeout=30)

        check()
    documented = {f"{m.upper()} {p}" for p, ops in openapi_document()["paths"].items() for m in ops}
    # schemathesis leaves out the operation serving the document it loaded (tested above)
    assert documented - set(labels) == {"GET /api/v1/openapi.json"}
