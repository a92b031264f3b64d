"""build_demo end to end: a short build into tmp files through the real engine and geo code."""

from __future__ import annotations

import re
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

from aurorax import geo
from aurorax.demo import (
    APA_LABELS,
    DARK_SUN_ELEVATION_DEG,
    SPACECRAFT,
    DemoBuildError,
    build_demo,
    demo_programs,
    load_sites,
    product_path,
)
from aurorax.engine import Repository

SMALL = {"days": 1, "platforms": ["gillam", "themisd"], "progress": False, "image_nights": 0}


def _tables(path):
    with duckdb.connect(str(path), read_only=True) as con:
        eph = con.sql("SELECT * FROM ephemeris ORDER BY data_source, epoch").df()
        dp = con.sql("SELECT * FROM data_products ORDER BY url").df()
    return eph, dp


@pytest.fixture(scope="module")
def one_day(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    summary = build_demo(
        path, start=date(2021, 12, 1), days=1, seed=2021, progress=False, image_nights=0
    )
    return path, summary


@pytest.mark.slow
def test_one_day_build_gives_records_for_every_source(one_day):
    path, summary = one_day
    with Repository(path, read_only=True) as repo:
        counts = repo.counts()
    n_sources = len(load_sites()) + len(SPACECRAFT)
    assert summary.data_sources == len(counts) == n_sources
    assert (counts["ephemeris_count"] > 0).all()
    ground = counts[counts["source_type"] == "ground"]
    assert (ground["data_product_count"] > 0).all()
    space = counts[counts["source_type"] != "ground"]
    assert (space["ephemeris_count"] == 1440).all()
    assert summary.ephemeris_records == counts["ephemeris_count"].sum()
    assert summary.data_product_records == counts["data_product_count"].sum()


@pytest.mark.slow
def test_ground_metadata_is_within_the_schema_and_imagers_operate_only_in_the_dark(one_day):
    path, _ = one_day
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.sql(
            "SELECT s.program, s.platform, e.epoch, e.geo_lat, e.geo_lon, e.gsm_lat, "
            "e.nbtrace_lat, e.nbtrace_lon, "
            "e.metadata->>'calgary_apa_ml_v1' AS apa, "
            "CAST(e.metadata->>'calgary_apa_ml_v1_confidence' AS DOUBLE) AS conf "
            "FROM ephemeris e JOIN data_sources s ON s.identifier = e.data_source "
            "WHERE s.source_type = 'ground'"
        ).df()
    assert set(rows["apa"]) <= set(APA_LABELS)
    assert "classified as not APA" in set(rows["apa"])
    classified = rows["apa"] != "not classified"
    assert rows["conf"][classified].between(50.0, 100.0).all()
    assert rows["conf"][~classified].isna().all()
    elevation = geo.sun_elevation_deg(
        rows["geo_lat"].to_numpy(), rows["geo_lon"].to_numpy(), rows["epoch"].to_numpy()
    )
    assert elevation.max() < DARK_SUN_ELEVATION_DEG
    assert rows["gsm_lat"].isna().all()
    np.testing.assert_array_equal(rows["nbtrace_lat"], rows["geo_lat"])
    # Gillam's dark hours in early December (sun below -12 deg) run from ~00 UT to ~12 UT (it
    # sets ~22 UT); at 18 UT (local noon) it must not be imaging.
    gill = rows[(rows["program"] == "themis-asi") & (rows["platform"] == "gillam")]
    assert not (pd.DatetimeIndex(gill["epoch"]).hour == 18).any()


@pytest.mark.slow
def test_space_records_have_gsm_footprints_and_regions(one_day):
    path, _ = one_day
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.sql(
            "SELECT s.platform, e.gsm_lat, e.nbtrace_lat, e.sbtrace_lat, "
            "e.metadata->>'nbtrace_region' AS region, e.metadata->>'state' AS state, "
            "CAST(e.metadata->>'radial_distance' AS DOUBLE) AS r "
            "FROM ephemeris e JOIN data_sources s ON s.identifier = e.data_source "
            "WHERE s.source_type <> 'ground'"
        ).df()
    assert rows["gsm_lat"].notna().all()
    assert set(rows["state"]) == {"definitive"}
    swarm = rows[rows["platform"] == "swarma"]
    assert swarm["r"].between(6371.2 + 440, 6378.2 + 500).all()
    # A polar LEO crosses the auroral oval and the polar cap every orbit.
    assert {"auroral oval", "polar cap", "mid-latitude"} <= set(swarm["region"])
    # Footprints exist in both hemispheres most of the time for Swarm; the south one is always
    # the southern end of the field line (near the magnetic equator both can be north of 0).
    assert swarm["nbtrace_lat"].notna().mean() > 0.9
    both = swarm.dropna(subset=["nbtrace_lat", "sbtrace_lat"])
    assert (both["sbtrace_lat"] < both["nbtrace_lat"]).all()
    assert (swarm["sbtrace_lat"].dropna() < 0).mean() > 0.9


@pytest.mark.slow
def test_keogram_products_have_daily_and_hourly_records_with_server_urls(one_day):
    path, _ = one_day
    with duckdb.connect(str(path), read_only=True) as con:
        dp = con.sql(
            "SELECT s.program, d.url, d.start, d.\"end\", d.metadata->>'keogram_type' AS kind "
            "FROM data_products d JOIN data_sources s ON s.identifier = d.data_source"
        ).df()
    daily = dp[dp["kind"] == "daily"]
    assert len(daily) == len(load_sites())  # one UT day, every imager operated
    assert (
        "/products/keograms/themis-asi/gill/2021/12/01/themis-asi_gill_20211201_keogram.png"
        in set(daily["url"])
    )
    hourly = dp[dp["kind"] == "hourly"]
    pattern = re.compile(
        r"^/products/keograms/(themis-asi|rego|trex)/[a-z]{4}/2021/12/01/"
        r"\1_[a-z]{4}_20211201_\d\d_keogram\.png$"
    )
    assert all(pattern.match(u) for u in hourly["url"])
    assert (hourly["end"] - hourly["start"]).max() <= pd.Timedelta(minutes=59)


def test_same_seed_builds_identical_tables(tmp_path):
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    build_demo(a, seed=5, **SMALL)
    build_demo(b, seed=5, **SMALL)
    for left, right in zip(_tables(a), _tables(b), strict=True):
        pd.testing.assert_frame_equal(left, right)
    eph, _ = _tables(a)
    assert len(eph) > 1440  # THEMIS-D all day plus the gillam imagers' dark minutes


def test_other_seed_changes_the_ground_labels(tmp_path):
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    build_demo(a, seed=5, **SMALL)
    build_demo(b, seed=6, **SMALL)
    assert not _tables(a)[0]["metadata"].equals(_tables(b)[0]["metadata"])


def test_unknown_program_and_platform_are_named(tmp_path):
    with pytest.raises(DemoBuildError) as err:
        build_demo(tmp_path / "x.duckdb", programs=["themis-asi", "goes"], progress=False)
    assert (
        str(err.value)
        == f"unknown program(s) ['goes']; demo programs are {sorted(demo_programs())}"
    )
    with pytest.raises(
        DemoBuildError, match=r"unknown platform\(s\) \['gilam'\]; demo platforms are"
    ):
        build_demo(tmp_path / "x.duckdb", platforms="gilam", progress=False)
    assert not (tmp_path / "x.duckdb").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 0}, "days must be an integer from 1 to 3660, got 0"),
        ({"days": 1.5}, "days must be an integer from 1 to 3660, got 1.5"),
        (
            {"start": datetime(2021, 12, 1, 6)},
            "start must be a whole UTC day (00:00), got 2021-12-01T06:00:00+00:00",
        ),
        ({"start": "yesterday-ish"}, "start must be a date, got 'yesterday-ish'"),
    ],
)
def test_bad_span_is_rejected(tmp_path, kwargs, message):
    with pytest.raises(DemoBuildError) as err:
        build_demo(tmp_path / "x.duckdb", progress=False, **kwargs)
    assert str(err.value) == message


