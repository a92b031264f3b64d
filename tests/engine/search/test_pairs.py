"""Two-block searches answered from the ground-space pair table equal the general path.

Random four-hour stores (hypothesis) with dateline and pole geometry, gaps and missing
footprints, every conjunction type, distances up to the table's 1,000 km and windows that cut
conjunctions: the pair table's answer (rows, AuroraX JSON, per-minute distance series) must be
the general path's, bit for bit, and the brute-force reference's. Three blocks (a ground block and
two space blocks, each constrained against it) are answered from tracks built from the pair rows,
with any space-space limit, and must equal the general path too. Searches the table cannot
answer (more than 1,000 km, 30 s steps, a space block not constrained against the ground block)
must take the general path; blocks with a metadata filter or one hemisphere are read through
their filters at the pair rows' minutes and must equal the general path too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aurorax.engine.search._conjunction_search as conjunction_search
from aurorax.engine import search_conjunctions

from .reference import brute_force, member_grid
from .search_store import N_MINUTES, START, random_store


def _search(repo, body, pairs: bool):
    """The search with the pair table on or off, and whether the pair table answered it."""
    calls = []

    def counted(real):
        def call(*args, **kwargs):
            calls.append(1)
            return real(*args, **kwargs)

        return call

    with pytest.MonkeyPatch.context() as m:
        for name in ("pair_search", "pair_tracks"):
            m.setattr(conjunction_search, name, counted(getattr(conjunction_search, name)))
        if not pairs:
            m.setattr(conjunction_search, "pairs_available", lambda cursor: False)
        return search_conjunctions(repo, body), bool(calls)


def _same(repo, body, expect_pairs: bool) -> pd.DataFrame:
    fast, used = _search(repo, body, True)
    assert used is expect_pairs
    general, used_general = _search(repo, body, False)
    assert not used_general
    pd.testing.assert_frame_equal(fast.data, general.data)
    assert fast.to_aurorax_json() == general.to_aurorax_json()
    for i in range(min(len(fast), 5)):
        pd.testing.assert_frame_equal(fast.distance_series(i), general.distance_series(i))
    return fast.data


def _body(start, minutes, ctypes, limit):
    return {
        "start": start.isoformat(),
        "end": (start + pd.Timedelta(minutes=minutes)).isoformat(),
        "ground": [{"programs": ["themis-asi"]}],
        "space": [{"programs": ["swarm"]}],
        "conjunction_types": ctypes,
        "max_distances": {"ground1-space1": limit},
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n_ground=st.integers(1, 4),
    n_space=st.integers(1, 3),
    edge=st.sampled_from(["none", "dateline", "pole"]),
    ctypes=st.sampled_from(
        [["nbtrace"], ["sbtrace"], ["geographic"], ["nbtrace", "sbtrace", "geographic"]]
    ),
    limit=st.one_of(st.floats(0, 1000), st.sampled_from([0.0, 1000.0])),
    window=st.tuples(st.integers(-30, 200), st.integers(1, 300)),
)
def test_pair_table_answers_as_the_general_path(
    seed, n_ground, n_space, edge, ctypes, limit, window
):
    rng = np.random.default_rng(seed)
    repo, _, _, _ = random_store(rng, n_ground, n_space, 0, edge)
    start = START + pd.Timedelta(minutes=window[0], seconds=int(rng.integers(0, 60)))
    with repo:
        _same(repo, _body(start, window[1], ctypes, limit), expect_pairs=True)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n_ground=st.integers(1, 3),
    edge=st.sampled_from(["none", "dateline", "pole"]),
    ctypes=st.sampled_from([["nbtrace"], ["geographic"], ["nbtrace", "sbtrace"]]),
    limits=st.tuples(st.floats(0, 1000), st.floats(0, 1000)),
    space_limit=st.one_of(st.none(), st.floats(0, 3000)),
    window=st.tuples(st.integers(-30, 200), st.integers(1, 300)),
)
def test_three_blocks_from_pair_tracks_equal_the_general_path(
    seed, n_ground, edge, ctypes, limits, space_limit, window
):
    rng = np.random.default_rng(seed)
    repo, _, _, _ = random_store(rng, n_ground, 2, 2, edge)
    start = START + pd.Timedelta(minutes=window[0], seconds=int(rng.integers(0, 60)))
    body = _body(start, window[1], ctypes, limits[0])
    body["space"].append({"programs": ["themis"]})
    body["max_distances"]["ground1-space2"] = limits[1]
    body["max_distances"]["space1-space2"] = space_limit
    with repo:
        _same(repo, body, expect_pairs=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), limit=st.floats(50, 1000))
def test_pair_table_matches_brute_force(seed, limit):
    rng = np.random.default_rng(seed)
    repo, _, blocks, records = random_store(rng, 3, 2, 0, "none")
    with repo:
        data = _same(repo, _body(START, N_MINUTES, ["nbtrace"], limit), expect_pairs=True)
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
        (
            r["start"].tz_convert(None),
            r["end"].tz_convert(None),
            (int(r["ground1_identifier"]), int(r["space1_identifier"])),
            round(r["min_distance_km"], 6),
        )
        for _, r in data.iterrows()
    )
    want = sorted(
        (e["start"], e["end"], e["members"], round(e["min_distance_km"], 6)) for e in expected
    )
    assert got == want


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    threshold=st.one_of(st.none(), st.floats(0, 100)),
    hemisphere=st.sampled_from([None, "northern", "southern"]),
    three=st.booleans(),
    ctypes=st.sampled_from([["nbtrace"], ["sbtrace", "geographic"]]),
    limit=st.floats(100, 1000),
)
def test_filtered_blocks_read_through_their_filters_equal_the_general_path(
    seed, threshold, hemisphere, three, ctypes, limit
):
    rng = np.random.default_rng(seed)
    repo, _, _, _ = random_store(rng, 3, 2, 2 if three else 0, "none")
    body = _body(START, N_MINUTES, ctypes, limit)
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
    if hemisphere is not None:
        body["space"][0]["hemisphere"] = [hemisphere]
    if three:
        body["space"].append({"programs": ["themis"]})
        body["max_distances"]["ground1-space2"] = limit
    with repo:
        _same(repo, body, expect_pairs=True)


def _far(body):
    body["max_distances"]["ground1-space1"] = 1500
    return body


def _half_minutes(body):
    body["epoch_search_precision"] = 30
    return body


def _three_blocks(body):
    body["space"].append({"programs": ["themis"]})
    body["max_distances"]["space1-space2"] = 3000
    return body


@pytest.mark.parametrize("change", [_far, _half_minutes, _three_blocks])
def test_searches_the_table_cannot_answer_take_the_general_path(change):
    rng = np.random.default_rng(7)
    repo, _, _, _ = random_store(rng, 3, 2, 1, "none")
    body = change(_body(START, N_MINUTES, ["nbtrace"], 800))
    with repo:
        fast, used = _search(repo, body, True)
        assert not used
        general, _ = _search(repo, body, False)
    pd.testing.assert_frame_equal(fast.data, general.data)


def test_both_hemispheres_is_no_condition_and_uses_the_table():
    rng = np.random.default_rng(11)
    repo, _, _, _ = random_store(rng, 3, 2, 0, "none")
    body = _body(START, N_MINUTES, ["nbtrace"], 800)
    body["space"][0]["hemisphere"] = ["northern", "southern"]
    with repo:
        data = _same(repo, body, expect_pairs=True)
    assert len(data) > 0
