"""The engine against the brute-force reference on randomized stores and queries (hypothesis).

Each example builds a small in-memory store through the Repository's public ingest: up to three
ground sites (random gaps, ML confidence metadata), up to two spacecraft per space block whose
footprints wander near the sites (random gaps, missing footprints), with optional edge geometry
(antimeridian, near-pole), and a random window whose ends may cut through conjunctions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aurorax.engine import DataSource, Repository, search_conjunctions

from .reference import brute_force, member_grid, to_half_minutes
from .search_store import GROUND_SCHEMA, SPACE_SCHEMA, START, ground_frame, space_frame

N_MINUTES = 60
LOCATION = {"nbtrace": "nbtrace", "sbtrace": "sbtrace", "geographic": "geo"}


def _sites(rng, n, edge):
    if edge == "antimeridian":
        lon = rng.choice([-1, 1], n) * rng.uniform(178.5, 180.0, n)
        lat = rng.uniform(55, 70, n)
    elif edge == "pole":
        lat, lon = rng.uniform(86.0, 89.95, n), rng.uniform(-180, 180, n)
    else:
        lat, lon = rng.uniform(50, 70, n), rng.uniform(-150, -60, n)
    return lat, lon


def _present(rng, p_gap):
    mask = rng.random(N_MINUTES) > p_gap
    # Force single-minute gaps and single-minute presence somewhere.
    mask[rng.integers(0, N_MINUTES)] = False
    return np.flatnonzero(mask)


def _track(rng, lat0, lon0, edge):
    k = np.arange(N_MINUTES)
    lat = lat0 + rng.normal(0, 2) + rng.uniform(-0.15, 0.15) * (k - rng.integers(0, N_MINUTES))
    lon = lon0 + rng.normal(0, 3) + rng.uniform(-0.4, 0.4) * (k - rng.integers(0, N_MINUTES))
    if edge == "pole":
        lat = 89.9 - np.abs(rng.normal(0, 2, N_MINUTES)).cumsum() * 0.1
    lat = np.clip(lat, -89.99, 89.99)
    lon = (lon + 180.0) % 360.0 - 180.0
    return lat, lon


def _store(rng, n_ground, n_space, n_space2, edge):
    repo = Repository(":memory:")
    ground, space, space2, frames = [], [], [], []
    lat, lon = _sites(rng, n_ground, edge)
    for i in range(n_ground):
        ds = repo.add_data_source(
            DataSource(
                "themis-asi",
                f"site{i}",
                "panchromatic ASI",
                "ground",
                f"G{i}",
                ephemeris_metadata_schema=GROUND_SCHEMA,
            )
        )
        minutes = _present(rng, 0.15)
        conf = np.round(rng.uniform(0, 100, minutes.size), 1)
        frames.append(ground_frame(ds, lat[i], lon[i], minutes, conf))
        ground.append(ds)
    for program, n, out in (("swarm", n_space, space), ("themis", n_space2, space2)):
        for i in range(n):
            ds = repo.add_data_source(
                DataSource(
                    program,
                    f"{program}{i}",
                    "footprint",
                    "leo",
                    f"{program}{i}",
                    ephemeris_metadata_schema=SPACE_SCHEMA,
                )
            )
            j = rng.integers(0, n_ground)
            tlat, tlon = _track(rng, lat[j], lon[j], edge)
            minutes = _present(rng, 0.1)
            frame = space_frame(ds, minutes, tlat[minutes], tlon[minutes], geo_lat=tlat[minutes])
            lost = rng.random(minutes.size) < 0.05  # no footprint (NaN) at a few minutes
            for col in ("nbtrace_lat", "nbtrace_lon", "sbtrace_lat", "sbtrace_lon"):
                frame.loc[lost, col] = np.nan
            frames.append(frame)
            out.append(ds)
    for f in frames:
        repo.ingest_ephemeris(f)
    return repo, ground, space, space2, pd.concat(frames, ignore_index=True)


_CASES = given(
    seed=st.integers(0, 2**32 - 1),
    n_ground=st.integers(1, 3),
    n_space=st.integers(1, 2),
    n_space2=st.integers(0, 2),
    edge=st.sampled_from(["none", "none", "antimeridian", "pole"]),
    ctype=st.sampled_from(["nbtrace", "sbtrace", "geographic"]),
    threshold=st.one_of(st.none(), st.floats(0, 70)),
    limits=st.tuples(
        st.floats(120.3, 1500.7),
        st.one_of(st.none(), st.floats(120.3, 1500.7)),
        st.one_of(st.none(), st.floats(40.3, 3000.7)),
    ),
    window=st.tuples(st.integers(-5, 40), st.integers(0, 59), st.integers(3, 70)),
    precision=st.sampled_from([60, 60, 30]),
)


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@_CASES
def test_engine_matches_brute_force(**case):
    check_against_reference(**case)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@_CASES
def test_engine_matches_brute_force_quick(**case):
    check_against_reference(**case)


def check_against_reference(
    seed, n_ground, n_space, n_space2, edge, ctype, threshold, limits, window, precision
):
    rng = np.random.default_rng(seed)
    repo, ground, space, space2, records = _store(rng, n_ground, n_space, n_space2, edge)
    with repo:
        start = START + pd.Timedelta(minutes=window[0], seconds=window[1])
        end = start + pd.Timedelta(minutes=window[2])
        blocks_sources = [ground, space] + ([space2] if space2 else [])
        body = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "ground": [{"programs": ["themis-asi"]}],
            "space": [{"programs": ["swarm"]}] + ([{"programs": ["themis"]}] if space2 else []),
            "conjunction_types": [ctype],
            "max_distances": {"ground1-space1": limits[0]},
            "epoch_search_precision": precision,
        }
        pair_limits = {(0, 1): limits[0]}
        if space2:
            body["max_distances"].update({"ground1-space2": limits[1], "space1-space2": limits[2]})
            pair_limits.update({(0, 2): limits[1], (1, 2): limits[2]})
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
        result = search_conjunctions(repo, body)

    origin = start.ceil("min")
    n_minutes = int(np.ceil((end - origin) / pd.Timedelta(minutes=1)))
    n_steps = int(np.ceil((end - origin) / pd.Timedelta(seconds=precision)))
    loc = LOCATION[ctype]
    ref_blocks = []
    for b, sources in enumerate(blocks_sources):
        members = []
        for ds in sources:
            rec = records[records["data_source"] == ds.identifier]
            if b == 0 and threshold is not None:
                rec = rec[rec["metadata.calgary_apa_ml_v1_confidence"] >= threshold]
            grid = member_grid(rec, origin, n_minutes, f"{loc}_lat", f"{loc}_lon")
            if precision == 30:
                grid = to_half_minutes(*grid, n_steps)
            members.append((ds.identifier, *grid))
        ref_blocks.append(members)
    step = pd.Timedelta(seconds=precision)
    expected = brute_force(ref_blocks, pair_limits, origin, n_steps, step)
    event(f"conjunctions: {min(len(expected), 5)}{'+' if len(expected) >= 5 else ''}")

    names = ["ground1", "space1", "space2"][: len(blocks_sources)]
    got = []
    for _, row in result.data.iterrows():
        got.append(
            {
                "members": tuple(int(row[f"{n}_identifier"]) for n in names),
                "start": row["start"].tz_convert(None),
                "end": row["end"].tz_convert(None),
                "min_distance_km": row["min_distance_km"],
                "max_distance_km": row["max_distance_km"],
                "closest_epoch": row["closest_epoch"].tz_convert(None),
                "farthest_epoch": row["farthest_epoch"].tz_convert(None),
            }
        )

    def key(r):
        return (r["start"], r["members"])

    got.sort(key=key)
    expected.sort(key=key)
    assert [(r["members"], r["start"], r["end"]) for r in got] == [
        (r["members"], r["start"], r["end"]) for r in expected
    ]
    for g, e in zip(got, expected, strict=True):
        assert g["min_distance_km"] == pytest.approx(
            e["min_distance_km"], rel=1e-9, abs=1e-6, nan_ok=True
        )
        assert g["max_distance_km"] == pytest.approx(
            e["max_distance_km"], rel=1e-9, abs=1e-6, nan_ok=True
        )
        # Epochs of the extremes agree unless two minutes tie to within rounding.
        if g["closest_epoch"] != e["closest_epoch"]:
            assert g["min_distance_km"] == pytest.approx(e["min_distance_km"], abs=1e-6)
        if g["farthest_epoch"] != e["farthest_epoch"]:
            assert g["max_distance_km"] == pytest.approx(e["max_distance_km"], abs=1e-6)
