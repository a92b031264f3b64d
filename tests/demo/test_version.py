"""The demo's build version: a demo built by an older or unknown version is rebuilt at start-up,
a current one (and any repository that is not a demo) is reused."""

from __future__ import annotations

from datetime import date

import pandas as pd

from aurorax.demo import DEMO_BUILD_VERSION, demo_build_version, prepare_demo
from aurorax.engine import DataSource, Repository

# One imager, no images: the smallest demo a rebuild can make.
OPTIONS = {"programs": ["themis-asi"], "platforms": ["gillam"], "image_nights": 0}


def _start(db, **kwargs):
    lines = []
    summary = prepare_demo(db, progress=False, echo=lines.append, **OPTIONS, **kwargs)
    return summary, lines


def _old_demo(db, marker: dict) -> None:
    """A repository as an older aurorax's demo build left it: its data sources carry the demo
    marker ``metadata["aurorax_demo"]`` as that version wrote it."""
    with Repository(db) as repo:
        repo.add_data_source(
            DataSource(
                program="themis-asi",
                platform="gillam",
                instrument_type="panchromatic ASI",
                source_type="ground",
                display_name="THEMIS-ASI GILL",
                metadata={"site_uid": "gill", "aurorax_demo": marker},
            )
        )


def _sources(db) -> list[DataSource]:
    with Repository(db, read_only=True) as repo:
        return repo.list_data_sources()


def test_a_built_demo_carries_the_current_version_and_is_reused(tmp_path):
    db = tmp_path / "demo.duckdb"
    summary, lines = _start(db, start=date(2021, 12, 1), days=1)
    assert lines == [f"first start: building the demo data set into {db}"]
    assert summary is not None and summary.db_path == db
    assert DEMO_BUILD_VERSION >= 1
    assert demo_build_version(db) == DEMO_BUILD_VERSION
    for source in _sources(db):
        assert source.metadata["aurorax_demo"]["build_version"] == DEMO_BUILD_VERSION
    built = db.stat().st_mtime_ns
    summary, lines = _start(db)
    assert (summary, lines) == (None, [])  # reused as it is
    assert db.stat().st_mtime_ns == built


def test_a_demo_without_a_build_version_is_rebuilt_with_its_span_and_seed(tmp_path):
    db = tmp_path / "demo.duckdb"
    _old_demo(db, {"seed": 7, "start": "2021-12-03T00:00:00+00:00", "days": 1})
    assert demo_build_version(db) == 0  # built before demos had a version
    summary, lines = _start(db)
    assert lines == [
        f"rebuilding the demo {db}: it was built by an older aurorax (no demo build version), "
        f"this one builds demo version {DEMO_BUILD_VERSION} (2021-12-03, 1 day(s), seed 7)"
    ]
    assert (summary.start, summary.end) == (
        pd.Timestamp("2021-12-03", tz="UTC"),
        pd.Timestamp("2021-12-04", tz="UTC"),
    )
    assert summary.seed == 7
    assert demo_build_version(db) == DEMO_BUILD_VERSION
    # The rebuilt demo has the records the old one lacked.
    with Repository(db, read_only=True) as repo:
        assert repo.counts()["ephemeris_count"].sum() > 0


def test_a_demo_of_an_older_version_is_rebuilt(tmp_path):
    db = tmp_path / "demo.duckdb"
    old = DEMO_BUILD_VERSION - 1
    _old_demo(
        db, {"seed": 2021, "start": "2021-12-01T00:00:00+00:00", "days": 1, "build_version": old}
    )
    assert demo_build_version(db) == old
    summary, lines = _start(db)
    assert lines == [
        f"rebuilding the demo {db}: it was built by demo version {old}, this aurorax builds "
        f"version {DEMO_BUILD_VERSION} (2021-12-01, 1 day(s), seed 2021)"
    ]
    assert demo_build_version(db) == DEMO_BUILD_VERSION


def test_a_newer_demo_and_other_repositories_are_never_rebuilt(tmp_path):
    newer = tmp_path / "newer.duckdb"
    marker = {"seed": 1, "start": "2021-12-01T00:00:00+00:00", "days": 1}
    _old_demo(newer, marker | {"build_version": DEMO_BUILD_VERSION + 1})
    assert _start(newer) == (None, [])
    assert demo_build_version(newer) == DEMO_BUILD_VERSION + 1

    mine = tmp_path / "mine.duckdb"
    with Repository(mine) as repo:
        repo.add_data_source(
            DataSource(
                program="themis-asi", platform="gillam", instrument_type="panchromatic ASI",
                source_type="ground", display_name="my GILL", metadata={"site_uid": "gill"},
            )
        )  # fmt: skip
    assert demo_build_version(mine) is None  # not a demo: the user's own data
    assert _start(mine) == (None, [])
    assert [s.display_name for s in _sources(mine)] == ["my GILL"]


def test_an_unreadable_build_version_is_unknown_and_named(tmp_path):
    db = tmp_path / "demo.duckdb"
    marker = {"seed": 1, "start": "2021-12-01T00:00:00+00:00", "days": 1, "build_version": "two"}
    _old_demo(db, marker)
    assert demo_build_version(db) == 0
    _, lines = _start(db)
    assert lines == [
        f"rebuilding the demo {db}: it was built by an older aurorax (demo build version 'two' "
        f"is not a whole number), this one builds demo version {DEMO_BUILD_VERSION} "
        "(2021-12-01, 1 day(s), seed 1)"
    ]
    assert demo_build_version(db) == DEMO_BUILD_VERSION