def test_existing_files_are_protected(tmp_path):
    other = tmp_path / "mine.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE precious AS SELECT 42 AS answer")
    with pytest.raises(DemoBuildError) as err:
        build_demo(other, overwrite=True, **SMALL)
    assert str(err.value) == (
        f"{other} exists and is not an aurorax demo repository; refusing to overwrite it"
    )
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("SELECT answer FROM precious").fetchall() == [(42,)]

    demo = tmp_path / "demo.duckdb"
    build_demo(demo, seed=1, **SMALL)
    with pytest.raises(DemoBuildError) as err:
        build_demo(demo, seed=2, **SMALL)
    assert str(err.value) == f"{demo} already exists; pass overwrite=True to replace it"
    summary = build_demo(demo, seed=2, overwrite=True, **SMALL)
    assert summary.seed == 2
    with Repository(demo, read_only=True) as repo:
        seeds = {s.metadata["aurorax_demo"]["seed"] for s in repo.list_data_sources()}
    assert seeds == {2}
    assert not list(tmp_path.glob(".*.building*"))


PAPER_EXAMPLE = {
    # AuroraX web Example 7 / the paper's example: THEMIS ASI x THEMIS spacecraft within 500 km
    # while the APA model reports pulsating aurora with >= 95% confidence.
    "start": "2021-12-01T00:00:00",
    "end": "2021-12-01T23:59:59",
    "ground": [
        {
            "programs": ["themis-asi"],
            "platforms": [],
            "instrument_types": ["panchromatic ASI"],
            "ephemeris_metadata_filters": {
                "logical_operator": "AND",
                "expressions": [
                    {"key": "calgary_apa_ml_v1", "operator": "in", "values": ["classified as APA"]},
                    {"key": "calgary_apa_ml_v1_confidence", "operator": ">=", "values": ["95"]},
                ],
            },
        }
    ],
    "space": [
        {
            "programs": ["themis"],
            "platforms": [],
            "instrument_types": ["footprint"],
            "hemisphere": ["northern"],
            "ephemeris_metadata_filters": {},
        }
    ],
    "conjunction_types": ["nbtrace"],
    "max_distances": {"ground1-space1": 500},
}


