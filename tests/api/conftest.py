"""One real ``aurorax serve`` on a free loopback port for the API tests, on a one-day demo
repository; a pristine copy of the file answers the same searches through the library."""

from __future__ import annotations

import shutil

import pytest
import requests

from aurorax.api import KeyStore, keys_path
from aurorax.engine import Repository
from tests.demo_repos import one_day_demo
from tests.serving import running_server

DEMO_OWNER = "demo@aurorax.invalid"  # owner of every demo data source
OTHER_OWNER = "other@example.org"


@pytest.fixture(scope="session")
def api_files(tmp_path_factory):
    """(served repository, pristine copy, data dir)."""
    root = tmp_path_factory.mktemp("api")
    db = root / "served.duckdb"
    one_day_demo(db)
    pristine = root / "pristine.duckdb"
    shutil.copy(db, pristine)
    return db, pristine, root / "data"


@pytest.fixture(scope="session")
def library(api_files):
    """The pristine copy, opened read-only: the library's answers to compare with."""
    with Repository(api_files[1], read_only=True) as repo:
        yield repo


@pytest.fixture(scope="session")
def server(api_files):
    db, _, data = api_files
    with running_server(db, data, path="/api/v1/openapi.json") as base:
        yield base


@pytest.fixture(scope="session")
def api(server):
    """``api(method, path, **requests_kwargs)`` against ``<server>/api/v1``."""
    session = requests.Session()

    def call(method: str, path: str, **kwargs):
        kwargs.setdefault("timeout", 60)
        return session.request(method, f"{server}/api/v1{path}", **kwargs)

    yield call
    session.close()


@pytest.fixture(scope="session")
def keys(api_files):
    return KeyStore(keys_path(api_files[0]))


@pytest.fixture(scope="session")
def demo_key(keys):
    """A key of the demo sources' owner (created while the server runs)."""
    return keys.create(DEMO_OWNER)[1]


@pytest.fixture(scope="session")
def other_key(keys):
    return keys.create(OTHER_OWNER)[1]


def headers(token: str) -> dict:
    return {"x-aurorax-api-key": token}
