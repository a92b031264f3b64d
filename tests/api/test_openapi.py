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

        check()
    documented = {f"{m.upper()} {p}" for p, ops in openapi_document()["paths"].items() for m in ops}
    # schemathesis leaves out the operation serving the document it loaded (tested above)
    assert documented - set(labels) == {"GET /api/v1/openapi.json"}