def test_paper_example_query_finds_apa_conjunctions(tmp_path):
    from aurorax.engine import search_conjunctions

    path = tmp_path / "demo.duckdb"
    build_demo(path, days=1, programs=["themis-asi", "themis"], progress=False, image_nights=0)
    with Repository(path, read_only=True) as repo:
        found = search_conjunctions(repo, PAPER_EXAMPLE).data
    assert len(found) >= 1
    assert found["max_distance_km"].max() <= 500.0
    assert set(found["space1"]) <= {"THEMIS-A", "THEMIS-D", "THEMIS-E"}
    assert found["ground1"].str.startswith("THEMIS-ASI ").all()


def test_rendered_night_products_exist_where_their_records_point(tmp_path):
    from aurorax.asi import Imager

    db = tmp_path / "data" / "demo.duckdb"
    # Coarse frames (10 min, model binned 8 x 8) keep the test fast; the build uses 120 s and 2.
    summary = build_demo(
        db, days=2, platforms=["gillam"], progress=False, image_nights=1,
        image_cadence_s=600, image_binning=8,
    )  # fmt: skip
    # Every built imager of RENDERED_PROGRAMS (TREx GILL in colour, from 11 UT: an outage before).
    assert summary.rendered_imagers == (("themis-asi", "gill"), ("rego", "gill"), ("trex", "gill"))
    assert summary.asi_dir == tmp_path / "data" / "asi"
    products = tmp_path / "data" / "products"
    assert summary.products_dir == products
    with duckdb.connect(str(db), read_only=True) as con:
        dp = con.sql(
            'SELECT s.program, s.platform, d.data_product_type AS kind, d.url, d.start, d."end", '
            "d.metadata->>'keogram_type' AS keogram_type, d.metadata->>'movie_type' AS movie_type, "
            "CAST(d.metadata->>'operating_minutes' AS INT) AS minutes "
            "FROM data_products d JOIN data_sources s ON s.identifier = d.data_source"
        ).df()
        epochs = con.sql(
            "SELECT e.epoch FROM ephemeris e JOIN data_sources s ON s.identifier = e.data_source "
            "WHERE s.program = 'themis-asi'"
        ).df()["epoch"]
    day1 = dp["start"] < pd.Timestamp("2021-12-02")
    rendered = day1 & dp["program"].isin(["themis-asi", "rego", "trex"])
    assert rendered.sum() > 10
    # Every keogram and movie record of the rendered night names a file under products_dir ...
    for url in dp.loc[rendered, "url"]:
        assert product_path(products, url).is_file(), url
    # ... and the rendered keograms are exactly the records' keograms (same URLs, no extra file).
    keogram_files = {
        "/products/" + p.relative_to(products).as_posix() for p in products.rglob("*.png")
    }
    assert keogram_files == set(dp.loc[rendered & (dp["kind"] == "keogram"), "url"])
    # The other night keeps its records, without files.
    for url in dp.loc[~rendered, "url"]:
        assert not product_path(products, url).exists(), url
    movies = dp[dp["kind"] == "movie"].set_index("program")
    assert sorted(movies.index) == ["rego", "themis-asi", "trex"]
    assert set(movies["movie_type"]) == {"daily"}
    assert movies.loc["themis-asi", "url"] == (
        "/products/movies/themis-asi/gill/2021/12/01/themis-asi_gill_20211201_movie.mp4"
    )
    daily = dp[rendered & (dp["keogram_type"] == "daily")].set_index("program")
    for column in ("start", "end", "minutes"):
        assert (movies[column] == daily.loc[movies.index, column]).all()
    # Frames exist only at minutes the imager operated (its ephemeris records), every hour has one.
    imager = Imager("gill", "2021-12-01", "2021-12-02", asi_dir=summary.asi_dir)
    frame_minutes = imager.times.floor("min").tz_convert(None)
    assert frame_minutes.isin(pd.DatetimeIndex(epochs)).all()
    hourly = dp[rendered & (dp["program"] == "themis-asi") & (dp["keogram_type"] == "hourly")]
    assert set(imager.times.floor("h").tz_convert(None)) == set(hourly["start"].dt.floor("h"))


