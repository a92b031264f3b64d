"""Searches pruned by the ephemeris index return exactly what a full scan returns.

Random multi-hour stores (hypothesis) where the spacecraft footprints jump between bins near
the sites and bins anywhere on the globe, with dateline and pole geometry, metadata filters,
custom locations, three blocks and partly filled hours; plus edge cases: a footprint at exactly
the maximum distance, points across the pole, deletes and re-ingests. "Full scan" is the same
search with the index switched off, and the two-block cases are checked against the brute-force
reference too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aurorax.engine.search._conjunction_search as conjunction_search
from aurorax.engine import DataSource, Repository, search_conjunctions
from aurorax.engine.search._index import keep_masks, read_index
from aurorax.geo import great_circle_distance_km

from .reference import brute_force, member_grid
from .search_store import (
    GROUND_SCHEMA,
    N_MINUTES,
    SPACE_SCHEMA,
    START,
    ground_frame,
    random_store,
    space_frame,
)


def _search(repo, body, index: bool):
    with pytest.MonkeyPatch.context() as m:
        # The index serves the general path; two-block searches would take the pair table's.
        m.setattr(conjunction_search, "pairs_available", lambda cursor: False)
        if not index:
            m.setattr(conjunction_search, "index_available", lambda cursor: False)
        return search_conjunctions(repo, body)


def _same(repo, body) -> pd.DataFrame:
    with_index = _search(repo, body, True)
    scan = _search(repo, body, False)
    pd.testing.assert_frame_equal(with_index.data, scan.data)
    assert with_index.to_aurorax_json() == scan.to_aurorax_json()
    return with_index.data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n_ground=st.integers(1, 3),
    n_space=st.integers(1, 2),
    n_space2=st.integers(0, 1),
    edge=st.sampled_from(["none", "dateline", "pole"]),
    ctypes=st.sampled_from([["nbtrace"], ["sbtrace"], ["geographic"], ["nbtrace", "sbtrace"]]),
    threshold=st.one_of(st.none(), st.floats(0, 90)),
    limits=st.tuples(st.floats(50, 1500), st.one_of(st.none(), st.floats(50, 2000))),
    window=st.tuples(st.integers(-30, 200), st.integers(1, 300)),
    custom=st.booleans(),
)
def test_pruned_search_equals_full_scan(
    seed, n_ground, n_space, n_space2, edge, ctypes, threshold, limits, window, custom
):
    rng = np.random.default_rng(seed)
    repo, sites, _, _ = random_store(rng, n_ground, n_space, n_space2, edge)
    start = START + pd.Timedelta(minutes=window[0], seconds=int(rng.integers(0, 60)))
    body = {
        "start": start.isoformat(),
        "end": (start + pd.Timedelta(minutes=window[1])).isoformat(),
        "ground": [{"programs": ["themis-asi"]}],
        "space": [{"programs": ["swarm"]}] + ([{"programs": ["themis"]}] if n_space2 else []),
        "conjunction_types": ctypes,
        "max_distances": {"ground1-space1": limits[0]},
    }
    if n_space2:
        body["max_distances"]["space1-space2"] = limits[1]
    if custom:
        lat, lon = sites[0]
        body["adhoc"] = [{"locations": [{"lat": lat, "lon": lon}]}]
        body["max_distances"]["space1-adhoc1"] = limits[0]
    if threshold is not None:
        body["ground"][0]["ephemeris_metadata_filters"] = {
            "expressions": [
                {
                    "key": "calgary_apa_ml_v1_confidence",
                    "operator": ">=",
                    "values": [str(threshold)],
                }
            ]
        }
    with repo:
        _same(repo, body)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    edge=st.sampled_from(["none", "dateline", "pole"]),
    limit=st.floats(50, 1500),
)
def test_pruned_search_matches_brute_force(seed, edge, limit):
    rng = np.random.default_rng(seed)
    repo, _, blocks, records = random_store(rng, 2, 2, 0, edge)
    body = {
        "start": START.isoformat(),
        "end": (START + pd.Timedelta(minutes=N_MINUTES)).isoformat(),
        "ground": [{"programs": ["themis-asi"]}],
        "space": [{"programs": ["swarm"]}],
        "conjunction_types": ["nbtrace"],
        "max_distances": {"ground1-space1": limit},
    }
    with repo:
        data = _same(repo, body)
    ref_blocks = [
        [
            (ds.identifier, *member_grid(records[records["data_source"] == ds.identifier],
                                         START, N_MINUTES, "nbtrace_lat", "nbtrace_lon"))
            for ds in members
        ]
        for members in blocks[:2]
    ]  # fmt: skip
    expected = brute_force(ref_blocks, {(0, 1): limit}, START, N_MINUTES)
    got = sorted(
        (r["start"].tz_convert(None), (int(r["ground1_identifier"]), int(r["space1_identifier"])))
        for _, r in data.iterrows()
    )
    assert got == sorted((e["start"], e["members"]) for e in expected)


def _pair_sources(repo):
    site = repo.add_data_source(
        DataSource("themis-asi", "s", "ASI", "ground", "G", ephemeris_metadata_schema=GROUND_SCHEMA)
    )
    sat = repo.add_data_source(
        DataSource("swarm", "a", "footprint", "leo", "A", ephemeris_metadata_schema=SPACE_SCHEMA)
    )
    return site, sat


def _pair_store(site_latlon, sat_latlon, minutes=range(0, 60)):
    repo = Repository(":memory:")
    site, sat = _pair_sources(repo)
    repo.ingest_ephemeris(ground_frame(site, *site_latlon, list(minutes)))
    repo.ingest_ephemeris(space_frame(sat, list(minutes), *sat_latlon))
    return repo


def _body(limit, hours=1):
    return {
        "start": START.isoformat(),
        "end": (START + pd.Timedelta(hours=hours)).isoformat(),
        "ground": [{"programs": ["themis-asi"]}],
        "space": [{"programs": ["swarm"]}],
        "conjunction_types": ["nbtrace"],
        "max_distances": {"ground1-space1": limit},
    }


@pytest.mark.parametrize(
    ("site", "sat"),
    [
        ((60.0, 10.0), (64.3, 10.0)),  # due north
        ((65.0, 179.99), (65.0, -178.5)),  # across the dateline
        ((89.9, 0.0), (89.8, 180.0)),  # across the pole: 33 km apart, longitudes 180 deg apart
        ((-45.0, 100.0), (-44.0, 103.0)),
    ],
)
def test_a_footprint_at_exactly_the_maximum_distance_is_found(site, sat):
    limit = float(great_circle_distance_km(*site, *sat))
    with _pair_store(site, sat) as repo:
        data = _same(repo, _body(limit))
        assert len(data) == 1 and data["duration_min"].iloc[0] == 60
        assert len(_same(repo, _body(limit * (1 - 1e-6)))) == 0


def test_the_index_prunes_bins_far_from_every_partner():
    with Repository(":memory:") as repo:
        site, sat = _pair_sources(repo)
        repo.ingest_ephemeris(ground_frame(site, 60.0, -100.0, list(range(0, 240))))
        # Far away (southern hemisphere) except in minutes 130-139.
        lat = np.where((np.arange(240) >= 130) & (np.arange(240) < 140), 61.0, -40.0)
        repo.ingest_ephemeris(space_frame(sat, list(range(240)), lat, -100.0))
        cursor = repo.cursor()
        end = START + pd.Timedelta(hours=4)
        rows = [read_index(cursor, [i], START, end, ["nbtrace"]) for i in (1, 2)]
        kept = keep_masks(rows, {(0, 1): 500.0}, ["nbtrace"])
        assert rows[0].bin[kept[0]].tolist() == [120]  # the hour holding minutes 130-139
        assert rows[1].bin[kept[1]].tolist() == [130]
        # An unconstrained pair prunes nothing.
        assert all(m.all() for m in keep_masks(rows, {(0, 1): None}, ["nbtrace"]))


def test_deletes_and_reingests_keep_pruned_results_exact():
    site_lat, site_lon = 60.0, -100.0
    with _pair_store((site_lat, site_lon), (-40.0, -100.0), range(0, 180)) as repo:
        body = _body(400.0, hours=3)
        assert len(_same(repo, body)) == 0
        sat = repo.get_data_source(2)
        # The spacecraft comes near the site at minutes 70-84: the index must follow.
        repo.ingest_ephemeris(space_frame(sat, list(range(70, 85)), 61.0, -100.0))
        data = _same(repo, body)
        assert data["duration_min"].tolist() == [15]
        repo.delete_ephemeris(
            sat, START + pd.Timedelta(minutes=75), START + pd.Timedelta(minutes=80)
        )
        data = _same(repo, body)
        assert data["duration_min"].tolist() == [5, 5]
        repo.delete_ephemeris(2, START, START + pd.Timedelta(hours=3))
        assert len(_same(repo, body)) == 0
