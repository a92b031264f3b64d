"""aurorax.api: the HTTP API (Tornado handlers mounted in the dashboard's server) and the
Python client.

See ``docs/api.md``: endpoints, keys, limits, errors and the asynchronous search lifecycle.
"""

from ._base import API_KEY_HEADER, ApiConfig, ApiContext
from ._client import HttpClient, LocalClient, RemoteConjunctionResult, connect
from ._errors import APIError, AuthenticationError, PayloadTooLargeError, PermissionDeniedError
from ._jobs import Payload, SearchRequest, SearchRequests
from ._keys import ApiKey, KeyStore, keys_path
from ._openapi import openapi_document
from ._pool import BusyError, SearchPool
from ._routes import ROUTES, api_patterns

__all__ = [
    "API_KEY_HEADER",
    "ApiConfig",
    "ApiContext",
    "APIError",
    "AuthenticationError",
    "PermissionDeniedError",
    "PayloadTooLargeError",
    "BusyError",
    "SearchPool",
    "Payload",
    "SearchRequest",
    "SearchRequests",
    "ApiKey",
    "KeyStore",
    "keys_path",
    "openapi_document",
    "ROUTES",
    "api_patterns",
    "connect",
    "HttpClient",
    "LocalClient",
    "RemoteConjunctionResult",
]