def test_image_nights_must_fit_the_span(tmp_path):
    with pytest.raises(DemoBuildError) as err:
        build_demo(tmp_path / "x.duckdb", days=2, image_nights=3, progress=False)
    assert str(err.value) == "image_nights must be an integer from 0 to days (2), got 3"
    with pytest.raises(DemoBuildError) as err:
        build_demo(tmp_path / "x.duckdb", days=1, image_cadence_s=7, progress=False)
    assert str(err.value) == "image_cadence_s must divide 3600 s, got 7"


def test_the_summary_reads_as_sentences_not_a_dataclass(one_day):
    path, summary = one_day
    text = str(summary)
    assert "DemoSummary(" not in text
    lines = text.splitlines()
    assert lines[0] == f"demo repository {path}: 1 day(s) from 2021-12-01, seed 2021"
    assert lines[1] == (
        f"  {summary.data_sources} data sources, {summary.ephemeris_records:,} ephemeris "
        f"records, {summary.data_product_records:,} data product records"
    )
    assert lines[2].startswith(f"  built in {summary.elapsed_s:.1f} s (models ")


def test_a_small_build_renders_trex_rgb_colour_images(tmp_path):
    import matplotlib.image

    from aurorax.asi import Imager, find_image_files
    from tests.demo_repos import DAY, one_day_demo

    db = one_day_demo(
        tmp_path / "demo.duckdb", ["trex"], platforms=["fort smith", "rabbit lake"], image_nights=1
    )
    asi_dir, day = tmp_path / "asi", pd.Timestamp(DAY, tz="UTC")
    with duckdb.connect(str(db), read_only=True) as con:
        epochs = con.sql(
            "SELECT s.platform, e.epoch FROM ephemeris e "
            "JOIN data_sources s ON s.identifier = e.data_source"
        ).df()
    for uid, platform in (("fsmi", "fort smith"), ("rabb", "rabbit lake")):
        files = find_image_files("trex", uid, day, day + pd.Timedelta(days=1), asi_dir)
        assert (
            files[0]
            .relative_to(asi_dir)
            .as_posix()
            .startswith(f"trex/rgb/stream0/2021/12/01/{uid}_rgb-01/ut")
        )
        assert all(f.name.endswith(f"_{uid}_rgb-01_full.h5") for f in files)
        imager = Imager(uid, day, day + pd.Timedelta(days=1), program="trex", asi_dir=asi_dir)
        times, frames = imager.read()
        assert frames.shape == (len(files), 128, 128, 3) and frames.dtype == np.uint8
        # One frame per file, at minutes the imager operated (its ephemeris records).
        operated = pd.DatetimeIndex(epochs.loc[epochs["platform"] == platform, "epoch"])
        assert times.floor("min").tz_convert(None).isin(operated).all()
        sky = frames[:, np.isfinite(imager.skymap.elevation)].astype(float)  # (time, pixel, rgb)
        red, green, blue = sky[..., 0], sky[..., 1], sky[..., 2]
        # Colour: the channels differ (blue, the 427.8 nm band, is a quarter of the green line).
        assert (np.ptp(sky, axis=2) > 0).mean() > 0.9
        assert blue.mean() < 0.5 * green.mean() and abs(red.mean() - green.mean()) > 2
        # The dark sky is nearly black; the aurora of that night is far brighter.
        assert np.percentile(green, 5) <= 10 and np.percentile(red, 5) <= 10
        assert np.percentile(green, 99.9) >= 100
        png = (
            tmp_path
            / "products/keograms/trex"
            / uid
            / f"2021/12/01/trex_{uid}_20211201_keogram.png"
        )
        keogram = matplotlib.image.imread(png)[..., :3]
        shown = ~(keogram == 1.0).all(axis=2)  # white: no frame
        assert (np.ptp(keogram[shown], axis=1) > 0).mean() > 0.9
