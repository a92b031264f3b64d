"""The API's routes, as Tornado URL patterns to mount in a server (``pn.serve(...,
extra_patterns=api_patterns(context))``)."""

from __future__ import annotations

import re

from ._base import ApiContext, ApiHandler
from ._openapi import openapi_document
from ._searches import (
    SEARCHES,
    AvailabilityHandler,
    DescribeConjunctionHandler,
    RequestDataHandler,
    RequestHandler,
    SearchHandler,
    SyncSearchHandler,
)
from ._sources import (
    DataProductUploadHandler,
    DataSourceHandler,
    DataSourceSearchHandler,
    DataSourcesHandler,
    EphemerisUploadHandler,
)

__all__ = ["ROUTES", "api_patterns", "route_regex"]


class OpenAPIHandler(ApiHandler):
    """``GET /api/v1/openapi.json``."""

    def get(self) -> None:
        self.send_json(openapi_document())


def _routes() -> list[tuple[str, type, dict]]:
    routes = [
        ("/api/v1/openapi.json", OpenAPIHandler, {}),
        ("/api/v1/data_sources", DataSourcesHandler, {}),
        ("/api/v1/data_sources/search", DataSourceSearchHandler, {}),
        ("/api/v1/data_sources/{identifier}", DataSourceHandler, {}),
        ("/api/v1/data_sources/{identifier}/ephemeris", EphemerisUploadHandler, {}),
        ("/api/v1/data_sources/{identifier}/data_products", DataProductUploadHandler, {}),
    ]
    for segment, search in SEARCHES.items():
        base = f"/api/v1/{segment}"
        routes += [
            (f"{base}/search", SearchHandler, {"search": search}),
            (f"{base}/search_synchronous", SyncSearchHandler, {"search": search}),
            (f"{base}/requests/{{request_id}}", RequestHandler, {"search": search}),
            (f"{base}/requests/{{request_id}}/data", RequestDataHandler, {"search": search}),
        ]
    routes += [
        ("/api/v1/availability/ephemeris", AvailabilityHandler, {"kind": "ephemeris"}),
        ("/api/v1/availability/data_products", AvailabilityHandler, {"kind": "data_products"}),
        ("/api/v1/utils/describe/query/conjunction", DescribeConjunctionHandler, {}),
    ]
    return routes


# (OpenAPI path template, handler class, extra handler arguments)
ROUTES = _routes()


def route_regex(template: str) -> str:
    """Tornado's pattern of an OpenAPI path template (``{name}`` = one path segment)."""
    parts = re.split(r"(\{\w+\})", template)
    return (
        "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
        + "/?"
    )


def api_patterns(context: ApiContext) -> list[tuple[str, type, dict]]:
    """The URL patterns of the API for a Tornado application (Panel's ``extra_patterns``)."""
    return [
        (route_regex(template), handler, {"context": context, **extra})
        for template, handler, extra in ROUTES
    ]
