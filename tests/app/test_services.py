"""``app/services.py``: one decorator caches every service on the repository's content, so a
repeated read is served from the cache and a write is seen at once."""

from __future__ import annotations

import pytest

from app import services
from aurorax.engine import DataSource, Repository


def test_a_service_is_cached_until_the_repository_changes(tiny_repository):
    first = services.data_sources(tiny_repository)
    assert services.data_sources(tiny_repository) is first  # the second call is the cache's
    assert [s.display_name for s in first] == ["THEMIS-ASI GILL", "Swarm A"]
    # Services of the same arguments keep caches of their own.
    counts = services.repository_counts(tiny_repository)
    assert list(counts["display_name"]) == ["THEMIS-ASI GILL", "Swarm A"]
    with Repository(tiny_repository) as repo:
        repo.add_data_source(DataSource("swarm", "swarmb", "footprint", "leo", "Swarm B"))
    after = services.data_sources(tiny_repository)
    assert [s.display_name for s in after] == ["THEMIS-ASI GILL", "Swarm A", "Swarm B"]
    assert len(services.repository_counts(tiny_repository)) == 3


def test_keyword_and_positional_calls_share_one_entry(tiny_repository):
    by_position = services.availability(tiny_repository, "2021-12-01", "2021-12-02")
    by_keyword = services.availability(tiny_repository, end="2021-12-02", start="2021-12-01")
    assert by_keyword is by_position


def test_a_missing_repository_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"no repository at {tmp_path / 'none.duckdb'}"):
        services.data_sources(tmp_path / "none.duckdb")


def test_no_service_has_a_cached_twin():
    # Every cached service is the public function itself, with the decorator's key.
    twins = [
        name for name in dir(services) if name.startswith("_") and f"{name[1:]}" in dir(services)
    ]
    assert twins == []
