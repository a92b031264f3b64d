"""One Repository per file per process: the dashboard's reads go through the API's writable
connection (DuckDB refuses a second, read-only open), and their caches see in-process writes.
A read-only server still serves everything but writes."""

from __future__ import annotations

import shutil

import pytest
import requests

from app import services
from aurorax.api import KeyStore, keys_path
from aurorax.engine import DataSource, Repository, StoreError, close_shared, open_shared
from tests.app.conftest import build_tiny_repository
from tests.serving import running_server


def test_pages_read_through_the_shared_writable_repository(tmp_path):
    path = build_tiny_repository(tmp_path / "tiny.duckdb")
    repo = open_shared(path)
    try:
        assert open_shared(path) is repo
        # the pitfall: a read-only connection next to the writable one is refused
        with pytest.raises(StoreError, match="different configuration"):
            Repository(path, read_only=True)
        assert open_shared(path, read_only=True) is repo  # readers get the writable one
        names = [s.display_name for s in services.data_sources(path)]
        assert names == ["THEMIS-ASI GILL", "Swarm A"]
        before = repo.changes
        repo.add_data_source(DataSource("themis", "themisa", "footprint", "heo", "THEMIS-A"))
        assert repo.changes == before + 1
        names = [s.display_name for s in services.data_sources(path)]
        assert names == ["THEMIS-ASI GILL", "Swarm A", "THEMIS-A"]
        counts = services.repository_counts(path)
        assert counts["display_name"].tolist() == names
    finally:
        close_shared(path)
    with Repository(path, read_only=True) as again:  # closed: the file opens normally again
        assert len(again.list_data_sources()) == 3


def test_writable_after_read_only_share_is_refused(tmp_path):
    path = build_tiny_repository(tmp_path / "tiny.duckdb")
    open_shared(path, read_only=True)
    try:
        with pytest.raises(StoreError, match="already shared read-only in this process"):
            open_shared(path)
    finally:
        close_shared(path)


def test_read_only_server(api_files, tmp_path):
    db = tmp_path / "readonly.duckdb"
    shutil.copy(api_files[1], db)
    _, token = KeyStore(keys_path(db)).create("demo@aurorax.invalid")
    with running_server(
        db, tmp_path / "data", path="/api/v1/openapi.json", extra_args=("--read-only",)
    ) as base:
        # another process may read the file meanwhile (the demo situation)
        with Repository(db, read_only=True) as reader:
            assert len(reader.list_data_sources()) == 27
        listed = requests.get(f"{base}/api/v1/data_sources", timeout=30).json()
        assert len(listed) == 27
        refused = requests.post(
            f"{base}/api/v1/data_sources/1/ephemeris",
            json=[{"epoch": "2021-12-05T00:00:00"}],
            headers={"x-aurorax-api-key": token},
            timeout=30,
        )
        assert refused.status_code == 403
        assert refused.json()["error_message"] == (
            "this server serves the repository read-only; writes are not possible"
        )
        assert requests.get(f"{base}/overview", timeout=60).status_code == 200
